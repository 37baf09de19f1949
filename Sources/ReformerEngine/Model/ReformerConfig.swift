// ReformerConfig: the hyperparameters of a Reformer, decoded from HuggingFace's config.json with the
// defaults of REFORMER_SPEC §1 — transformers' ReformerConfig defaults (checked against 5.25's
// configuration_reformer.py) — validated so contradictions and absurd sizes fail with one line.

import Foundation

/// Which attention a layer uses (HF `attn_layers` entries).
public enum AttentionKind: String, Sendable, Codable {
    case local, lsh
}

/// `num_buckets`: one even count, a factorization into even counts, or chosen from the length (§9.2).
public enum BucketSpec: Sendable, Equatable {
    case automatic
    case count(Int)
    case factors([Int])

    /// Factors of the bucket id, first factor least significant; nil when automatic.
    public var factorList: [Int]? {
        switch self {
        case .automatic: return nil
        case .count(let n): return [n]
        case .factors(let f): return f
        }
    }
}

/// Feed-forward activation (HF `hidden_act`).
public enum Activation: String, Sendable, CaseIterable {
    case relu, gelu, geluNew = "gelu_new", geluPytorchTanh = "gelu_pytorch_tanh", silu, swish
}

public struct ReformerConfig: Sendable, Equatable {
    public var attentionLayers: [AttentionKind] = [.local, .lsh, .local, .lsh, .local, .lsh]
    public var hiddenSize = 256
    public var headCount = 12
    public var headSize = 64
    public var feedForwardSize = 512
    public var vocabSize = 320
    public var activation = Activation.relu
    public var layerNormEps: Float = 1e-12
    public var isDecoder = false
    public var axialPositionEmbeddings = true
    public var axialShape = [64, 64]
    public var axialDims = [64, 192]
    public var maxPositionEmbeddings = 4096
    public var lshChunkLength = 64
    public var localChunkLength = 64
    public var lshChunksBefore = 1
    public var lshChunksAfter = 0
    public var localChunksBefore = 1
    public var localChunksAfter = 0
    public var hashRounds = 1
    public var buckets = BucketSpec.automatic
    public var hashSeed: UInt64? = nil
    public var padTokenId = 0
    public var eosTokenId: Int? = 2
    public var feedForwardChunkSize = 0
    public var lmHeadChunkSize = 0
    public var hiddenDropout: Float = 0.05
    public var localAttentionDropout: Float = 0.05
    public var lshAttentionDropout: Float = 0
    public var axialNormStd: Float = 1
    public var initializerRange: Float = 0.02
    /// HF class named by `architectures[0]`; decides the loss (causal shift or masked LM).
    public var architecture = "ReformerModelWithLMHead"

    public init() {}

    public var layerCount: Int { attentionLayers.count }
    /// A = headCount · headSize ("all head size"); need not equal hiddenSize.
    public var allHeadSize: Int { headCount * headSize }
    public var hasLSH: Bool { attentionLayers.contains(.lsh) }
    public var hasLocal: Bool { attentionLayers.contains(.local) }

    /// Chunk length HF pads to (lcm of the kinds present) and the "short path" bound (min), §3.1.
    public var paddingMultiple: Int {
        switch (hasLSH, hasLocal) {
        case (true, true): return lcm(lshChunkLength, localChunkLength)
        case (true, false): return lshChunkLength
        default: return localChunkLength
        }
    }
    public var shortLengthBound: Int {
        switch (hasLSH, hasLocal) {
        case (true, true): return min(lshChunkLength, localChunkLength)
        case (true, false): return lshChunkLength
        default: return localChunkLength
        }
    }

    /// Checks the invariants the forward relies on; `file` names the source in messages.
    public func validate(file: String = "config.json") throws(ReformerError) {
        func fail(_ field: String, _ detail: String) -> ReformerError {
            ReformerError(file: file, field: field, detail)
        }
        if attentionLayers.isEmpty { throw fail("attn_layers", "is empty, expected at least one of \"local\" or \"lsh\"") }
        for (name, value) in [("hidden_size", hiddenSize), ("num_attention_heads", headCount),
                              ("attention_head_size", headSize), ("feed_forward_size", feedForwardSize),
                              ("vocab_size", vocabSize), ("max_position_embeddings", maxPositionEmbeddings),
                              ("lsh_attn_chunk_length", lshChunkLength), ("local_attn_chunk_length", localChunkLength),
                              ("num_hashes", hashRounds)] where value <= 0 {
            throw fail(name, "is \(value), expected a positive integer")
        }
        for (name, value) in [("lsh_num_chunks_before", lshChunksBefore), ("lsh_num_chunks_after", lshChunksAfter),
                              ("local_num_chunks_before", localChunksBefore), ("local_num_chunks_after", localChunksAfter),
                              ("chunk_size_feed_forward", feedForwardChunkSize), ("chunk_size_lm_head", lmHeadChunkSize)]
        where value < 0 {
            throw fail(name, "is \(value), expected 0 or more")
        }
        if !(layerNormEps >= 0) { throw fail("layer_norm_eps", "is \(layerNormEps), expected a non-negative number") }
        if padTokenId < 0 || padTokenId >= vocabSize {
            throw fail("pad_token_id", "is \(padTokenId), expected an id in 0..<\(vocabSize) (vocab_size)")
        }
        if axialPositionEmbeddings {
            if axialShape.count != 2 {
                throw fail("axial_pos_shape", "has \(axialShape.count) factors, expected exactly 2")
            }
            if axialDims.count != 2 {
                throw fail("axial_pos_embds_dim", "has \(axialDims.count) entries, expected exactly 2")
            }
            if axialShape.contains(where: { $0 <= 0 }) { throw fail("axial_pos_shape", "\(axialShape) has a non-positive factor") }
            if axialDims.contains(where: { $0 <= 0 }) { throw fail("axial_pos_embds_dim", "\(axialDims) has a non-positive entry") }
            if axialDims.reduce(0, +) != hiddenSize {
                throw fail("axial_pos_embds_dim", "\(axialDims) sums to \(axialDims.reduce(0, +)), expected hidden_size \(hiddenSize)")
            }
        }
        switch buckets {
        case .automatic: break
        case .count(let n):
            if n < 2 || n % 2 != 0 { throw fail("num_buckets", "is \(n), expected an even number ≥ 2") }
        case .factors(let f):
            if f.isEmpty { throw fail("num_buckets", "is an empty list, expected even factors") }
            if let bad = f.first(where: { $0 < 2 || $0 % 2 != 0 }) {
                throw fail("num_buckets", "has factor \(bad), expected every factor even and ≥ 2")
            }
            let (_, overflow) = f.reduce((1, false)) { acc, x in
                let r = acc.0.multipliedReportingOverflow(by: x)
                return (r.partialValue, acc.1 || r.overflow || r.partialValue > 1 << 24)
            }
            if overflow { throw fail("num_buckets", "\(f) multiplies to more than 2^24 buckets") }
        }
        try checkSizes(file: file)
        if isDecoder && architecture == "ReformerForMaskedLM" {
            throw fail("is_decoder", "is true, but ReformerForMaskedLM expects false")
        }
        if !isDecoder && architecture == "ReformerModelWithLMHead" {
            throw fail("is_decoder", "is false, but ReformerModelWithLMHead (causal LM) expects true")
        }
        if isDecoder && hasLSH && lshChunksAfter != 0 {
            throw fail("lsh_num_chunks_after", "is \(lshChunksAfter), expected 0 in a causal model (is_decoder true)")
        }
        if isDecoder && hasLocal && localChunksAfter != 0 {
            throw fail("local_num_chunks_after", "is \(localChunksAfter), expected 0 in a causal model (is_decoder true)")
        }
    }

    /// Whether the loss shifts labels by one (causal LM) or not (masked LM), §11.
    public var causalLoss: Bool { architecture != "ReformerForMaskedLM" }
}

func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }
