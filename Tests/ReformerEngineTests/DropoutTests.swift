// DropoutTests: training-mode dropout — masks drop at the configured rate and depend only on (seed,
// step, site, layer, element); the kernels' and the whole model's gradients under fixed masks match
// finite differences and the stored-activations twin (so the reversible backward replays the
// forward's masks); inference never drops; probability 0 changes nothing; resume stays bit-exact.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

/// smallConfig with every dropout probability set to p (gelu: no kink for finite differences).
func dropoutConfig(_ layers: [AttentionKind], p: Float, axial: Bool = true) -> ReformerConfig {
    var c = smallConfig(layers)
    c.hiddenDropout = p
    c.localAttentionDropout = p
    c.lshAttentionDropout = p
    c.activation = .gelu
    if !axial { c.axialPositionEmbeddings = false }
    return c
}

func trainingRequest(batch: Int, length: Int, seed: UInt64, step: Int = 1) -> ForwardRequest {
    var r = ForwardRequest(batch: batch, length: length, tokens: tokens(batch * length, seed: seed))
    r.labels = r.tokens.map(Int64.init)
    r.dropout = DropoutSeed(seed: 7, step: step)
    return r
}

@Suite struct DropoutMaskTests {
    /// The fraction dropped over 200,000 elements is p within 5 standard deviations, and kept
    /// elements are scaled by exactly 1 / (1 − p).
    @Test(arguments: [Float(0.05), 0.1, 0.5])
    func dropRateMatchesTheProbability(_ p: Float) throws {
        let mask = try #require(DropoutMask(probability: p, key: 0x1234))
        let n = 200_000
        var x = [Float](repeating: 1, count: n)
        x.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: n, first: 0) }
        let dropped = x.filter { $0 == 0 }.count
        let rate = Double(dropped) / Double(n)
        let sigma = (Double(p) * (1 - Double(p)) / Double(n)).squareRoot()
        #expect(abs(rate - Double(p)) < 5 * sigma, "measured \(rate) for p = \(p)")
        #expect(x.allSatisfy { $0 == 0 || $0 == Float(1 / (1 - Double(p))) })
        #expect(DropoutMask(probability: 0, key: 1) == nil, "p = 0 builds no mask")
    }

    /// `apply` (one hash per pair of elements) makes the decisions `keeps` makes one element at a
    /// time, from any offset: a block of a row drops what the whole row drops there.
    @Test func applyAgreesWithKeepsAtEveryOffset() throws {
        let mask = try #require(DropoutMask(probability: 0.3, key: 0xBEEF))
        for first in [0, 1, 6, 7] {
            for count in [0, 1, 2, 3, 64, 65] {
                var x = [Float](repeating: 2, count: count)
                x.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!, count: count, first: first) }
                #expect(x == (0..<count).map { 2 * mask.factor(first + $0) }, "first \(first), count \(count)")
            }
        }
    }

    /// Same (seed, step) → the same decisions; another seed, step, layer or site → other decisions.
    @Test func masksDependOnSeedStepSiteAndLayerOnly() throws {
        let c = dropoutConfig([.local, .lsh], p: 0.5)
        func decisions(_ seed: UInt64, _ step: Int, _ site: DropoutSite, layer: Int) throws -> [Bool] {
            let plan = try #require(DropoutPlan(config: c, seed: DropoutSeed(seed: seed, step: step)))
            let mask = try #require(plan.mask(site, layer: layer))
            return (0..<256).map { mask.keeps($0) }
        }
        let base = try decisions(7, 3, .attentionOutput, layer: 1)
        #expect(try decisions(7, 3, .attentionOutput, layer: 1) == base)
        #expect(try decisions(8, 3, .attentionOutput, layer: 1) != base)
        #expect(try decisions(7, 4, .attentionOutput, layer: 1) != base)
        #expect(try decisions(7, 3, .attentionOutput, layer: 0) != base)
        #expect(try decisions(7, 3, .feedForwardOutput, layer: 1) != base)
        let plan = try #require(DropoutPlan(config: c, seed: DropoutSeed(seed: 7, step: 3)))
        let local = try #require(plan.attentionWeights(layer: 0, kind: .local))
        #expect(local.stream(0).key != local.stream(1).key, "attention jobs draw from separate streams")
        var none = c
        none.hiddenDropout = 0; none.localAttentionDropout = 0; none.lshAttentionDropout = 0
        #expect(DropoutPlan(config: none, seed: DropoutSeed(seed: 7, step: 3)) == nil)
    }

    /// The attention kernel drops weights after the softmax at the configured rate: the lse is the
    /// undropped softmax's, kept weights are the undropped ones × 1/(1 − p), the rest are 0.
    @Test func attentionWeightsDropAtTheConfiguredRate() throws {
        let nq = 64, nk = 64, d = 4, p: Float = 0.2
        var rng = SplitMix64(seed: 5)
        let q = rng.gaussians(nq * d), k = rng.gaussians(nk * d), v = rng.gaussians(nk * d)
        let pos = (0..<Int32(nk)).map { $0 }
        let rules = AttentionRules(causal: false, selfMask: false, keyValid: nil)
        let mask = try #require(DropoutMask(probability: p, key: 99))
        func run(_ drop: WeightDropout?) -> (probs: [Float], out: [Float], lse: [Float]) {
            var probs = [Float](repeating: 0, count: nq * nk), out = [Float](repeating: 0, count: nq * d), lse = [Float](repeating: 0, count: nq)
            ChunkAttention.attend(q: q, qPos: pos, nq: nq, k: k, v: v, kPos: pos, nk: nk, d: d, rules: rules,
                                  probs: &probs, out: &out, lse: &lse, dropout: drop)
            return (probs, out, lse)
        }
        let plain = run(nil), dropped = run(WeightDropout(mask: mask, firstRow: 0, stride: nk))
        #expect(plain.lse == dropped.lse)
        var zeros = 0
        for e in 0..<(nq * nk) {
            if dropped.probs[e] == 0 { zeros += 1 } else { #expect(dropped.probs[e] == plain.probs[e] * mask.scale) }
        }
        let rate = Double(zeros) / Double(nq * nk)
        #expect(abs(rate - 0.2) < 5 * (0.2 * 0.8 / Double(nq * nk)).squareRoot(), "measured \(rate)")
        #expect(plain.out != dropped.out)
        // A block that starts at row 10 sees the same decisions as rows 10… of the whole.
        var probs = [Float](repeating: 0, count: 8 * nk), out = [Float](repeating: 0, count: 8 * d), lse = [Float](repeating: 0, count: 8)
        q.withUnsafeBufferPointer { qb in
            pos.withUnsafeBufferPointer { pb in
                ChunkAttention.attend(q: qb.baseAddress! + 10 * d, qPos: pb.baseAddress! + 10, nq: 8, k: k, v: v, kPos: pos, nk: nk, d: d,
                                      rules: rules, probs: &probs, out: &out, lse: &lse,
                                      dropout: WeightDropout(mask: mask, firstRow: 10, stride: nk))
            }
        }
        #expect(probs == Array(dropped.probs[(10 * nk)..<(18 * nk)]))
    }

    /// attendBackward with the forward's weight mask against finite differences of attend.
    @Test(arguments: [(false, false), (true, true)])
    func chunkAttentionKernelWithDropout(_ causal: Bool, _ masked: Bool) throws {
        let drop = WeightDropout(mask: try #require(DropoutMask(probability: 0.3, key: 17)), firstRow: 3, stride: 9)
        checkChunkAttentionKernel(causal: causal, masked: masked, dropout: drop)
    }
}

@Suite struct DropoutModelTests {
    /// Whole-model gradients with every dropout site on, against finite differences of the loss under
    /// the same masks (rotations fixed by the hash seed; a probe that moves a bucket is reported).
    @Test(arguments: [true, false])
    func wholeModelGradientsWithDropout(_ axial: Bool) throws {
        var c = dropoutConfig([.local, .lsh], p: 0.2, axial: axial)
        c.initializerRange = 0.5
        let model = try ReformerModel.initialized(config: c, seed: 51)
        var request = trainingRequest(batch: 1, length: 16, seed: 52)
        request.captureHidden = true
        let grads = ParameterSet(layout: model.parameters.layout, category: .gradients)
        let base = try model.lossAndGradients(request, gradients: grads)
        let baseBuckets = base.lshLayers.map(\.buckets)
        #expect(!baseBuckets.isEmpty)
        let undropped = try model.lossAndGradients({ var r = request; r.dropout = nil; return r }(),
                                                   gradients: ParameterSet(layout: model.parameters.layout, category: .gradients))
        #expect(base.loss != undropped.loss, "dropout is active in training")
        let layout = model.parameters.layout
        let position = axial ? [layout.axial0, layout.axial1] : [layout.position]
        var checked = 0, skipped = 0
        for slot in [layout.word, layout.lmWeight, layout.finalNormWeight, layout.layers[0].key, layout.layers[0].value,
                     layout.layers[1].queryKey, layout.layers[1].output, layout.layers[0].ff1Weight, layout.layers[1].ff2Weight] + position {
            let original = model.parameters.values(slot)
            let analytic = grads.values(slot)
            for i in probeIndices(original.count, count: 6) {
                // A probe that moves a bucket crosses a discontinuity: it says nothing about the gradient.
                var moved = false
                let numeric = FiniteDifference.partial(original, i, step: 5e-3) { v in
                    model.parameters.set(slot, v)
                    let out = try! model.lossAndGradients(request, gradients: ParameterSet(layout: layout, category: .gradients))
                    if out.lshLayers.map(\.buckets) != baseBuckets { moved = true }
                    return Double(out.loss!)
                }
                model.parameters.set(slot, original)
                if moved { skipped += 1; continue }
                checked += 1
                let error = abs(Double(analytic[i]) - numeric) / (abs(numeric) + 5e-3)
                #expect(error < 2e-2, "\(layout.entries[slot].name)[\(i)]: analytic \(analytic[i]), numeric \(numeric)")
            }
        }
        #expect(checked >= 4 * skipped, "\(checked) coordinates checked, \(skipped) skipped because a bucket moved")
        print("whole-model dropout gradients (axial \(axial)): \(checked) coordinates checked, \(skipped) skipped (a bucket moved)")
    }

    /// The reversible backward (inputs reconstructed from outputs, masks computed again) equals the
    /// stored-activations twin under the same masks.
    @Test(arguments: [[AttentionKind.local, .lsh], [.lsh, .local, .lsh, .lsh]])
    func reversibleEqualsStoredActivationsWithDropout(_ layers: [AttentionKind]) throws {
        let model = try ReformerModel.initialized(config: dropoutConfig(layers, p: 0.15), seed: 61)
        try expectReversibleEqualsStored(model, trainingRequest(batch: 2, length: 32, seed: 62))
    }

    /// Same seed and step: bit-identical loss and gradients; another step: other masks. The masks do
    /// not depend on how the feed-forward is chunked.
    @Test func trainingStepsAreDeterministic() throws {
        let model = try ReformerModel.initialized(config: dropoutConfig([.local, .lsh], p: 0.1), seed: 71)
        let request = trainingRequest(batch: 2, length: 32, seed: 72, step: 5)
        func run(_ r: ForwardRequest, on m: ReformerModel) throws -> (Float, [Float]) {
            let g = ParameterSet(layout: m.parameters.layout, category: .gradients)
            return (try m.lossAndGradients(r, gradients: g).loss!, g.storage.toArray())
        }
        let a = try run(request, on: model), b = try run(request, on: model)
        #expect(a.0 == b.0 && a.1 == b.1)
        var next = request
        next.dropout = DropoutSeed(seed: 7, step: 6)
        #expect(try run(next, on: model).0 != a.0)
        var chunked = model.config
        chunked.feedForwardChunkSize = 5
        let view = ReformerModel(config: chunked, parameters: model.parameters)
        let c = try run(request, on: view)
        #expect(abs(c.0 - a.0) <= 1e-6 * abs(a.0), "feed-forward chunks of 5 rows: \(c.0) vs \(a.0)")
        #expect(Approx.maxAbsDifference(c.1, a.1) <= 1e-5 * Double(a.1.map { abs($0) }.max() ?? 1))
    }

    /// Probability 0 everywhere: a training request with a dropout seed computes bit for bit what one
    /// without computes. A model with dropout in its config, used for inference (`forward`, or
    /// `lossAndGradients` without a seed, as inspect does), drops nothing either.
    @Test func zeroProbabilityAndInferenceDropNothing() throws {
        let zero = try ReformerModel.initialized(config: dropoutConfig([.local, .lsh], p: 0), seed: 81)
        let request = trainingRequest(batch: 2, length: 32, seed: 82)
        var plain = request
        plain.dropout = nil
        let g1 = ParameterSet(layout: zero.parameters.layout, category: .gradients)
        let g2 = ParameterSet(layout: zero.parameters.layout, category: .gradients)
        let a = try zero.lossAndGradients(request, gradients: g1), b = try zero.lossAndGradients(plain, gradients: g2)
        #expect(a.loss == b.loss && a.logits == b.logits && g1.storage.toArray() == g2.storage.toArray())

        let dropping = ReformerModel(config: dropoutConfig([.local, .lsh], p: 0.3), parameters: zero.parameters)
        #expect(try dropping.forward(request).logits == zero.forward(plain).logits, "forward never drops")
        let g3 = ParameterSet(layout: zero.parameters.layout, category: .gradients)
        let inspected = try dropping.lossAndGradients(plain, gradients: g3)
        #expect(inspected.loss == b.loss && g3.storage.toArray() == g2.storage.toArray(), "no seed, no dropout")
    }

    @Test func probabilitiesOutsideZeroToOneAreRefused() throws {
        var bad = dropoutConfig([.lsh], p: 0)
        bad.lshAttentionDropout = 1
        let model = try ReformerModel.initialized(config: bad, seed: 91)
        let g = ParameterSet(layout: model.parameters.layout, category: .gradients)
        expectError(["lsh_attention_probs_dropout_prob", "is 1.0", "[0, 1)"]) {
            _ = try model.lossAndGradients(trainingRequest(batch: 1, length: 16, seed: 92), gradients: g)
        }
        var (c, s, data) = try tinyCopyRun(steps: 1)
        c.hiddenDropout = -0.1
        expectError(["hidden_dropout_prob", "-0.1"]) { _ = try Trainer(config: c, settings: s, data: data, preset: "t", fullAttention: false) }
    }
}

@Suite struct DropoutTrainingTests {
    /// A run with every dropout site on, saved after 3 steps and resumed, continues bit for bit: the
    /// masks depend only on the run's seed and the step.
    @Test func resumeWithDropoutIsBitExact() throws {
        var (c, s, data) = try tinyCopyRun(steps: 6)
        c.attentionLayers = [.local, .lsh]
        c.localChunkLength = 4
        c.hiddenDropout = 0.1; c.localAttentionDropout = 0.1; c.lshAttentionDropout = 0.1
        s.steps = 6
        let dir = temporaryFolder("dropout-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try expectResumeIsBitExact(split: 3, settings: s, data: data, folder: dir) {
            try Trainer(config: c, settings: s, data: data, preset: "test", fullAttention: false)
        }

        // The same run without dropout takes other steps: the masks were really applied.
        c.hiddenDropout = 0; c.localAttentionDropout = 0; c.lshAttentionDropout = 0
        let undropped = try Trainer(config: c, settings: s, data: data, preset: "test", fullAttention: false)
        #expect(try undropped.step().loss != run.losses[0])
    }
}
