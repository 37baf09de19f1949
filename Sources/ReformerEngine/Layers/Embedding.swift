// Embedding: E[b, t] = word[ids[b, t]] + P[t] (REFORMER_SPEC §5). Axial: P[p] = concat(w0[p div n₂],
// w1[p mod n₂]), w0's features first; plain: P[p] = position[p].

enum Embedding {
    static func forward(
        parameters P: ParameterSet, config c: ReformerConfig,
        ids: UnsafePointer<Int32>, rows: Int, length T: Int, output: UnsafeMutablePointer<Float>
    ) {
        let H = c.hiddenSize
        let layout = P.layout
        let word = P.pointer(layout.word)
        for r in 0..<rows {
            let t = r % T
            let e = output + r * H
            let w = word + Int(ids[r]) * H
            if c.axialPositionEmbeddings {
                let n2 = c.axialShape[1], d0 = c.axialDims[0], d1 = c.axialDims[1]
                let a0 = P.pointer(layout.axial0) + (t / n2) * d0
                let a1 = P.pointer(layout.axial1) + (t % n2) * d1
                for j in 0..<d0 { e[j] = w[j] + a0[j] }
                for j in 0..<d1 { e[d0 + j] = w[d0 + j] + a1[j] }
            } else {
                let p = P.pointer(layout.position) + t * H
                for j in 0..<H { e[j] = w[j] + p[j] }
            }
        }
    }
}
