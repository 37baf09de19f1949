// FeedForward: G(y) = act(LN(y)·W₁ᵀ + b₁)·W₂ᵀ + b₂ (REFORMER_SPEC §10), added into the second
// stream. Position-wise, so it runs in row chunks to bound the F-wide hidden buffer.

enum FeedForward {
    /// output[r] += scale · (act(input[r]·W₁ᵀ + b₁)·W₂ᵀ + b₂) for `rows` rows of normalised input
    /// (scale −1 undoes the block in the reversible inverse).
    static func forward(
        parameters P: ParameterSet, slots s: LayerSlots, config c: ReformerConfig,
        input: UnsafePointer<Float>, rows: Int,
        hidden: UnsafeMutablePointer<Float>, hiddenRows: Int, accumulateInto output: UnsafeMutablePointer<Float>,
        scale: Float = 1
    ) {
        let H = c.hiddenSize, F = c.feedForwardSize
        var start = 0
        while start < rows {
            let n = min(hiddenRows, rows - start)
            BLAS.linear(input: input + start * H, rows: n, inFeatures: H, weight: P.pointer(s.ff1Weight),
                        outFeatures: F, bias: P.pointer(s.ff1Bias), output: hidden)
            Activations.apply(c.activation, hidden, count: n * F)
            BLAS.gemm(.none, .transposed, m: n, n: H, k: F, alpha: scale, a: hidden, lda: F,
                      b: P.pointer(s.ff2Weight), ldb: F, beta: 1, c: output + start * H, ldc: H)
            let b2 = P.pointer(s.ff2Bias)
            for r in 0..<n {
                let row = output + (start + r) * H
                for j in 0..<H { row[j] += scale * b2[j] }
            }
            start += n
        }
    }
}
