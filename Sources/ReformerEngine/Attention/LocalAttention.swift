// LocalAttention: REFORMER_SPEC §8 for one (batch row, head). Query raw, key divided by √d, no
// self rule. Chunked path (T > C): chunk c sees chunks (c + j) mod N, j = −before…after — the
// modulo is real, chunk 0 looks back at the last chunk. Short path (T ≤ C): all keys.

enum LocalAttention {
    static func head(
        geometry g: AttentionGeometry, query: UnsafePointer<Float>, key: UnsafePointer<Float>,
        value: UnsafePointer<Float>, keyValid: UnsafePointer<UInt8>?,
        out: UnsafeMutablePointer<Float>, scratch s: AttentionScratch, dropout: DropoutMask? = nil
    ) {
        let T = g.length, d = g.headSize, A = g.allHeadSize, C = g.chunkLength
        let sqrtD = Float(Double(d).squareRoot())
        for t in 0..<T {
            (s.queries.pointer + t * d).update(from: query + t * A, count: d)
            let k = s.keys.pointer + t * d, src = key + t * A
            for j in 0..<d { k[j] = src[j] / sqrtD }
            (s.values.pointer + t * d).update(from: value + t * A, count: d)
            s.queryPositions[t] = Int32(t)
        }
        let rules = AttentionRules(causal: g.causal, selfMask: false, keyValid: keyValid)
        if T <= C {
            LSHAttention.attendAll(
                length: T, d: d, queries: s.queries.pointer, keys: s.keys.pointer, values: s.values.pointer,
                positions: s.queryPositions.pointer, rules: rules, scratch: s, out: out, outStride: A, dropout: dropout)
            return
        }
        LSHAttention.attendChunks(
            chunks: T / C, chunkLength: C, before: g.chunksBefore, after: g.chunksAfter, d: d,
            queries: s.queries.pointer, keys: s.keys.pointer, values: s.values.pointer,
            positions: s.queryPositions.pointer, rules: rules, scratch: s,
            outputs: s.outputs.pointer, lse: s.lse.pointer, dropout: dropout)
        for t in 0..<T { (out + t * A).update(from: s.outputs.pointer + t * d, count: d) }
    }
}
