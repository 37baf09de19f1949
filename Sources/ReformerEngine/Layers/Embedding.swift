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

    /// Scatter dE [rows, H] into the word rows and the position factors (spec §5 gradient note):
    /// d word[v] += Σ_{ids = v} dE; axial: d w0[p div n₂] += dE[0:d₀], d w1[p mod n₂] += dE[d₀:H].
    static func backward(
        parameters P: ParameterSet, gradients G: ParameterSet, config c: ReformerConfig,
        ids: UnsafePointer<Int32>, rows: Int, length T: Int, dOutput: UnsafePointer<Float>
    ) {
        let H = c.hiddenSize
        let layout = P.layout
        let dWord = G.pointer(layout.word)
        for r in 0..<rows {
            let t = r % T
            let de = dOutput + r * H
            let w = dWord + Int(ids[r]) * H
            for j in 0..<H { w[j] += de[j] }
            if c.axialPositionEmbeddings {
                let n2 = c.axialShape[1], d0 = c.axialDims[0], d1 = c.axialDims[1]
                let a0 = G.pointer(layout.axial0) + (t / n2) * d0
                let a1 = G.pointer(layout.axial1) + (t % n2) * d1
                for j in 0..<d0 { a0[j] += de[j] }
                for j in 0..<d1 { a1[j] += de[d0 + j] }
            } else {
                let p = G.pointer(layout.position) + t * H
                for j in 0..<H { p[j] += de[j] }
            }
        }
    }
}
