// NaiveLSH: a plain-loop twin of LSH attention for one head, written directly from REFORMER_SPEC §9
// with no code shared with the engine: Array-based, a comparison sort, Double where it does not
// change the float32 semantics of §12. The engine's fast path is tested against it.

import Foundation

public struct NaiveLSHInput {
    public var length: Int
    public var headSize: Int
    public var rounds: Int
    public var factors: [Int]
    public var chunkLength: Int
    public var before: Int
    public var after: Int
    public var causal: Bool
    /// [T, d]
    public var qk: [Float]
    public var value: [Float]
    /// [d, n_H, R/2] for this head
    public var rotations: [Float]
    /// [T], 0 = masked; nil = no mask
    public var mask: [Int]?

    public init(length: Int, headSize: Int, rounds: Int, factors: [Int], chunkLength: Int, before: Int, after: Int,
                causal: Bool, qk: [Float], value: [Float], rotations: [Float], mask: [Int]?) {
        self.length = length; self.headSize = headSize; self.rounds = rounds; self.factors = factors
        self.chunkLength = chunkLength; self.before = before; self.after = after; self.causal = causal
        self.qk = qk; self.value = value; self.rotations = rotations; self.mask = mask
    }
}

public enum NaiveLSH {
    /// Buckets [n_H][T] (without offsets).
    public static func buckets(_ x: NaiveLSHInput) -> [[Int]] {
        let T = x.length, d = x.headSize
        let half = x.factors.map { $0 / 2 }.reduce(0, +)
        let nb = x.factors.reduce(1, *)
        let padded = x.mask.map { $0.contains(0) } ?? false
        var out = Array(repeating: Array(repeating: 0, count: T), count: x.rounds)
        for r in 0..<x.rounds {
            for t in 0..<T {
                var rho = [Float](repeating: 0, count: half)
                for k in 0..<half {
                    var s: Float = 0
                    for j in 0..<d { s += x.qk[t * d + j] * x.rotations[(j * x.rounds + r) * half + k] }
                    rho[k] = s
                }
                var bucket = 0, mult = 1, start = 0
                for f in x.factors {
                    let cand = Array(rho[start..<start + f / 2]) + rho[start..<start + f / 2].map { -$0 }
                    var arg = 0
                    for i in 1..<cand.count where cand[i] > cand[arg] { arg = i }
                    bucket += arg * mult
                    mult *= f
                    start += f / 2
                }
                if padded, x.mask![t] == 0 { bucket = nb }
                out[r][t] = bucket
            }
        }
        return out
    }

    /// Sort permutation: flat indices r·T + t ordered by (bucket + r·nb_eff, index).
    public static func sortedIndices(buckets: [[Int]], bucketsPerRound: Int) -> [Int] {
        let T = buckets[0].count
        let keys = (0..<buckets.count * T).map { i in (key: buckets[i / T][i % T] + (i / T) * bucketsPerRound, index: i) }
        return keys.sorted { ($0.key, $0.index) < ($1.key, $1.index) }.map(\.index)
    }

    /// Output [T, d] of LSH attention for one head, with the given buckets.
    public static func attention(_ x: NaiveLSHInput, buckets: [[Int]]) -> [Float] {
        let T = x.length, d = x.headSize, C = x.chunkLength
        let nb = x.factors.reduce(1, *)
        let padded = x.mask.map { $0.contains(0) } ?? false
        let order = sortedIndices(buckets: buckets, bucketsPerRound: nb + (padded ? 1 : 0))
        let slots = order.count
        func key(_ t: Int) -> [Float] {
            let u = Array(x.qk[t * d..<(t + 1) * d])
            let ms = u.map { $0 * $0 }.reduce(0, +) / Float(d)
            let r = 1 / (ms + 1e-6).squareRoot()
            return u.map { ($0 * r) / Float(Double(d).squareRoot()) }
        }
        let chunks = slots / C
        var slotOut = Array(repeating: [Float](repeating: 0, count: d), count: slots)
        var slotLse = [Float](repeating: 0, count: slots)
        for k in 0..<slots {
            let p = order[k] % T
            let c = k / C
            var window: [Int] = []
            for j in -x.before...x.after {
                let cc = ((c + j) % chunks + chunks) % chunks
                window += (cc * C..<(cc + 1) * C).map { order[$0] % T }
            }
            var scores: [Float] = []
            for pk in window {
                var s: Float
                let allowed = (x.mask?[pk] ?? 1) != 0 && (!x.causal || pk <= p)
                if allowed {
                    let kv = key(pk)
                    s = 0
                    for j in 0..<d { s += x.qk[p * d + j] * kv[j] }
                } else { s = -1e9 }
                if pk == p { s = -1e5 }
                scores.append(s)
            }
            let m = scores.max()!
            let lse = m + log(scores.map { exp($0 - m) }.reduce(0, +))
            var o = [Float](repeating: 0, count: d)
            for (w, pk) in window.enumerated() {
                let pw = exp(scores[w] - lse)
                for j in 0..<d { o[j] += pw * x.value[pk * d + j] }
            }
            slotOut[k] = o
            slotLse[k] = lse
        }
        var undo = [Int](repeating: 0, count: slots)
        for (k, i) in order.enumerated() { undo[i] = k }
        var out = [Float](repeating: 0, count: T * d)
        for t in 0..<T {
            let ls = (0..<x.rounds).map { slotLse[undo[$0 * T + t]] }
            let m = ls.max()!
            let total = x.rounds == 1 ? ls[0] : log(ls.map { exp($0 - m) }.reduce(0, +)) + m
            for r in 0..<x.rounds {
                let w: Float = x.rounds == 1 ? 1 : exp(ls[r] - total)
                let o = slotOut[undo[r * T + t]]
                for j in 0..<d { out[t * d + j] += w * o[j] }
            }
        }
        return out
    }

    /// Full shared-QK attention [T, d]: every key, same masks and self rule.
    public static func full(_ x: NaiveLSHInput) -> [Float] {
        var y = x
        y.rounds = 1
        y.chunkLength = x.length
        y.before = 0
        y.after = 0
        return attention(y, buckets: [Array(repeating: 0, count: x.length)])
    }
}
