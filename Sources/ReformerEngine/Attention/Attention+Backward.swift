// Attention+Backward: per (batch row, head) backward jobs for LSH, full/short and local attention.
// Each job first recomputes its forward (LSH with the buckets the forward used — never re-hashed),
// then walks it back: round merge → chunks (window gradients scattered back to their source slots)
// → unsort to positions → key normalisation. REFORMER_SPEC §13.2.

import Foundation

extension LSHAttention {
    /// dU += ∂⟨dK, key(u)⟩/∂u for key(u) = u·r/√d, r = (mean(u²) + 1e-6)^(−1/2):
    ///   dU = (r/√d)·dK − (r³/(d·√d))·⟨dK, u⟩·u.
    static func normalizeKeyBackward(u: UnsafePointer<Float>, dKey: UnsafePointer<Float>, dU: UnsafeMutablePointer<Float>, d: Int) {
        var s = 0.0, inner = 0.0
        for j in 0..<d { s += Double(u[j]) * Double(u[j]); inner += Double(dKey[j]) * Double(u[j]) }
        let r = 1 / (s / Double(d) + 1e-6).squareRoot()
        let sqrtD = Double(d).squareRoot()
        let a = Float(r / sqrtD), b = Float(r * r * r / (Double(d) * sqrtD) * inner)
        for j in 0..<d { dU[j] += a * dKey[j] - b * u[j] }
    }

    /// Backward of `attendChunks`: the chunks' `lse` are those of the forward; `dOut` and `dLse`
    /// are per slot. dQ [slots, d] is accumulated per slot; window gradients of keys and values are
    /// added back to the slots they were copied from (`dK`, `dV` [slots, d]).
    static func attendChunksBackward(
        chunks: Int, chunkLength C: Int, before: Int, after: Int, d: Int,
        queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        positions: UnsafePointer<Int32>, rules: AttentionRules, lse: UnsafePointer<Float>,
        dOut: UnsafePointer<Float>, dLse: UnsafePointer<Float>?,
        dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>,
        scratch s: AttentionScratch, grads gs: AttentionGradScratch, dropout: DropoutMask? = nil
    ) {
        let W = C * (before + 1 + after)
        for c in 0..<chunks {
            fillWindow(chunk: c, chunks: chunks, chunkLength: C, before: before, after: after, d: d,
                       keys: keys, values: values, positions: positions, scratch: s)
            gs.windowDKeys.pointer.update(repeating: 0, count: W * d)
            gs.windowDValues.pointer.update(repeating: 0, count: W * d)
            ChunkAttention.attendBackward(
                q: queries + c * C * d, qPos: positions + c * C, nq: C,
                k: s.windowKeys.pointer, v: s.windowValues.pointer, kPos: s.windowPositions.pointer, nk: W,
                d: d, rules: rules, lse: lse + c * C, dOut: dOut + c * C * d, dLse: dLse.map { $0 + c * C },
                dQ: dQ + c * C * d, dK: gs.windowDKeys.pointer, dV: gs.windowDValues.pointer, probs: s.probs.pointer, dScores: gs.dScores.pointer,
                dropout: dropout.map { WeightDropout(mask: $0, firstRow: c * C, stride: W) })
            for (slot, j) in (-before...after).enumerated() {
                let src = ((c + j) % chunks + chunks) % chunks
                let dk = dK + src * C * d, dv = dV + src * C * d
                let wk = gs.windowDKeys.pointer + slot * C * d, wv = gs.windowDValues.pointer + slot * C * d
                for e in 0..<(C * d) { dk[e] += wk[e]; dv[e] += wv[e] }
            }
        }
    }

    /// Backward of one (batch row, head) of the chunked LSH path with the forward's `buckets`
    /// [n_H·T]. Writes the recomputed forward output to `out` and the gradients of this head's qk and
    /// value rows (stride A) to `dQK` and `dValue` (overwritten).
    static func hashedHeadBackward(
        geometry g: AttentionGeometry, plan: BucketPlan, padBucket: Bool,
        qk: UnsafePointer<Float>, value: UnsafePointer<Float>, keyValid: UnsafePointer<UInt8>?,
        buckets: UnsafePointer<Int32>, dOut: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        dQK: UnsafeMutablePointer<Float>, dValue: UnsafeMutablePointer<Float>, scratch s: AttentionScratch,
        dropout: DropoutMask? = nil
    ) {
        guard let gs = s.grads else { preconditionFailure("backward needs gradient scratch") }
        let T = g.length, d = g.headSize, A = g.allHeadSize, nH = g.rounds, C = g.chunkLength
        let slots = nH * T
        // Forward again with the same buckets: fills sorted/unsort, gathered rows, outputs and lse.
        hashedHead(
            geometry: g, plan: plan, padBucket: padBucket, qk: qk, value: value, keyValid: keyValid,
            rotations: nil, fixedBuckets: buckets, out: out, bucketsOut: nil, sortedOut: nil, scratch: s, dropout: dropout)

        // Round merge backward: Ō'_r = w_r·ōut, ℓ̄_r = w_r·⟨ōut, O'_r − out⟩.
        let dO = gs.dOutputs.pointer, dL = gs.dLse.pointer
        for t in 0..<T {
            let g0 = dOut + t * A
            if nH == 1 {
                (dO + Int(s.unsort[t]) * d).update(from: g0, count: d)
                dL[Int(s.unsort[t])] = 0
                continue
            }
            let o = out + t * A
            var m = -Float.infinity
            for r in 0..<nH { m = max(m, s.lse[Int(s.unsort[r * T + t])]) }
            if m.isInfinite { m = 0 }
            var sum: Float = 0
            for r in 0..<nH { sum += expf(s.lse[Int(s.unsort[r * T + t])] - m) }
            let total = logf(sum) + m
            for r in 0..<nH {
                let slot = Int(s.unsort[r * T + t])
                let w = expf(s.lse[slot] - total)
                let src = s.outputs.pointer + slot * d
                var inner: Float = 0
                let dst = dO + slot * d
                for j in 0..<d {
                    dst[j] = w * g0[j]
                    inner += g0[j] * (src[j] - o[j])
                }
                dL[slot] = w * inner
            }
        }

        gs.dQueries.pointer.update(repeating: 0, count: slots * d)
        gs.dKeys.pointer.update(repeating: 0, count: slots * d)
        gs.dValues.pointer.update(repeating: 0, count: slots * d)
        let rules = AttentionRules(causal: g.causal, selfMask: true, keyValid: keyValid)
        attendChunksBackward(
            chunks: slots / C, chunkLength: C, before: g.chunksBefore, after: g.chunksAfter, d: d,
            queries: s.queries.pointer, keys: s.keys.pointer, values: s.values.pointer,
            positions: s.queryPositions.pointer, rules: rules, lse: s.lse.pointer,
            dOut: dO, dLse: nH > 1 ? dL : nil,
            dQ: gs.dQueries.pointer, dK: gs.dKeys.pointer, dV: gs.dValues.pointer, scratch: s, grads: gs, dropout: dropout)

        // Unsort to positions: every slot (every round, every window copy) adds to its position.
        for t in 0..<T {
            (dQK + t * A).update(repeating: 0, count: d)
            (dValue + t * A).update(repeating: 0, count: d)
        }
        for k in 0..<slots {
            let p = Int(s.queryPositions[k])
            let dq = dQK + p * A, dv = dValue + p * A
            let sq = gs.dQueries.pointer + k * d, sv = gs.dValues.pointer + k * d
            for j in 0..<d { dq[j] += sq[j]; dv[j] += sv[j] }
            normalizeKeyBackward(u: qk + p * A, dKey: gs.dKeys.pointer + k * d, dU: dq, d: d)
        }
    }

    /// Backward of every query against every key (short path, full-attention switch) in query
    /// blocks. `keyScale` nil: shared-QK (keys RMS-normalised, self rule); else separate keys `key`
    /// scaled by keyScale (local short path). Writes `out` and the head's input gradients.
    static func fullHeadBackward(
        geometry g: AttentionGeometry, query: UnsafePointer<Float>, key: UnsafePointer<Float>?,
        value: UnsafePointer<Float>, keyValid: UnsafePointer<UInt8>?, dOut: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, dQuery: UnsafeMutablePointer<Float>, dKey: UnsafeMutablePointer<Float>?,
        dValue: UnsafeMutablePointer<Float>, scratch s: AttentionScratch, dropout: DropoutMask? = nil
    ) {
        guard let gs = s.grads else { preconditionFailure("backward needs gradient scratch") }
        let T = g.length, d = g.headSize, A = g.allHeadSize
        let sqrtD = Float(Double(d).squareRoot())
        for t in 0..<T {
            (s.queries.pointer + t * d).update(from: query + t * A, count: d)
            (s.values.pointer + t * d).update(from: value + t * A, count: d)
            (gs.dOutputs.pointer + t * d).update(from: dOut + t * A, count: d)
            s.queryPositions[t] = Int32(t)
            if let key {
                let k = s.keys.pointer + t * d, src = key + t * A
                for j in 0..<d { k[j] = src[j] / sqrtD }
            }
        }
        if key == nil { normalizeKeys(s.queries.pointer, srcStride: d, s.keys.pointer, rows: T, d: d) }
        let rules = AttentionRules(causal: g.causal, selfMask: key == nil, keyValid: keyValid)
        gs.dQueries.pointer.update(repeating: 0, count: T * d)
        gs.dKeys.pointer.update(repeating: 0, count: T * d)
        gs.dValues.pointer.update(repeating: 0, count: T * d)
        let block = s.blockLength
        var start = 0
        while start < T {
            let n = min(block, T - start)
            let weights = dropout.map { WeightDropout(mask: $0, firstRow: start, stride: T) }
            ChunkAttention.attend(
                q: s.queries.pointer + start * d, qPos: s.queryPositions.pointer + start, nq: n,
                k: s.keys.pointer, v: s.values.pointer, kPos: s.queryPositions.pointer, nk: T, d: d, rules: rules,
                probs: s.probs.pointer, out: s.outputs.pointer, lse: s.lse.pointer, dropout: weights)
            for i in 0..<n { (out + (start + i) * A).update(from: s.outputs.pointer + i * d, count: d) }
            ChunkAttention.attendBackward(
                q: s.queries.pointer + start * d, qPos: s.queryPositions.pointer + start, nq: n,
                k: s.keys.pointer, v: s.values.pointer, kPos: s.queryPositions.pointer, nk: T, d: d, rules: rules,
                lse: s.lse.pointer, dOut: gs.dOutputs.pointer + start * d, dLse: nil,
                dQ: gs.dQueries.pointer + start * d, dK: gs.dKeys.pointer, dV: gs.dValues.pointer,
                probs: s.probs.pointer, dScores: gs.dScores.pointer, dropout: weights)
            start += n
        }
        for t in 0..<T {
            let dq = dQuery + t * A, dv = dValue + t * A
            dq.update(from: gs.dQueries.pointer + t * d, count: d)
            dv.update(from: gs.dValues.pointer + t * d, count: d)
            if let dKey {
                let dk = dKey + t * A, src = gs.dKeys.pointer + t * d
                for j in 0..<d { dk[j] = src[j] / sqrtD }
            } else {
                normalizeKeyBackward(u: query + t * A, dKey: gs.dKeys.pointer + t * d, dU: dq, d: d)
            }
        }
    }
}

extension LocalAttention {
    /// Backward of `head` (chunked or short): writes `out` and this head's dQuery, dKey, dValue rows
    /// (stride A, overwritten). Keys were divided by √d in the forward.
    static func headBackward(
        geometry g: AttentionGeometry, query: UnsafePointer<Float>, key: UnsafePointer<Float>,
        value: UnsafePointer<Float>, keyValid: UnsafePointer<UInt8>?, dOut: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, dQuery: UnsafeMutablePointer<Float>, dKey: UnsafeMutablePointer<Float>,
        dValue: UnsafeMutablePointer<Float>, scratch s: AttentionScratch, dropout: DropoutMask? = nil
    ) {
        let T = g.length, d = g.headSize, A = g.allHeadSize, C = g.chunkLength
        if T <= C {
            LSHAttention.fullHeadBackward(
                geometry: g, query: query, key: key, value: value, keyValid: keyValid, dOut: dOut, out: out,
                dQuery: dQuery, dKey: dKey, dValue: dValue, scratch: s, dropout: dropout)
            return
        }
        guard let gs = s.grads else { preconditionFailure("backward needs gradient scratch") }
        head(geometry: g, query: query, key: key, value: value, keyValid: keyValid, out: out, scratch: s, dropout: dropout)
        for t in 0..<T { (gs.dOutputs.pointer + t * d).update(from: dOut + t * A, count: d) }
        gs.dQueries.pointer.update(repeating: 0, count: T * d)
        gs.dKeys.pointer.update(repeating: 0, count: T * d)
        gs.dValues.pointer.update(repeating: 0, count: T * d)
        let rules = AttentionRules(causal: g.causal, selfMask: false, keyValid: keyValid)
        LSHAttention.attendChunksBackward(
            chunks: T / C, chunkLength: C, before: g.chunksBefore, after: g.chunksAfter, d: d,
            queries: s.queries.pointer, keys: s.keys.pointer, values: s.values.pointer,
            positions: s.queryPositions.pointer, rules: rules, lse: s.lse.pointer,
            dOut: gs.dOutputs.pointer, dLse: nil,
            dQ: gs.dQueries.pointer, dK: gs.dKeys.pointer, dV: gs.dValues.pointer, scratch: s, grads: gs, dropout: dropout)
        let sqrtD = Float(Double(d).squareRoot())
        for t in 0..<T {
            (dQuery + t * A).update(from: gs.dQueries.pointer + t * d, count: d)
            (dValue + t * A).update(from: gs.dValues.pointer + t * d, count: d)
            let dk = dKey + t * A, src = gs.dKeys.pointer + t * d
            for j in 0..<d { dk[j] = src[j] / sqrtD }
        }
    }
}
