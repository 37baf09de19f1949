// Embedding: E[b, t] = word[ids[b, t]] + P[t] (REFORMER_SPEC §5). Axial: P[p] = concat(w0[p div n₂],
// w1[p mod n₂]), w0's features first; plain: P[p] = position[p]. In training, HF drops the word part
// element-wise and the position part — axial: whole columns (batch row b, p mod n₂), all features of
// every position in them (its dropout2d over [B, n₂, n₁, H]); plain: element-wise.

enum Embedding {
    /// The embeddings' two hidden_dropout_prob masks (training). Word: index r·H + j (r = b·T + t);
    /// axial positions: index b·n₂ + (t mod n₂), one decision for the whole row; plain positions:
    /// index r·H + j.
    struct Dropout {
        var word: DropoutMask?
        var position: DropoutMask?

        /// Drops row r's position part `p` [H] in place.
        func dropPosition(_ p: UnsafeMutablePointer<Float>, row r: Int, config c: ReformerConfig, length T: Int) {
            guard let position else { return }
            let H = c.hiddenSize
            if c.axialPositionEmbeddings {
                let f = position.factor((r / T) * c.axialShape[1] + (r % T) % c.axialShape[1])
                for j in 0..<H { p[j] *= f }
            } else {
                position.apply(p, count: H, first: r * H)
            }
        }
    }

    /// P[t] of row r's position t into `p` [H].
    @inline(__always)
    private static func position(_ P: ParameterSet, config c: ReformerConfig, position t: Int, into p: UnsafeMutablePointer<Float>) {
        let layout = P.layout
        if c.axialPositionEmbeddings {
            let n2 = c.axialShape[1], d0 = c.axialDims[0], d1 = c.axialDims[1]
            p.update(from: P.pointer(layout.axial0) + (t / n2) * d0, count: d0)
            (p + d0).update(from: P.pointer(layout.axial1) + (t % n2) * d1, count: d1)
        } else {
            p.update(from: P.pointer(layout.position) + t * c.hiddenSize, count: c.hiddenSize)
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
        if let dropout {
            // E = drop(word) + drop(P), row by row.
            let p = UnsafeMutablePointer<Float>.allocate(capacity: H)
            defer { p.deallocate() }
            for r in 0..<rows {
                let e = output + r * H
                e.update(from: word + Int(ids[r]) * H, count: H)
                dropout.word?.apply(e, count: H, first: r * H)
                position(P, config: c, position: r % T, into: p)
                dropout.dropPosition(p, row: r, config: c, length: T)
                for j in 0..<H { e[j] += p[j] }
            }
            return
        }
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
    /// d word[v] += Σ_{ids = v} dE; axial: d w0[p div n₂] += dE[0:d₀], d w1[p mod n₂] += dE[d₀:H];
    /// with `dropout` (the forward's masks) each part's gradient goes through its own factors.
    static func backward(
        parameters P: ParameterSet, gradients G: ParameterSet, config c: ReformerConfig,
        ids: UnsafePointer<Int32>, rows: Int, length T: Int, dOutput: UnsafePointer<Float>,
        dropout: Dropout? = nil
    ) {
        let H = c.hiddenSize
        let layout = P.layout
        let dWord = G.pointer(layout.word)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: dropout == nil ? 1 : 2 * H)
        defer { scratch.deallocate() }
        for r in 0..<rows {
            let t = r % T
            var dw = dOutput + r * H, dp = dOutput + r * H
            if let dropout {
                scratch.update(from: dw, count: H)
                dropout.word?.apply(scratch, count: H, first: r * H)
                (scratch + H).update(from: dp, count: H)
                dropout.dropPosition(scratch + H, row: r, config: c, length: T)
                dw = UnsafePointer(scratch)
                dp = UnsafePointer(scratch + H)
            }
            let w = dWord + Int(ids[r]) * H
            for j in 0..<H { w[j] += dw[j] }
            if c.axialPositionEmbeddings {
                let n2 = c.axialShape[1], d0 = c.axialDims[0], d1 = c.axialDims[1]
                let a0 = G.pointer(layout.axial0) + (t / n2) * d0
                let a1 = G.pointer(layout.axial1) + (t % n2) * d1
                for j in 0..<d0 { a0[j] += dp[j] }
                for j in 0..<d1 { a1[j] += dp[d0 + j] }
            } else {
                let p = G.pointer(layout.position) + t * H
                for j in 0..<H { p[j] += dp[j] }
            }
        }
    }
}
