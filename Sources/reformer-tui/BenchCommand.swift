// `reformer-tui bench`: measurements a user checks before choosing an engine. So far: `memory` —
// peak memory of one training step against depth, reversible (the Reformer) against the same
// network keeping every layer's activations, from the engine's ledger and from the process RSS.

import ArgumentParser
import Foundation
import ReformerEngine
import ReformerTUI
import ReformerTelemetry

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks. memory: peak memory of a training step vs depth (reversible vs stored activations); dashboard: time to build and render one frame.")

    enum Benchmark: String, ExpressibleByArgument, CaseIterable { case memory, dashboard, sample }

    @Option(name: .long, help: "Which benchmark (available: memory, dashboard, sample).")
    var only: Benchmark = .memory

    @Option(name: .long, help: "Sequence length of the bench-6x256 model.")
    var length = 4096

    @Option(name: .long, parsing: .upToNextOption, help: "Depths to measure.")
    var depths: [Int] = [2, 4, 8, 16]

    @Flag(name: .long, help: "Only the reversible stack (skip the stored-activation twin).")
    var reversibleOnly = false

    @Option(name: .long, help: .hidden)
    var single: String?

    func validate() throws {
        if depths.isEmpty || depths.contains(where: { $0 < 1 || $0 > 64 }) { throw ValidationError("--depths must be between 1 and 64") }
    }

    func run() throws {
        if let single {   // child process: one measurement, one machine-readable line
            let parts = single.split(separator: ":")
            guard parts.count == 2, let depth = Int(parts[0]) else { throw ValidationError("--single DEPTH:MODE") }
            try runReporting {
                let r = try MemoryBench.measure(depth: depth, length: length, storeActivations: parts[1] == "stored")
                print("result \(r.seconds) \(r.workingMiB) \(r.totalMiB) \(r.rssMiB)")
            }
            return
        }
        if only == .dashboard {
            try runReporting { try DashboardBench.run() }
            return
        }
        if only == .sample {
            try runReporting { try SampleBench.run() }
            return
        }
        try runReporting {
            print("bench memory: bench-6x256 widths (hidden 256, 4 heads × 64, ff 1024, 2 hashes, chunk 64), length \(length), batch 1")
            print("depth  mode        step s  ledger working set  ledger total (params+grads+opt+work)  peak RSS")
            for depth in depths {
                for stored in reversibleOnly ? [false] : [false, true] {
                    // Each measurement in a fresh process, so its RSS peak is its own.
                    let r = try MemoryBench.child(depth: depth, length: length, stored: stored)
                    let mode = (stored ? "stored" : "reversible").padding(toLength: 10, withPad: " ", startingAt: 0)
                    print(String(format: "%5d  %@  %6.2f  %14.1f MiB  %20.1f MiB                %8.1f MiB",
                                 depth, mode, r.seconds, r.workingMiB, r.totalMiB, r.rssMiB))
                }
            }
        }
    }
}

enum MemoryBench {
    struct Result { var seconds: Double; var workingMiB: Double; var totalMiB: Double; var rssMiB: Double }

    static func measure(depth: Int, length: Int, storeActivations: Bool) throws -> Result {
        var c = try Presets.bench6x256(length: length)
        c.attentionLayers = Array(repeating: .lsh, count: depth)
        let ledger = MemoryLedger()
        return try MemoryLedger.$current.withValue(ledger) { () throws -> Result in
            let model = try ReformerModel.initialized(config: c, seed: 1)
            let grads = ParameterSet(layout: model.parameters.layout, category: .gradients)
            let optimizer = try AdamW(layout: model.parameters.layout, settings: AdamWSettings())
            var rng = SplitMix64(seed: 2)
            let tokens = (0..<length).map { _ in Int32(rng.nextInt(below: 256)) }
            let request = ForwardRequest(batch: 1, length: length, tokens: tokens, labels: tokens.map(Int64.init))
            resetPeakRSS()
            ledger.resetPeaks()
            let start = Date()
            _ = try model.lossAndGradients(request, gradients: grads, storeActivations: storeActivations)
            optimizer.step(parameters: model.parameters, gradients: grads)
            let seconds = Date().timeIntervalSince(start)
            let t = ledger.totals
            let working = (t.peakBytes[.activations] ?? 0) + (t.peakBytes[.attention] ?? 0)
            return Result(seconds: seconds, workingMiB: Double(working) / 1_048_576,
                          totalMiB: Double(t.peakTotalBytes) / 1_048_576, rssMiB: peakRSSMiB())
        }
    }

    static func child(depth: Int, length: Int, stored: Bool) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        process.arguments = ["bench", "--only", "memory", "--length", "\(length)", "--single", "\(depth):\(stored ? "stored" : "reversible")"]
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = out.split(separator: "\n").first(where: { $0.hasPrefix("result ") }) else {
            throw ReformerError(file: "bench memory", "measurement at depth \(depth) failed: \(err.split(separator: "\n").first ?? "exit \(process.terminationStatus)")")
        }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count == 4 else { throw ReformerError(file: "bench memory", "unreadable result line \(line)") }
        return Result(seconds: v[0], workingMiB: v[1], totalMiB: v[2], rssMiB: v[3])
    }

    /// Linux: writing 5 to /proc/self/clear_refs resets the peak RSS (VmHWM) to the current RSS.
    static func resetPeakRSS() {
        if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") { h.write(Data("5".utf8)); try? h.close() }
    }

    static func peakRSSMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
            return kb / 1024
        }
        return .nan
    }
}

/// Time to build a snapshot on the worker and to render one dashboard frame (into memory; ncurses
/// then only sends the changed cells) at 200×60, after 120 real training steps of the copy preset.
enum DashboardBench {
    static func run() throws {
        let preset = try TaskPreset.named("copy")
        var settings = preset.training
        settings.steps = 120
        let data = try TaskSetup.data(task: .copy, settings: settings, config: preset.config, dataFile: nil)
        let trainer = try Trainer(config: preset.config, settings: settings, data: data, preset: "copy", fullAttention: false)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reformer-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = TrainingSession(trainer: trainer, checkpointDirectory: directory, store: SnapshotStore(), commands: CommandQueue())
        for _ in 0..<120 { try session.stepForBenchmark() }
        let reps = 200
        var start = Date()
        var snapshot = EngineSnapshot()
        for _ in 0..<reps { snapshot = session.currentSnapshot() }
        let build = Date().timeIntervalSince(start) / Double(reps)
        print("bench dashboard: copy preset after 120 steps")
        print(String(format: "snapshot build (worker thread): %.3f ms", build * 1000))
        for (w, h) in [(80, 24), (120, 40), (200, 60)] {
            start = Date()
            var cells = 0
            for _ in 0..<reps { cells &+= Dashboard.render(snapshot, ViewState(), theme: .dark, width: w, height: h).cells.count }
            let render = Date().timeIntervalSince(start) / Double(reps)
            print(String(format: "render %d×%d (UI thread): %.3f ms per frame (%d cells)", w, h, render * 1000, cells / reps))
        }
    }
}

/// Generation speed: new tokens per second after a 1024-token prompt, with and without the decoding
/// cache, and the cached time per token at growing prefixes — on the text preset and bench-6x256.
enum SampleBench {
    static func run() throws {
        let text = try TaskPreset.named("text").config
        var bench = try Presets.bench6x256(length: 4096)
        bench.maxPositionEmbeddings = 4096
        for (name, config) in [("text preset (6 layers local/LSH, 256 wide)", text), ("bench-6x256 (6 LSH layers, 2 hashes)", bench)] {
            let model = try ReformerModel.initialized(config: config, seed: 1)
            var rng = SplitMix64(seed: 2)
            let prompt = (0..<1024).map { _ in Int32(rng.nextInt(below: 256)) }
            let settings = SamplingSettings(temperature: 1)
            var start = Date()
            var sampler = SplitMix64(seed: 3)
            let decoder = try IncrementalDecoder(model: model, prompt: prompt)
            let prefill = Date().timeIntervalSince(start)
            start = Date()
            var logits = decoder.lastLogits
            for _ in 0..<128 {
                let next = Int32(Sampler.pick(logits[...], settings: settings, rng: &sampler))
                logits = try decoder.step(next)
            }
            let cached = Date().timeIntervalSince(start)
            start = Date()
            let uncachedTokens = 8
            _ = try Generator.generate(model: model, prompt: prompt, count: uncachedTokens, settings: settings, rng: &sampler)
            let uncached = Date().timeIntervalSince(start)
            print("bench sample: \(name)")
            print(String(format: "  1024-token prompt: prefill %.2f s; cached %.1f new tokens/s (128 tokens); --no-cache %.2f new tokens/s (%d tokens); speed-up %.0f×",
                         prefill, 128 / cached, Double(uncachedTokens) / uncached, uncachedTokens, (128 / cached) / (Double(uncachedTokens) / uncached)))
            var line = "  cached time per new token at prefix:"
            for prefix in [256, 1024, 2048] {
                let d = try IncrementalDecoder(model: model, prompt: Array((0..<prefix).map { _ in Int32(rng.nextInt(below: 256)) }))
                let t0 = Date()
                for _ in 0..<32 { _ = try d.step(Int32(rng.nextInt(below: 256))) }
                line += String(format: " %d → %.2f ms", prefix, Date().timeIntervalSince(t0) / 32 * 1000)
            }
            print(line)
        }
    }
}
