// `reformer-tui bench --only attention`: SPEED-S of EXPERIMENTS.md §2.2, the paper's speed figure
// scaled to a 2-core CPU. The DUP-S layer (d_model 128, 4 heads × 32, causal, 1 layer), forward only,
// a fixed number of tokens per step (8192: 256/32 … 8192/1), full shared-QK attention (query blocks,
// each against its causal prefix) against LSH with 1, 2, 4, 8 hashes (chunk 64, n_buckets = 2L/64).
// The attention layer alone and the whole 1-layer model are timed separately, each measurement in a
// fresh process (its peak RSS is its own): 1 warm-up, then the median of 5 (--quick: of 3).

import ArgumentParser
import Foundation
import ReformerEngine

enum AttentionBench {
    static let defaultLengths = [256, 512, 1024, 2048, 4096, 8192]
    static let hashCounts = [1, 2, 4, 8]
    /// 0 = full attention.
    static var variants: [Int] { [0] + hashCounts }

    enum Part: String { case layer, model }

    struct Measurement {
        var seconds: Double
        var rssMiB: Double
        var attentionMiB: Double
        var ledgerMiB: Double
    }

    static func config(length: Int, hashes: Int) throws -> ReformerConfig {
        var c = ReformerConfig()
        c.architecture = "ReformerModelWithLMHead"
        c.isDecoder = true
        c.attentionLayers = [.lsh]
        c.vocabSize = 128
        c.hiddenSize = 128
        c.headCount = 4
        c.headSize = 32
        c.feedForwardSize = 128
        c.hashRounds = max(1, hashes)
        c.lshChunkLength = 64
        c.lshChunksBefore = 1
        c.lshChunksAfter = 0
        c.buckets = .count(max(2, 2 * length / 64))
        c.axialPositionEmbeddings = false
        c.maxPositionEmbeddings = length
        c.padTokenId = 0
        c.eosTokenId = nil
        c.hiddenDropout = 0
        c.localAttentionDropout = 0
        c.lshAttentionDropout = 0
        try c.validate(file: "SPEED-S")
        return c
    }

    static func label(_ hashes: Int) -> String { hashes == 0 ? "full" : "LSH-\(hashes)" }

    /// Model FLOPs of one step (useful work: causal full attention counts the keys each query block
    /// multiplies, LSH the n_H·T·W window products; projections, feed-forward and LM head as 2·m·n·k).
    static func flops(part: Part, length T: Int, batch B: Int, hashes: Int) throws -> Double {
        let c = try config(length: T, hashes: hashes)
        let H = Double(c.hiddenSize), A = Double(c.allHeadSize), d = Double(c.headSize)
        let rows = Double(B * T)
        var perHead = 0.0
        if hashes == 0 {
            var start = 0
            while start < T {
                let n = min(64, T - start)
                perHead += Double(n * (start + n)) * 4 * d
                start += n
            }
        } else {
            let buckets = Double(2 * T / 64)
            perHead = Double(hashes) * Double(T) * (128 * 4 * d + 2 * d * buckets / 2)
        }
        var total = 6 * rows * H * A + Double(B) * Double(c.headCount) * perHead
        if part == .model {
            total += 4 * rows * H * Double(c.feedForwardSize) + 2 * rows * 2 * H * Double(c.vocabSize)
        }
        return total
    }

    // MARK: parent

    static func run(lengths: [Int], tokensPerStep: Int, repeats: Int) throws -> [JSONValue] {
        for L in lengths where L < 128 || L % 64 != 0 || tokensPerStep % L != 0 {
            throw ReformerError(file: "--lengths", "\(L) does not divide the \(tokensPerStep) tokens per step into whole sequences of a multiple of 64 (≥ 128)")
        }
        print("bench attention: SPEED-S (EXPERIMENTS.md §2.2) — 1 layer, d_model 128, 4 heads × 32, causal, forward only, \(tokensPerStep) tokens per step")
        print("  full = shared-QK causal attention in query blocks of 64 (each against its causal prefix); LSH-h: chunk 64, one chunk back, n_buckets = 2L/64")
        print("  each figure: a fresh process, 1 warm-up, median of \(repeats); seconds per step")
        var layer: [Int: [Int: Measurement]] = [:], model: [Int: [Int: Measurement]] = [:]
        var records: [JSONValue] = []
        for L in lengths {
            for h in variants {
                for part in [Part.layer, .model] {
                    FileHandle.standardError.write(Data("  … \(part == .layer ? "attention layer" : "1-layer model") \(label(h)) at \(L)/\(tokensPerStep / L)\n".utf8))
                    let m = try child(part: part, length: L, hashes: h, tokens: tokensPerStep, repeats: repeats)
                    if part == .layer { layer[L, default: [:]][h] = m } else { model[L, default: [:]][h] = m }
                    let gflops = try flops(part: part, length: L, batch: tokensPerStep / L, hashes: h) / m.seconds / 1e9
                    var r = BenchMachine.record("attention", config: part == .layer ? "SPEED-S attention layer" : "SPEED-S 1-layer model",
                                                length: L, hashes: h, tokensPerSecond: Double(tokensPerStep) / m.seconds,
                                                secondsPerStep: m.seconds, gflops: gflops, peakRSS: m.rssMiB)
                    if case .object(var o) = r {
                        o["batch"] = .number(Double(tokensPerStep / L))
                        o["ledger_attention_mib"] = .number(m.attentionMiB)
                        o["ledger_peak_mib"] = .number(m.ledgerMiB)
                        r = .object(o)
                    }
                    records.append(r)
                }
            }
        }
        func table(_ title: String, _ data: [Int: [Int: Measurement]], _ value: (Measurement) -> String) {
            print(title)
            print("  length/batch" + variants.map { label($0).leftPadded(10) }.joined())
            for L in lengths {
                print("  " + "\(L)/\(tokensPerStep / L)".padding(toLength: 12, withPad: " ", startingAt: 0)
                      + variants.map { value(data[L]![$0]!).leftPadded(10) }.joined())
            }
        }
        func sec(_ m: Measurement) -> String { String(format: m.seconds < 0.1 ? "%.4f" : "%.3f", m.seconds) }
        table("attention layer alone (LayerNorm, QK/V projections, attention, output projection), s/step:", layer, sec)
        table("whole 1-layer model (embedding … LM head logits), s/step:", model, sec)
        table("peak memory of the attention-layer runs, MiB: engine ledger's attention buffers / process peak RSS:", layer) {
            String(format: "%.1f/%.0f", $0.attentionMiB, $0.rssMiB)
        }
        func verdicts(_ data: [Int: [Int: Measurement]]) -> [SpeedCriteria.Verdict] {
            SpeedCriteria.evaluate(
                lengths: lengths, full: lengths.map { data[$0]![0]!.seconds },
                lsh: Dictionary(uniqueKeysWithValues: hashCounts.map { h in (h, lengths.map { data[$0]![h]!.seconds }) }))
        }
        print("SPEED-S criteria, on the attention layer alone:")
        for v in verdicts(layer) { print("(\(v.id)) \(v.pass ? "pass" : "fail") \(v.detail)") }
        print("  whole 1-layer model: " + verdicts(model).map { "(\($0.id)) \($0.pass ? "pass" : "fail")" }.joined(separator: " "))
        return records
    }

    static func child(part: Part, length: Int, hashes: Int, tokens: Int, repeats: Int) throws -> Measurement {
        let v = try BenchChild.run(["bench", "--single-attention", "\(part.rawValue):\(length):\(hashes):\(tokens):\(repeats)"],
                                   what: "bench attention", expecting: 4)
        return Measurement(seconds: v[0], rssMiB: v[1], attentionMiB: v[2], ledgerMiB: v[3])
    }

    // MARK: child

    /// `PART:LENGTH:HASHES:TOKENS:REPEATS`; prints `result seconds rss attention_mib ledger_peak_mib`.
    static func child(_ spec: String) throws {
        let p = spec.split(separator: ":")
        guard p.count == 5, let part = Part(rawValue: String(p[0])), let L = Int(p[1]), let h = Int(p[2]),
              let tokens = Int(p[3]), let repeats = Int(p[4]), L > 0, tokens % L == 0, repeats > 0 else {
            throw ValidationError("--single-attention layer|model:LENGTH:HASHES:TOKENS:REPEATS")
        }
        let ledger = MemoryLedger()
        let seconds = try MemoryLedger.$current.withValue(ledger) { () throws -> Double in
            let model = try ReformerModel.initialized(config: try config(length: L, hashes: h), seed: 1)
            var rng = SplitMix64(seed: 2)
            var request = ForwardRequest(batch: tokens / L, length: L, tokens: (0..<tokens).map { _ in Int32(1 + rng.nextInt(below: 127)) })
            request.fullAttention = h == 0
            var times: [Double] = []
            switch part {
            case .layer:
                let runner = try AttentionLayerRunner(model: model, request: request)
                for i in 0...repeats {
                    let start = Date()
                    try runner.run()
                    if i > 0 { times.append(Date().timeIntervalSince(start)) }
                }
            case .model:
                for i in 0...repeats {
                    let start = Date()
                    _ = try model.forward(request)
                    if i > 0 { times.append(Date().timeIntervalSince(start)) }
                }
            }
            return BenchStatistics.median(times)
        }
        let t = ledger.totals
        print("result \(seconds) \(MemoryBench.peakRSSMiB()) \(Double(t.peakBytes[.attention] ?? 0) / 1_048_576) \(Double(t.peakTotalBytes) / 1_048_576)")
    }
}

/// Runs this binary again with `arguments` (a fresh process, so its peak RSS is its own) and reads
/// its `result v1 v2 …` line.
enum BenchChild {
    static func run(_ arguments: [String], what: String, expecting count: Int) throws -> [Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        process.arguments = arguments
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = out.split(separator: "\n").first(where: { $0.hasPrefix("result ") }) else {
            throw ReformerError(file: what, "\(arguments.joined(separator: " ")) failed: \(err.split(separator: "\n").first ?? "exit \(process.terminationStatus)")")
        }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count == count else { throw ReformerError(file: what, "unreadable result line \(line)") }
        return v
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
