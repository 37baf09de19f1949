// ConfigInteropTests: HF config.json files load the way transformers' ReformerConfig loads them —
// every missing key takes its default, legacy keys are ignored, num_hidden_layers is
// len(attn_layers), dtype/torch_dtype are read — on both public Reformers' configs (INTEROP §1):
// enwik8's as published and crime-and-punishment's old hub form. Each fixture's `.hf.json` records
// what transformers 5.25 made of it (scripts/make_config_fixtures.py). Saved configs write every
// key, so a default can never change what an existing checkpoint means.

import Foundation
import Testing
import ReformerEngine
import ReformerTestSupport

@Suite struct ConfigInteropTests {
    static let folder = Fixtures.path("hf-configs")

    func load(_ name: String) throws -> ReformerConfig {
        try ReformerConfig.load(path: "\(Self.folder)/\(name).json")
    }

    /// What transformers made of `<name>.json`: its to_dict and the model's parameter count.
    func transformersView(_ name: String) throws -> (effective: [String: JSONValue], parameters: Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/\(name).hf.json"))
        guard case .object(let o) = try JSONValue.parse(data, file: name),
              case .object(let effective)? = o["effective"], case .number(let n)? = o["parameters"] else {
            throw ReformerError("\(name).hf.json: expected effective and parameters")
        }
        return (effective, Int(n))
    }

    @Test func everyMissingKeyTakesTransformersDefault() throws {
        // transformers 5.25 configuration_reformer.py, written out so a changed default fails here.
        let c = try ReformerConfig.decode(Data("{}".utf8))
        #expect(c.attentionLayers == [.local, .lsh, .local, .lsh, .local, .lsh])
        #expect(c.headSize == 64 && c.hiddenSize == 256 && c.headCount == 12 && c.feedForwardSize == 512)
        #expect(c.vocabSize == 320 && c.activation == .relu && c.layerNormEps == 1e-12)
        #expect(c.isDecoder == false && c.architecture == "ReformerForMaskedLM")
        #expect(c.axialPositionEmbeddings && c.axialShape == [64, 64] && c.axialDims == [64, 192] && c.axialNormStd == 1)
        #expect(c.maxPositionEmbeddings == 4096)
        #expect(c.lshChunkLength == 64 && c.localChunkLength == 64)
        #expect(c.lshChunksBefore == 1 && c.lshChunksAfter == 0 && c.localChunksBefore == 1 && c.localChunksAfter == 0)
        #expect(c.hashRounds == 1 && c.buckets == .automatic && c.hashSeed == nil)
        #expect(c.padTokenId == 0 && c.eosTokenId == 2)
        #expect(c.hiddenDropout == 0.05 && c.localAttentionDropout == 0.05 && c.lshAttentionDropout == 0)
        #expect(c.initializerRange == 0.02 && c.feedForwardChunkSize == 0 && c.lmHeadChunkSize == 0)
        #expect(c == ReformerConfig.decodedDefaults)
    }

    @Test func enwik8ConfigAsPublished() throws {
        let c = try load("enwik8")
        #expect(c.headSize == 128 && c.hiddenSize == 1024 && c.headCount == 8 && c.feedForwardSize == 4096)
        #expect(c.attentionLayers.map(\.rawValue) == ["local", "local", "lsh", "local", "local", "local", "lsh", "local", "local", "local", "lsh", "local"])
        #expect(c.layerCount == 12 && c.vocabSize == 258 && c.isDecoder && c.architecture == "ReformerModelWithLMHead")
        #expect(c.axialShape == [128, 512] && c.axialDims == [256, 768] && c.maxPositionEmbeddings == 65536)
        #expect(c.lshChunkLength == 256 && c.localChunkLength == 128 && c.buckets == .count(512) && c.hashRounds == 4)
        #expect(c.hiddenDropout == 0.2 && c.localAttentionDropout == 0.2 && c.lshAttentionDropout == 0.1)
        #expect(c.hashSeed == nil && c.padTokenId == 0 && c.eosTokenId == 2)
    }

    @Test func crimeAndPunishmentConfigInItsOldHubForm() throws {
        // Legacy keys present (intermediate_size, num_chunks_before/after, attention_probs_dropout_prob,
        // output_past, task_specific_params, num_hidden_layers); every local_*/lsh_* key absent.
        let c = try load("crime-and-punishment")
        #expect(c.vocabSize == 320 && c.hiddenSize == 256 && c.headCount == 2 && c.headSize == 64)
        #expect(c.feedForwardSize == 512 && c.activation == .relu)
        #expect(c.attentionLayers == [.local, .lsh, .local, .lsh, .local, .lsh])
        #expect(c.lshChunkLength == 64 && c.localChunkLength == 64)
        #expect(c.lshChunksBefore == 1 && c.lshChunksAfter == 0 && c.localChunksBefore == 1 && c.localChunksAfter == 0)
        #expect(c.buckets == .factors([64, 128]) && c.hashRounds == 1 && c.hashSeed == nil)
        #expect(c.axialShape == [512, 1024] && c.axialDims == [64, 192] && c.axialNormStd == 1)
        #expect(c.maxPositionEmbeddings == 524288 && c.isDecoder)
        #expect(c.hiddenDropout == 0.05 && c.localAttentionDropout == 0.05 && c.lshAttentionDropout == 0)
        #expect(c.padTokenId == 0 && c.eosTokenId == 2)
    }

    @Test(arguments: ["enwik8", "crime-and-punishment"])
    func everyKeyMatchesTransformers(_ name: String) throws {
        let ours = try load(name)
        guard case .object(let written) = ours.jsonValue() else { Issue.record("not an object"); return }
        let hf = try transformersView(name)
        // Keys both write; dtype is the storage type (we always write float32, transformers null when absent).
        let shared = Set(written.keys).intersection(hf.effective.keys).subtracting(["dtype"])
        #expect(shared.count >= 34, "only \(shared.count) shared keys")
        for key in shared.sorted() {
            #expect(written[key] == hf.effective[key], "\(key): ours \(String(describing: written[key])), transformers \(String(describing: hf.effective[key]))")
        }
        // Parameter count of ReformerModelWithLMHead in 5.x (LM-head decoder bias and legacy bias both counted).
        #expect(ParameterLayout(config: ours).entries.reduce(0) { $0 + $1.count } == hf.parameters)
    }

    @Test func parameterCountsOfThePublishedModels() throws {
        // INTEROP §1 counts with 4.x's single tied LM-head bias: ours less one bias of V.
        for (name, published) in [("enwik8", 149_182_722), ("crime-and-punishment", 2_748_224)] {
            let c = try load(name)
            let count = ModelFootprint.parameterTensors(c).reduce(0) { $0 + ($1.count ?? 0) }
            #expect(count - c.vocabSize == published, "\(name): \(count)")
            #expect(ModelFootprint.parameters(c).total == 4 * count)
        }
    }

    @Test func legacyKeysAndNumHiddenLayersAreIgnored() throws {
        let base = try load("crime-and-punishment")
        let text = try String(contentsOfFile: "\(Self.folder)/crime-and-punishment.json", encoding: .utf8)
        let changed = text.replacingOccurrences(of: "\"num_hidden_layers\": 6", with: "\"num_hidden_layers\": 99")
            .replacingOccurrences(of: "\"intermediate_size\": 3072", with: "\"intermediate_size\": 7")
            .replacingOccurrences(of: "\"num_chunks_before\": 1", with: "\"num_chunks_before\": 5")
        #expect(changed != text)
        #expect(try ReformerConfig.decode(Data(changed.utf8)) == base)
        guard case .object(let o) = base.jsonValue() else { return }
        #expect(o["num_hidden_layers"] == .number(6))
    }

    @Test func dtypeAndTorchDtypeAreRead() throws {
        for json in ["{\"dtype\": \"float16\"}", "{\"torch_dtype\": \"bfloat16\"}", "{\"dtype\": null, \"torch_dtype\": \"float32\"}",
                     "{\"dtype\": \"float32\", \"torch_dtype\": \"not-a-dtype\"}"] {
            #expect(try ReformerConfig.decode(Data(json.utf8)) == ReformerConfig.decodedDefaults, "\(json)")
        }
        expectError(["dtype", "\"float99\"", "float32, float16, bfloat16"]) { _ = try ReformerConfig.decode(Data("{\"dtype\": \"float99\"}".utf8)) }
        expectError(["torch_dtype", "\"float64\""]) { _ = try ReformerConfig.decode(Data("{\"torch_dtype\": \"float64\"}".utf8)) }
        expectError(["dtype", "is a number"]) { _ = try ReformerConfig.decode(Data("{\"dtype\": 16}".utf8)) }
    }

    @Test func tieWordEmbeddingsIsReadAndTiesNothing() throws {
        // transformers 5.x ties no Reformer weights whatever the flag says ([V, 2H] head, [V, H] embedding).
        #expect(try ReformerConfig.decode(Data("{\"tie_word_embeddings\": true}".utf8)) == ReformerConfig.decodedDefaults)
        expectError(["tie_word_embeddings", "true or false"]) { _ = try ReformerConfig.decode(Data("{\"tie_word_embeddings\": \"yes\"}".utf8)) }
    }

    @Test func eosMayBeAList() throws {
        #expect(try ReformerConfig.decode(Data("{\"eos_token_id\": [5, 7]}".utf8)).eosTokenId == 5)
        #expect(try ReformerConfig.decode(Data("{\"eos_token_id\": []}".utf8)).eosTokenId == nil)
        #expect(try ReformerConfig.decode(Data("{\"eos_token_id\": null}".utf8)).eosTokenId == nil)
    }

    /// Every key the decoder reads, which saving must write.
    static let readKeys = [
        "attn_layers", "hidden_size", "num_attention_heads", "attention_head_size", "feed_forward_size", "vocab_size",
        "hidden_act", "layer_norm_eps", "is_decoder", "axial_pos_embds", "axial_pos_shape", "axial_pos_embds_dim",
        "max_position_embeddings", "lsh_attn_chunk_length", "local_attn_chunk_length", "lsh_num_chunks_before",
        "lsh_num_chunks_after", "local_num_chunks_before", "local_num_chunks_after", "num_hashes", "num_buckets",
        "hash_seed", "pad_token_id", "eos_token_id", "chunk_size_feed_forward", "chunk_size_lm_head",
        "hidden_dropout_prob", "local_attention_probs_dropout_prob", "lsh_attention_probs_dropout_prob",
        "axial_norm_std", "initializer_range", "architectures", "dtype", "tie_word_embeddings", "num_hidden_layers",
    ]

    @Test func savedConfigsWriteEveryKeyAndRoundTrip() throws {
        var configs = [ReformerConfig.decodedDefaults, try load("enwik8"), try load("crime-and-punishment")]
        for name in Fixtures.all { configs.append(try ReformerConfig.load(path: Fixtures.path(name) + "/config.json")) }
        for name in TaskPreset.shippedNames { configs.append(try TaskPreset.named(name).config) }
        configs.append(try Presets.bench6x256(length: 1024))
        for c in configs {
            let data = c.jsonData()
            guard case .object(let o) = try JSONValue.parse(data, file: "saved") else { Issue.record("not an object"); continue }
            let missing = Self.readKeys.filter { o[$0] == nil }
            #expect(missing.isEmpty, "saved config lacks \(missing)")
            #expect(try ReformerConfig.decode(data) == c)
        }
    }
}

extension ReformerConfig {
    /// What `{}` decodes to: transformers' defaults, masked-LM head (is_decoder false).
    static var decodedDefaults: ReformerConfig {
        var c = ReformerConfig()
        c.architecture = "ReformerForMaskedLM"
        return c
    }
}
