// ReformerConfig+JSON: HF config.json ↔ ReformerConfig, read the way transformers' ReformerConfig
// reads it: absent keys take its defaults (spec §1), legacy and unknown keys are ignored,
// `num_hidden_layers` is len(attn_layers), `dtype` (or the older `torch_dtype`) names the weights'
// storage type. A present key of the wrong type or value fails with the file and field named.
// Saving writes every key the engine reads, so a checkpoint never depends on a default.

import Foundation

extension ReformerConfig {
    /// Reads and validates `path` (a HF `config.json`).
    public static func load(path: String) throws(ReformerError) -> ReformerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ReformerError(file: path, exists ? "cannot be read" : "does not exist, expected a HF Reformer config.json")
        }
        return try decode(data, file: path)
    }

    /// Decodes and validates config JSON; `file` names the source in errors.
    public static func decode(_ data: Data, file: String = "config.json") throws(ReformerError) -> ReformerConfig {
        guard case .object(let o) = try JSONValue.parse(data, file: file) else {
            throw ReformerError(file: file, "expected a JSON object at the top level")
        }
        let r = FieldReader(object: o, file: file)
        var c = ReformerConfig()
        if let kinds = try r.stringList("attn_layers") {
            c.attentionLayers = try kinds.map { (k: String) throws(ReformerError) -> AttentionKind in
                guard let kind = AttentionKind(rawValue: k) else {
                    throw ReformerError(file: file, field: "attn_layers", "unknown attention kind \"\(k)\", expected \"local\" or \"lsh\"")
                }
                return kind
            }
        }
        c.hiddenSize = try r.int("hidden_size") ?? c.hiddenSize
        c.headCount = try r.int("num_attention_heads") ?? c.headCount
        c.headSize = try r.int("attention_head_size") ?? c.headSize
        c.feedForwardSize = try r.int("feed_forward_size") ?? c.feedForwardSize
        c.vocabSize = try r.int("vocab_size") ?? c.vocabSize
        if let act = try r.string("hidden_act") {
            guard let a = Activation(rawValue: act) else {
                let known = Activation.allCases.map(\.rawValue).joined(separator: ", ")
                throw ReformerError(file: file, field: "hidden_act", "unknown activation \"\(act)\", expected one of \(known)")
            }
            c.activation = a
        }
        c.layerNormEps = try r.float("layer_norm_eps") ?? c.layerNormEps
        c.isDecoder = try r.bool("is_decoder") ?? c.isDecoder
        c.axialPositionEmbeddings = try r.bool("axial_pos_embds") ?? c.axialPositionEmbeddings
        c.axialShape = try r.intList("axial_pos_shape") ?? c.axialShape
        c.axialDims = try r.intList("axial_pos_embds_dim") ?? c.axialDims
        c.maxPositionEmbeddings = try r.int("max_position_embeddings") ?? c.maxPositionEmbeddings
        c.lshChunkLength = try r.int("lsh_attn_chunk_length") ?? c.lshChunkLength
        c.localChunkLength = try r.int("local_attn_chunk_length") ?? c.localChunkLength
        c.lshChunksBefore = try r.int("lsh_num_chunks_before") ?? c.lshChunksBefore
        c.lshChunksAfter = try r.int("lsh_num_chunks_after") ?? c.lshChunksAfter
        c.localChunksBefore = try r.int("local_num_chunks_before") ?? c.localChunksBefore
        c.localChunksAfter = try r.int("local_num_chunks_after") ?? c.localChunksAfter
        c.hashRounds = try r.int("num_hashes") ?? c.hashRounds
        switch o["num_buckets"] {
        case nil, .null?: c.buckets = .automatic
        case .number?:
            c.buckets = .count(try r.int("num_buckets")!)
        case .array?:
            let f = try r.intList("num_buckets")!
            c.buckets = f.count == 1 ? .count(f[0]) : .factors(f)
        case let v?:
            throw ReformerError(file: file, field: "num_buckets", "is \(v.typeName), expected an even integer, a list of even integers, or null")
        }
        if let seed = try r.int("hash_seed", allowNull: true) {
            guard seed >= 0 else { throw ReformerError(file: file, field: "hash_seed", "is \(seed), expected a non-negative integer or null") }
            c.hashSeed = UInt64(seed)
        }
        c.padTokenId = try r.int("pad_token_id", allowNull: true) ?? c.padTokenId
        switch o["eos_token_id"] {
        case nil: break
        case .array?: c.eosTokenId = try r.intList("eos_token_id")?.first   // transformers allows a list; keep the first
        default: c.eosTokenId = try r.int("eos_token_id", allowNull: true)
        }
        c.feedForwardChunkSize = try r.int("chunk_size_feed_forward") ?? c.feedForwardChunkSize
        c.lmHeadChunkSize = try r.int("chunk_size_lm_head") ?? c.lmHeadChunkSize
        c.hiddenDropout = try r.float("hidden_dropout_prob") ?? c.hiddenDropout
        c.localAttentionDropout = try r.float("local_attention_probs_dropout_prob") ?? c.localAttentionDropout
        c.lshAttentionDropout = try r.float("lsh_attention_probs_dropout_prob") ?? c.lshAttentionDropout
        c.axialNormStd = try r.float("axial_norm_std") ?? c.axialNormStd
        c.initializerRange = try r.float("initializer_range") ?? c.initializerRange
        try Self.checkStorageType(r)
        // transformers ties nothing for a Reformer whatever this says (its LM head is [V, 2H], the
        // embedding [V, H]; 5.x declares no tied keys), and neither does the engine: read, not used.
        if o["tie_word_embeddings"] != .null { _ = try r.bool("tie_word_embeddings") }
        if let arch = try r.stringList("architectures"), let first = arch.first {
            guard ["ReformerModelWithLMHead", "ReformerForMaskedLM", "ReformerModel"].contains(first) else {
                throw ReformerError(file: file, field: "architectures", "names \"\(first)\", expected ReformerModelWithLMHead or ReformerForMaskedLM")
            }
            c.architecture = first == "ReformerModel" ? (c.isDecoder ? "ReformerModelWithLMHead" : "ReformerForMaskedLM") : first
        } else {
            c.architecture = c.isDecoder ? "ReformerModelWithLMHead" : "ReformerForMaskedLM"
        }
        try c.validate(file: file)
        return c
    }

    /// Storage types a checkpoint's `dtype` may name (the reader converts each to float32).
    public static let storageTypes = ["float32", "float16", "bfloat16"]

    /// `dtype`, or the pre-5.0 `torch_dtype` when `dtype` is absent or null (transformers keeps
    /// `dtype` when both are given): null or one of `storageTypes`. transformers turns the string
    /// into a torch dtype (`getattr(torch, name)`) and fails on a name torch lacks; the engine also
    /// refuses the torch dtypes its readers do not convert (float64, integers).
    static func checkStorageType(_ r: FieldReader) throws(ReformerError) {
        var key = "dtype"
        if r.object["dtype"] == nil || r.object["dtype"] == .null { key = "torch_dtype" }
        guard let value = r.object[key], value != .null else { return }
        guard case .string(let name) = value else {
            throw ReformerError(file: r.file, field: key, "is \(value.typeName), expected a string such as \"float32\" or null")
        }
        guard storageTypes.contains(name) else {
            throw ReformerError(file: r.file, field: key, "is \"\(name)\", expected one of \(storageTypes.joined(separator: ", ")) or null")
        }
    }

    /// Keys whose values HF declares as floats.
    public static let floatKeys: Set<String> = [
        "layer_norm_eps", "hidden_dropout_prob", "local_attention_probs_dropout_prob",
        "lsh_attention_probs_dropout_prob", "axial_norm_std", "initializer_range",
    ]

    /// config.json bytes as transformers writes them (floats with a decimal point).
    public func jsonData() -> Data { jsonValue().serialized(floatKeys: Self.floatKeys) }

    /// HF-compatible config.json (transformers 5.x field names).
    public func jsonValue() -> JSONValue {
        func n(_ x: Int) -> JSONValue { .number(Double(x)) }
        func f(_ x: Float) -> JSONValue { .number(Double("\(x)") ?? Double(x)) }   // 0.02, not 0.0199999995
        func ints(_ xs: [Int]) -> JSONValue { .array(xs.map(n)) }
        let bucketValue: JSONValue
        switch buckets {
        case .automatic: bucketValue = .null
        case .count(let b): bucketValue = n(b)
        case .factors(let fs): bucketValue = ints(fs)
        }
        let o: [String: JSONValue] = [
            "architectures": .array([.string(architecture)]),
            "model_type": .string("reformer"),
            "attn_layers": .array(attentionLayers.map { .string($0.rawValue) }),
            "num_hidden_layers": n(layerCount),
            "hidden_size": n(hiddenSize),
            "num_attention_heads": n(headCount),
            "attention_head_size": n(headSize),
            "feed_forward_size": n(feedForwardSize),
            "vocab_size": n(vocabSize),
            "hidden_act": .string(activation.rawValue),
            "layer_norm_eps": f(layerNormEps),
            "is_decoder": .bool(isDecoder),
            "axial_pos_embds": .bool(axialPositionEmbeddings),
            "axial_pos_shape": ints(axialShape),
            "axial_pos_embds_dim": ints(axialDims),
            "max_position_embeddings": n(maxPositionEmbeddings),
            "lsh_attn_chunk_length": n(lshChunkLength),
            "local_attn_chunk_length": n(localChunkLength),
            "lsh_num_chunks_before": n(lshChunksBefore),
            "lsh_num_chunks_after": n(lshChunksAfter),
            "local_num_chunks_before": n(localChunksBefore),
            "local_num_chunks_after": n(localChunksAfter),
            "num_hashes": n(hashRounds),
            "num_buckets": bucketValue,
            "hash_seed": hashSeed.map { .number(Double($0)) } ?? .null,
            "pad_token_id": n(padTokenId),
            "eos_token_id": eosTokenId.map(n) ?? .null,
            "chunk_size_feed_forward": n(feedForwardChunkSize),
            "chunk_size_lm_head": n(lmHeadChunkSize),
            "hidden_dropout_prob": f(hiddenDropout),
            "local_attention_probs_dropout_prob": f(localAttentionDropout),
            "lsh_attention_probs_dropout_prob": f(lshAttentionDropout),
            "axial_norm_std": f(axialNormStd),
            "initializer_range": f(initializerRange),
            "tie_word_embeddings": .bool(false),
            "use_cache": .bool(true),
            "dtype": .string("float32"),   // SafeTensorsWriter stores every tensor as F32
        ]
        return .object(o)
    }
}

/// Typed access to config.json fields with messages that name the field.
struct FieldReader {
    let object: [String: JSONValue]
    let file: String

    private func wrong(_ key: String, _ v: JSONValue, _ expected: String) -> ReformerError {
        ReformerError(file: file, field: key, "is \(v.typeName), expected \(expected)")
    }

    func int(_ key: String, allowNull: Bool = false) throws(ReformerError) -> Int? {
        guard let v = object[key] else { return nil }
        switch v {
        case .null where allowNull: return nil
        case .number(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        case .number(let d) where d == d.rounded():
            throw ReformerError(file: file, field: key, "is \(d), beyond the integers a JSON number holds exactly (2^53), expected a smaller integer")
        case .number(let d): throw ReformerError(file: file, field: key, "is \(d), expected an integer")
        default: throw wrong(key, v, "an integer")
        }
    }

    func float(_ key: String) throws(ReformerError) -> Float? {
        guard let v = object[key] else { return nil }
        if case .null = v { return nil }
        guard case .number(let d) = v else { throw wrong(key, v, "a number") }
        return Float(d)
    }

    func bool(_ key: String) throws(ReformerError) -> Bool? {
        guard let v = object[key] else { return nil }
        guard case .bool(let b) = v else { throw wrong(key, v, "true or false") }
        return b
    }

    func string(_ key: String) throws(ReformerError) -> String? {
        guard let v = object[key] else { return nil }
        guard case .string(let s) = v else { throw wrong(key, v, "a string") }
        return s
    }

    func intList(_ key: String) throws(ReformerError) -> [Int]? {
        guard let v = object[key] else { return nil }
        guard case .array(let a) = v else { throw wrong(key, v, "a list of integers") }
        var out: [Int] = []
        for e in a {
            guard case .number(let d) = e, d == d.rounded(), abs(d) < 9e15 else {
                throw ReformerError(file: file, field: key, "contains \(e.typeName), expected a list of integers")
            }
            out.append(Int(d))
        }
        return out
    }

    func stringList(_ key: String) throws(ReformerError) -> [String]? {
        guard let v = object[key] else { return nil }
        if case .null = v { return nil }
        guard case .array(let a) = v else { throw wrong(key, v, "a list of strings") }
        var out: [String] = []
        for e in a {
            guard case .string(let s) = e else {
                throw ReformerError(file: file, field: key, "contains \(e.typeName), expected a list of strings")
            }
            out.append(s)
        }
        return out
    }
}
