// HashTracerTests: the explorer's trace shows the forward's own hashing — buckets and permutation
// equal the fixture's (HF's) for the same rotations, the permutation is the stable sort, and recall
// of full attention's top keys is 1 when one chunk covers the sequence.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTelemetry
import ReformerTestSupport

@Suite struct HashTracerTests {
    @Test(arguments: ["tiny-causal", "lsh-encoder"])
    func bucketsAndPermutationEqualTheForward(_ name: String) throws {
        let dir = Fixtures.path(name)
        let model = try HFCheckpoint.load(directory: dir)
        let expected = try SafeTensorsFile(contentsOf: dir + "/expected.safetensors")
        var request = try InspectIO.readRequest(path: dir + "/expected.safetensors", config: model.config)
        let c = model.config
        let layer = c.attentionLayers.lastIndex(of: .lsh)!
        let capture = ProbeCapture(layers: [layer])
        request.probe = capture
        _ = try model.forward(request)
        let T = capture.length
        let buckets = try expected.int64s("lsh.layer\(layer).buckets")       // [B, n_h, n_H, T]
        let sorted = try expected.int64s("lsh.layer\(layer).sorted_idx")     // [B, n_h, n_H·T]
        for h in 0..<c.headCount {
            let t = try HashTracer.trace(capture, config: c, layer: layer, head: h)
            #expect(t.hashed && t.rounds == c.hashRounds)
            for r in 0..<c.hashRounds {
                let row = buckets[((h * c.hashRounds) + r) * T..<((h * c.hashRounds) + r + 1) * T].map { Int32($0) }
                #expect(t.buckets[r] == Array(row))
            }
            let perm = sorted[(h * c.hashRounds * T)..<((h + 1) * c.hashRounds * T)].map { Int32($0) }
            #expect(t.sortedIndices == Array(perm))
            // The permutation is the stable sort by (bucket + round offset, index).
            let keys = (0..<(c.hashRounds * T)).map { i in Int(t.buckets[i / T][i % T]) + (i / T) * (t.bucketCount + (t.paddingBucket ? 1 : 0)) }
            #expect(t.sortedIndices.map(Int.init) == (0..<keys.count).sorted { (keys[$0], $0) < (keys[$1], $1) })
            // The rotated projections decide the buckets (argmax over concat(ρ, −ρ), first factor least significant).
            #expect(t.rotated.count == c.hashRounds && t.rotations.count == c.headSize)
            #expect(t.chunkWeights.count == t.chunkCount && t.roundWeights.count == T)
            for w in t.roundWeights where c.hashRounds > 1 { #expect(abs(w.reduce(0, +) - 1) < 0.01) }
        }
    }

    @Test func recallIsOneWhenOneChunkCoversTheSequence() throws {
        var c = smallConfig([.lsh], causal: true)
        c.lshChunkLength = 32
        let model = try ReformerModel.initialized(config: c, seed: 3)
        var request = ForwardRequest(batch: 1, length: 32, tokens: tokens(32, seed: 4))
        let capture = ProbeCapture(layers: [0])
        request.probe = capture
        _ = try model.forward(request)
        let t = try HashTracer.trace(capture, config: c, layer: 0, head: 1, recallK: 4)
        #expect(!t.hashed)
        #expect(t.recallCombined.allSatisfy { $0 == 1 })
        #expect(t.recallByRounds == [1])
        #expect(t.chunkCount == 1 && t.chunkWeights[0].count == 32)
    }

    @Test func moreRoundsNeverLowerRecall() throws {
        var c = smallConfig([.lsh], causal: true)
        c.hashRounds = 4
        c.buckets = .count(8)
        let model = try ReformerModel.initialized(config: c, seed: 5)
        var request = ForwardRequest(batch: 1, length: 64, tokens: tokens(64, seed: 6))
        let capture = ProbeCapture(layers: [0])
        request.probe = capture
        _ = try model.forward(request)
        let t = try HashTracer.trace(capture, config: c, layer: 0, head: 0, recallK: 8)
        #expect(t.recallByRounds.count == 4)
        for i in 1..<4 { #expect(t.recallByRounds[i] >= t.recallByRounds[i - 1]) }
        #expect(t.recallByRounds[0] < 1, "with 8 buckets and chunk 8 one round misses keys")
        // Combined recall per position is at least each round's.
        for p in 0..<64 { for r in 0..<4 { #expect(t.recallCombined[p] >= t.recallPerRound[p][r]) } }
    }
}
