// AttentionLayerRunner: one layer's attention half, F(X) = W_o · Attn(LN(X)), run on buffers planned
// once, so `reformer-tui bench --only attention` can time the attention layer apart from the model
// (the paper's speed figure times attention evaluation). The input is the model's own embedding of
// the request's tokens; every run computes the same function of it (LSH layers draw fresh rotations,
// as a forward does).

public final class AttentionLayerRunner {
    private let context: LayerContext
    private let input: FloatBuffer
    private let output: FloatBuffer
    private let layer: Int

    /// `request.fullAttention` selects the full shared-QK path for LSH layers, as in `forward`.
    public init(model: ReformerModel, request: ForwardRequest, layer: Int = 0) throws(ReformerError) {
        try model.validate(request)
        let T = model.paddedLength(for: request.length)
        try model.checkLength(T)
        guard layer >= 0, layer < model.config.layerCount else {
            throw ReformerError(file: model.configSource, "has no layer \(layer)")
        }
        context = LayerContext(model: model, request: request, length: T)
        let count = context.rows * model.config.hiddenSize
        input = FloatBuffer(count: count, category: .activations)
        output = FloatBuffer(count: count, category: .activations)
        Embedding.forward(parameters: model.parameters, config: model.config, ids: context.ids.pointer,
                          rows: context.rows, length: T, output: input.pointer)
        self.layer = layer
    }

    /// output = F(input): LayerNorm, projections, attention, output projection.
    public func run() throws(ReformerError) {
        output.pointer.update(repeating: 0, count: output.count)
        try context.attention(layer: layer, input: input.pointer, into: output.pointer)
    }

    /// The last run's output [batch·T, hidden] (tests).
    public var lastOutput: [Float] { output.toArray() }
}
