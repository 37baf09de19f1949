// ModelInvariantTests: whole-model properties — short sequences take the no-hashing path (= full
// attention), local layers are causal, the chunked feed-forward equals the unchunked one, the
// reversible stack's inverse recovers its inputs, automatic padding leaves real logits unchanged.

import Testing
@testable import ReformerEngine
import ReformerTestSupport

func smallConfig(_ layers: [AttentionKind], causal: Bool = true) -> ReformerConfig {
    var c = ReformerConfig()
    c.attentionLayers = layers
    c.isDecoder = causal
    c.architecture = causal ? "ReformerModelWithLMHead" : "ReformerForMaskedLM"
    c.vocabSize = 30
    c.hiddenSize = 16
    c.headCount = 2
    c.headSize = 8
    c.feedForwardSize = 24
    c.axialShape = [8, 8]
    c.axialDims = [8, 8]
    c.maxPositionEmbeddings = 64
    c.lshChunkLength = 8
    c.localChunkLength = 8
    c.hashRounds = 2
    c.buckets = .count(4)
    c.hashSeed = 99
    c.initializerRange = 0.3
    return c
}

func tokens(_ n: Int, seed: UInt64, vocab: Int = 30) -> [Int32] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in Int32(1 + rng.nextInt(below: vocab - 1)) }
}

@Suite struct ModelInvariantTests {
    @Test func shortSequenceDoesNotHashAndEqualsFullAttention() throws {
        let model = try ReformerModel.initialized(config: smallConfig([.lsh, .local, .lsh]), seed: 1)
        var r = ForwardRequest(batch: 2, length: 8, tokens: tokens(16, seed: 2))
        let short = try model.forward(r)
        #expect(short.lshLayers.isEmpty, "T ≤ C must not hash")
        r.fullAttention = true
        let full = try model.forward(r)
        #expect(short.logits == full.logits)
    }

    @Test func lshWithManyRoundsApproachesFullAttention() throws {
        // Not an identity, a sanity check: with 8 buckets and 8 rounds most attention mass is found.
        var c = smallConfig([.lsh], causal: true)
        c.hashRounds = 8
        c.buckets = .count(2)
        c.lshChunksBefore = 3
        let model = try ReformerModel.initialized(config: c, seed: 4)
        var r = ForwardRequest(batch: 1, length: 32, tokens: tokens(32, seed: 5))
        let lsh = try model.forward(r)
        r.fullAttention = true
        let full = try model.forward(r)
        #expect(Approx.maxAbsDifference(lsh.logits, full.logits) < 0.5)
        #expect(lsh.logits != full.logits, "hashing must really run at T > C")
    }

    @Test(arguments: [false, true])
    func localLayersAreCausal(_ masked: Bool) throws {
        let model = try ReformerModel.initialized(config: smallConfig([.local, .local]), seed: 3)
        var ids = tokens(32, seed: 9)
        let mask: [Int32]? = masked ? (0..<32).map { $0 < 28 ? 1 : 0 } : nil
        let a = try model.forward(ForwardRequest(batch: 1, length: 32, tokens: ids, attentionMask: mask))
        ids[20] = ids[20] == 5 ? 6 : 5
        let b = try model.forward(ForwardRequest(batch: 1, length: 32, tokens: ids, attentionMask: mask))
        let V = model.config.vocabSize
        #expect(Array(a.logits[..<(20 * V)]) == Array(b.logits[..<(20 * V)]), "a future token changed earlier logits")
        #expect(Array(a.logits[(20 * V)...]) != Array(b.logits[(20 * V)...]))
    }

    @Test func chunkedFeedForwardEqualsUnchunked() throws {
        let c = smallConfig([.local])
        let model = try ReformerModel.initialized(config: c, seed: 5)
        let rows = 37, H = c.hiddenSize
        var rng = SplitMix64(seed: 6)
        let input = rng.gaussians(rows * H)
        var whole = [Float](repeating: 0.5, count: rows * H), chunked = whole
        var hidden = [Float](repeating: 0, count: rows * c.feedForwardSize)
        let slots = model.parameters.layout.layers[0]
        FeedForward.forward(parameters: model.parameters, slots: slots, config: c, input: input, rows: rows,
                            hidden: &hidden, hiddenRows: rows, accumulateInto: &whole)
        FeedForward.forward(parameters: model.parameters, slots: slots, config: c, input: input, rows: rows,
                            hidden: &hidden, hiddenRows: 5, accumulateInto: &chunked)
        #expect(Approx.maxAbsDifference(whole, chunked) <= 1e-6)
    }

    @Test(arguments: [[AttentionKind.local, .lsh], [.lsh, .lsh, .local]])
    func reversibleInverseRecoversInputs(_ layers: [AttentionKind]) throws {
        let c = smallConfig(layers)
        let model = try ReformerModel.initialized(config: c, seed: 7)
        let request = ForwardRequest(batch: 2, length: 32, tokens: tokens(64, seed: 8))
        let ctx = LayerContext(model: model, request: request, length: 32)
        let n = 64 * c.hiddenSize
        var rng = SplitMix64(seed: 10)
        let x1 = rng.gaussians(n), x2 = rng.gaussians(n)
        var y1 = x1, y2 = x2
        for i in 0..<c.layerCount { try ctx.forwardLayer(i, x1: &y1, x2: &y2) }
        #expect(Approx.maxAbsDifference(y1, x1) > 1e-2, "layers must do something")
        for i in (0..<c.layerCount).reversed() {
            try ctx.inverseLayer(i, y1: &y1, y2: &y2)
        }
        #expect(Approx.maxAbsDifference(y1, x1) <= 1e-4)
        #expect(Approx.maxAbsDifference(y2, x2) <= 1e-4)
    }

    @Test func automaticPaddingCreatesMaskAndPaddingBucket() throws {
        let model = try ReformerModel.initialized(config: smallConfig([.local, .lsh]), seed: 11)
        let r = ForwardRequest(batch: 1, length: 29, tokens: tokens(29, seed: 12))
        let out = try model.forward(r)
        #expect(out.paddedLength == 32)
        #expect(out.logits.count == 29 * 30)
        let trace = try #require(out.lshLayers.first)
        #expect(trace.paddingBucket)
        // Positions 29..31 of every head and round are in the padding bucket (nb = 4).
        for h in 0..<2 { for r in 0..<2 { for t in 29..<32 { #expect(trace.buckets[(h * 2 + r) * 32 + t] == 4) } } }
    }

    @Test func bucketCountIsFrozenAfterFirstChunkedCall() throws {
        var c = smallConfig([.lsh])
        c.buckets = .automatic
        let model = try ReformerModel.initialized(config: c, seed: 13)
        _ = try model.forward(ForwardRequest(batch: 1, length: 64, tokens: tokens(64, seed: 14)))
        let first = model.bucketPlan
        _ = try model.forward(ForwardRequest(batch: 1, length: 32, tokens: tokens(32, seed: 15)))
        #expect(first == BucketPlan(factors: [16]))
        #expect(model.bucketPlan == first)
    }
}
