// Presets: named model configurations shipped with the engine.
//   bench-6x256 — PERFORMANCE.md's benchmark model: causal byte LM, 6 LSH layers, hidden 256,
//                 4 heads × 64, feed-forward 1024, 2 hashes, chunk 64, num_buckets = L/64,
//                 axial positions (√L, √L)-shaped for the length, dims (64, 192).

public enum Presets {
    public static let names = ["bench-6x256"]

    /// The preset's config for sequence length `length` (presets whose shape follows the length).
    public static func config(named name: String, length: Int) throws(ReformerError) -> ReformerConfig {
        switch name {
        case "bench-6x256": return try bench6x256(length: length)
        default:
            throw ReformerError(file: "--preset", "unknown preset \"\(name)\", expected one of \(names.joined(separator: ", "))")
        }
    }

    public static func bench6x256(length: Int, hashes: Int = 2, alternating: Bool = false) throws(ReformerError) -> ReformerConfig {
        guard length >= 128, length % 64 == 0 else {
            throw ReformerError(file: "--length", "is \(length), expected a multiple of 64 of at least 128 for bench-6x256")
        }
        var c = ReformerConfig()
        c.architecture = "ReformerModelWithLMHead"
        c.isDecoder = true
        c.attentionLayers = alternating ? [.local, .lsh, .local, .lsh, .local, .lsh] : Array(repeating: .lsh, count: 6)
        c.vocabSize = 256
        c.hiddenSize = 256
        c.headCount = 4
        c.headSize = 64
        c.feedForwardSize = 1024
        c.feedForwardChunkSize = 1024
        c.hashRounds = hashes
        c.lshChunkLength = 64
        c.localChunkLength = 64
        c.buckets = .count(max(2, length / 64))
        // Axial shape: two factors whose product is the length, as square as possible.
        var n1 = Int(Double(length).squareRoot())
        while length % n1 != 0 { n1 -= 1 }
        c.axialShape = [n1, length / n1]
        c.axialDims = [64, 192]
        c.maxPositionEmbeddings = length
        c.padTokenId = 0
        c.eosTokenId = nil
        c.hiddenDropout = 0
        c.localAttentionDropout = 0
        c.lshAttentionDropout = 0
        try c.validate(file: "bench-6x256")
        return c
    }
}
