// DecodingCacheTests: the cache is exact where exactness is possible — local layers (across chunk
// boundaries) and LSH layers while the sequence fits one chunk — and seeded sampling is reproducible.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

func uncachedLogits(_ model: ReformerModel, _ tokens: [Int32]) throws -> [Float] {
    let out = try model.forward(ForwardRequest(batch: 1, length: tokens.count, tokens: tokens))
    let V = model.config.vocabSize
    return Array(out.logits[((tokens.count - 1) * V)..<(tokens.count * V)])
}

@Suite struct DecodingCacheTests {
    @Test func localLayersAreExactAcrossChunkBoundaries() throws {
        var c = smallConfig([.local, .local])
        c.localChunkLength = 4
        let model = try ReformerModel.initialized(config: c, seed: 21)
        var seq = tokens(3, seed: 22)
        let decoder = try IncrementalDecoder(model: model, prompt: seq)
        #expect(Approx.maxAbsDifference(decoder.lastLogits, try uncachedLogits(model, seq)) <= 1e-4)
        var rng = SplitMix64(seed: 23)
        for _ in 0..<20 {   // crosses five chunk boundaries
            let next = Int32(1 + rng.nextInt(below: 29))
            let cached = try decoder.step(next)
            seq.append(next)
            let reference = try uncachedLogits(model, seq)
            #expect(Approx.maxAbsDifference(cached, reference) <= 1e-4, "length \(seq.count)")
            #expect(Sampler.pick(cached[...], settings: SamplingSettings(temperature: 0), rng: &rng)
                    == Sampler.pick(reference[...], settings: SamplingSettings(temperature: 0), rng: &rng))
        }
    }

    @Test func lshIsExactWithinOneChunk() throws {
        var c = smallConfig([.lsh, .local, .lsh])
        c.lshChunkLength = 16
        c.localChunkLength = 4
        c.maxPositionEmbeddings = 64
        let model = try ReformerModel.initialized(config: c, seed: 31)
        var seq = tokens(2, seed: 32)
        let decoder = try IncrementalDecoder(model: model, prompt: seq)
        var rng = SplitMix64(seed: 33)
        while seq.count < 16 {
            let next = Int32(1 + rng.nextInt(below: 29))
            let cached = try decoder.step(next)
            seq.append(next)
            #expect(Approx.maxAbsDifference(cached, try uncachedLogits(model, seq)) <= 1e-4, "length \(seq.count)")
        }
        // Beyond one chunk the cache follows §15's incremental semantics: it still runs, stays finite.
        for _ in 0..<20 {
            let logits = try decoder.step(Int32(1 + rng.nextInt(below: 29)))
            #expect(logits.allSatisfy { $0.isFinite })
        }
    }

    @Test func greedyCachedEqualsUncachedForLocalModels() throws {
        var c = smallConfig([.local, .local])
        c.localChunkLength = 8
        let model = try ReformerModel.initialized(config: c, seed: 41)
        let prompt = tokens(5, seed: 42)
        var r1 = SplitMix64(seed: 1), r2 = SplitMix64(seed: 1)
        let greedy = SamplingSettings(temperature: 0)
        let a = try Generator.generate(model: model, prompt: prompt, count: 20, settings: greedy, rng: &r1)
        let b = try Generator.generateCached(model: model, prompt: prompt, count: 20, settings: greedy, rng: &r2)
        #expect(a == b)
    }

    @Test func seededSamplingIsReproducible() throws {
        let model = try ReformerModel.initialized(config: smallConfig([.local, .lsh]), seed: 51)
        let settings = SamplingSettings(temperature: 0.9, topK: 10, topP: 0.95)
        var r1 = SplitMix64(seed: 7), r2 = SplitMix64(seed: 7), r3 = SplitMix64(seed: 8)
        let a = try Generator.generateCached(model: model, prompt: [1, 2, 3], count: 30, settings: settings, rng: &r1)
        let b = try Generator.generateCached(model: model, prompt: [1, 2, 3], count: 30, settings: settings, rng: &r2)
        let c = try Generator.generateCached(model: model, prompt: [1, 2, 3], count: 30, settings: settings, rng: &r3)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func samplerRules() {
        var rng = SplitMix64(seed: 1)
        let logits: [Float] = [0.1, 3, 2.9, -1]
        #expect(Sampler.pick(logits[...], settings: SamplingSettings(temperature: 0), rng: &rng) == 1)
        for _ in 0..<50 {
            let k = Sampler.pick(logits[...], settings: SamplingSettings(temperature: 1, topK: 2), rng: &rng)
            #expect(k == 1 || k == 2)
            let p = Sampler.pick(logits[...], settings: SamplingSettings(temperature: 1, topP: 0.4), rng: &rng)
            #expect(p == 1)
        }
    }

    @Test func emptyPromptIsRefused() throws {
        let model = try ReformerModel.initialized(config: smallConfig([.local]), seed: 1)
        expectError(["prompt", "empty"]) { _ = try IncrementalDecoder(model: model, prompt: []) }
    }
}
