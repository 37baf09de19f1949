// BackwardTests: every op's backward against central finite differences (buckets held fixed), the
// reversible backward against ordinary backprop with stored activations, and activation memory
// that does not grow with depth (through the engine's ledger).

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

/// Coordinates to probe: all of them for small arrays, else a seeded sample.
func probeIndices(_ n: Int, count: Int = 40, seed: UInt64 = 1) -> [Int] {
    if n <= count { return Array(0..<n) }
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.nextInt(below: n) }
}

/// ChunkAttention.attendBackward against central differences of attend (5 queries, 9 keys, the self
/// rule on; optionally causal, masked keys, and attention-weight dropout with fixed decisions).
func checkChunkAttentionKernel(causal: Bool, masked: Bool, dropout: WeightDropout?, sourceLocation: SourceLocation = #_sourceLocation) {
    let nq = 5, nk = 9, d = 4
    var rng = SplitMix64(seed: 3)
    let q = rng.gaussians(nq * d), k = rng.gaussians(nk * d), v = rng.gaussians(nk * d)
    let qPos: [Int32] = [2, 4, 5, 7, 8], kPos: [Int32] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    let valid: [UInt8] = [1, 1, 0, 1, 1, 1, 1, 0, 1]
    let wOut = rng.gaussians(nq * d), wLse = rng.gaussians(nq)
    func run(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
        var probs = [Float](repeating: 0, count: nq * nk), out = [Float](repeating: 0, count: nq * d), lse = [Float](repeating: 0, count: nq)
        valid.withUnsafeBufferPointer { kv in
            let rules = AttentionRules(causal: causal, selfMask: true, keyValid: masked ? kv.baseAddress : nil)
            ChunkAttention.attend(q: q, qPos: qPos, nq: nq, k: k, v: v, kPos: kPos, nk: nk, d: d, rules: rules,
                                  probs: &probs, out: &out, lse: &lse, dropout: dropout)
        }
        return FiniteDifference.objective(out, wOut) + FiniteDifference.objective(lse, wLse)
    }
    var lse = [Float](repeating: 0, count: nq), probs = [Float](repeating: 0, count: nq * nk), out = [Float](repeating: 0, count: nq * d)
    var dq = [Float](repeating: 0, count: nq * d), dk = [Float](repeating: 0, count: nk * d), dv = dk
    var dp = [Float](repeating: 0, count: nq * nk), dd = dp
    valid.withUnsafeBufferPointer { kv in
        let rules = AttentionRules(causal: causal, selfMask: true, keyValid: masked ? kv.baseAddress : nil)
        ChunkAttention.attend(q: q, qPos: qPos, nq: nq, k: k, v: v, kPos: kPos, nk: nk, d: d, rules: rules, probs: &probs, out: &out, lse: &lse,
                              dropout: dropout)
        ChunkAttention.attendBackward(q: q, qPos: qPos, nq: nq, k: k, v: v, kPos: kPos, nk: nk, d: d, rules: rules, lse: lse,
                                      dOut: wOut, dLse: wLse, dQ: &dq, dK: &dk, dV: &dv, probs: &dp, dScores: &dd, dropout: dropout)
    }
    if dropout != nil { #expect(probs.contains(0) && dv.contains { $0 != 0 }, sourceLocation: sourceLocation) }
    for (name, x, g, which) in [("q", q, dq, 0), ("k", k, dk, 1), ("v", v, dv, 2)] {
        let r = FiniteDifference.check(x, analytic: g, indices: Array(0..<x.count)) { x in
            which == 0 ? run(x, k, v) : which == 1 ? run(q, x, v) : run(q, k, x)
        }
        #expect(r.worst < 5e-3, "d\(name): \(r)", sourceLocation: sourceLocation)
    }
}

@Suite struct FiniteDifferenceTests {
    @Test func layerNorm() {
        let rows = 3, n = 7
        var rng = SplitMix64(seed: 1)
        let x = rng.gaussians(rows * n), gamma = rng.gaussians(n), beta = rng.gaussians(n), w = rng.gaussians(rows * n)
        func run(_ x: [Float], _ gamma: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: rows * n)
            LayerNorm.forward(input: x, output: &y, rows: rows, width: n, weight: gamma, bias: beta, eps: 1e-12)
            return y
        }
        var mean = [Float](repeating: 0, count: rows), rstd = mean, y = x
        LayerNorm.forward(input: x, output: &y, rows: rows, width: n, weight: gamma, bias: beta, eps: 1e-12, mean: &mean, rstd: &rstd)
        var dx = [Float](repeating: 0, count: rows * n), dg = [Float](repeating: 0, count: n), db = dg
        LayerNorm.backward(input: x, dOutput: w, dInput: &dx, rows: rows, width: n, weight: gamma, mean: mean, rstd: rstd, dWeight: &dg, dBias: &db)
        let rx = FiniteDifference.check(x, analytic: dx, indices: Array(0..<(rows * n))) { FiniteDifference.objective(run($0, gamma), w) }
        #expect(rx.worst < 2e-3, "dx: \(rx)")
        let rg = FiniteDifference.check(gamma, analytic: dg, indices: Array(0..<n)) { FiniteDifference.objective(run(x, $0), w) }
        #expect(rg.worst < 2e-3, "dγ: \(rg)")
        // dβ = Σ_rows w
        for j in 0..<n { #expect(abs(db[j] - (0..<rows).map { w[$0 * n + j] }.reduce(0, +)) < 1e-5) }
    }

    @Test(arguments: Activation.allCases)
    func activation(_ kind: Activation) {
        // Keep away from relu's kink.
        let x: [Float] = [-2.1, -0.7, -0.3, 0.25, 0.6, 1.3, 2.4]
        var g = [Float](repeating: 1, count: x.count)
        Activations.backward(kind, preActivation: x, grad: &g, count: x.count)
        for i in 0..<x.count {
            let h: Float = 1e-2
            var p = [x[i] + h], m = [x[i] - h]
            Activations.apply(kind, &p, count: 1)
            Activations.apply(kind, &m, count: 1)
            let numeric = (Double(p[0]) - Double(m[0])) / (2 * Double(h))
            #expect(abs(Double(g[i]) - numeric) < 2e-3, "\(kind) at \(x[i]): \(g[i]) vs \(numeric)")
        }
    }

    @Test(arguments: [(false, false), (true, false), (true, true)])
    func chunkAttentionKernel(_ causal: Bool, _ masked: Bool) {
        checkChunkAttentionKernel(causal: causal, masked: masked, dropout: nil)
    }

    /// The whole chunked LSH head (gather, windows with wrap, rounds merge, unsort, key normalisation)
    /// with its buckets held fixed.
    @Test(arguments: [LSHCase(), LSHCase(causal: true, masked: true), LSHCase(rounds: 1, factors: [4], chunk: 8, before: 1, after: 0, causal: true)])
    func lshHead(_ c: LSHCase) {
        let x = randomInput(c, seed: 21)
        let fixed = engineHead(x).buckets
        var rng = SplitMix64(seed: 22)
        let w = rng.gaussians(c.length * c.headSize)
        let g = AttentionGeometry(batch: 1, length: c.length, heads: 1, headSize: c.headSize, chunkLength: c.chunk,
                                  chunksBefore: c.before, chunksAfter: c.after, causal: c.causal, rounds: c.rounds)
        let plan = BucketPlan(factors: c.factors)
        let scratch = AttentionScratch(geometry: g, rotationHalf: plan.rotationHalf, bucketsPerRound: plan.bucketCount + 1, fullKeys: false, backward: true)
        var out = [Float](repeating: 0, count: c.length * c.headSize), dqk = out, dv = out
        let valid: [UInt8] = (x.mask ?? Array(repeating: 1, count: c.length)).map { UInt8($0) }
        valid.withUnsafeBufferPointer { kv in
            LSHAttention.hashedHeadBackward(
                geometry: g, plan: plan, padBucket: c.masked, qk: x.qk, value: x.value, keyValid: c.masked ? kv.baseAddress : nil,
                buckets: fixed, dOut: w, out: &out, dQK: &dqk, dValue: &dv, scratch: scratch)
        }
        let rq = FiniteDifference.check(x.qk, analytic: dqk, indices: probeIndices(x.qk.count)) { qk in
            var y = x; y.qk = qk
            return FiniteDifference.objective(engineHead(y, fixedBuckets: fixed).out, w)
        }
        #expect(rq.worst < 5e-3, "dqk: \(rq)")
        let rv = FiniteDifference.check(x.value, analytic: dv, indices: probeIndices(x.value.count)) { v in
            var y = x; y.value = v
            return FiniteDifference.objective(engineHead(y, fixedBuckets: fixed).out, w)
        }
        #expect(rv.worst < 5e-3, "dv: \(rv)")
    }

    @Test(arguments: [false, true])
    func localHead(_ short: Bool) {
        let T = short ? 6 : 24, d = 4, C = 8
        var rng = SplitMix64(seed: 31)
        let q = rng.gaussians(T * d), k = rng.gaussians(T * d), v = rng.gaussians(T * d), w = rng.gaussians(T * d)
        let g = AttentionGeometry(batch: 1, length: T, heads: 1, headSize: d, chunkLength: C, chunksBefore: 1, chunksAfter: 1, causal: false)
        func scratch() -> AttentionScratch { AttentionScratch(geometry: g, rotationHalf: 0, bucketsPerRound: 0, fullKeys: T <= C, backward: true) }
        func run(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
            var out = [Float](repeating: 0, count: T * d)
            LocalAttention.head(geometry: g, query: q, key: k, value: v, keyValid: nil, out: &out, scratch: scratch())
            return FiniteDifference.objective(out, w)
        }
        var out = [Float](repeating: 0, count: T * d), dq = out, dk = out, dv = out
        LocalAttention.headBackward(geometry: g, query: q, key: k, value: v, keyValid: nil, dOut: w, out: &out,
                                    dQuery: &dq, dKey: &dk, dValue: &dv, scratch: scratch())
        for (name, x, grad, which) in [("q", q, dq, 0), ("k", k, dk, 1), ("v", v, dv, 2)] {
            let r = FiniteDifference.check(x, analytic: grad, indices: probeIndices(x.count)) { x in
                which == 0 ? run(x, k, v) : which == 1 ? run(q, x, v) : run(q, k, x)
            }
            #expect(r.worst < 5e-3, "d\(name): \(r)")
        }
    }

    @Test func crossEntropy() {
        let B = 2, T = 4, V = 5
        var rng = SplitMix64(seed: 41)
        let logits = rng.gaussians(B * T * V)
        let labels: [Int64] = [1, 2, -100, 4, 0, 3, 3, -100]
        var g = logits
        _ = CrossEntropy.lossAndGradient(logitsInGradientOut: &g, labels: labels, batch: B, length: T, vocab: V, causal: true)
        let r = FiniteDifference.check(logits, analytic: g, indices: Array(0..<logits.count), step: 1e-2, floor: 1e-3) {
            Double(CrossEntropy.loss(logits: $0, labels: labels, batch: B, length: T, vocab: V, causal: true).loss)
        }
        #expect(r.worst < 5e-3, "\(r)")
    }

    /// Whole-model gradients of a few parameters of every kind against finite differences, with
    /// rotations fixed by a hash seed (a perturbation small enough not to move any bucket).
    @Test func wholeModelEmbeddingsAndHead() throws {
        var c = smallConfig([.local, .lsh])
        c.initializerRange = 0.5
        let model = try ReformerModel.initialized(config: c, seed: 51)
        var request = ForwardRequest(batch: 1, length: 16, tokens: tokens(16, seed: 52))
        request.labels = request.tokens.map(Int64.init)
        let grads = ParameterSet(layout: model.parameters.layout, category: .gradients)
        let base = try model.lossAndGradients(request, gradients: grads)
        let baseBuckets = try model.forward({ var r = request; r.captureHidden = true; return r }()).lshLayers.map(\.buckets)
        let layout = model.parameters.layout
        for slot in [layout.word, layout.axial0, layout.axial1, layout.lmWeight, layout.finalNormWeight,
                     layout.layers[1].queryKey, layout.layers[0].key, layout.layers[1].ff1Weight] {
            let original = model.parameters.values(slot)
            let analytic = grads.values(slot)
            let r = FiniteDifference.check(original, analytic: analytic, indices: probeIndices(original.count, count: 6), step: 5e-3, floor: 5e-3) { v in
                model.parameters.set(slot, v)
                var probe = request; probe.captureHidden = true
                let out = try! model.forward(probe)
                #expect(out.lshLayers.map(\.buckets) == baseBuckets, "a probe moved a bucket; pick a smaller step")
                return Double(out.loss!)
            }
            model.parameters.set(slot, original)
            #expect(r.worst < 2e-2, "\(layout.entries[slot].name): \(r)")
        }
        #expect(base.loss! > 0)
    }
}

/// The reversible backward's loss and gradients equal the stored-activations twin's for `request`.
func expectReversibleEqualsStored(_ model: ReformerModel, _ request: ForwardRequest, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let reversible = ParameterSet(layout: model.parameters.layout, category: .gradients)
    let stored = ParameterSet(layout: model.parameters.layout, category: .gradients)
    let a = try model.lossAndGradients(request, gradients: reversible)
    let b = try model.lossAndGradients(request, gradients: stored, storeActivations: true)
    #expect(a.loss == b.loss, sourceLocation: sourceLocation)
    for (slot, e) in model.parameters.layout.entries.enumerated() {
        let x = reversible.values(slot), y = stored.values(slot)
        let scale = y.map { abs(Double($0)) }.max() ?? 0
        let diff = Approx.maxAbsDifference(x, y)
        #expect(diff <= 1e-4 * max(scale, 1e-6), "\(e.name): \(diff) of \(scale)", sourceLocation: sourceLocation)
    }
}

@Suite struct ReversibleBackwardTests {
    @Test(arguments: [[AttentionKind.local, .lsh], [.lsh, .local, .lsh, .lsh]])
    func reversibleEqualsStoredActivations(_ layers: [AttentionKind]) throws {
        let model = try ReformerModel.initialized(config: smallConfig(layers), seed: 61)
        var request = ForwardRequest(batch: 2, length: 32, tokens: tokens(64, seed: 62))
        request.labels = request.tokens.map(Int64.init)
        try expectReversibleEqualsStored(model, request)
    }

    /// The final LayerNorm / LM head / loss walked back in blocks of rows (uneven, crossing batch
    /// rows and the automatic padding) gives the one-block result.
    @Test(arguments: [1, 5, 13])
    func headInBlocksEqualsOneBlock(_ headRows: Int) throws {
        let model = try ReformerModel.initialized(config: smallConfig([.lsh, .local]), seed: 63)
        var request = ForwardRequest(batch: 2, length: 30, tokens: tokens(60, seed: 64))
        request.labels = request.tokens.map(Int64.init)
        request.labels![7] = CrossEntropy.ignoreIndex
        let whole = ParameterSet(layout: model.parameters.layout, category: .gradients)
        let blocks = ParameterSet(layout: model.parameters.layout, category: .gradients)
        let a = try model.lossAndGradients(request, gradients: whole, storeActivations: false, probe: nil, headRows: 1 << 20)
        let b = try model.lossAndGradients(request, gradients: blocks, storeActivations: false, probe: nil, headRows: headRows)
        // The LM head's gemm may round the last bit differently for a different number of rows.
        #expect(abs(a.loss! - b.loss!) <= 1e-6 * abs(a.loss!))
        #expect(a.logits.count == b.logits.count && Approx.maxAbsDifference(a.logits, b.logits) <= 1e-5)
        for (slot, e) in model.parameters.layout.entries.enumerated() {
            let x = whole.values(slot), y = blocks.values(slot)
            let scale = x.map { abs(Double($0)) }.max() ?? 0
            #expect(Approx.maxAbsDifference(x, y) <= 1e-5 * max(scale, 1e-6), "\(e.name)")
        }
        #expect(whole.values(0).contains { $0 != 0 })
    }

    /// Peak activation + attention memory of a training step, from the ledger, for 2…16 layers.
    func peakWorkingSet(layers: Int, storeActivations: Bool) throws -> Int {
        var c = smallConfig(Array(repeating: .lsh, count: layers))
        c.hiddenSize = 32; c.axialDims = [16, 16]; c.axialShape = [8, 16]; c.maxPositionEmbeddings = 128
        let ledger = MemoryLedger()   // private: other tests allocate concurrently into the shared one
        return try MemoryLedger.$current.withValue(ledger) {
            let model = try ReformerModel.initialized(config: c, seed: 71)
            var request = ForwardRequest(batch: 1, length: 128, tokens: tokens(128, seed: 72))
            request.labels = request.tokens.map(Int64.init)
            let grads = ParameterSet(layout: model.parameters.layout, category: .gradients)
            ledger.resetPeaks()
            _ = try model.lossAndGradients(request, gradients: grads, storeActivations: storeActivations)
            let after = ledger.totals
            #expect((after.liveBytes[.activations] ?? 0) == 0, "activations must be freed after the step")
            return (after.peakBytes[.activations] ?? 0) + (after.peakBytes[.attention] ?? 0)
        }
    }

    @Test func workingSetDoesNotGrowWithDepth() throws {
        func measure(_ layers: Int, _ stored: Bool) throws -> Int { try peakWorkingSet(layers: layers, storeActivations: stored) }
        let depths = [2, 4, 8, 16]
        let reversible = try depths.map { try measure($0, false) }
        let stored = try [2, 16].map { try measure($0, true) }
        // Per layer, only its bucket ids are kept (batch 1 × 2 heads × 2 rounds × 128 positions × 4 bytes),
        // so backward can replay them; everything else is the one-layer working set.
        let bucketBytes = 1 * 2 * 2 * 128 * 4
        for (i, layers) in depths.enumerated() {
            #expect(reversible[i] <= reversible[0] + (layers - 2) * bucketBytes + 4096,
                    "reversible peak grew with depth beyond bucket ids: \(reversible)")
        }
        // The stored twin keeps (X1, X2) per layer: 2 × 128 × 32 floats each.
        #expect(stored[1] >= stored[0] + 14 * 2 * 128 * 32 * 4, "the stored twin must grow: \(stored)")
        print("peak working set (bytes) for 2/4/8/16 layers: reversible \(reversible), stored 2/16: \(stored)")
    }
}
