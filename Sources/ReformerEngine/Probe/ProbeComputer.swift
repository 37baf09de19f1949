// ProbeComputer: turns a ProbeCapture into the dashboard's AttentionProbe for a selected layer, head,
// round and chunk — the buckets the step used, their occupancy, and one chunk's attention weights
// recomputed with the very kernel, sort and window rules of the forward (so they are the weights
// the model used on that batch).

import Foundation
import ReformerTelemetry

public struct ProbeSelection: Sendable, Equatable {
    public var layer = 0, head = 0, round = 0, chunk = 0
    public init(layer: Int = 0, head: Int = 0, round: Int = 0, chunk: Int = 0) {
        self.layer = layer; self.head = head; self.round = round; self.chunk = chunk
    }
}

public enum ProbeComputer {
    /// The probe for `selection` (clamped to what exists), or nil when the layer was not captured.
    public static func probe(_ capture: ProbeCapture, config c: ReformerConfig, selection sel: ProbeSelection) -> AttentionProbe? {
        let T = capture.length
        guard T > 0 else { return nil }
        var p = AttentionProbe()
        p.layerCount = c.layerCount
        p.layerKinds = c.attentionLayers.map(\.rawValue)
        p.layer = min(max(0, sel.layer), c.layerCount - 1)
        p.headCount = c.headCount
        p.head = min(max(0, sel.head), c.headCount - 1)
        p.tokens = capture.tokens
        guard let layer = capture.captured[p.layer] else { return p }
        let d = c.headSize, A = c.allHeadSize, h = p.head
        let keyValid = capture.keyValid
        let hashed = layer.kind == .lsh && !layer.buckets.isEmpty
        let kind = layer.kind
        p.chunkLength = kind == .lsh ? c.lshChunkLength : c.localChunkLength
        p.roundCount = hashed ? c.hashRounds : 1
        p.round = min(max(0, sel.round), p.roundCount - 1)
        let chunked = T > p.chunkLength
        p.chunkCount = chunked ? T / p.chunkLength : 1
        p.chunk = min(max(0, sel.chunk), p.chunkCount - 1)

        // Gather this head's rows [T, d].
        func head(_ m: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: T * d)
            for t in 0..<T { for j in 0..<d { out[t * d + j] = m[t * A + h * d + j] } }
            return out
        }
        let rounds = hashed ? c.hashRounds : 1
        var queries: [Float], keys: [Float], values = head(layer.third)
        var positions = (0..<T).map { Int32($0) }
        if kind == .lsh {
            queries = head(layer.first)
            keys = [Float](repeating: 0, count: T * d)
            queries.withUnsafeBufferPointer { q in
                keys.withUnsafeMutableBufferPointer { k in
                    LSHAttention.normalizeKeys(q.baseAddress!, srcStride: d, k.baseAddress!, rows: T, d: d)
                }
            }
        } else {
            queries = head(layer.first)
            let sqrtD = Float(Double(d).squareRoot())
            keys = head(layer.second).map { $0 / sqrtD }
        }

        if hashed, let plan = capture.plan {
            let slots = rounds * T
            let nb = plan.bucketCount
            let nbEff = nb + (capture.paddingBucket ? 1 : 0)
            let bk = Array(layer.buckets[(h * slots)..<((h + 1) * slots)])
            p.bucketCount = nb
            p.buckets = Array(bk[(p.round * T)..<((p.round + 1) * T)])
            var occ = [Int](repeating: 0, count: nb)
            for b in p.buckets where Int(b) < nb { occ[Int(b)] += 1 }
            p.occupancy = occ
            let n = Double(occ.reduce(0, +))
            if n > 0 && nb > 1 {
                var entropy = 0.0
                for o in occ where o > 0 { let q = Double(o) / n; entropy -= q * log(q) }
                p.evenness = entropy / log(Double(nb))
            }
            // The forward's sorted order, then the selected chunk's window (chunks wrap over all rounds).
            var counts = [Int32](repeating: 0, count: rounds * nbEff + 1)
            var sorted = [Int32](repeating: 0, count: slots), unsort = sorted
            LSHHashing.sort(buckets: bk, length: T, rounds: rounds, bucketsPerRound: nbEff, counts: &counts, sorted: &sorted, unsort: &unsort)
            positions = sorted.map { $0 % Int32(T) }
            func gather(_ m: [Float]) -> [Float] {
                var out = [Float](repeating: 0, count: slots * d)
                for k in 0..<slots { let t = Int(positions[k]); for j in 0..<d { out[k * d + j] = m[t * d + j] } }
                return out
            }
            queries = gather(queries); keys = gather(keys); values = gather(values)
        }
        let C = chunked ? p.chunkLength : T
        let chunks = rounds * T / C
        let globalChunk = (chunked ? p.round * (T / C) : 0) + p.chunk
        let before = chunked ? (kind == .lsh ? c.lshChunksBefore : c.localChunksBefore) : 0
        let after = chunked ? (kind == .lsh ? c.lshChunksAfter : c.localChunksAfter) : 0
        var window: [Int] = []   // slot indices of the window keys, look-back first
        for j in -before...after {
            let src = ((globalChunk + j) % chunks + chunks) % chunks
            window += Array((src * C)..<((src + 1) * C))
        }
        let querySlots = Array((globalChunk * C)..<((globalChunk + 1) * C))
        let qPos = querySlots.map { positions[$0] }, kPos = window.map { positions[$0] }
        var q = [Float](), k = [Float](), v = [Float]()
        for s in querySlots { q += queries[(s * d)..<((s + 1) * d)] }
        for s in window { k += keys[(s * d)..<((s + 1) * d)]; v += values[(s * d)..<((s + 1) * d)] }
        var probs = [Float](repeating: 0, count: C * window.count), out = [Float](repeating: 0, count: C * d)
        var lse = [Float](repeating: 0, count: C)
        let selfRule = kind == .lsh
        keyValid.withUnsafeBufferPointer { kv in
            let rules = AttentionRules(causal: c.isDecoder, selfMask: selfRule, keyValid: keyValid.isEmpty ? nil : kv.baseAddress)
            ChunkAttention.attend(q: q, qPos: qPos, nq: C, k: k, v: v, kPos: kPos, nk: window.count, d: d, rules: rules,
                                  probs: &probs, out: &out, lse: &lse)
        }
        p.queryPositions = qPos
        p.keyPositions = kPos
        p.attention = (0..<C).map { Array(probs[($0 * window.count)..<(($0 + 1) * window.count)]) }
        p.mask = (0..<C).map { i in
            kPos.map { pk -> AttentionProbe.MaskKind in
                if selfRule && pk == qPos[i] { return .selfPosition }
                if !keyValid.isEmpty && keyValid[Int(pk)] == 0 { return .padding }
                if c.isDecoder && pk > qPos[i] { return .causal }
                return .none
            }
        }
        return p
    }
}
