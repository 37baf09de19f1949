// Embedding: E[b, t] = word[ids[b, t]] + P[t] (REFORMER_SPEC §5). Axial: P[p] = concat(w0[p div n₂],
// w1[p mod n₂]), w0's features first; plain: P[p] = position[p]. In training, HF drops the word part
// element-wise and the position part — axial: whole columns (batch row b, p mod n₂), all features of
// every position in them (its dropout2d over [B, n₂, n₁, H]); plain: element-wise.

enum Embedding {
    /// The embeddings' two hidden_dropout_prob masks (training). Word: index r·H + j (r = b·T + t);
    /// axial positions: index b·n₂ + (t mod n₂); plain positions: index r·H + j.
    struct Dropout {
        var word: DropoutMask?
        var position: DropoutMask?

        /// Factor of the word part of row r at feature j (1 when nothing is dropped; x·1 = x exactly).
        @inline(__always)
        func word(row r: Int, feature j: Int, width H: Int) -> Float { word?.factor(r * H + j) ?? 1 }

        /// Factor of the position part of row r at feature j.
        @inline(__always)
        func position(row r: Int, feature j: Int, config c: ReformerConfig, length T: Int) -> Float {
            guard let position else { return 1 }
            if c.axialPositionEmbeddings { return position.factor((r / T) * c.axialShape[1] + (r % T) % c.axialShape[1]) }
            return position.factor(r * c.hiddenSize + j)
        }
    }

    static func forward(
        parameters P: ParameterSet, config c: ReformerConfig,
        ids: UnsafePointer<Int32>, rows: Int, length T: Int, output: UnsafeMutablePointer<Float>,
        dropout: Dropout? = nil
    ) {
        let H = c.hiddenSize
        let layout = P.layout
        let word = P.pointer(layout.word)
        let drop = dropout ?? Dropout()
        for r in 0..<rows {
            let t = r % T
            let e = output + r * H
            let w = word + Int(ids[r]) * H
            func fw(_ j: Int) -> Float { drop.word(row: r, feature: j, width: H) }
            func fp(_ j: Int) -> Float { drop.position(row: r, feature: j, config: c, length: T) }
            if c.axialPositionEmbeddings {
                let n2 = c.axialShape[1], d0 = c.axialDims[0], d1 = c.axialDims[1]
                let a0 = P.pointer(layout.axial0) + (t / n2) * d0
                let a1 = P.pointer(layout.axial1) + (t % n2) * d1
                for j in 0..<d0 { e[j] = w[j] * fw(j) + a0[j] * fp(j) }
                for j in 0..<d1 { e[d0 + j] = w[d0 + j] * fw(d0 + j) + a1[j] * fp(d0 + j) }
            } else {
                let p = P.pointer(layout.position) + t * H
                for j in 0..<H { e[j] = w[j] * fw(j) + p[j] * fp(j) }
            }
        }
    }

    /// Scatter dE [rows, H] into the word rows and the position factors (spec §5 gradient note):
    /// d word[v] += Σ_{ids = v} dE; axial: d w0[p div n₂] += dE[0:d₀], d w1[p mod n₂] += dE[d₀:H];
    /// with `dropout` (the forward's masks) each part's gradient is multiplied by its factors.
    static func backward(
        parameters P: ParameterSet, gradients G: ParameterSet, config c: ReformerConfig,
        ids: UnsafePointer<Int32>, rows: Int, length T: Int, dOutput: UnsafePointer<Float>,
        dropout: Dropout? = nil
    ) {
        let H = c.hiddenSize
        let layout = P.layout
        let dWord = G.pointer(layout.word)
        let drop = dropout ?? Dropout()
        for r in 0..<rows {
            let t = r % T
            let de = dOutput + r * H
            let w = dWord + Int(ids[r]) * H
            func fp(_ j: Int) -> Float { drop.position(row: r, feature: j, config: c, length: T) }
            for j in 0..<H { w[j] += drop.word(row: r, feature: j, width: H) * de[j] }
            if c.axialPositionEmbeddings {
                let n2 = c.axialShape[1], d0 = c.axialDims[0], d1 = c.axialDims[1]
                let a0 = G.pointer(layout.axial0) + (t / n2) * d0
                let a1 = G.pointer(layout.axial1) + (t % n2) * d1
                for j in 0..<d0 { a0[j] += fp(j) * de[j] }
                for j in 0..<d1 { a1[j] += fp(d0 + j) * de[d0 + j] }
            } else {
                let p = G.pointer(layout.position) + t * H
                for j in 0..<H { p[j] += fp(j) * de[j] }
            }
        }
    }
}
