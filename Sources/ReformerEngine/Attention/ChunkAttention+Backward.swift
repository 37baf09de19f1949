// ChunkAttention+Backward: gradient of the masked softmax attention of ChunkAttention.attend
// (REFORMER_SPEC §13.2). With p = exp(s − lse) (not renormalised), upstream Ō (output) and ℓ̄ (lse):
//   P̄_w = Ō·V_w,  V̄_w += P_w Ō,  s̄_w = P_w P̄_w + P_w (ℓ̄ − Σ_v P_v P̄_v),
// and a masked score (replaced by −1e9 or −1e5) is a constant: its s̄ does not reach Q or K.
// With weight dropout (factor k_w = 0 or 1/(1 − p)) the output reads k_w·P_w: P̄_w = k_w·(Ō·V_w),
// V̄_w += k_w P_w Ō, and s̄ keeps the formula above (the lse is the undropped softmax's).

import Foundation

extension ChunkAttention {
    /// Recomputes the weights of `attend` from the stored `lse` and accumulates
    ///   dQ[i] += Σ_w s̄_iw K_w,  dK[w] += Σ_i s̄_iw Q_i,  dV[w] += Σ_i P_iw Ō_i.
    /// `dLse` may be nil (no gradient reaches the lse, e.g. a single hash round). `probs` and
    /// `dScores` [nq, nk] are scratch. The four products run as BLAS calls on the whole block.
    /// `dropout` must be the forward's (the same decisions are computed again).
    static func attendBackward(
        q: UnsafePointer<Float>, qPos: UnsafePointer<Int32>, nq: Int,
        k: UnsafePointer<Float>, v: UnsafePointer<Float>, kPos: UnsafePointer<Int32>, nk: Int,
        d: Int, rules: AttentionRules, lse: UnsafePointer<Float>,
        dOut: UnsafePointer<Float>, dLse: UnsafePointer<Float>?,
        dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>,
        probs: UnsafeMutablePointer<Float>, dScores: UnsafeMutablePointer<Float>,
        dropout: WeightDropout? = nil
    ) {
        // P (recomputed exactly as the forward did) and P̄ = Ō·Vᵀ.
        BLAS.gemm(.none, .transposed, m: nq, n: nk, k: d, a: q, lda: d, b: k, ldb: d, c: probs, ldc: nk)
        BLAS.gemm(.none, .transposed, m: nq, n: nk, k: d, a: dOut, lda: d, b: v, ldb: d, c: dScores, ldc: nk)
        for i in 0..<nq {
            let p = qPos[i]
            let l = lse[i]
            let row = probs + i * nk, dRow = dScores + i * nk
            // P̄ of the dropped weights: the output read k_w·P_w.
            if let dropout { dropout.mask.apply(dRow, count: nk, first: dropout.index(row: i, key: 0)) }
            var weighted: Float = 0   // Σ_v P_v P̄_v, over every key (masked ones included)
            for w in 0..<nk {
                let pk = kPos[w]
                let allowed = (rules.keyValid.map { $0[Int(pk)] != 0 } ?? true) && (!rules.causal || pk <= p)
                var s = allowed ? row[w] : AttentionRules.maskValue
                let isSelf = rules.selfMask && pk == p
                if isSelf { s = AttentionRules.selfValue }
                let x = s - l
                let pw: Float = x > expZeroBelow ? expf(x) : 0
                row[w] = pw
                weighted += pw * dRow[w]
                // A replaced (masked) score is a constant: mark it so it gets no s̄.
                if !allowed || isSelf { dRow[w] = .nan }
            }
            let dl = dLse?[i] ?? 0
            for w in 0..<nk {
                let pw = row[w]
                let dp = dRow[w]
                dRow[w] = dp.isNaN || pw == 0 ? 0 : pw * dp + pw * (dl - weighted)
            }
            // V̄ reads the weights the forward's output used: the dropped ones.
            if let dropout { dropout.mask.apply(row, count: nk, first: dropout.index(row: i, key: 0)) }
        }
        // dQ += s̄·K, dK += s̄ᵀ·Q, dV += Pᵀ·Ō.
        BLAS.gemm(.none, .none, m: nq, n: d, k: nk, a: dScores, lda: nk, b: k, ldb: d, beta: 1, c: dQ, ldc: d)
        BLAS.gemm(.transposed, .none, m: nk, n: d, k: nq, a: dScores, lda: nk, b: q, ldb: d, beta: 1, c: dK, ldc: d)
        BLAS.gemm(.transposed, .none, m: nk, n: d, k: nq, a: probs, lda: nk, b: dOut, ldb: d, beta: 1, c: dV, ldc: d)
    }
}
