// TensorNames: the one table between the engine's parameter names and HuggingFace's checkpoint keys
// (REFORMER_SPEC §2.1). Nothing else in the engine spells an HF name.

/// Engine parameter name → HF checkpoint key. Layer parameters use `{i}` for the layer index.
enum TensorNames {
    static let global: [(engine: String, hf: String)] = [
        ("embeddings.word", "reformer.embeddings.word_embeddings.weight"),
        ("embeddings.axial0", "reformer.embeddings.position_embeddings.weights.0"),
        ("embeddings.axial1", "reformer.embeddings.position_embeddings.weights.1"),
        ("embeddings.position", "reformer.embeddings.position_embeddings.embedding.weight"),
        ("finalNorm.weight", "reformer.encoder.layer_norm.weight"),
        ("finalNorm.bias", "reformer.encoder.layer_norm.bias"),
        ("lmHead.weight", "lm_head.decoder.weight"),
        ("lmHead.bias", "lm_head.decoder.bias"),
        ("lmHead.legacyBias", "lm_head.bias"),
    ]

    static let perLayer: [(engine: String, hf: String)] = [
        ("attention.norm.weight", "attention.layer_norm.weight"),
        ("attention.norm.bias", "attention.layer_norm.bias"),
        ("attention.query", "attention.self_attention.query.weight"),
        ("attention.key", "attention.self_attention.key.weight"),
        ("attention.queryKey", "attention.self_attention.query_key.weight"),
        ("attention.value", "attention.self_attention.value.weight"),
        ("attention.output", "attention.output.dense.weight"),
        ("feedForward.norm.weight", "feed_forward.layer_norm.weight"),
        ("feedForward.norm.bias", "feed_forward.layer_norm.bias"),
        ("feedForward.dense1.weight", "feed_forward.dense.dense.weight"),
        ("feedForward.dense1.bias", "feed_forward.dense.dense.bias"),
        ("feedForward.dense2.weight", "feed_forward.output.dense.weight"),
        ("feedForward.dense2.bias", "feed_forward.output.dense.bias"),
    ]

    private static let globalHF = Dictionary(uniqueKeysWithValues: global)
    private static let perLayerHF = Dictionary(uniqueKeysWithValues: perLayer)

    /// HF key for an engine name such as `layers.3.attention.queryKey` or `lmHead.weight`.
    static func hfName(forEngineName name: String) -> String? {
        if let g = globalHF[name] { return g }
        let parts = name.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "layers", let i = Int(parts[1]),
              let suffix = perLayerHF[String(parts[2])] else { return nil }
        return "reformer.encoder.layers.\(i).\(suffix)"
    }
}
