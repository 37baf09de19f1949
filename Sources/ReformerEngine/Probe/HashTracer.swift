// HashTracer: the explorer's HashTrace for one layer and head, from a ProbeCapture of a real forward
// pass — the rotations and buckets it used, the stable sort, every chunk's weights (the forward's
// kernel and window rules), the round merge weights, and full attention's top-k keys with the
// recall of each round and of the rounds together.

import Foundation
import ReformerTelemetry

public enum HashTracer {
    /// Traces `layer`/`head` of batch row 0 of a forward that captured that layer. Positions are
    /// labelled with `labels` (one per token, e.g. a tokenizer's pieces) when given, else with the
    /// byte's character (`byteTokens`) or the id.
    public static func trace(
        _ capture: ProbeCapture, config c: ReformerConfig, layer: Int, head: Int, recallK: Int = 8,
        byteTokens: Bool = false, labels: [String]? = nil
    ) throws(ReformerError) -> HashTrace {
        guard layer >= 0, layer < c.layerCount else {
            throw ReformerError(file: "--layer", "is \(layer), expected 0..<\(c.layerCount)")
        }
        guard head >= 0, head < c.headCount else {
            throw ReformerError(file: "--head", "is \(head), expected 0..<\(c.headCount)")
        }
        guard let captured = capture.captured[layer] else {
            throw ReformerError(file: "trace", "layer \(layer) was not captured")
        }
        let T = capture.length, d = c.headSize, A = c.allHeadSize
        var t = HashTrace()
        t.layer = layer; t.layerCount = c.layerCount; t.head = head; t.headCount = c.headCount
        t.layerKind = captured.kind.rawValue
        t.length = T; t.headSize = d; t.causal = c.isDecoder; t.recallK = recallK
        t.tokens = capture.tokens
        if let labels, labels.count == capture.tokens.count {
            t.tokenLabels = labels
        } else {
            t.tokenLabels = capture.tokens.map { label($0, bytes: byteTokens) }
        }
        let kind = captured.kind
        t.chunkLength = kind == .lsh ? c.lshChunkLength : c.localChunkLength
        t.hashed = kind == .lsh && !captured.buckets.isEmpty
        let rounds = t.hashed ? c.hashRounds : 1
        t.rounds = rounds
        let chunked = T > t.chunkLength
        t.chunksBefore = chunked ? (kind == .lsh ? c.lshChunksBefore : c.localChunksBefore) : 0
        t.chunksAfter = chunked ? (kind == .lsh ? c.lshChunksAfter : c.localChunksAfter) : 0
        if !chunked { t.chunkLength = T }
        let C = t.chunkLength
        let keyValid = capture.keyValid

        func headRows(_ m: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: T * d)
            for p in 0..<T { for j in 0..<d { out[p * d + j] = m[p * A + head * d + j] } }
            return out
        }
        let raw = headRows(captured.first)
        let values = headRows(captured.third)
        var keys = [Float](repeating: 0, count: T * d)
        if kind == .lsh {
            raw.withUnsafeBufferPointer { q in
                keys.withUnsafeMutableBufferPointer { k in LSHAttention.normalizeKeys(q.baseAddress!, srcStride: d, k.baseAddress!, rows: T, d: d) }
            }
        } else {
            let sqrtD = Float(Double(d).squareRoot())
            keys = headRows(captured.second).map { $0 / sqrtD }
        }
        t.vectors = (0..<T).map { Array(raw[($0 * d)..<(($0 + 1) * d)]) }

        // Hashing: rotations, rotated projections, buckets (the forward's), stable sort.
        var positions = (0..<T).map { Int32($0) }
        var slotOrder = Array(0..<T)
        if t.hashed, let plan = capture.plan {
            t.factors = plan.factors
            t.bucketCount = plan.bucketCount
            t.paddingBucket = capture.paddingBucket
            let half = plan.rotationHalf, width = rounds * half
            let perHead = d * width
            if captured.rotations.count == c.headCount * perHead {
                let rot = Array(captured.rotations[(head * perHead)..<((head + 1) * perHead)])
                t.rotations = (0..<d).map { Array(rot[($0 * width)..<(($0 + 1) * width)]) }
                t.rotated = (0..<rounds).map { r in
                    (0..<T).map { p in
                        (0..<half).map { k in
                            var s: Float = 0
                            for j in 0..<d { s += raw[p * d + j] * rot[j * width + r * half + k] }
                            return s
                        }
                    }
                }
            }
            let slots = rounds * T
            let bk = Array(captured.buckets[(head * slots)..<((head + 1) * slots)])
            t.buckets = (0..<rounds).map { Array(bk[($0 * T)..<(($0 + 1) * T)]) }
            let nbEff = plan.bucketCount + (capture.paddingBucket ? 1 : 0)
            var counts = [Int32](repeating: 0, count: rounds * nbEff + 1)
            var sorted = [Int32](repeating: 0, count: slots), unsort = sorted
            LSHHashing.sort(buckets: bk, length: T, rounds: rounds, bucketsPerRound: nbEff, counts: &counts, sorted: &sorted, unsort: &unsort)
            t.sortedIndices = sorted
            positions = sorted.map { $0 % Int32(T) }
            slotOrder = positions.map(Int.init)
        } else {
            t.sortedIndices = positions
        }
        t.slotPositions = positions

        // Every chunk's weights, lse and outputs, with the forward's kernel.
        let slots = slotOrder.count
        t.chunkCount = slots / C
        let W = t.windowLength
        var slotOut = [Float](repeating: 0, count: slots * d)
        var slotLse = [Float](repeating: 0, count: slots)
        var captures = [[Bool]](repeating: [Bool](repeating: false, count: T), count: rounds * T)  // [round·T + query pos][key pos]
        let selfRule = kind == .lsh
        for ch in 0..<t.chunkCount {
            let window = t.window(ofChunk: ch).flatMap { Array(($0 * C)..<(($0 + 1) * C)) }
            let qs = Array((ch * C)..<((ch + 1) * C))
            let qPos = qs.map { positions[$0] }, kPos = window.map { positions[$0] }
            var q = [Float](), k = [Float](), v = [Float]()
            for s in qs { let p = slotOrder[s]; q += raw[(p * d)..<((p + 1) * d)] }
            for s in window { let p = slotOrder[s]; k += keys[(p * d)..<((p + 1) * d)]; v += values[(p * d)..<((p + 1) * d)] }
            var probs = [Float](repeating: 0, count: C * W), out = [Float](repeating: 0, count: C * d), lse = [Float](repeating: 0, count: C)
            keyValid.withUnsafeBufferPointer { kv in
                let rules = AttentionRules(causal: c.isDecoder, selfMask: selfRule, keyValid: keyValid.isEmpty ? nil : kv.baseAddress)
                ChunkAttention.attend(q: q, qPos: qPos, nq: C, k: k, v: v, kPos: kPos, nk: W, d: d, rules: rules,
                                      probs: &probs, out: &out, lse: &lse)
            }
            t.chunkWeights.append((0..<C).map { Array(probs[($0 * W)..<(($0 + 1) * W)]) })
            let masks = (0..<C).map { i in kPos.map { pk in maskKind(query: qPos[i], key: pk, selfRule: selfRule, causal: c.isDecoder, keyValid: keyValid) } }
            t.chunkMasks.append(masks)
            for (i, s) in qs.enumerated() {
                slotLse[s] = lse[i]
                for j in 0..<d { slotOut[s * d + j] = out[i * d + j] }
                let round = s / T
                for (w, pk) in kPos.enumerated() where masks[i][w] == .none {
                    captures[round * T + Int(qPos[i])][Int(pk)] = true
                }
            }
        }
        t.slotLogSumExp = slotLse

        // Round merge weights per position.
        var unsort = [Int](repeating: 0, count: slots)
        for (k, i) in t.sortedIndices.enumerated() { unsort[Int(i)] = k }
        t.roundWeights = (0..<T).map { p in
            let ls = (0..<rounds).map { slotLse[unsort[$0 * T + p]] }
            if rounds == 1 { return [1] }
            var m = ls.max()!
            if m.isInfinite { m = 0 }
            let total = logf(ls.reduce(Float(0)) { $0 + expf($1 - m) }) + m
            return ls.map { expf($0 - total) }
        }

        // Full attention over all keys (same masks, self excluded): top-k and recall.
        let positionsAll = (0..<T).map { Int32($0) }
        var fullProbs = [Float](repeating: 0, count: T), fullOut = [Float](repeating: 0, count: d), fullLse: Float = 0
        for p in 0..<T {
            keyValid.withUnsafeBufferPointer { kv in
                let rules = AttentionRules(causal: c.isDecoder, selfMask: selfRule, keyValid: keyValid.isEmpty ? nil : kv.baseAddress)
                raw.withUnsafeBufferPointer { r in
                    ChunkAttention.attend(q: r.baseAddress! + p * d, qPos: positionsAll.withUnsafeBufferPointer { $0.baseAddress! + p }, nq: 1,
                                          k: keys, v: values, kPos: positionsAll, nk: T, d: d, rules: rules,
                                          probs: &fullProbs, out: &fullOut, lse: &fullLse)
                }
            }
            let allowed = (0..<T).filter { maskKind(query: Int32(p), key: Int32($0), selfRule: selfRule, causal: c.isDecoder, keyValid: keyValid) == .none }
            let top = allowed.sorted { fullProbs[$0] > fullProbs[$1] || (fullProbs[$0] == fullProbs[$1] && $0 < $1) }.prefix(recallK)
            t.fullTopKeys.append(top.map { Int32($0) })
            t.fullTopWeights.append(top.map { fullProbs[$0] })
            let perRound = (0..<rounds).map { r -> Double in
                top.isEmpty ? 1 : Double(top.filter { captures[r * T + p][$0] }.count) / Double(top.count)
            }
            t.recallPerRound.append(perRound)
            t.recallCombined.append(top.isEmpty ? 1 : Double(top.filter { k in (0..<rounds).contains { captures[$0 * T + p][k] } }.count) / Double(top.count))
        }
        let scored = (0..<T).filter { !t.fullTopKeys[$0].isEmpty }
        t.recallByRounds = (1...rounds).map { r in
            guard !scored.isEmpty else { return 1 }
            let total = scored.reduce(0.0) { acc, p in
                let top = t.fullTopKeys[p]
                return acc + Double(top.filter { k in (0..<r).contains { captures[$0 * T + p][Int(k)] } }.count) / Double(top.count)
            }
            return total / Double(scored.count)
        }
        return t
    }

    static func maskKind(query p: Int32, key pk: Int32, selfRule: Bool, causal: Bool, keyValid: [UInt8]) -> AttentionProbe.MaskKind {
        if selfRule && pk == p { return .selfPosition }
        if !keyValid.isEmpty && keyValid[Int(pk)] == 0 { return .padding }
        if causal && pk > p { return .causal }
        return .none
    }

    /// Printable bytes as text, else the id (copy symbols and non-byte vocabularies are ids).
    static func label(_ id: Int32, bytes: Bool) -> String {
        if bytes, id >= 33, id < 127 { return String(UnicodeScalar(UInt8(id))) }
        if bytes, id == 32 { return "␣" }
        if bytes, id == 10 { return "⏎" }
        return String(id)
    }
}
