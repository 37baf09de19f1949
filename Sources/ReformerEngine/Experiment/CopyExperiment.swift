// CopyExperiment: the runner behind `reformer-tui experiment copy` — the protocol of EXPERIMENTS.md
// §1.5. Per seed it trains the Full, LSH-1, LSH-2 and LSH-4 models with the tier's preset and
// evaluates each with full attention and LSH-8/4/2/1 (LSH cells averaged over 3 rotation draws).
// Every model trains in DIR/seed<S>/<full|lsh1|lsh2|lsh4>/ (the trainer's atomic checkpoints) and
// every measured cell goes to DIR/results.json at once, so a stopped experiment continues with
// `--resume`: finished models are skipped, a partly trained one continues from its checkpoint,
// measured cells are not measured again. The command holds DIR.lock; each model's folder is locked
// while it trains (CheckpointLock), so no second writer gets in.
//
// Headless, the runner trains with its own loop and reports progress lines; under the dashboard it
// drives one TrainingSession per model on the worker thread and publishes the grid with each snapshot.

import Foundation
import ReformerTelemetry

public final class CopyExperiment: @unchecked Sendable {
    /// Rotation draws averaged per LSH cell.
    public static let hashDraws = 3

    public enum Outcome: Sendable, Equatable {
        case completed
        /// Stopped by a signal or `q`; the checkpoint of the model in training is saved.
        case interrupted
        case failed(String)
    }

    public let tier: ExperimentTier
    public let preset: TaskPreset
    public let directory: String
    public private(set) var results: ExperimentResults
    private let invocationStart = Date()
    private let wallBefore: Double
    /// Set by the dashboard runner: what the current snapshot describes.
    private var phase = ExperimentProgress.Phase.training
    private var evaluatingColumn: Table2.Column?

    /// Starts a new experiment in `directory` (which must not exist, or be empty) or, with `resume`,
    /// continues the one saved there. `seedCount` and `steps` default to 1 and the preset's steps for a
    /// new experiment and to the saved values on resume, where a different value is refused.
    public init(tier: ExperimentTier, preset: TaskPreset, seedCount: Int?, steps: Int?, directory: String,
                resume: Bool, command: String, machine: ExperimentMachine = .current()) throws(ReformerError) {
        try Self.checkPreset(preset)
        if let seedCount, seedCount < 1 || seedCount > 1000 {
            throw ReformerError(file: "--seeds", "is \(seedCount), expected 1 to 1000")
        }
        if let steps, steps < 1 { throw ReformerError(file: "--steps", "is \(steps), expected at least 1") }
        self.tier = tier
        self.preset = preset
        self.directory = directory
        let fm = FileManager.default
        if resume {
            var saved = try ExperimentResults.load(directory: directory)
            try saved.checkResume(tier: tier, seedCount: seedCount, steps: steps, preset: preset, directory: directory)
            saved.commands.append(command)
            saved.machine = machine
            results = saved
        } else {
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
                let empty = isDirectory.boolValue && ((try? fm.contentsOfDirectory(atPath: directory))?.isEmpty ?? false)
                guard empty else {
                    throw ReformerError(file: directory, "already exists; pass --resume to continue the experiment in it, or --out to start elsewhere")
                }
            }
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw ReformerError(file: directory, "cannot be created (\(error.localizedDescription))")
            }
            let base = preset.training.seed
            results = ExperimentResults(
                tier: tier, preset: preset, seeds: (0..<(seedCount ?? 1)).map { base &+ UInt64($0) },
                steps: steps ?? preset.training.steps, stepsOverridden: steps != nil, hashDraws: Self.hashDraws,
                machine: machine, command: command)
        }
        wallBefore = results.wallSeconds
        try saveResults()
    }

    /// The tier's preset must be the copy task with an LSH layer that really hashes at its length.
    static func checkPreset(_ p: TaskPreset) throws(ReformerError) {
        let file = p.directory.map { "\($0)/config.json" } ?? "preset \(p.name)"
        guard p.training.task == .copy else {
            throw ReformerError(file: p.directory.map { "\($0)/train.json" } ?? "preset \(p.name)", field: "task",
                                "is \(p.training.task.rawValue), expected copy")
        }
        guard p.config.hasLSH else { throw ReformerError(file: file, field: "attn_layers", "has no lsh layer, expected at least one") }
        if p.config.lshChunkLength >= p.sequenceLength {
            throw ReformerError(file: file, field: "lsh_attn_chunk_length",
                                "is \(p.config.lshChunkLength), expected less than the sequence length \(p.sequenceLength) (else LSH is full attention)")
        }
    }

    // MARK: - Models

    public func modelDirectory(seed: UInt64, row: Table2.Row) -> String { "\(directory)/seed\(seed)/\(row.key)" }

    /// The preset's training settings for `seed`, with the experiment's steps.
    public func settings(seed: UInt64) -> TrainingSettings {
        var s = preset.training
        s.steps = results.steps
        s.seed = seed
        return s
    }

    /// The model config `row` trains with: the preset's, with the row's hash rounds (the Full model
    /// keeps it; the Trainer widens its chunk to the sequence).
    public func trainingConfig(_ row: Table2.Row) -> ReformerConfig {
        var c = preset.config
        if row != .full { c.hashRounds = row.trainHashes }
        return c
    }

    /// Training stream and the fixed evaluation set of `seed`.
    public func data(seed: UInt64) throws(ReformerError) -> TaskData {
        let task = try CopyTask(wordLength: preset.training.copy.wordLength)
        let s = settings(seed: seed)
        return .copy(task, evaluation: task.evaluationSet(count: s.evalSequences, seed: seed, batchSize: s.batchSize))
    }

    /// The model folder's lock, held while the runner trains and evaluates it (the caller holds the
    /// experiment folder's), so a `train` into that folder meanwhile refuses.
    func lockModel(seed: UInt64, row: Table2.Row) throws(ReformerError) -> CheckpointLock {
        try CheckpointLock.acquire(for: modelDirectory(seed: seed, row: row))
    }

    /// A fresh trainer, or the one checkpointed in the model's folder.
    public func trainer(seed: UInt64, row: Table2.Row) throws(ReformerError) -> Trainer {
        let folder = modelDirectory(seed: seed, row: row)
        let data = try self.data(seed: seed)
        if FileManager.default.fileExists(atPath: folder + "/trainer_state.json") {
            return try Trainer(resuming: folder, settings: settings(seed: seed), data: data)
        }
        return try Trainer(config: trainingConfig(row), settings: settings(seed: seed), data: data, preset: preset.name,
                           fullAttention: row == .full)
    }

    // MARK: - Evaluation

    /// The config a cell evaluates with: the tier's own (its LSH chunk length and buckets — never the
    /// Full model's widened chunk, which would make "LSH" full attention) with the column's rounds.
    public static func evaluationConfig(tierConfig: ReformerConfig, column: Table2.Column) -> ReformerConfig {
        var c = tierConfig
        if column != .full { c.hashRounds = column.evalHashes }
        return c
    }

    /// One cell: trained `parameters` evaluated on `data` with `column`'s attention, LSH averaged
    /// over `draws` rotation draws derived from `seed`.
    public static func evaluate(parameters: ParameterSet, tierConfig: ReformerConfig, data: TaskData, column: Table2.Column,
                                draws: Int = hashDraws, seed: UInt64) throws(ReformerError) -> ExperimentCell {
        let started = Date()
        let view = ReformerModel(config: evaluationConfig(tierConfig: tierConfig, column: column), parameters: parameters, seed: 0)
        let full = column == .full
        let report = try Trainer.evaluate(model: view, data: data, hashes: full ? nil : column.evalHashes, fullAttention: full,
                                          hashSeeds: full ? 1 : draws, seed: seed ^ 0x7AB1_E200)
        return ExperimentCell(accuracy: Double(report.metric) * 100, loss: Double(report.loss), draws: full ? 1 : max(1, draws),
                              hashes: report.hashes, seconds: Date().timeIntervalSince(started))
    }

    func evaluateCell(_ index: Int, _ column: Table2.Column, trainer: Trainer) throws(ReformerError) -> ExperimentCell {
        let m = results.models[index]
        let cell = try Self.evaluate(parameters: trainer.model.parameters, tierConfig: preset.config, data: trainer.data,
                                     column: column, draws: results.hashDraws, seed: m.seed)
        if column != .full && cell.hashes != column.evalHashes {
            throw ReformerError(file: "evaluation", "\(column.label) of seed \(m.seed) \(m.row?.label ?? m.model) used \(cell.hashes) hash rounds, expected \(column.evalHashes)")
        }
        results.models[index].cells[column.key] = cell
        try saveResults()
        return cell
    }

    // MARK: - Bookkeeping

    func recordTraining(_ index: Int, _ trainer: Trainer) {
        let s = trainer.state
        results.models[index].trainSteps = s.step
        results.models[index].trainSeconds = s.elapsedSeconds
        results.models[index].trainingFinished = trainer.isFinished
        if let last = s.history.last { results.models[index].finalTrainAccuracy = Double(last.metric) * 100 }
    }

    /// Writes results.json (atomically) and results.md.
    public func saveResults() throws(ReformerError) {
        results.wallSeconds = wallBefore + Date().timeIntervalSince(invocationStart)
        if results.isComplete && results.finishedAt == nil { results.finishedAt = ExperimentResults.timestamp(Date()) }
        try results.save(in: directory)
        try AtomicFile.write(Array(ExperimentReport.resultsFile(results).utf8), to: "\(directory)/results.md")
    }

    func label(_ index: Int) -> String {
        let m = results.models[index]
        return "seed \(m.seed) · \(m.row?.label ?? m.model)"
    }

    // MARK: - ETA

    /// Seconds left for model `index` and for the whole experiment, from measured seconds per step
    /// (this row's, else the mean of the measured ones) and measured seconds per evaluation cell.
    /// `live` is the model in training: its steps done and its measured seconds per step.
    public static func estimate(_ r: ExperimentResults, current index: Int?, live: (steps: Int, secondsPerStep: Double?)? = nil)
        -> (model: Double?, total: Double?) {
        var rates: [String: [Double]] = [:]
        for (i, m) in r.models.enumerated() {
            let sps = i == index ? live?.secondsPerStep ?? m.secondsPerStep : m.secondsPerStep
            if let sps { rates[m.model, default: []].append(sps) }
        }
        let all = rates.values.joined()
        let fallback = all.isEmpty ? nil : all.reduce(0, +) / Double(all.count)
        var cellTimes: [String: [Double]] = [:]
        for m in r.models { for (key, cell) in m.cells { cellTimes[key, default: []].append(cell.seconds) } }
        let anyCell = cellTimes.values.joined()
        let cellFallback = anyCell.isEmpty ? 0 : anyCell.reduce(0, +) / Double(anyCell.count)
        func cellSeconds(_ c: Table2.Column) -> Double {
            guard let t = cellTimes[c.key], !t.isEmpty else { return cellFallback }
            return t.reduce(0, +) / Double(t.count)
        }
        var modelETA: Double?, total = 0.0, known = true
        for (i, m) in r.models.enumerated() where !m.isComplete {
            let done = i == index ? live?.steps ?? m.trainSteps : m.trainSteps
            let left = m.trainingFinished ? 0 : max(0, r.steps - done)
            let own = rates[m.model].map { $0.reduce(0, +) / Double($0.count) }
            var seconds = m.missingColumns.reduce(0) { $0 + cellSeconds($1) }
            if left > 0 {
                guard let rate = own ?? fallback else { known = false; continue }
                seconds += Double(left) * rate
            }
            if i == index { modelETA = seconds }
            total += seconds
        }
        return (modelETA, known ? total : nil)
    }

    /// "1:05:09", "4:10", "0:07".
    public static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    // MARK: - Headless

    /// Runs every unfinished model with progress lines through `log`; `shouldStop` is polled between
    /// steps and cells (a signal: the model's checkpoint is saved and `.interrupted` returned).
    public func runHeadless(log: (String) -> Void, shouldStop: () -> Bool) -> Outcome {
        do throws(ReformerError) {
            for i in results.models.indices where !results.models[i].isComplete {
                if shouldStop() { return .interrupted }
                let m = results.models[i]
                guard let row = m.row else { throw ReformerError(file: "results.json", field: "models", "names model \(m.model)") }
                let lock = try lockModel(seed: m.seed, row: row)
                defer { lock.release() }
                let trainer = try self.trainer(seed: m.seed, row: row)
                if !trainer.isFinished {
                    let c = trainer.model.config
                    log("model \(i + 1)/\(results.models.count): \(label(i)) — \(row == .full ? "full attention" : "LSH \(c.hashRounds) hash\(c.hashRounds == 1 ? "" : "es")"), \(trainer.model.parameters.scalarCount) parameters, \(results.steps) steps\(trainer.state.step > 0 ? " (resuming at step \(trainer.state.step))" : "") → \(modelDirectory(seed: m.seed, row: row))")
                    guard try trainHeadless(i, trainer, log: log, shouldStop: shouldStop) else { return .interrupted }
                }
                recordTraining(i, trainer)
                try saveResults()
                for column in results.models[i].missingColumns {
                    if shouldStop() { return .interrupted }
                    let cell = try evaluateCell(i, column, trainer: trainer)
                    log(String(format: "eval %@ with %@: %.1f%% (loss %.4f, %@, %.1f s)", label(i), column.label, cell.accuracy, cell.loss,
                               column == .full ? "full attention" : "\(cell.draws) draws of \(cell.hashes) hash\(cell.hashes == 1 ? "" : "es")", cell.seconds))
                }
                let eta = Self.estimate(results, current: nil)
                log("done \(label(i)): \(results.cellsDone)/\(results.cellsTotal) cells, experiment ETA \(Self.duration(eta.total))")
            }
            try saveResults()
            return .completed
        } catch {
            try? saveResults()
            return .failed(error.message)
        }
    }

    /// The training loop of one model: progress lines with ETAs, evaluation and checkpoints when the
    /// preset says; false when stopped (checkpoint saved).
    func trainHeadless(_ i: Int, _ trainer: Trainer, log: (String) -> Void, shouldStop: () -> Bool) throws(ReformerError) -> Bool {
        let m = results.models[i]
        guard let row = m.row else { return false }
        let folder = modelDirectory(seed: m.seed, row: row)
        let s = trainer.settings
        var lastLog = Date.distantPast
        let firstStep = trainer.state.step + 1
        if !trainer.isFinished { trainer.eventLog = try TrainingEventLog(checkpointDirectory: folder, trainer: trainer) }
        while !trainer.isFinished {
            if shouldStop() {
                try trainer.save(to: folder)
                recordTraining(i, trainer)
                try saveResults()
                log("interrupted: \(label(i)) at step \(trainer.state.step), checkpoint saved in \(folder) (continue with --resume)")
                return false
            }
            let r = try trainer.step()
            let last = trainer.isFinished
            if r.step == firstStep || last || Date().timeIntervalSince(lastLog) >= s.logEverySeconds {
                let sps = trainer.state.elapsedSeconds / Double(max(1, trainer.state.step))
                let eta = Self.estimate(results, current: i, live: (r.step, sps))
                trainer.eventLog?.flush()
                log(String(format: "%@ (model %d/%d) step %d/%d loss %.4f acc %.3f · %.3f s/step · model ETA %@ · experiment ETA %@",
                           label(i), i + 1, results.models.count, r.step, trainer.state.totalSteps, r.loss, r.metric, sps,
                           Self.duration(eta.model), Self.duration(eta.total)))
                lastLog = Date()
            }
            if s.evalEvery > 0 && r.step % s.evalEvery == 0 && !last {
                let e = try trainer.evaluate()
                log(String(format: "%@ eval step %d acc %.4f loss %.4f (%@)", label(i), r.step, e.metric, e.loss,
                           e.hashes == 0 ? "full attention" : "\(e.hashes) hashes"))
            }
            if s.checkpointEvery > 0 && r.step % s.checkpointEvery == 0 && !last {
                try trainer.save(to: folder)
                recordTraining(i, trainer)
                try saveResults()
            }
        }
        try trainer.save(to: folder)
        return true
    }

    // MARK: - Dashboard

    /// The grid and ETAs for a snapshot.
    public func progress(current index: Int?, live: (steps: Int, secondsPerStep: Double?)? = nil) -> ExperimentProgress {
        var p = ExperimentProgress()
        p.title = "Table 2 · copy task · tier \(tier.rawValue)"
        p.rows = Table2.Row.allCases.map(\.label)
        p.columns = Table2.Column.allCases.map(\.label)
        let median = Table2.median(results.seeds.map { results.grid(seed: $0) })
        p.cells = median.cells
        p.paper = Table2.paper.cells.map { $0.map { $0 ?? 0 } }
        p.seedCount = results.seeds.count
        p.seedsDone = results.seedsDone
        p.cellsDone = results.cellsDone
        p.cellsTotal = results.cellsTotal
        p.phase = results.isComplete ? .finished : phase
        if let index, index < results.models.count {
            p.currentModel = label(index)
            p.currentRow = results.models[index].row?.rawValue
            p.currentColumn = phase == .evaluating ? evaluatingColumn?.rawValue : nil
            p.modelIndex = index + 1
        }
        p.modelCount = results.models.count
        let eta = Self.estimate(results, current: index, live: live)
        p.modelETASeconds = eta.model
        p.experimentETASeconds = eta.total
        p.elapsedSeconds = wallBefore + Date().timeIntervalSince(invocationStart)
        p.verdicts = Table2.criteria(median)
        p.directory = directory
        return p
    }

    /// Runs every unfinished model on the calling (worker) thread, one TrainingSession per model,
    /// publishing to `store` and obeying `commands` (quit saves the model in training; space pauses,
    /// also between evaluation cells). After the last cell it stays, finished, until `.quit`.
    public func runDashboard(store: SnapshotStore, commands: CommandQueue, log: @escaping (String) -> Void) -> Outcome {
        var base = EngineSnapshot()
        var current: Int?
        func publish(_ s: EngineSnapshot, message: String? = nil, state: EngineSnapshot.RunState? = nil) {
            var s = s
            if let state { s.runState = state }
            if let message { s.message = message }
            s.experiment = progress(current: current)
            store.publish(s)
        }
        /// Commands between evaluation cells: true when `.quit` arrived.
        func betweenCells(_ snapshot: EngineSnapshot, what: String) -> Bool {
            var paused = false
            while true {
                for command in commands.drain() {
                    switch command {
                    case .quit: return true
                    case .togglePause: paused.toggle()
                    case .pause: paused = true
                    case .resume: paused = false
                    default: break
                    }
                }
                if !paused { return false }
                publish(snapshot, message: "paused before \(what) — space resumes", state: .paused)
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        do throws(ReformerError) {
            for i in results.models.indices where !results.models[i].isComplete {
                current = i
                let m = results.models[i]
                guard let row = m.row else { throw ReformerError(file: "results.json", field: "models", "names model \(m.model)") }
                phase = .training
                evaluatingColumn = nil
                let lock = try lockModel(seed: m.seed, row: row)
                defer { lock.release() }
                let trainer = try self.trainer(seed: m.seed, row: row)
                if !trainer.isFinished {
                    trainer.eventLog = try TrainingEventLog(checkpointDirectory: modelDirectory(seed: m.seed, row: row), trainer: trainer)
                }
                let session = TrainingSession(trainer: trainer, checkpointDirectory: modelDirectory(seed: m.seed, row: row),
                                              store: store, commands: commands, log: log)
                session.finishWhenDone = true
                session.decorate = { [unowned self] s in
                    let state = trainer.state
                    let sps = state.step > 0 ? state.elapsedSeconds / Double(state.step) : nil
                    s.task = "copy \(self.tier.rawValue) · \(self.label(i))"
                    s.experiment = self.progress(current: i, live: (state.step, sps))
                }
                log("model \(i + 1)/\(results.models.count): \(label(i)), \(results.steps) steps")
                session.run()
                recordTraining(i, trainer)
                try saveResults()
                if session.exitStatus.load(ordering: .relaxed) != 0 {
                    return .failed(session.currentSnapshot().failure ?? "training \(label(i)) failed")
                }
                if session.quitReceived || !trainer.isFinished { return .interrupted }
                phase = .evaluating
                base = session.currentSnapshot()
                for column in results.models[i].missingColumns {
                    evaluatingColumn = column
                    let what = "evaluating \(label(i)) with \(column == .full ? "full attention" : "\(column.label) (\(results.hashDraws) draws)")"
                    if betweenCells(base, what: what) {
                        publish(base, message: "stopped before \(what)", state: .stopping)
                        return .interrupted
                    }
                    publish(base, message: what + "…", state: .running)
                    let cell = try evaluateCell(i, column, trainer: trainer)
                    log(String(format: "eval %@ with %@: %.1f%%", label(i), column.label, cell.accuracy))
                }
                evaluatingColumn = nil
            }
            try saveResults()
        } catch {
            try? saveResults()
            var s = base
            s.failure = error.message
            publish(s, state: .failed)
            while !commands.drain().contains(.quit) { Thread.sleep(forTimeInterval: 0.05) }
            return .failed(error.message)
        }
        current = nil
        phase = .finished
        let passed = results.criteria.prefix(4).filter { $0.status == .pass }.count
        publish(base, message: "experiment complete: R1–R4 \(passed)/4 pass · results in \(directory)", state: .finished)
        while !commands.drain().contains(.quit) {
            Thread.sleep(forTimeInterval: 0.1)
        }
        return .completed
    }
}
