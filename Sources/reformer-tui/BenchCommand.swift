// `reformer-tui bench`: measurements a user checks before choosing an engine — gemm (the sgemm
// ceiling), train (bench-6x256 steps across lengths), attention (SPEED-S, the paper's speed figure),
// memory (MEM-S: peak memory against depth for a standard, a reversible and a Reformer stack; then
// bench-6x256 reversible against stored activations per depth), sample and dashboard. Measurements
// that report a peak RSS run in a fresh child process (this binary with a hidden --single-… option).

import ArgumentParser
import Foundation
import ReformerEngine
import ReformerTUI
import ReformerTelemetry

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: gemm (the sgemm ceiling), train (bench-6x256 steps across lengths), attention (SPEED-S: full vs LSH at fixed tokens per step), memory (MEM-S peak memory vs depth; bench-6x256 per depth), sample (cached vs uncached generation), dashboard (frame cost).")

    enum Benchmark: String, ExpressibleByArgument, CaseIterable { case gemm, train, attention, memory, sample, dashboard }

    @Option(name: .long, help: "Only this benchmark (gemm, train, attention, memory, sample, dashboard); default: all of them.")
    var only: Benchmark?

    @Flag(name: .long, help: "Shorter runs: train at 1024 and 4096 tokens only; attention: median of 3 instead of 5.")
    var quick = false

    @Option(name: .long, help: "Lengths, comma separated, for train (default 1024,4096,16384,65536; --quick: 1024,4096) and attention (default 256,512,1024,2048,4096,8192; with --only attention each must divide the 8192 tokens per step, otherwise those that do are used).")
    var lengths: String?

    @Option(name: .long, help: "Also write one JSON record per measurement to this file.")
    var json: String?

    @Option(name: .long, help: .hidden)
    var singleTrain: String?

    @Option(name: .long, help: .hidden)
    var singleAttention: String?

    @Option(name: .long, help: .hidden)
    var singleMems: String?

    /// Smaller SPEED-S grids for smoke tests (the protocol is 8192).
    @Option(name: .long, help: .hidden)
    var tokensPerStep = 8192

    @Option(name: .long, help: "Sequence length of MEM-S (memory, part 1).")
    var memsLength = 2048

    @Option(name: .long, parsing: .upToNextOption, help: "Layer counts of MEM-S (memory, part 1).")
    var memsLayers: [Int] = [1, 2, 4, 8]

    @Option(name: .long, help: "Sequence length of the bench-6x256 depth table (memory, part 2).")
    var length = 4096

    @Option(name: .long, parsing: .upToNextOption, help: "Depths of the bench-6x256 table (memory, part 2).")
    var depths: [Int] = [2, 4, 8, 16]

    @Flag(name: .long, help: "bench-6x256 table: only the reversible stack (skip the stored-activation twin).")
    var reversibleOnly = false

    @Option(name: .long, help: .hidden)
    var single: String?

    func validate() throws {
        if depths.isEmpty || depths.contains(where: { $0 < 1 || $0 > 64 }) { throw ValidationError("--depths must be between 1 and 64") }
        if memsLayers.count < 2 || memsLayers.contains(where: { $0 < 1 || $0 > 64 }) {
            throw ValidationError("--mems-layers needs at least two layer counts between 1 and 64")
        }
        if memsLength < 128 || memsLength % 64 != 0 { throw ValidationError("--mems-length must be a multiple of 64 of at least 128") }
        if tokensPerStep < 128 || tokensPerStep % 64 != 0 { throw ValidationError("--tokens-per-step must be a multiple of 64 of at least 128") }
    }

    func parsedLengths() throws -> [Int]? {
        try lengths.map { text throws -> [Int] in
            try text.split(separator: ",").map { part in
                guard let v = Int(part.trimmingCharacters(in: .whitespaces)), v >= 128, v % 64 == 0 else {
                    throw ReformerError(file: "--lengths", "\"\(part)\" is not a multiple of 64 of at least 128")
                }
                return v
            }
        }
    }

    func run() throws {
        // Child processes: one measurement each, one machine-readable `result …` line.
        if let singleTrain {
            try runReporting { try TrainBench.child(singleTrain) }
            return
        }
        if let singleAttention {
            try runReporting { try AttentionBench.child(singleAttention) }
            return
        }
        if let singleMems {
            try runReporting { try MemSBench.child(singleMems) }
            return
        }
        if let single {
            let parts = single.split(separator: ":")
            guard parts.count == 2, let depth = Int(parts[0]) else { throw ValidationError("--single DEPTH:MODE") }
            try runReporting {
                let r = try MemoryBench.measure(depth: depth, length: length, storeActivations: parts[1] == "stored")
                print("result \(r.seconds) \(r.workingMiB) \(r.totalMiB) \(r.rssMiB)")
            }
            return
        }
        func wants(_ b: Benchmark) -> Bool { only == nil || only == b }
        var records: [JSONValue] = []
        try runReporting {
            let given = try parsedLengths()
            if wants(.gemm) { records += try GemmBench.run() }
            if wants(.train) {
                records += try TrainBench.run(lengths: given ?? (quick ? [1024, 4096] : [1024, 4096, 16384, 65536]),
                                              ceiling: GemmBench.lastCeiling)
            }
            if wants(.attention) {
                // With every section, attention keeps those of the given lengths that fit its fixed
                // tokens per step (train's 65536 does not); alone, it refuses the ones that do not.
                var list = AttentionBench.defaultLengths.filter { tokensPerStep % $0 == 0 }
                if let given {
                    let fit = given.filter { tokensPerStep % $0 == 0 }
                    if only == .attention { list = given } else if !fit.isEmpty { list = fit }
                }
                records += try AttentionBench.run(lengths: list, tokensPerStep: tokensPerStep, repeats: quick ? 3 : 5)
            }
            if wants(.memory) {
                records += try MemSBench.run(length: memsLength, layers: memsLayers)
                try MemoryBench.depthTable(length: length, depths: depths, reversibleOnly: reversibleOnly)
            }
            if wants(.sample) { try SampleBench.run() }
            if wants(.dashboard) { try DashboardBench.run() }
            if let json {
                let doc: JSONValue = .object(["machine": BenchMachine.describe(), "records": .array(records)])
                try AtomicFile.write([UInt8](doc.serialized()), to: json)
                print("bench: \(records.count) records → \(json)")
            }
        }
    }
}

enum MemoryBench {
    struct Result { var seconds: Double; var workingMiB: Double; var totalMiB: Double; var rssMiB: Double }

    /// Part 2 of `bench --only memory`: bench-6x256 widths at `length`, per depth, the reversible
    /// stack against the same network keeping every layer's activations.
    static func depthTable(length: Int, depths: [Int], reversibleOnly: Bool) throws {
        print("bench memory, bench-6x256 widths (hidden 256, 4 heads × 64, ff 1024, 2 hashes, chunk 64), length \(length), batch 1")
        print("depth  mode        step s  ledger working set  ledger total (params+grads+opt+work)  peak RSS")
        for depth in depths {
            for stored in reversibleOnly ? [false] : [false, true] {
                // Each measurement in a fresh process, so its RSS peak is its own.
                let r = try child(depth: depth, length: length, stored: stored)
                let mode = (stored ? "stored" : "reversible").padding(toLength: 10, withPad: " ", startingAt: 0)
                print(String(format: "%5d  %@  %6.2f  %14.1f MiB  %20.1f MiB                %8.1f MiB",
                             depth, mode, r.seconds, r.workingMiB, r.totalMiB, r.rssMiB))
            }
        }
    }

    static func measure(depth: Int, length: Int, storeActivations: Bool) throws -> Result {
        var c = try Presets.bench6x256(length: length)
        c.attentionLayers = Array(repeating: .lsh, count: depth)
        return try measure(config: c, length: length, storeActivations: storeActivations)
    }

    /// One training step (forward, loss, backward, AdamW) of `c` at batch 1: its time, the ledger's
    /// peaks during the step and the process's peak RSS during the step.
    static func measure(config c: ReformerConfig, length: Int, storeActivations: Bool) throws -> Result {
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
        let v = try BenchChild.run(["bench", "--only", "memory", "--length", "\(length)", "--single", "\(depth):\(stored ? "stored" : "reversible")"],
                                   what: "bench memory", expecting: 4)
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

/// The machine, once per JSON file.
enum BenchMachine {
    static func describe() -> JSONValue {
        var cpu = "unknown"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let name = line.split(separator: ":", maxSplits: 1).last {
            cpu = name.trimmingCharacters(in: .whitespaces)
        }
        return .object(["cpu_model": .string(cpu), "cores": .number(Double(ProcessInfo.processInfo.activeProcessorCount)),
                        "blas_threads": .number(Double(BLAS.threadCount))])
    }

    static func record(_ benchmark: String, config: String, length: Int, hashes: Int, tokensPerSecond: Double,
                       secondsPerStep: Double, gflops: Double, peakRSS: Double) -> JSONValue {
        .object(["benchmark": .string(benchmark), "config": .string(config), "seq_len": .number(Double(length)),
                 "hashes": .number(Double(hashes)), "threads": .number(Double(ProcessInfo.processInfo.activeProcessorCount)),
                 "tokens_per_second": .number(tokensPerSecond), "seconds_per_step": .number(secondsPerStep),
                 "gflops": .number(gflops), "peak_rss_mib": .number(peakRSS)])
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}

/// sgemm GFLOP/s at n = 64, 512, 2048: the ceiling the other figures are judged against.
enum GemmBench {
    nonisolated(unsafe) static var lastCeiling = Double.nan

    /// sgemm GFLOP/s at n = 2048 (median of 5 after a warm-up), measured quietly.
    static func ceiling() -> Double {
        let n = 2048
        let a = FloatBuffer(count: n * n, category: .other), b = FloatBuffer(count: n * n, category: .other)
        let c = FloatBuffer(count: n * n, category: .other)
        var times: [Double] = []
        for round in 0..<6 {
            let start = Date()
            BLAS.gemm(.none, .none, m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            if round > 0 { times.append(Date().timeIntervalSince(start)) }
        }
        return 2 * Double(n * n * n) / BenchMachine.median(times) / 1e9
    }

    static func run() throws -> [JSONValue] {
        print("bench gemm: OpenBLAS sgemm, C[n,n] = A[n,n]·B[n,n], \(BLAS.threadCount) BLAS thread(s), median of repeats")
        var records: [JSONValue] = []
        for n in [64, 512, 2048] {
            let a = FloatBuffer(count: n * n, category: .other), b = FloatBuffer(count: n * n, category: .other)
            let c = FloatBuffer(count: n * n, category: .other)
            for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
            let reps = n <= 64 ? 2000 : n <= 512 ? 20 : 3
            var times: [Double] = []
            for round in 0..<6 {
                let start = Date()
                for _ in 0..<reps {
                    BLAS.gemm(.none, .none, m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
                }
                if round > 0 { times.append(Date().timeIntervalSince(start) / Double(reps)) }   // first round warms up
            }
            let t = BenchMachine.median(times)
            let gflops = 2 * Double(n * n * n) / t / 1e9
            if n == 2048 { lastCeiling = gflops }
            print(String(format: "  n = %4d: %7.1f GFLOP/s", n, gflops))
            records.append(BenchMachine.record("gemm", config: "sgemm n=\(n)", length: n, hashes: 0, tokensPerSecond: 0,
                                               secondsPerStep: t, gflops: gflops, peakRSS: MemoryBench.peakRSSMiB()))
        }
        return records
    }
}

/// Training steps of bench-6x256 (2 and 4 hashes, and the local/LSH alternating variant) across lengths,
/// each configuration in a fresh process so its peak RSS is its own.
enum TrainBench {
    static let variants: [(name: String, hashes: Int, alternating: Bool)] = [
        ("bench-6x256", 2, false), ("bench-6x256", 4, false), ("bench-6x256 local/lsh", 2, true)]

    static func run(lengths: [Int], ceiling given: Double) throws -> [JSONValue] {
        let ceiling = given.isFinite ? given : GemmBench.ceiling()
        print("bench train: one training step (forward, loss, backward, AdamW), batch 1, median of 3 steps after a warm-up")
        print("  config                  length hashes  tokens/s  s/step  model GFLOP/s  % of gemm  peak RSS")
        var records: [JSONValue] = []
        for length in lengths {
            for v in variants {
                FileHandle.standardError.write(Data("  … \(v.name) at \(length) tokens, \(v.hashes) hashes\n".utf8))
                let r = try child(length: length, hashes: v.hashes, alternating: v.alternating)
                let tps = Double(length) / r.seconds
                let config = try Presets.bench6x256(length: length, hashes: v.hashes, alternating: v.alternating)
                let gflops = tps * flopsPerToken(config) / 1e9
                print(String(format: "  %-22@ %6d %6d %9.0f %7.2f %14.1f %9.0f%% %8.0f MiB", v.name.padding(toLength: 22, withPad: " ", startingAt: 0),
                             length, v.hashes, tps, r.seconds, gflops, ceiling.isFinite ? 100 * gflops / ceiling : .nan, r.rss))
                records.append(BenchMachine.record("train", config: v.name, length: length, hashes: v.hashes, tokensPerSecond: tps,
                                                   secondsPerStep: r.seconds, gflops: gflops, peakRSS: r.rss))
            }
        }
        return records
    }

    /// Model FLOPs per token of a training step: 6 × dense parameters (projections, feed-forward, LM head)
    /// plus the attention products (scores and weights·values, forward and backward: 12·W·d per head,
    /// round and layer) — PERFORMANCE.md's 31.5 MFLOP for bench-6x256 with 2 hashes.
    static func flopsPerToken(_ c: ReformerConfig) -> Double {
        let H = Double(c.hiddenSize), A = Double(c.allHeadSize), F = Double(c.feedForwardSize), V = Double(c.vocabSize)
        var dense = 0.0
        var attention = 0.0
        for kind in c.attentionLayers {
            dense += (kind == .lsh ? 2 : 3) * H * A + H * A + 2 * H * F
            let W = Double(kind == .lsh ? c.lshChunkLength * (c.lshChunksBefore + 1 + c.lshChunksAfter)
                                        : c.localChunkLength * (c.localChunksBefore + 1 + c.localChunksAfter))
            attention += 12 * W * Double(c.headSize) * Double(c.headCount) * Double(kind == .lsh ? c.hashRounds : 1)
        }
        dense += 2 * H * V
        return 6 * dense + attention
    }

    struct Result { var seconds: Double; var rss: Double }

    static func child(length: Int, hashes: Int, alternating: Bool) throws -> Result {
        let v = try BenchChild.run(["bench", "--single-train", "\(length):\(hashes):\(alternating ? 1 : 0)"], what: "bench train", expecting: 2)
        return Result(seconds: v[0], rss: v[1])
    }

    /// In the child: warm-up step, then the median of three.
    static func child(_ spec: String) throws {
        let parts = spec.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 3 else { throw ValidationError("--single-train LENGTH:HASHES:ALTERNATING") }
        let config = try Presets.bench6x256(length: parts[0], hashes: parts[1], alternating: parts[2] == 1)
        let model = try ReformerModel.initialized(config: config, seed: 1)
        let grads = ParameterSet(layout: model.parameters.layout, category: .gradients)
        let optimizer = try AdamW(layout: model.parameters.layout, settings: AdamWSettings())
        var rng = SplitMix64(seed: 2)
        var times: [Double] = []
        for step in 0..<4 {
            let tokens = (0..<parts[0]).map { _ in Int32(rng.nextInt(below: 256)) }
            let request = ForwardRequest(batch: 1, length: parts[0], tokens: tokens, labels: tokens.map(Int64.init))
            let start = Date()
            grads.zero()
            _ = try model.lossAndGradients(request, gradients: grads)
            optimizer.step(parameters: model.parameters, gradients: grads)
            if step > 0 { times.append(Date().timeIntervalSince(start)) }
        }
        print("result \(BenchMachine.median(times)) \(MemoryBench.peakRSSMiB())")
    }
}
