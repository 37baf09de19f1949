// MemoryReport+Standard: the memory panel's comparison — what a standard (non-reversible,
// full-attention) Transformer of the same config would hold for a batch at a length.

import ReformerTelemetry

extension MemoryReport {
    /// Sets `sequenceLength` and the standard Transformer's figures: per layer, T×T attention weights
    /// per head and the activations it stores for the backward pass.
    public mutating func setStandardTransformer(config c: ReformerConfig, batch B: Int, length T: Int) {
        let L = c.layerCount
        sequenceLength = T
        standardAttentionBytes = L * B * c.headCount * T * T * 4
        standardActivationsBytes = L * B * T * (4 * c.hiddenSize + 4 * c.allHeadSize + 2 * c.feedForwardSize) * 4
    }
}
