// BadInputTests: configs that contradict themselves, checkpoints that do not fit their config and
// inputs the model cannot take fail with one line naming the file and field — never a trap.

import Foundation
import Testing
import ReformerEngine
import ReformerTestSupport

func configJSON(_ overrides: [String: String]) -> Data {
    var fields: [String: String] = [
        "attn_layers": "[\"local\", \"lsh\"]", "hidden_size": "32", "num_attention_heads": "2",
        "attention_head_size": "16", "feed_forward_size": "64", "vocab_size": "40", "is_decoder": "true",
        "axial_pos_shape": "[8, 8]", "axial_pos_embds_dim": "[16, 16]", "max_position_embeddings": "64",
        "lsh_attn_chunk_length": "8", "local_attn_chunk_length": "8", "num_buckets": "8", "num_hashes": "2",
        "architectures": "[\"ReformerModelWithLMHead\"]",
    ]
    for (k, v) in overrides { fields[k] = v }
    let body = fields.filter { $0.value != "<absent>" }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
    return Data("{\(body)}".utf8)
}

func expectError(_ fragments: [String], _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
    } catch let e as ReformerError {
        #expect(!e.message.contains("\n"), "one line: \(e.message)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(e.message.contains(f), "\"\(e.message)\" should contain \"\(f)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct ConfigTests {
    @Test func defaultsFollowTheSpec() throws {
        let c = try ReformerConfig.decode(Data("{\"is_decoder\": true}".utf8))
        #expect(c.attentionLayers == [.local, .lsh, .local, .lsh, .local, .lsh])
        #expect(c.hiddenSize == 256 && c.headCount == 12 && c.headSize == 64 && c.feedForwardSize == 512)
        #expect(c.vocabSize == 320 && c.layerNormEps == 1e-12 && c.axialShape == [64, 64] && c.axialDims == [64, 192])
        #expect(c.buckets == .automatic && c.hashRounds == 1 && c.lshChunkLength == 64 && c.lshChunksBefore == 1)
        #expect(c.activation == .relu && c.maxPositionEmbeddings == 4096 && c.hashSeed == nil)
    }

    @Test func unknownKeysAreIgnoredAndBucketsDecode() throws {
        let c = try ReformerConfig.decode(configJSON(["something_new": "{\"a\": [1, 2]}", "num_buckets": "[2, 4]"]))
        #expect(c.buckets == .factors([2, 4]))
        let single = try ReformerConfig.decode(configJSON(["num_buckets": "[8]"]))
        #expect(single.buckets == .count(8))
        let auto = try ReformerConfig.decode(configJSON(["num_buckets": "null"]))
        #expect(auto.buckets == .automatic)
    }

    @Test func roundTripsThroughJSON() throws {
        let c = try ReformerConfig.decode(configJSON(["num_buckets": "[2, 4]", "hash_seed": "17", "hidden_act": "\"gelu\""]))
        let again = try ReformerConfig.decode(c.jsonValue().serialized())
        #expect(again == c)
    }

    @Test func contradictionsNameTheField() {
        expectError(["config.json", "axial_pos_embds_dim", "sums to 20", "hidden_size 32"]) {
            _ = try ReformerConfig.decode(configJSON(["axial_pos_embds_dim": "[16, 4]"]))
        }
        expectError(["num_buckets", "is 7", "even"]) { _ = try ReformerConfig.decode(configJSON(["num_buckets": "7"])) }
        expectError(["num_buckets", "factor 3"]) { _ = try ReformerConfig.decode(configJSON(["num_buckets": "[2, 3]"])) }
        expectError(["attn_layers", "unknown attention kind \"global\""]) {
            _ = try ReformerConfig.decode(configJSON(["attn_layers": "[\"local\", \"global\"]"]))
        }
        expectError(["hidden_act", "unknown activation \"tanh\""]) { _ = try ReformerConfig.decode(configJSON(["hidden_act": "\"tanh\""])) }
        expectError(["hidden_size", "is a string", "integer"]) { _ = try ReformerConfig.decode(configJSON(["hidden_size": "\"32\""])) }
        expectError(["num_hashes", "is 0", "positive"]) { _ = try ReformerConfig.decode(configJSON(["num_hashes": "0"])) }
        expectError(["lsh_num_chunks_after", "causal"]) { _ = try ReformerConfig.decode(configJSON(["lsh_num_chunks_after": "1"])) }
        expectError(["axial_pos_shape", "exactly 2"]) { _ = try ReformerConfig.decode(configJSON(["axial_pos_shape": "[4, 4, 4]"])) }
        expectError(["config.json", "not valid JSON"]) { _ = try ReformerConfig.decode(Data("{\"hidden_size\": ".utf8)) }
        expectError(["top level"]) { _ = try ReformerConfig.decode(Data("[1, 2]".utf8)) }
    }
}

@Suite struct CheckpointErrorTests {
    /// A temporary checkpoint folder holding `config` and the weights of the tiny-causal fixture.
    func folder(config: Data, weightsFrom fixture: String = "tiny-causal") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reformer-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try config.write(to: URL(fileURLWithPath: dir + "/config.json"))
        try FileManager.default.copyItem(atPath: Fixtures.path(fixture) + "/model.safetensors", toPath: dir + "/model.safetensors")
        return dir
    }

    @Test func missingFolderAndWeights() throws {
        expectError(["/nonexistent/checkpoint", "does not exist"]) { _ = try HFCheckpoint.load(directory: "/nonexistent/checkpoint") }
        let dir = try folder(config: configJSON([:]))
        try FileManager.default.removeItem(atPath: dir + "/model.safetensors")
        expectError(["model.safetensors", "does not exist"]) { _ = try HFCheckpoint.load(directory: dir) }
    }

    @Test func missingParameterIsNamed() throws {
        // Layer 0 becomes LSH: its shared query_key weight is not in the local-layer checkpoint.
        let dir = try folder(config: configJSON(["attn_layers": "[\"lsh\", \"lsh\"]"]))
        expectError(["model.safetensors", "reformer.encoder.layers.0.attention.self_attention.query_key.weight", "is missing"]) {
            _ = try HFCheckpoint.load(directory: dir)
        }
    }

    @Test func misshapenParameterIsNamed() throws {
        let dir = try folder(config: configJSON(["feed_forward_size": "48"]))
        expectError(["model.safetensors", "feed_forward.dense.dense.weight", "[64, 32]", "expected [48, 32]"]) {
            _ = try HFCheckpoint.load(directory: dir)
        }
    }

    @Test func truncatedWeightsAreReported() throws {
        let dir = try folder(config: configJSON([:]))
        let path = dir + "/model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        expectError(["model.safetensors"]) { _ = try HFCheckpoint.load(directory: dir) }
    }

    @Test func inputsOutsideTheModelAreRejected() throws {
        let model = try HFCheckpoint.load(directory: Fixtures.path("tiny-causal"))
        expectError(["input_ids", "token id 40", "[0, 3]", "0..<40"]) {
            _ = try model.forward(ForwardRequest(batch: 1, length: 4, tokens: [1, 2, 3, 40]))
        }
        expectError(["input_ids", "token id -1"]) { _ = try model.forward(ForwardRequest(batch: 1, length: 2, tokens: [-1, 2])) }
        expectError(["max_position_embeddings", "needs 72"]) {
            _ = try model.forward(ForwardRequest(batch: 1, length: 72, tokens: Array(repeating: 1, count: 72)))
        }
        expectError(["labels", "label 77"]) {
            _ = try model.forward(ForwardRequest(batch: 1, length: 2, tokens: [1, 2], labels: [1, 77]))
        }
        var r = ForwardRequest(batch: 1, length: 16, tokens: Array(repeating: 1, count: 16))
        r.rotations[1] = [1, 2, 3]
        expectError(["lsh.layer1.rotations", "has 3 values", "[2, 16, 2, 4]"]) { _ = try model.forward(r) }
    }

    @Test func axialShapeTooSmallForTheSequence() throws {
        var c = try ReformerConfig.decode(configJSON(["axial_pos_shape": "[4, 4]"]))
        c.hashSeed = 1
        let model = try ReformerModel.initialized(config: c, seed: 1)
        expectError(["axial_pos_shape", "covers 16 positions", "needs 24"]) {
            _ = try model.forward(ForwardRequest(batch: 1, length: 24, tokens: Array(repeating: 1, count: 24)))
        }
    }

    @Test func saveThenLoadRoundTrips() throws {
        let model = try HFCheckpoint.load(directory: Fixtures.path("lsh-encoder"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reformer-save-\(UUID().uuidString)").path
        try HFCheckpoint.save(model, directory: dir)
        let again = try HFCheckpoint.load(directory: dir)
        #expect(again.config == model.config)
        #expect(again.parameters.storage.toArray() == model.parameters.storage.toArray())
    }
}
