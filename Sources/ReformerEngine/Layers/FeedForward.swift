// FeedForward: G(y) = act(LN(y)·W₁ᵀ + b₁)·W₂ᵀ + b₂ (REFORMER_SPEC §10), added into the second
// stream. Position-wise, so it runs in row chunks to bound the F-wide hidden buffer.

enum FeedForward {
    /// output[r] += act(input[r]·W₁ᵀ + b₁)·W₂ᵀ + b₂ for `rows` rows of already-normalised input.
    static func forward(
        parameters P: ParameterSet, slots s: LayerSlots, config c: ReformerConfig,
        input: UnsafePointer<Float>, rows: Int,
        hidden: UnsafeMutablePointer<Float>, hiddenRows: Int, accumulateInto output: UnsafeMutablePointer<Float>
    ) {
        let H = c.hiddenSize, F = c.feedForwardSize
        var start = 0
        while start < rows {
            let n = min(hiddenRows, rows - start)
            BLAS.linear(input: input + start * H, rows: n, inFeatures: H, weight: P.pointer(s.ff1Weight),
                        outFeatures: F, bias: P.pointer(s.ff1Bias), output: hidden)
            Activations.apply(c.activation, hidden, count: n * F)
            BLAS.linear(input: hidden, rows: n, inFeatures: F, weight: P.pointer(s.ff2Weight),
                        outFeatures: H, bias: P.pointer(s.ff2Bias), output: output + start * H, accumulate: true)
            start += n
        }
    }
}
