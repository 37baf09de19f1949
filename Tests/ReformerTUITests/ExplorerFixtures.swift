// Hand-built HashTraces for the explorer tests: a `0 w 0 w` sequence of 16 tokens, 4-dimensional
// shared query/key vectors, 4 buckets (one factor, two rotated directions), 2 rounds, chunks of 4
// that attend to themselves and the chunk before — every field derived from the vectors and
// rotations with the spec's rules (§9.4–9.10), so buckets, sort order, windows and weights agree.

import Foundation
import ReformerTelemetry

enum ExplorerFixtures {
    /// w: 7 symbols; the sequence is 0 w 0 w (T = 16).
    static let word: [Int32] = [19, 113, 72, 5, 88, 41, 100]
    static var copyTokens: [Int32] { [0] + word + [0] + word }

    /// A head-sized vector per position: a direction per token, the second copy nudged a little.
    static func vectors(_ tokens: [Int32], size d: Int = 4) -> [[Float]] {
        tokens.enumerated().map { p, t in
            let a = Double(t)
            var v = [2 * cos(a * 0.7), 2 * sin(a * 0.7), cos(a * 1.3), sin(a * 1.9)]
            for j in 4..<max(4, d) { v.append(cos(a * (0.37 + 0.11 * Double(j)) + Double(j))) }
            if p >= tokens.count / 2 { v[0] += 0.35 * sin(Double(p)); v[1] += 0.35 * cos(Double(p)) }
            return v.map { Float($0) }
        }
    }

    /// The copy preset's shape: T = 64 (w of 31 symbols), 16 buckets (8 directions), 4 rounds, chunks of 8,
    /// head size 8 — the explorer's projection and scrolling paths.
    static func presetTrace() -> HashTrace {
        let word = (0..<31).map { Int32(($0 * 37 + 11) % 127 + 1) }
        return make(tokens: [0] + word + [0] + word, kind: "lsh", rounds: 4, chunkLength: 8, buckets: 16, size: 8)
    }

    /// [d = 4][rounds · 2]: round r uses columns 2r, 2r + 1.
    static let rotations: [[Float]] = [[0.9, -0.3, 0.2, 1.1], [0.4, 1.2, -0.8, 0.1], [-0.5, 0.3, 1.0, -0.6], [0.2, -0.7, 0.3, 0.9]]

    /// The copy trace: layer 1/2 (LSH), head 2/4, 2 rounds, 4 buckets, chunks of 4 (8 chunks), recall k = 4.
    static func copyTrace() -> HashTrace {
        make(tokens: copyTokens, kind: "lsh", rounds: 2, chunkLength: 4)
    }

    /// A local-attention layer on the same sequence: no hashing, chunks of 4 in order, one round.
    static func localTrace() -> HashTrace {
        make(tokens: copyTokens, kind: "local", rounds: 1, chunkLength: 4)
    }

    /// An LSH layer whose chunk covers the sequence: nothing hashed, one chunk.
    static func unhashedTrace() -> HashTrace {
        make(tokens: copyTokens, kind: "lsh", rounds: 1, chunkLength: 16)
    }

    static func make(tokens: [Int32], kind: String, rounds requestedRounds: Int, chunkLength: Int, buckets nb: Int = 4, size d: Int = 4) -> HashTrace {
        let T = tokens.count, half = nb / 2
        let rotations = nb == 4 && d == 4 ? rotations
            : (0..<d).map { j in (0..<(requestedRounds * half)).map { Float(1.3 * sin(1.7 * Double(j) + 0.9 * Double($0) + 0.3)) } }
        var t = HashTrace()
        t.layer = kind == "local" ? 0 : 1
        t.layerCount = 2
        t.head = 1
        t.headCount = 4
        t.layerKind = kind
        t.length = T
        t.headSize = d
        t.causal = true
        t.recallK = 4
        t.tokens = tokens
        t.tokenLabels = tokens.map { String($0) }
        let vectors = vectors(tokens, size: d)
        t.vectors = vectors
        let chunked = T > chunkLength
        t.hashed = kind == "lsh" && chunked
        let rounds = t.hashed ? requestedRounds : 1
        t.rounds = rounds
        t.chunkLength = chunked ? chunkLength : T
        t.chunksBefore = chunked ? 1 : 0
        t.chunksAfter = 0
        let C = t.chunkLength

        // Hashing (§9.4): ρ = x·R per round, bucket = argmax(ρ0, ρ1, −ρ0, −ρ1), first index wins.
        var positions = Array(0..<T)
        if t.hashed {
            t.bucketCount = nb
            t.factors = [nb]
            t.rotations = rotations.map { Array($0.prefix(half * rounds)) }
            t.rotated = (0..<rounds).map { r in
                (0..<T).map { p in
                    (0..<half).map { k in (0..<d).reduce(Float(0)) { $0 + vectors[p][$1] * rotations[$1][half * r + k] } }
                }
            }
            t.buckets = t.rotated.map { round in
                round.map { rho in
                    let candidates = rho + rho.map { -$0 }
                    var best = 0
                    for i in 1..<nb where candidates[i] > candidates[best] { best = i }
                    return Int32(best)
                }
            }
            // Stable sort of flat indices r·T + p by bucket + r·nb (§9.6).
            let flat = (0..<(rounds * T)).sorted { a, b in
                let ka = Int(t.buckets[a / T][a % T]) + (a / T) * nb, kb = Int(t.buckets[b / T][b % T]) + (b / T) * nb
                return (ka, a) < (kb, b)
            }
            t.sortedIndices = flat.map { Int32($0) }
            positions = flat.map { $0 % T }
        } else {
            t.sortedIndices = (0..<T).map { Int32($0) }
        }
        t.slotPositions = positions.map { Int32($0) }
        t.chunkCount = positions.count / C

        // Chunk attention (§9.7–9.9): keys normalised (÷ rms ÷ √d for LSH, ÷ √d for local), causal, self −1e5.
        func key(_ p: Int) -> [Double] {
            let v = vectors[p].map(Double.init)
            if kind == "local" { return v.map { $0 / Double(d).squareRoot() } }
            let rms = (v.reduce(0) { $0 + $1 * $1 } / Double(d) + 1e-6).squareRoot()
            return v.map { $0 / rms / Double(d).squareRoot() }
        }
        func mask(_ q: Int, _ k: Int) -> AttentionProbe.MaskKind {
            if kind == "lsh" && q == k { return .selfPosition }
            if k > q { return .causal }
            return .none
        }
        func attend(_ q: Int, _ keys: [Int]) -> (weights: [Float], lse: Double) {
            let scores = keys.map { k -> Double in
                switch mask(q, k) {
                case .selfPosition: return -1e5
                case .causal, .padding: return -1e9
                case .none: return zip(vectors[q], key(k)).reduce(0) { $0 + Double($1.0) * $1.1 }
                }
            }
            let m = scores.max() ?? 0
            let lse = m + log(scores.reduce(0) { $0 + exp($1 - m) })
            return (scores.map { Float(exp($0 - lse)) }, lse)
        }
        var lse = [Double](repeating: 0, count: positions.count)
        var captured = [[Set<Int>]](repeating: [Set<Int>](repeating: [], count: T), count: rounds)
        for c in 0..<t.chunkCount {
            let window = t.window(ofChunk: c).flatMap { Array(($0 * C)..<(($0 + 1) * C)) }
            let keys = window.map { positions[$0] }
            var rows: [[Float]] = [], masks: [[AttentionProbe.MaskKind]] = []
            for s in (c * C)..<((c + 1) * C) {
                let q = positions[s]
                let (w, l) = attend(q, keys)
                rows.append(w)
                masks.append(keys.map { mask(q, $0) })
                lse[s] = l
                for k in keys where mask(q, k) == .none { captured[s / T][q].insert(k) }
            }
            t.chunkWeights.append(rows)
            t.chunkMasks.append(masks)
        }
        t.slotLogSumExp = lse.map(Float.init)
        var slotOf = [Int](repeating: 0, count: positions.count)
        for (s, i) in t.sortedIndices.enumerated() { slotOf[Int(i)] = s }
        t.roundWeights = (0..<T).map { p in
            let ls = (0..<rounds).map { lse[slotOf[$0 * T + p]] }
            let m = ls.max()!
            let total = m + log(ls.reduce(0) { $0 + exp($1 - m) })
            return ls.map { Float(exp($0 - total)) }
        }

        // Full attention over every key with the same masks: top-k and recall.
        for p in 0..<T {
            let (w, _) = attend(p, Array(0..<T))
            let allowed = (0..<T).filter { mask(p, $0) == .none }
            let top = Array(allowed.sorted { w[$0] > w[$1] || (w[$0] == w[$1] && $0 < $1) }.prefix(t.recallK))
            t.fullTopKeys.append(top.map { Int32($0) })
            t.fullTopWeights.append(top.map { w[$0] })
            func recall(_ rs: Range<Int>) -> Double {
                top.isEmpty ? 1 : Double(top.filter { k in rs.contains { captured[$0][p].contains(k) } }.count) / Double(top.count)
            }
            t.recallPerRound.append((0..<rounds).map { recall($0..<($0 + 1)) })
            t.recallCombined.append(recall(0..<rounds))
        }
        let scored = (0..<T).filter { !t.fullTopKeys[$0].isEmpty }
        t.recallByRounds = (1...rounds).map { r in
            scored.reduce(0.0) { acc, p in
                let top = t.fullTopKeys[p].map(Int.init)
                return acc + Double(top.filter { k in (0..<r).contains { captured[$0][p].contains(k) } }.count) / Double(top.count)
            } / Double(max(1, scored.count))
        }
        return t
    }
}
