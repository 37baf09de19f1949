// FootprintTests: the sizes a config implies, in overflow-checked arithmetic — parameters per
// tensor and in all, rotations, bucket counts, one forward's and one training step's buffers, the
// decoding cache — and the one-line refusals for absurd fields, judged before anything is allocated.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

@Suite struct FootprintTests {
    static let threeGiB = MemoryLimit(bytes: 3 << 30, name: "test limit")

    func config(_ overrides: [String: String]) throws -> ReformerConfig {
        try ReformerConfig.decode(configJSON(overrides))
    }

    func refusal(_ f: Footprint, limit: MemoryLimit = threeGiB) -> String {
        do {
            try MemoryBudget.require(f, configFile: "config.json", limit: limit)
            return ""
        } catch { return error.message }
    }

    @Test func checkedArithmetic() {
        #expect(Checked.product([3, 4, 5]) == 60)
        #expect(Checked.product([]) == 1)
        #expect(Checked.product([1 << 32, 1 << 31]) == nil)
        #expect(Checked.product([4, -1]) == nil)
        #expect(Checked.sum([1, 2, 3]) == 6)
        #expect(Checked.sum([Int.max, 1]) == nil)
        #expect(Checked.sum([1, nil]) == nil)
    }

    @Test func byteCountsReadInBinaryUnits() {
        #expect(ByteCount.format(512) == "512 bytes")
        #expect(ByteCount.format(1536) == "1.5 KiB")
        #expect(ByteCount.format(3 << 30) == "3.0 GiB")
        #expect(ByteCount.format(nil) == "more than 8.0 EiB")
    }

    @Test func maxMemorySizesParse() {
        #expect(MemoryBudget.parseSize("1048576") == 1_048_576)
        #expect(MemoryBudget.parseSize("512M") == 512 << 20)
        #expect(MemoryBudget.parseSize("4G") == 4 << 30)
        #expect(MemoryBudget.parseSize("4g") == 4 << 30)
        #expect(MemoryBudget.parseSize("4GiB") == 4 << 30)
        #expect(MemoryBudget.parseSize("2KB") == 2048)
        #expect(MemoryBudget.parseSize("1.5G") == 3 << 29)
        #expect(MemoryBudget.parseSize("1T") == 1 << 40)
        for bad in ["", "G", "abc", "-4G", "0", "4X", "1e9", "4 G B", "99999999999T"] {
            #expect(MemoryBudget.parseSize(bad) == nil, "\(bad)")
        }
    }

    @Test func parameterSizesMatchTheLayout() throws {
        for c in [try config([:]), try config(["axial_pos_embds": "false"]), smallConfig([.lsh, .local, .lsh]),
                  try Presets.bench6x256(length: 2048)] {
            let layout = ParameterLayout(config: c)
            let tensors = ModelFootprint.parameterTensors(c)
            #expect(tensors.map(\.hfName) == layout.entries.map(\.hfName))
            #expect(tensors.map(\.count) == layout.entries.map { Optional($0.count) })
            #expect(ModelFootprint.parameters(c).total == 4 * layout.entries.reduce(0) { $0 + $1.count })
            #expect(ModelFootprint.parameters(c, copies: 4).total == 16 * layout.entries.reduce(0) { $0 + $1.count })
            // The storage itself is what the ledger counts: 16-float aligned tensors.
            #expect(layout.totalCount >= layout.entries.reduce(0) { $0 + $1.count } && !layout.overflows)
        }
    }

    @Test func rotationsAndBucketsFollowTheirFormulas() throws {
        let c = try config(["num_hashes": "3", "num_buckets": "[4, 8]"])   // 2 heads × 16, R/2 = 2 + 4
        let plan = BucketPlan(factors: [4, 8])
        #expect(plan.bucketCount == 32 && plan.rotationHalf == 6)
        #expect(ModelFootprint.rotations(c, plan: plan, copies: 1).bytes == 2 * 16 * 3 * 6 * 4)
        let f = ModelFootprint.forward(c, plan: plan, batch: 2, length: 64, inputLength: 64)
        let buckets = f.terms.first { $0.what == "bucket ids" }
        #expect(buckets?.bytes == 2 * (2 * 64) * 2 * 3 * 4)   // (1 LSH layer + sort order) × rows × heads × rounds
        #expect(f.terms.first { $0.what == "logits" }?.bytes == 2 * 64 * 40 * 4)
        let cache = ModelFootprint.decodeCache(c, plan: plan, length: 64)
        #expect(cache.terms.first { $0.what == "bucket sizes" }?.bytes == 2 * 3 * 32 * 8)
        #expect(cache.terms.first { $0.what == "rotations" }?.bytes == 2 * 16 * 3 * 6 * 4)
    }

    /// The footprint is a floor of what the engine allocates: its ledger-counted part never exceeds
    /// the ledger's peak (logits, drawn rotations and captured states are Swift arrays, not ledger).
    @Test(arguments: [false, true])
    func forwardFootprintIsALowerBoundOfTheLedger(training: Bool) throws {
        var c = smallConfig([.local, .lsh])
        c.hashSeed = nil
        let ledger = MemoryLedger()
        let peak: Int = try MemoryLedger.$current.withValue(ledger) {
            let model = try ReformerModel.initialized(config: c, seed: 5)
            var request = ForwardRequest(batch: 2, length: 64, tokens: (0..<128).map { Int32($0 % 30) })
            request.labels = request.tokens.map(Int64.init)
            let grads = ParameterSet(layout: model.parameters.layout, category: .gradients)
            ledger.resetPeaks()
            if training { _ = try model.lossAndGradients(request, gradients: grads) } else { _ = try model.forward(request) }
            let t = ledger.totals
            return (t.peakBytes[.activations] ?? 0) + (t.peakBytes[.attention] ?? 0)
        }
        let f = ModelFootprint.forward(c, plan: BucketPlan(factors: [4]), batch: 2, length: 64, inputLength: 64, training: training)
        let notLedger = (training ? 0 : f.terms.first { $0.what == "logits" }?.bytes ?? 0)
            + (f.terms.first { $0.what == "rotations" }?.bytes ?? 0) / 2
        let counted = try #require(f.total) - notLedger
        #expect(counted <= peak, "footprint \(counted) bytes, ledger peak \(peak)")
        #expect(counted * 3 >= peak, "footprint \(counted) bytes covers too little of the ledger peak \(peak)")
    }

    @Test func absurdFieldsFailInValidationWithOneLine() {
        expectError(["config.json (vocab_size)", "is 10000000000", "token ids are 32-bit", "3.5 TiB"]) {
            _ = try config(["vocab_size": "10000000000"])
        }
        expectError(["config.json (num_buckets)", "is 1099511627776", "2^24", "TiB"]) {
            _ = try config(["num_buckets": "1099511627776"])
        }
        expectError(["config.json (max_position_embeddings)", "is 1099511627776", "positions are 32-bit"]) {
            _ = try config(["max_position_embeddings": "1099511627776"])
        }
        expectError(["config.json (axial_pos_shape)", "[4294967296, 4294967296]", "multiplies to more than"]) {
            _ = try config(["axial_pos_shape": "[4294967296, 4294967296]"])
        }
        expectError(["config.json (lsh_num_chunks_before)", "exceeds 64-bit sizes"]) {
            _ = try config(["lsh_attn_chunk_length": "2147483647", "lsh_num_chunks_before": "8589934592", "is_decoder": "false",
                            "architectures": "[\"ReformerForMaskedLM\"]"])
        }
        expectError(["config.json (attention_head_size)", "1000000000000000 features per head", "more than 8.0 EiB"]) {
            _ = try config(["attention_head_size": "1000000000000000", "num_attention_heads": "100000"])
        }
        let manyLayers = "[" + Array(repeating: "\"local\"", count: 10_001).joined(separator: ", ") + "]"
        expectError(["config.json (attn_layers)", "has 10001 layers, more than 10000"]) { _ = try config(["attn_layers": manyLayers]) }
        expectError(["config.json (hidden_size)", "beyond the integers a JSON number holds exactly"]) {
            _ = try config(["hidden_size": "4611686018427387904"])
        }
    }

    @Test func absurdSizesAreRefusedAgainstTheLimit() throws {
        let hashes = try config(["num_hashes": "1000000000"])
        let plan = BucketPlan(factors: [8])
        let sample = refusal(ModelFootprint.decodeCache(hashes, plan: plan, length: 64))
        #expect(sample.hasPrefix("config.json (num_hashes): 1000000000 rounds need "), "\(sample)")
        #expect(sample.contains("of decoding cache") && sample.contains("more than the 3.0 GiB available (test limit)"), "\(sample)")
        let rotations = ModelFootprint.decodeCache(hashes, plan: plan, length: 64).terms.first { $0.what == "rotations" }
        #expect(rotations?.bytes == 2 * 16 * 1_000_000_000 * 4 * 4)   // heads × d × rounds × R/2 × float
        let forward = refusal(ModelFootprint.forward(hashes, plan: plan, batch: 1, length: 64, inputLength: 64))
        #expect(forward.hasPrefix("config.json (num_hashes): 1000000000 rounds need "), "\(forward)")
        let huge = try config(["num_hashes": "1099511627776"])
        #expect(refusal(ModelFootprint.decodeCache(huge, plan: plan, length: 64)).contains("1099511627776 rounds need"))
        let heads = refusal(ModelFootprint.parameters(try config(["attention_head_size": "100000000"])))
        #expect(heads.hasPrefix("config.json (attention_head_size): 100000000 features per head need "), "\(heads)")
        #expect(heads.contains("of attention parameters"))
        let vocab = refusal(ModelFootprint.parameters(try config(["vocab_size": "1000000000"])))
        #expect(vocab.hasPrefix("config.json (vocab_size): 1000000000 tokens need 365.1 GiB of word-embedding and LM-head parameters"), "\(vocab)")
        let hidden = refusal(ModelFootprint.parameters(try config(["hidden_size": "1000000000000", "axial_pos_embds": "false"])))
        #expect(hidden.hasPrefix("config.json (hidden_size): 1000000000000 features need "), "\(hidden)")
        let positions = refusal(ModelFootprint.parameters(try config(["max_position_embeddings": "2000000000", "axial_pos_embds": "false"])))
        #expect(positions.hasPrefix("config.json (max_position_embeddings): 2000000000 positions need "), "\(positions)")
        let axial = refusal(ModelFootprint.parameters(try config(["axial_pos_shape": "[1099511627776, 8]"])))
        #expect(axial.hasPrefix("config.json (axial_pos_shape): [1099511627776, 8] need "), "\(axial)")
        // A long input blames the length, named by where it came from.
        let long = refusal(ModelFootprint.forward(try config(["max_position_embeddings": "100000000", "axial_pos_shape": "[10000, 10000]"]),
                                                  plan: plan, batch: 1, length: 100_000_000, inputLength: 100_000_000))
        #expect(long.hasPrefix("input_ids: 100000000 positions need "), "\(long)")
        // Within the limit: no refusal.
        #expect(refusal(ModelFootprint.parameters(try config([:]))) == "")
    }

    @Test func theModelRefusesBeforeAllocating() throws {
        // A few KiB of parameters, but rotations and buckets for 10^9 rounds: no machine has that much.
        var c = smallConfig([.lsh])
        c.hashRounds = 1_000_000_000
        let ledger = MemoryLedger()
        try MemoryLedger.$current.withValue(ledger) {
            let model = try ReformerModel.initialized(config: c, seed: 1)
            let before = ledger.totals.peakTotalBytes
            expectError(["config (num_hashes)", "1000000000 rounds need", "more than the"]) {
                _ = try model.forward(ForwardRequest(batch: 1, length: 64, tokens: Array(repeating: 1, count: 64)))
            }
            expectError(["config (num_hashes)", "1000000000 rounds need"]) {
                _ = try IncrementalDecoder(model: model, prompt: [1, 2, 3], capacity: 64)
            }
            #expect(ledger.totals.peakTotalBytes == before, "nothing was allocated for the refused calls")
        }
        var wide = smallConfig([.lsh])
        wide.vocabSize = 1_500_000_000
        wide.hiddenSize = 1024
        wide.axialDims = [512, 512]
        expectError(["config (vocab_size)", "1500000000 tokens need", "parameters"]) { _ = try ReformerModel.initialized(config: wide, seed: 1) }
    }

    @Test func checkpointShapesAreComparedBeforeStorageExists() throws {
        // tiny-causal's weights under a config asking for a billion-token vocabulary.
        let weights = try SafeTensorsFile(contentsOf: Fixtures.path("tiny-causal") + "/model.safetensors")
        var c = try ReformerConfig.load(path: Fixtures.path("tiny-causal") + "/config.json")
        c.vocabSize = 1_000_000_000
        let ledger = MemoryLedger()
        MemoryLedger.$current.withValue(ledger) {
            expectError(["model.safetensors (reformer.embeddings.word_embeddings.weight)", "has shape [40, 32]", "expected [1000000000, 32]"]) {
                _ = try HFCheckpoint.loadParameters(weights, config: c)
            }
        }
        #expect(ledger.totals.peakTotalBytes == 0)
    }
}
