// ChunkAttention: the inner kernel shared by LSH, local and full attention (REFORMER_SPEC §7–§9):
// scores of a block of queries against a block of keys, masks applied by replacement (−1e9 for a
// disallowed key, then −1e5 for the query's own position when the self rule is on), and the HF
// softmax p = exp(s − lse) with lse = m + log Σ exp(s − m) in float32, never renormalised (§12).

import Foundation

/// Which keys a query may see. Positions are original sequence positions, not sorted slots.
struct AttentionRules {
    var causal: Bool
    /// LSH only: the key at the query's own position scores −1e5 (overriding everything).
    var selfMask: Bool
    /// keyValid[p] == 0 masks key position p (attention_mask); nil means no mask.
    var keyValid: UnsafePointer<UInt8>?

    static let maskValue: Float = -1e9
    static let selfValue: Float = -1e5
}

enum ChunkAttention {
    /// expf(x) rounds to exactly 0 for every float32 x below this (e^−105 ≈ 2.5e−46 < half the
    /// smallest subnormal), so such terms are skipped without changing any result.
    static let expZeroBelow: Float = -105

    /// Dot product of two length-d vectors.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        var j = 0
        var acc8 = SIMD8<Float>(repeating: 0)
        while j + 8 <= d {
            let x = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
            acc8 += x * y
            j += 8
        }
        var s = acc8.sum()
        while j < d { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// For `nq` queries (rows of `q`, positions `qPos`) against `nk` keys (rows of `k`, `v`,
    /// positions `kPos`), all rows of width `d`:
    ///   probs[i, w] = exp(s[i, w] − lse[i]),   out[i, :] = Σ_w probs[i, w] · v[w, :].
    /// `probs` [nq, nk] keeps the weights (for probes and backward); `out` [nq, d]; `lse` [nq].
    /// `dropout` (training only) drops weights after the softmax — `probs` and `out` see the dropped,
    /// rescaled weights, `lse` is the softmax's own.
    static func attend(
        q: UnsafePointer<Float>, qPos: UnsafePointer<Int32>, nq: Int,
        k: UnsafePointer<Float>, v: UnsafePointer<Float>, kPos: UnsafePointer<Int32>, nk: Int,
        d: Int, rules: AttentionRules,
        probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
        dropout: WeightDropout? = nil
    ) {
        // Raw scores of the whole block in one product: probs[i, w] = q_i · k_w.
        BLAS.gemm(.none, .transposed, m: nq, n: nk, k: d, a: q, lda: d, b: k, ldb: d, c: probs, ldc: nk)
        for i in 0..<nq {
            let p = qPos[i]
            let row = probs + i * nk
            var m = -Float.infinity
            for w in 0..<nk {
                let pk = kPos[w]
                let allowed = (rules.keyValid.map { $0[Int(pk)] != 0 } ?? true) && (!rules.causal || pk <= p)
                var s = allowed ? row[w] : AttentionRules.maskValue
                if rules.selfMask && pk == p { s = AttentionRules.selfValue }
                row[w] = s
                m = max(m, s)
            }
            // exp(x) is exactly 0 in float32 for x < −105, which is where masked scores (−1e9, and
            // −1e5 next to a real score) land: skip the call (its underflow path is slow).
            var sum: Float = 0
            for w in 0..<nk {
                let x = row[w] - m
                if x > Self.expZeroBelow { sum += expf(x) }
            }
            let l = m + logf(sum)
            lse[i] = l
            for w in 0..<nk {
                let x = row[w] - l
                row[w] = x > Self.expZeroBelow ? expf(x) : 0
            }
            if let dropout { dropout.mask.apply(row, count: nk, first: dropout.index(row: i, key: 0)) }
        }
        // out = probs · v, one product for the block.
        BLAS.gemm(.none, .none, m: nq, n: d, k: nk, a: probs, lda: nk, b: v, ldb: d, c: out, ldc: d)
    }
}
