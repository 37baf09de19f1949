// ExperimentResults: results.json of `reformer-tui experiment copy` — the settings the experiment
// was started with, every cell of every seed's grid as soon as it is measured, the medians, the
// criteria, the machine, timings and the commands run. Written atomically after every cell, so a
// killed experiment loses at most the cell it was computing; `--resume` reads it back.

import Foundation
import ReformerTelemetry

/// The tiers of the experiment: which preset folder each one trains.
public enum ExperimentTier: String, CaseIterable, Sendable, Codable {
    /// DUP-Q of EXPERIMENTS.md §1.5: the `copy` preset (length 64).
    case quick
    /// The harder setting in which Table 2's pattern shows: the `copy-hard` preset.
    case hard

    public var presetName: String { self == .quick ? "copy" : "copy-hard" }

    /// Parses `--tier`; the error is one line naming the argument.
    public static func parse(_ text: String) throws(ReformerError) -> ExperimentTier {
        guard let tier = ExperimentTier(rawValue: text) else {
            throw ReformerError(file: "--tier", "is \"\(text)\", expected quick or hard")
        }
        return tier
    }
}

/// One evaluation cell of one model.
public struct ExperimentCell: Sendable, Equatable, Codable {
    /// Accuracy on the evaluation set in percent (mean over the rotation draws for LSH).
    public var accuracy: Double
    public var loss: Double
    /// Rotation draws averaged (1 for full attention).
    public var draws: Int
    /// Hash rounds the evaluation really used (0 = full attention) — proof that LSH cells hashed.
    public var hashes: Int
    public var seconds: Double

    public init(accuracy: Double, loss: Double, draws: Int, hashes: Int, seconds: Double) {
        self.accuracy = accuracy
        self.loss = loss
        self.draws = draws
        self.hashes = hashes
        self.seconds = seconds
    }
}

/// One trained model (a seed and a row of the grid) and its evaluations.
public struct ExperimentModelRecord: Sendable, Equatable, Codable {
    public var seed: UInt64
    /// `Table2.Row.key`: "full", "lsh4", "lsh2", "lsh1".
    public var model: String
    public var trainHashes: Int
    public var trainingFinished = false
    public var trainSteps = 0
    /// Seconds spent in training steps (over all invocations).
    public var trainSeconds = 0.0
    /// Training-batch accuracy of the last step, percent.
    public var finalTrainAccuracy: Double?
    /// Evaluation cells by `Table2.Column.key`.
    public var cells: [String: ExperimentCell] = [:]

    public init(seed: UInt64, row: Table2.Row) {
        self.seed = seed
        self.model = row.key
        self.trainHashes = row.trainHashes
    }

    public var row: Table2.Row? { Table2.Row(key: model) }
    public var isComplete: Bool { trainingFinished && Table2.Column.allCases.allSatisfy { cells[$0.key] != nil } }
    public var missingColumns: [Table2.Column] { Table2.Column.allCases.filter { cells[$0.key] == nil } }
    public var evalSeconds: Double { cells.values.reduce(0) { $0 + $1.seconds } }
    /// Measured seconds per training step, nil before any step.
    public var secondsPerStep: Double? { trainSteps > 0 && trainSeconds > 0 ? trainSeconds / Double(trainSteps) : nil }
}

/// The machine the experiment ran on (no host name).
public struct ExperimentMachine: Sendable, Equatable, Codable {
    public var cpu: String
    public var cores: Int
    public var memoryGiB: Double
    public var os: String
    /// The 1-minute load average when the (latest) invocation started: timings on a busy machine are slower.
    public var loadAverage: Double?

    public init(cpu: String, cores: Int, memoryGiB: Double, os: String, loadAverage: Double? = nil) {
        self.cpu = cpu
        self.cores = cores
        self.memoryGiB = memoryGiB
        self.os = os
        self.loadAverage = loadAverage
    }

    public static func current() -> ExperimentMachine {
        var cpu = "unknown CPU"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let p = ProcessInfo.processInfo
        let gib = (Double(p.physicalMemory) / 1_073_741_824 * 10).rounded() / 10
        #if os(Linux)
        let os = "Linux " + p.operatingSystemVersionString
        #else
        let os = p.operatingSystemVersionString
        #endif
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) }
        return ExperimentMachine(cpu: cpu, cores: p.activeProcessorCount, memoryGiB: gib, os: os, loadAverage: load)
    }

    public var summary: String {
        "\(cores) cores, \(cpu), \(String(format: "%.1f", memoryGiB)) GiB, \(os)"
            + (loadAverage.map { String(format: ", load average %.1f at the start", $0) } ?? "")
    }
}

/// results.json.
public struct ExperimentResults: Sendable, Equatable, Codable {
    public var formatVersion = 1
    public var experiment = "copy"
    public var tier: ExperimentTier
    public var preset: String
    /// The preset as the experiment started: config.json and train.json (resume refuses a changed one).
    public var presetConfig: JSONValue
    public var presetTraining: JSONValue
    /// Seeds, in order: the preset's seed + 0, 1, … (N = --seeds).
    public var seeds: [UInt64]
    /// Training steps per model (the preset's, or --steps).
    public var steps: Int
    public var stepsOverridden: Bool
    /// Rotation draws averaged per LSH cell.
    public var hashDraws: Int
    /// Sequences in the evaluation set; model summary ("length 64, chunk 8, 16 buckets, …").
    public var evalSequences: Int
    public var setting: String
    public var machine: ExperimentMachine
    /// Every invocation's command line (`reformer-tui experiment copy …`), the first is the start.
    public var commands: [String]
    /// ISO 8601 times of the start and of the last update; when the grid was completed.
    public var startedAt: String
    public var updatedAt: String
    public var finishedAt: String?
    /// Wall time of all invocations together, seconds.
    public var wallSeconds = 0.0
    public var models: [ExperimentModelRecord] = []
    /// Derived on every write: the median grid over seeds (percent), the paper's, and R1–R6.
    public var median = Table2.Grid()
    public var paper = Table2.paper
    public var criteria: [ExperimentVerdict] = []

    public init(tier: ExperimentTier, preset: TaskPreset, seeds: [UInt64], steps: Int, stepsOverridden: Bool,
                hashDraws: Int, machine: ExperimentMachine, command: String, now: Date = Date()) {
        self.tier = tier
        self.preset = preset.name
        presetConfig = preset.config.jsonValue()
        presetTraining = preset.training.jsonValue()
        self.seeds = seeds
        self.steps = steps
        self.stepsOverridden = stepsOverridden
        self.hashDraws = hashDraws
        evalSequences = preset.training.evalSequences
        setting = Self.describe(preset)
        self.machine = machine
        commands = [command]
        startedAt = Self.timestamp(now)
        updatedAt = startedAt
        for seed in seeds {
            for row in Table2.Row.trainingOrder { models.append(ExperimentModelRecord(seed: seed, row: row)) }
        }
        refresh()
    }

    /// "length 64 (|w| 31), 1 layer, hidden 64, ff 64, 4 heads × 16, LSH chunk 8, 16 buckets, batch 32, lr 0.001, warmup 200".
    public static func describe(_ preset: TaskPreset) -> String {
        let c = preset.config, t = preset.training
        var buckets = "automatic buckets"
        switch c.buckets {
        case .count(let n): buckets = "\(n) buckets"
        case .factors(let f): buckets = "\(f.reduce(1, *)) buckets (\(f.map(String.init).joined(separator: "×")))"
        case .automatic: break
        }
        let positions = c.axialPositionEmbeddings ? "axial positions" : "learned positions"
        return "length \(preset.sequenceLength) (|w| \(t.copy.wordLength)), \(c.layerCount) layer\(c.layerCount == 1 ? "" : "s"), hidden \(c.hiddenSize), ff \(c.feedForwardSize), \(c.headCount) heads × \(c.headSize), LSH chunk \(c.lshChunkLength), \(buckets), \(positions), batch \(t.batchSize), lr \(t.learningRate), warmup \(t.warmupSteps)"
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    public func index(seed: UInt64, row: Table2.Row) -> Int? {
        models.firstIndex { $0.seed == seed && $0.model == row.key }
    }

    public func record(seed: UInt64, row: Table2.Row) -> ExperimentModelRecord? {
        index(seed: seed, row: row).map { models[$0] }
    }

    /// The grid of one seed.
    public func grid(seed: UInt64) -> Table2.Grid {
        var g = Table2.Grid()
        for m in models where m.seed == seed {
            guard let row = m.row else { continue }
            for column in Table2.Column.allCases { g[row, column] = m.cells[column.key]?.accuracy }
        }
        return g
    }

    public var cellsDone: Int { models.reduce(0) { $0 + $1.cells.count } }
    public var cellsTotal: Int { models.count * Table2.Column.allCases.count }
    public var isComplete: Bool { !models.isEmpty && models.allSatisfy(\.isComplete) }
    public var seedsDone: Int { seeds.filter { s in models.filter { $0.seed == s }.allSatisfy(\.isComplete) }.count }

    /// Recomputes the medians and criteria from the records.
    public mutating func refresh() {
        median = Table2.median(seeds.map { grid(seed: $0) })
        criteria = Table2.criteria(median)
    }

    // MARK: - Files

    public static let fileName = "results.json"

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8]((try? encoder.encode(self)) ?? Data())
    }

    /// Writes `directory/results.json` atomically (medians and criteria refreshed first).
    public mutating func save(in directory: String, now: Date = Date()) throws(ReformerError) {
        refresh()
        updatedAt = Self.timestamp(now)
        try AtomicFile.write(encoded(), to: "\(directory)/\(Self.fileName)")
    }

    public static func load(directory: String) throws(ReformerError) -> ExperimentResults {
        let path = "\(directory)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReformerError(file: directory, "holds no experiment to resume (no \(fileName))")
        }
        let bytes = try AtomicFile.readContents(of: path)
        let results: ExperimentResults
        do {
            results = try JSONDecoder().decode(ExperimentResults.self, from: Data(bytes))
        } catch {
            throw ReformerError(file: path, "is not a valid experiment results file (\(JSONValue.describe(error)))")
        }
        guard results.formatVersion == 1 else {
            throw ReformerError(file: path, field: "formatVersion", "is \(results.formatVersion), expected 1")
        }
        return results
    }

    /// `--resume` may only continue the same experiment: same tier, seed count, steps and preset.
    /// A value the user did not give (nil) is taken from the saved experiment.
    public func checkResume(tier: ExperimentTier?, seedCount: Int?, steps: Int?, preset: TaskPreset, directory: String) throws(ReformerError) {
        if let tier, tier != self.tier {
            throw ReformerError(file: "--tier", "is \(tier.rawValue), but the experiment in \(directory) is tier \(self.tier.rawValue)")
        }
        if let seedCount, seedCount != seeds.count {
            throw ReformerError(file: "--seeds", "is \(seedCount), but the experiment in \(directory) has \(seeds.count) seed\(seeds.count == 1 ? "" : "s")")
        }
        if let steps, steps != self.steps {
            throw ReformerError(file: "--steps", "is \(steps), but the experiment in \(directory) trains \(self.steps) steps per model")
        }
        if preset.config.jsonValue() != presetConfig || preset.training.jsonValue() != presetTraining {
            throw ReformerError(file: preset.directory.map { "\($0)" } ?? "preset \(preset.name)",
                                "differs from the preset the experiment in \(directory) started with (see its results.json); start a new experiment with --out")
        }
    }
}
