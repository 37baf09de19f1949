// LSHAttention: shared-QK LSH self-attention of REFORMER_SPEC §9 for one layer, per (batch row,
// head): key = RMS-normalised qk / √d; hash → stable sort → gather → chunked attention with look-
// around windows wrapping over all n_H·T/C chunks → unsort → logsumexp merge of the rounds. The
// short path (T ≤ C) and the full-attention switch attend every key with the same rules.

import Foundation

/// Shapes and options of one attention call. `length` is the padded T.
struct AttentionGeometry {
    var batch: Int
    var length: Int
    var heads: Int
    var headSize: Int
    var chunkLength: Int
    var chunksBefore: Int
    var chunksAfter: Int
    var causal: Bool
    /// LSH only.
    var rounds = 1
    var windowLength: Int { chunkLength * (chunksBefore + 1 + chunksAfter) }
    var allHeadSize: Int { heads * headSize }
}

/// Per-worker scratch for one (batch row, head) job, sized once for a geometry.
final class AttentionScratch {
    let queries, keys, values: FloatBuffer       // [n_H·T, d] sorted (LSH) or [T, d] (local)
    let windowKeys, windowValues: FloatBuffer    // [W, d]
    let windowPositions: LedgerBuffer<Int32>     // [W]
    let queryPositions: LedgerBuffer<Int32>      // [n_H·T]
    let probs: FloatBuffer                       // [block, keys]
    let outputs: FloatBuffer                     // [n_H·T, d]
    let lse: FloatBuffer                         // [n_H·T]
    let rho: FloatBuffer                         // [n_H·R/2]
    let buckets, sorted, unsort: LedgerBuffer<Int32> // [n_H·T]
    let counts: LedgerBuffer<Int32>
    let blockLength: Int
    /// Backward only (nil for inference): gradients in sorted order and per window.
    let grads: AttentionGradScratch?

    init(geometry g: AttentionGeometry, rotationHalf: Int, bucketsPerRound: Int, fullKeys: Bool, backward: Bool = false) {
        let slots = g.rounds * g.length, d = g.headSize
        queries = FloatBuffer(count: slots * d, category: .attention)
        keys = FloatBuffer(count: slots * d, category: .attention)
        values = FloatBuffer(count: slots * d, category: .attention)
        let w = fullKeys ? g.length : g.windowLength
        windowKeys = FloatBuffer(count: w * d, category: .attention)
        windowValues = FloatBuffer(count: w * d, category: .attention)
        windowPositions = LedgerBuffer(count: max(w, g.length), category: .attention)
        queryPositions = LedgerBuffer(count: slots, category: .attention)
        blockLength = fullKeys ? min(g.length, 64) : min(g.chunkLength, g.length)
        probs = FloatBuffer(count: blockLength * w, category: .attention)
        outputs = FloatBuffer(count: slots * d, category: .attention)
        lse = FloatBuffer(count: slots, category: .attention)
        rho = FloatBuffer(count: max(1, g.rounds * rotationHalf), category: .attention)
        buckets = LedgerBuffer(count: slots, category: .attention)
        sorted = LedgerBuffer(count: slots, category: .attention)
        unsort = LedgerBuffer(count: slots, category: .attention)
        counts = LedgerBuffer(count: g.rounds * bucketsPerRound + 1, category: .attention)
        grads = backward ? AttentionGradScratch(slots: slots, headSize: d, window: w, block: blockLength) : nil
    }
}

/// Per-worker gradient scratch of one (batch row, head) backward job.
final class AttentionGradScratch {
    let dQueries, dKeys, dValues, dOutputs: FloatBuffer   // [n_H·T, d] sorted order
    let dLse: FloatBuffer                                  // [n_H·T]
    let windowDKeys, windowDValues: FloatBuffer            // [W, d]
    let dScores: FloatBuffer                               // [block, W]

    init(slots: Int, headSize d: Int, window w: Int, block: Int) {
        dQueries = FloatBuffer(count: slots * d, category: .attention)
        dKeys = FloatBuffer(count: slots * d, category: .attention)
        dValues = FloatBuffer(count: slots * d, category: .attention)
        dOutputs = FloatBuffer(count: slots * d, category: .attention)
        dLse = FloatBuffer(count: slots, category: .attention)
        windowDKeys = FloatBuffer(count: w * d, category: .attention)
        windowDValues = FloatBuffer(count: w * d, category: .attention)
        dScores = FloatBuffer(count: max(block * w, 1), category: .attention)
    }
}

enum LSHAttention {
    /// key(u) = u · (mean(u²) + 1e-6)^(−1/2) / √d, row by row (§9.1).
    static func normalizeKeys(_ src: UnsafePointer<Float>, srcStride: Int, _ dst: UnsafeMutablePointer<Float>, rows: Int, d: Int) {
        let sqrtD = Float(Double(d).squareRoot())
        for t in 0..<rows {
            let u = src + t * srcStride, k = dst + t * d
            var s = 0.0
            for j in 0..<d { s += Double(u[j]) * Double(u[j]) }
            let variance = Float(s / Double(d))
            let r = 1 / (variance + 1e-6).squareRoot()
            for j in 0..<d { k[j] = (u[j] * r) / sqrtD }
        }
    }

    /// One (batch row, head) of the chunked LSH path. `qk`, `value`: this head's rows with row
    /// stride A; `out`: where this head's output rows go (stride A). `rotations`: [d, n_H, R/2].
    /// `bucketsOut` [n_H·T] and `sortedOut` [n_H·T] receive the hashing result. With
    /// `fixedBuckets` [n_H·T] the hashing is skipped and those buckets are used (recomputation in
    /// backward, causality tests): the function of the inputs is then the one the forward used.
    /// `dropout` (training) drops attention weights, keyed by (sorted slot, window key).
    static func hashedHead(
        geometry g: AttentionGeometry, plan: BucketPlan, padBucket: Bool,
        qk: UnsafePointer<Float>, value: UnsafePointer<Float>, keyValid: UnsafePointer<UInt8>?,
        rotations: UnsafePointer<Float>?, fixedBuckets: UnsafePointer<Int32>? = nil,
        out: UnsafeMutablePointer<Float>,
        bucketsOut: UnsafeMutablePointer<Int32>?, sortedOut: UnsafeMutablePointer<Int32>?,
        scratch s: AttentionScratch, dropout: DropoutMask? = nil
    ) {
        let T = g.length, d = g.headSize, A = g.allHeadSize, nH = g.rounds, C = g.chunkLength
        let slots = nH * T
        let nbEff = plan.bucketCount + (padBucket ? 1 : 0)
        if let fixedBuckets {
            s.buckets.pointer.update(from: fixedBuckets, count: slots)
        } else if let rotations {
            LSHHashing.hash(
                qk: qk, stride: A, length: T, headSize: d, rotations: rotations, rounds: nH, plan: plan,
                keyValid: keyValid, padBucket: padBucket, rho: s.rho.pointer, buckets: s.buckets.pointer)
        } else {
            preconditionFailure("hashedHead needs rotations or fixed buckets")
        }
        LSHHashing.sort(
            buckets: s.buckets.pointer, length: T, rounds: nH, bucketsPerRound: nbEff,
            counts: s.counts.pointer, sorted: s.sorted.pointer, unsort: s.unsort.pointer)
        bucketsOut?.update(from: s.buckets.pointer, count: slots)
        sortedOut?.update(from: s.sorted.pointer, count: slots)

        // Gather queries (raw qk), keys (normalised) and values into sorted order.
        for k in 0..<slots {
            let p = Int(s.sorted[k]) % T
            s.queryPositions[k] = Int32(p)
            (s.queries.pointer + k * d).update(from: qk + p * A, count: d)
            (s.values.pointer + k * d).update(from: value + p * A, count: d)
        }
        normalizeKeys(s.queries.pointer, srcStride: d, s.keys.pointer, rows: slots, d: d)

        let chunks = slots / C
        let rules = AttentionRules(causal: g.causal, selfMask: true, keyValid: keyValid)
        attendChunks(
            chunks: chunks, chunkLength: C, before: g.chunksBefore, after: g.chunksAfter, d: d,
            queries: s.queries.pointer, keys: s.keys.pointer, values: s.values.pointer,
            positions: s.queryPositions.pointer, rules: rules, scratch: s,
            outputs: s.outputs.pointer, lse: s.lse.pointer, dropout: dropout)

        // Unsort and merge the rounds: out[t] = Σ_r exp(ℓ_r − logsumexp_r ℓ) · O'_r.
        for t in 0..<T {
            let o = out + t * A
            if nH == 1 {
                o.update(from: s.outputs.pointer + Int(s.unsort[t]) * d, count: d)
                continue
            }
            var m = -Float.infinity
            for r in 0..<nH { m = max(m, s.lse[Int(s.unsort[r * T + t])]) }
            if m.isInfinite { m = 0 }
            var sum: Float = 0
            for r in 0..<nH { sum += expf(s.lse[Int(s.unsort[r * T + t])] - m) }
            let total = logf(sum) + m
            o.update(repeating: 0, count: d)
            for r in 0..<nH {
                let slot = Int(s.unsort[r * T + t])
                let w = expf(s.lse[slot] - total)
                let src = s.outputs.pointer + slot * d
                for j in 0..<d { o[j] += src[j] * w }
            }
        }
    }

    /// Chunk c of `chunks` attends to chunks (c + j) mod chunks, j = −before…after, in that order.
    /// Rows are already contiguous in chunk order; window rows are copied next to each other.
    /// Weight (slot k, window key w) is dropped by `dropout` at index k·W + w.
    static func attendChunks(
        chunks: Int, chunkLength C: Int, before: Int, after: Int, d: Int,
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        positions: UnsafePointer<Int32>, rules: AttentionRules, scratch s: AttentionScratch,
        outputs: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, dropout: DropoutMask? = nil
    ) {
        let W = C * (before + 1 + after)
        for c in 0..<chunks {
            fillWindow(chunk: c, chunks: chunks, chunkLength: C, before: before, after: after, d: d,
                       keys: keys, values: values, positions: positions, scratch: s)
            ChunkAttention.attend(
                q: queries + c * C * d, qPos: positions + c * C, nq: C,
                k: s.windowKeys.pointer, v: s.windowValues.pointer, kPos: s.windowPositions.pointer, nk: W,
                d: d, rules: rules, probs: s.probs.pointer, out: outputs + c * C * d, lse: lse + c * C,
                dropout: dropout.map { WeightDropout(mask: $0, firstRow: c * C, stride: W) })
        }
    }

    /// Copies the window of chunk c — chunks (c + j) mod N, j = −before…after, in that order — into
    /// the scratch's contiguous window keys, values and positions.
    @inline(__always)
    static func fillWindow(
        chunk c: Int, chunks: Int, chunkLength C: Int, before: Int, after: Int, d: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, positions: UnsafePointer<Int32>, scratch s: AttentionScratch
    ) {
        for (slot, j) in (-before...after).enumerated() {
            let src = ((c + j) % chunks + chunks) % chunks
            (s.windowKeys.pointer + slot * C * d).update(from: keys + src * C * d, count: C * d)
            (s.windowValues.pointer + slot * C * d).update(from: values + src * C * d, count: C * d)
            (s.windowPositions.pointer + slot * C).update(from: positions + src * C, count: C)
        }
    }

    /// Every query against every key (short path §9.11, and the full-attention switch), shared-QK:
    /// query raw, key normalised, self rule on. Queries go in blocks to bound the score scratch.
    static func fullHead(
        geometry g: AttentionGeometry, qk: UnsafePointer<Float>, value: UnsafePointer<Float>,
        keyValid: UnsafePointer<UInt8>?, out: UnsafeMutablePointer<Float>, scratch s: AttentionScratch,
        dropout: DropoutMask? = nil
    ) {
        let T = g.length, d = g.headSize, A = g.allHeadSize
        for t in 0..<T {
            (s.queries.pointer + t * d).update(from: qk + t * A, count: d)
            (s.values.pointer + t * d).update(from: value + t * A, count: d)
            s.queryPositions[t] = Int32(t)
        }
        normalizeKeys(s.queries.pointer, srcStride: d, s.keys.pointer, rows: T, d: d)
        let rules = AttentionRules(causal: g.causal, selfMask: true, keyValid: keyValid)
        attendAll(
            length: T, d: d, queries: s.queries.pointer, keys: s.keys.pointer, values: s.values.pointer,
            positions: s.queryPositions.pointer, rules: rules, scratch: s, out: out, outStride: A, dropout: dropout)
    }

    /// Blocks of queries against all T keys; results written to `out` rows with `outStride`.
    /// `positions` must be 0..<T in order (queries and keys in sequence order).
    ///
    /// Causal with the self rule (full shared-QK attention): a block only multiplies against the
    /// causal prefix, keys 0 … its last query. The keys after it are masked (−1e9) for every query
    /// of the block, and each row's own key scores −1e5 at least, so those keys' weights are exactly
    /// 0 and the maximum and the sum of the softmax do not change: the results are the same, for
    /// about half the work. Without the self rule (local short path) a row whose visible keys are all
    /// masked spreads its weight over every key, so that path keeps all T keys.
    /// Weight (query position t, key position t') is dropped by `dropout` at index t·T + t'.
    static func attendAll(
        length T: Int, d: Int, queries: UnsafePointer<Float>, keys: UnsafePointer<Float>,
        values: UnsafePointer<Float>, positions: UnsafePointer<Int32>, rules: AttentionRules,
        scratch s: AttentionScratch, out: UnsafeMutablePointer<Float>, outStride: Int, dropout: DropoutMask? = nil
    ) {
        let block = s.blockLength
        let causalPrefix = rules.causal && rules.selfMask
        var start = 0
        while start < T {
            let n = min(block, T - start)
            ChunkAttention.attend(
                q: queries + start * d, qPos: positions + start, nq: n,
                k: keys, v: values, kPos: positions, nk: causalPrefix ? start + n : T, d: d, rules: rules,
                probs: s.probs.pointer, out: s.outputs.pointer, lse: s.lse.pointer,
                dropout: dropout.map { WeightDropout(mask: $0, firstRow: start, stride: T) })
            for i in 0..<n { (out + (start + i) * outStride).update(from: s.outputs.pointer + i * d, count: d) }
            start += n
        }
    }
}
