// ForwardTypes: what a caller hands to ReformerModel.forward and what comes back.

/// One batch for the forward pass. Arrays are row-major [batch, length].
public struct ForwardRequest: Sendable {
    public var batch: Int
    public var length: Int
    public var tokens: [Int32]
    /// 1 (any non-zero) = real token, 0 = padding; nil = no mask.
    public var attentionMask: [Int32]?
    /// Loss targets; −100 = ignored. Causal models shift internally (§11).
    public var labels: [Int64]?
    /// Rotations [n_h, d, n_H, R/2] per LSH layer index, overriding seed and generator.
    public var rotations: [Int: [Float]] = [:]
    /// Keep every hidden state (embeddings, y1/y2 per layer, final norm) in the result.
    public var captureHidden = false
    /// Evaluate LSH layers with full shared-QK attention over the whole sequence (the oracle).
    public var fullAttention = false
    /// Capture batch row 0's attention inputs of these layers (for the dashboard's probes).
    public var probe: ProbeCapture?
    /// Training mode: `lossAndGradients` applies the config's dropout probabilities with this step's
    /// masks. `forward` (inference: inspect, eval, sample) never drops, whatever this holds.
    public var dropout: DropoutSeed?

    public init(batch: Int, length: Int, tokens: [Int32], attentionMask: [Int32]? = nil, labels: [Int64]? = nil) {
        self.batch = batch
        self.length = length
        self.tokens = tokens
        self.attentionMask = attentionMask
        self.labels = labels
    }
}

/// A named float tensor with its shape.
public struct NamedTensor: Sendable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]
}

/// What one LSH layer's hashing produced.
public struct LSHLayerTrace: Sendable {
    public let layer: Int
    public let plan: BucketPlan
    public let paddingBucket: Bool
    /// [n_h, d, n_H, R/2]
    public let rotations: [Float]
    public let rotationShape: [Int]
    /// [B, n_h, n_H, T], without round offsets; nb = padding bucket.
    public let buckets: [Int32]
    /// [B, n_h, n_H·T]: slot → flat index round·T + position.
    public let sortedIndices: [Int32]
}

public struct ForwardResult: Sendable {
    /// T after automatic padding (= T₀ when none was needed).
    public let paddedLength: Int
    /// [B, T₀, V]
    public let logits: [Float]
    public let loss: Float?
    public let countedTargets: Int
    /// In order: hidden.embeddings, hidden.layer{i}.y1/.y2, hidden.final_norm (when captured).
    public let hidden: [NamedTensor]
    public let lshLayers: [LSHLayerTrace]
}
