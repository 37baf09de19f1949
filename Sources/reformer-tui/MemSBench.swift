// `reformer-tui bench --only memory`, part 1: MEM-S of EXPERIMENTS.md §3.5 — peak memory of one
// training step against depth (1, 2, 4, 8 layers) at L = 2048, batch 1, d_model 128, 4 heads × 32,
// d_ff 512, for three networks:
//   (a) standard: full attention, and every layer's inputs stored for the backward — the engine's
//       `storeActivations: true` twin of the reversible stack, which has the memory behaviour of an
//       ordinary residual stack (one stored activation pair per layer);
//   (b) reversible + full attention;
//   (c) the Reformer: reversible + chunked feed-forward + LSH with 2 hashes.
// Full attention is the path `train --full-attention` uses: the LSH chunk covers the sequence (HF's
// short path, shared-QK causal attention over every key). Each measurement in a fresh process, from
// the engine's ledger and from the process RSS.

import ArgumentParser
import Foundation
import ReformerEngine

enum MemSBench {
    enum Variant: String, CaseIterable {
        case standard, reversible, reformer
        var letter: String { self == .standard ? "(a)" : self == .reversible ? "(b)" : "(c)" }
        var title: String {
            switch self {
            case .standard: return "standard + full"
            case .reversible: return "reversible + full"
            case .reformer: return "Reformer"
            }
        }
    }

    static let feedForwardChunk = 128

    static func config(_ v: Variant, layers: Int, length L: Int) throws -> ReformerConfig {
        var c = ReformerConfig()
        c.architecture = "ReformerModelWithLMHead"
        c.isDecoder = true
        c.attentionLayers = Array(repeating: .lsh, count: layers)
        c.vocabSize = 256
        c.hiddenSize = 128
        c.headCount = 4
        c.headSize = 32
        c.feedForwardSize = 512
        var n1 = Int(Double(L).squareRoot())
        while L % n1 != 0 { n1 -= 1 }
        c.axialShape = [n1, L / n1]
        c.axialDims = [64, 64]
        c.maxPositionEmbeddings = L
        c.padTokenId = 0
        c.eosTokenId = nil
        c.hiddenDropout = 0
        c.localAttentionDropout = 0
        c.lshAttentionDropout = 0
        if v == .reformer {
            c.hashRounds = 2
            c.lshChunkLength = 64
            c.buckets = .count(max(2, 2 * L / 64))
            c.feedForwardChunkSize = feedForwardChunk
        } else {
            c.hashRounds = 1
            c.lshChunkLength = L            // one chunk covers the sequence: full attention
            c.feedForwardChunkSize = L      // the feed-forward over all positions at once
        }
        try c.validate(file: "MEM-S")
        return c
    }

    struct Row { var layers: Int; var results: [Variant: MemoryBench.Result] }

    static func run(length L: Int, layers: [Int]) throws -> [JSONValue] {
        print("bench memory, MEM-S (EXPERIMENTS.md §3.5): peak memory of one training step (forward, loss, backward, AdamW)")
        print("  L = \(L), batch 1, d_model 128, 4 heads × 32, d_ff 512, byte vocabulary, axial positions; each figure a fresh process")
        print("  (a) standard + full: full attention, every layer's inputs stored for the backward (the engine's storeActivations")
        print("      twin of the reversible stack: the memory behaviour of an ordinary residual stack)")
        print("  (b) reversible + full: inputs recomputed from outputs layer by layer")
        print("  (c) Reformer: reversible + feed-forward in chunks of \(feedForwardChunk) positions + LSH-2 (chunk 64, n_buckets \(max(2, 2 * L / 64)))")
        print("  full attention = the path of `train --full-attention`: one LSH chunk covers the sequence (shared-QK, causal, every key);")
        print("  (a) and (b) run the feed-forward over all \(L) positions at once")
        print("  MiB: ledger total peak (parameters + gradients + Adam + working set) / ledger working-set peak / process peak RSS")
        print("  layers" + Variant.allCases.map { "\($0.letter) \($0.title)".leftPadded(26) }.joined())
        var rows: [Row] = []
        var records: [JSONValue] = []
        for n in layers {
            var row = Row(layers: n, results: [:])
            for v in Variant.allCases {
                FileHandle.standardError.write(Data("  … MEM-S \(v.letter) \(v.title), \(n) layer(s)\n".utf8))
                let r = try child(v, layers: n, length: L)
                row.results[v] = r
                var record = BenchMachine.record("memory", config: "MEM-S \(v.rawValue) \(n) layers", length: L,
                                                 hashes: v == .reformer ? 2 : 0, tokensPerSecond: Double(L) / r.seconds,
                                                 secondsPerStep: r.seconds, gflops: .nan, peakRSS: r.rssMiB)
                if case .object(var o) = record {
                    o["layers"] = .number(Double(n))
                    o["ledger_peak_mib"] = .number(r.totalMiB)
                    o["ledger_working_mib"] = .number(r.workingMiB)
                    o.removeValue(forKey: "gflops")
                    record = .object(o)
                }
                records.append(record)
            }
            rows.append(row)
            print(String(format: "  %6d", n) + Variant.allCases.map { v in
                let r = row.results[v]!
                return String(format: "%.1f / %.1f / %.0f", r.totalMiB, r.workingMiB, r.rssMiB).leftPadded(26)
            }.joined())
        }
        let slopes = self.slopes(rows)
        print("  slope, MiB per added layer (least squares over \(layers.map(String.init).joined(separator: ", ")) layers): ledger total / working set / RSS")
        for v in Variant.allCases {
            let s = slopes[v]!
            print(String(format: "  %@ %@: %.2f / %.2f / %.1f", v.letter, v.title, s.total, s.working, s.rss))
        }
        return records
    }

    struct Slopes: Equatable { var total: Double; var working: Double; var rss: Double }

    static func slopes(_ rows: [Row]) -> [Variant: Slopes] {
        let x = rows.map { Double($0.layers) }
        var out: [Variant: Slopes] = [:]
        for v in Variant.allCases {
            let r = rows.map { $0.results[v]! }
            out[v] = Slopes(total: BenchStatistics.slope(x: x, y: r.map(\.totalMiB)),
                            working: BenchStatistics.slope(x: x, y: r.map(\.workingMiB)),
                            rss: BenchStatistics.slope(x: x, y: r.map(\.rssMiB)))
        }
        return out
    }

    static func child(_ v: Variant, layers: Int, length: Int) throws -> MemoryBench.Result {
        let x = try BenchChild.run(["bench", "--single-mems", "\(v.rawValue):\(layers):\(length)"], what: "bench memory", expecting: 4)
        return MemoryBench.Result(seconds: x[0], workingMiB: x[1], totalMiB: x[2], rssMiB: x[3])
    }

    /// In the child: `VARIANT:LAYERS:LENGTH`.
    static func child(_ spec: String) throws {
        let p = spec.split(separator: ":")
        guard p.count == 3, let v = Variant(rawValue: String(p[0])), let n = Int(p[1]), let L = Int(p[2]), n > 0, L >= 128 else {
            throw ValidationError("--single-mems standard|reversible|reformer:LAYERS:LENGTH")
        }
        let r = try MemoryBench.measure(config: try config(v, layers: n, length: L), length: L, storeActivations: v == .standard)
        print("result \(r.seconds) \(r.workingMiB) \(r.totalMiB) \(r.rssMiB)")
    }
}
