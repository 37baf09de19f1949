// FeedForward: G(y) = act(LN(y)·W₁ᵀ + b₁)·W₂ᵀ + b₂ (REFORMER_SPEC §10), added into the second
// stream. Position-wise, so it runs in row chunks to bound the F-wide hidden buffer. In training it
// can drop (Dropout.swift) the first dense's output and the block's output.

enum FeedForward {
    /// The two hidden_dropout_prob masks of one layer's block (training): on the first dense's output
    /// before the activation, and on the block's output (HF's ReformerFeedForwardDense / Output).
    struct Dropout {
        var hidden: DropoutMask?
        var output: DropoutMask?
        /// [hiddenRows, H] scratch for the output before it is dropped (needed when `output` is set).
        var scratch: UnsafeMutablePointer<Float>?
    }

    /// output[r] += scale · (act(input[r]·W₁ᵀ + b₁)·W₂ᵀ + b₂) for `rows` rows of normalised input
    /// (scale −1 undoes the block in the reversible inverse). With `dropout`, the masks of element
    /// (row r, feature j) are indexed r·F + j and r·H + j over the whole block, whatever the chunks.
    static func forward(
        parameters P: ParameterSet, slots s: LayerSlots, config c: ReformerConfig,
        input: UnsafePointer<Float>, rows: Int,
        hidden: UnsafeMutablePointer<Float>, hiddenRows: Int, accumulateInto output: UnsafeMutablePointer<Float>,
        scale: Float = 1, dropout: Dropout? = nil
    ) {
        let H = c.hiddenSize, F = c.feedForwardSize
        var start = 0
        while start < rows {
            let n = min(hiddenRows, rows - start)
            BLAS.linear(input: input + start * H, rows: n, inFeatures: H, weight: P.pointer(s.ff1Weight),
                        outFeatures: F, bias: P.pointer(s.ff1Bias), output: hidden)
            dropout?.hidden?.apply(hidden, count: n * F, first: start * F)
            Activations.apply(c.activation, hidden, count: n * F)
            let b2 = P.pointer(s.ff2Bias)
            if let mask = dropout?.output, let block = dropout?.scratch {
                BLAS.linear(input: hidden, rows: n, inFeatures: F, weight: P.pointer(s.ff2Weight), outFeatures: H,
                            bias: b2, output: block)
                mask.apply(block, count: n * H, first: start * H)
                let out = output + start * H
                for e in 0..<(n * H) { out[e] += scale * block[e] }
            } else {
                BLAS.gemm(.none, .transposed, m: n, n: H, k: F, alpha: scale, a: hidden, lda: F,
                          b: P.pointer(s.ff2Weight), ldb: F, beta: 1, c: output + start * H, ldc: H)
                for r in 0..<n {
                    let row = output + (start + r) * H
                    for j in 0..<H { row[j] += scale * b2[j] }
                }
            }
            start += n
        }
    }
}
