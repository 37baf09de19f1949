// Demo: what `reformer-tui` shows until the dashboard exists — a seeded Reformer hashing a sequence
// whose second half repeats its first, the buckets of one head, and LSH against full attention.

import Foundation
import ReformerEngine

enum Demo {
    static func run(seed: UInt64) throws {
        var c = ReformerConfig()
        c.attentionLayers = [.lsh, .lsh]
        c.architecture = "ReformerModelWithLMHead"
        c.isDecoder = true
        c.vocabSize = 128
        c.hiddenSize = 64
        c.headCount = 2
        c.headSize = 32
        c.feedForwardSize = 128
        c.axialPositionEmbeddings = false
        c.maxPositionEmbeddings = 256
        c.lshChunkLength = 16
        c.hashRounds = 4
        c.buckets = .count(16)
        c.hiddenDropout = 0
        c.localAttentionDropout = 0
        let model = try ReformerModel.initialized(config: c, seed: seed)
        // 0 w 0 w: the duplication task's layout, w = 63 random symbols.
        var rng = SplitMix64(seed: seed &+ 1)
        let w = (0..<63).map { _ in Int32(1 + rng.nextInt(below: 127)) }
        let tokens: [Int32] = [0] + w + [0] + w
        var request = ForwardRequest(batch: 1, length: tokens.count, tokens: tokens, labels: tokens.map(Int64.init))
        print("reformer-tui demo (the live dashboard is not built yet)")
        print("model: 2 LSH layers, hidden 64, 2 heads × 32, 4 hash rounds, 16 buckets, chunk 16, seed \(seed)")
        print("input: 0 w 0 w with |w| = 63 (128 tokens)")
        let start = Date()
        let lsh = try model.forward(request)
        let lshSeconds = Date().timeIntervalSince(start)
        request.fullAttention = true
        let full = try model.forward(request)
        guard let trace = lsh.lshLayers.first else { return }
        let T = lsh.paddedLength
        let nb = trace.plan.bucketCount
        let glyphs = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        for r in 0..<c.hashRounds {
            let row = (0..<T).map { glyphs[Int(trace.buckets[r * T + $0]) % glyphs.count] }
            print("layer 0 head 0 round \(r) buckets: \(String(row.prefix(64)))")
            print("                              \(String(row.suffix(64)))")
        }
        var counts = [Int](repeating: 0, count: nb)
        for t in 0..<T { counts[Int(trace.buckets[t])] += 1 }
        print("round 0 occupancy: \(counts.map(String.init).joined(separator: " "))")
        var diff: Float = 0
        for i in 0..<lsh.logits.count { diff = max(diff, abs(lsh.logits[i] - full.logits[i])) }
        print(String(format: "loss (untrained): LSH %.4f, full attention %.4f; max |logit difference| %.2e", lsh.loss ?? .nan, full.loss ?? .nan, diff))
        print(String(format: "forward: %.1f ms", lshSeconds * 1000))
    }
}
