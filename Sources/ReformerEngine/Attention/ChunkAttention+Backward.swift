// ChunkAttention+Backward: gradient of the masked softmax attention of ChunkAttention.attend
// (REFORMER_SPEC §13.2). With p = exp(s − lse) (not renormalised), upstream Ō (output) and ℓ̄ (lse):
//   P̄_w = Ō·V_w,  V̄_w += P_w Ō,  s̄_w = P_w P̄_w + P_w (ℓ̄ − Σ_v P_v P̄_v),
// and a masked score (replaced by −1e9 or −1e5) is a constant: its s̄ does not reach Q or K.

import Foundation

extension ChunkAttention {
    /// Recomputes the weights of `attend` from the stored `lse` and accumulates
    ///   dQ[i] += Σ_w s̄_iw K_w,  dK[w] += Σ_i s̄_iw Q_i,  dV[w] += Σ_i P_iw Ō_i.
    /// `dLse` may be nil (no gradient reaches the lse, e.g. a single hash round).
    /// `dProbs` and `dDots` [nk] are scratch.
    static func attendBackward(
        q: UnsafePointer<Float>, qPos: UnsafePointer<Int32>, nq: Int,
        k: UnsafePointer<Float>, v: UnsafePointer<Float>, kPos: UnsafePointer<Int32>, nk: Int,
        d: Int, rules: AttentionRules, lse: UnsafePointer<Float>,
        dOut: UnsafePointer<Float>, dLse: UnsafePointer<Float>?,
        dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>,
        dProbs: UnsafeMutablePointer<Float>, dDots: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<nq {
            let qi = q + i * d, doi = dOut + i * d, dqi = dQ + i * d
            let p = qPos[i]
            let l = lse[i]
            var weighted: Float = 0   // Σ_v P_v P̄_v
            // Pass 1: P_w and P̄_w (kept in dProbs/dDots); dV. A weight that underflows to 0 adds nothing.
            for w in 0..<nk {
                let pk = kPos[w]
                let allowed = (rules.keyValid.map { $0[Int(pk)] != 0 } ?? true) && (!rules.causal || pk <= p)
                var s: Float = allowed ? dot(qi, k + w * d, d) : AttentionRules.maskValue
                let isSelf = rules.selfMask && pk == p
                if isSelf { s = AttentionRules.selfValue }
                let x = s - l
                let pw: Float = x > expZeroBelow ? expf(x) : 0
                if pw == 0 { dProbs[w] = 0; continue }
                let dpw = dot(doi, v + w * d, d)
                dDots[w] = dpw
                dProbs[w] = (allowed && !isSelf) ? pw : -pw  // sign marks masked entries; |value| = P_w
                weighted += pw * dpw
                let dvw = dV + w * d
                for j in 0..<d { dvw[j] += pw * doi[j] }
            }
            let dl = dLse?[i] ?? 0
            // Pass 2: s̄_w, into dQ and dK for entries whose score came from the dot product.
            for w in 0..<nk {
                let marked = dProbs[w]
                if marked <= 0 { continue }   // masked (constant score) or zero weight
                let pw = marked
                let ds = pw * dDots[w] + pw * (dl - weighted)
                if ds == 0 { continue }
                let kw = k + w * d, dkw = dK + w * d
                for j in 0..<d {
                    dqi[j] += ds * kw[j]
                    dkw[j] += ds * qi[j]
                }
            }
        }
    }
}
