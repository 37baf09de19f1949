// ReformerModel+Backward: loss and gradients of one batch (REFORMER_SPEC §13):
//   forward keeping only the top layer's (Y1, Y2) and each LSH layer's buckets →
//   cross-entropy → LM head → final LayerNorm → layers walked back, each reconstructing its inputs
//   from its outputs (reversible) → embeddings. Gradients accumulate (+=) into `gradients`.

import Foundation

extension ReformerModel {
    /// Loss, logits and gradients of `request` (which must carry labels). `storeActivations` keeps
    /// every layer's inputs instead of reconstructing them — the ordinary-backprop twin the tests
    /// compare the reversible path with (its memory grows with depth; the default's does not).
    /// When the loss is not finite, `gradients` are left untouched and the result reports the loss.
    public func lossAndGradients(
        _ request: ForwardRequest, gradients G: ParameterSet, storeActivations: Bool = false, probe: ProbeCapture? = nil
    ) throws(ReformerError) -> ForwardResult {
        let c = config
        guard let labels = request.labels else {
            throw ReformerError(file: "labels", "are required to compute gradients")
        }
        let B = request.batch, T0 = request.length
        try validate(request)
        let T = paddedLength(for: T0)
        try checkLength(T)
        let H = c.hiddenSize, V = c.vocabSize, rows = B * T
        let P = parameters

        // Forward, keeping only what the backward needs.
        let ctx = LayerContext(model: self, request: request, length: T, training: true)
        if let probe {
            ctx.probe = probe
            ctx.beginProbe(probe)
        }
        let x1 = FloatBuffer(count: rows * H, category: .activations)
        let x2 = FloatBuffer(count: rows * H, category: .activations)
        Embedding.forward(parameters: P, config: c, ids: ctx.ids.pointer, rows: rows, length: T, output: x1.pointer)
        x2.pointer.update(from: x1.pointer, count: rows * H)
        var stored: [(FloatBuffer, FloatBuffer)] = []
        var traces: [LSHLayerTrace] = []
        for i in 0..<c.layerCount {
            if storeActivations {
                let s1 = FloatBuffer(count: rows * H, category: .activations), s2 = FloatBuffer(count: rows * H, category: .activations)
                s1.pointer.update(from: x1.pointer, count: rows * H)
                s2.pointer.update(from: x2.pointer, count: rows * H)
                stored.append((s1, s2))
            }
            try ctx.forwardLayer(i, x1: x1.pointer, x2: x2.pointer, rotations: request.rotations[i])
            if request.captureHidden, let trace = ctx.workspace.trace(layer: i, paddingBucket: ctx.paddingBucket) {
                traces.append(trace)
            }
        }
        let concat = FloatBuffer(count: rows * 2 * H, category: .activations)
        for r in 0..<rows {
            (concat.pointer + r * 2 * H).update(from: x1.pointer + r * H, count: H)
            (concat.pointer + r * 2 * H + H).update(from: x2.pointer + r * H, count: H)
        }
        let z = FloatBuffer(count: rows * 2 * H, category: .activations)
        let zMean = FloatBuffer(count: rows, category: .activations), zRstd = FloatBuffer(count: rows, category: .activations)
        LayerNorm.forward(
            input: concat.pointer, output: z.pointer, rows: rows, width: 2 * H,
            weight: P.pointer(P.layout.finalNormWeight), bias: P.pointer(P.layout.finalNormBias), eps: c.layerNormEps,
            mean: zMean.pointer, rstd: zRstd.pointer)
        let logits = FloatBuffer(count: B * T0 * V, category: .activations)
        for b in 0..<B {
            BLAS.linear(
                input: z.pointer + b * T * 2 * H, rows: T0, inFeatures: 2 * H, weight: P.pointer(P.layout.lmWeight),
                outFeatures: V, bias: P.pointer(P.layout.lmBias), output: logits.pointer + b * T0 * V)
        }

        // Loss and its gradient with respect to the logits (in place of the logits' copy).
        let dLogits = FloatBuffer(count: B * T0 * V, category: .activations)
        dLogits.pointer.update(from: logits.pointer, count: B * T0 * V)
        let (loss, counted) = labels.withUnsafeBufferPointer { lb in
            CrossEntropy.lossAndGradient(logitsInGradientOut: dLogits.pointer, labels: lb.baseAddress!, batch: B,
                                         length: T0, vocab: V, causal: c.causalLoss)
        }
        guard loss.isFinite else {
            // No gradients for a non-finite loss: the caller sees `loss` and decides (the trainer stops).
            return ForwardResult(paddedLength: T, logits: logits.toArray(), loss: loss, countedTargets: counted, hidden: [], lshLayers: traces)
        }

        // LM head and final LayerNorm.
        let dZ = FloatBuffer(count: rows * 2 * H, category: .activations)
        for b in 0..<B {
            let dl = dLogits.pointer + b * T0 * V
            BLAS.gemm(.none, .none, m: T0, n: 2 * H, k: V, a: dl, lda: V, b: P.pointer(P.layout.lmWeight), ldb: 2 * H,
                      c: dZ.pointer + b * T * 2 * H, ldc: 2 * H)
            BLAS.gemm(.transposed, .none, m: V, n: 2 * H, k: T0, a: dl, lda: V, b: z.pointer + b * T * 2 * H, ldb: 2 * H,
                      beta: 1, c: G.pointer(P.layout.lmWeight), ldc: 2 * H)
            addColumnSums(dl, rows: T0, width: V, into: G.pointer(P.layout.lmBias))
        }
        let dConcat = FloatBuffer(count: rows * 2 * H, category: .activations)
        LayerNorm.backward(
            input: concat.pointer, dOutput: dZ.pointer, dInput: dConcat.pointer, rows: rows, width: 2 * H,
            weight: P.pointer(P.layout.finalNormWeight), mean: zMean.pointer, rstd: zRstd.pointer,
            dWeight: G.pointer(P.layout.finalNormWeight), dBias: G.pointer(P.layout.finalNormBias))
        let dx1 = FloatBuffer(count: rows * H, category: .activations)
        let dx2 = FloatBuffer(count: rows * H, category: .activations)
        for r in 0..<rows {
            (dx1.pointer + r * H).update(from: dConcat.pointer + r * 2 * H, count: H)
            (dx2.pointer + r * H).update(from: dConcat.pointer + r * 2 * H + H, count: H)
        }

        // The stack, top to bottom.
        for i in (0..<c.layerCount).reversed() {
            let inputs = storeActivations ? (x1: UnsafePointer(stored[i].0.pointer), x2: UnsafePointer(stored[i].1.pointer)) : nil
            ctx.backwardLayer(i, y1: x1.pointer, y2: x2.pointer, dy1: dx1.pointer, dy2: dx2.pointer, grads: G, storedInputs: inputs)
        }

        // Both streams started as E.
        for e in 0..<(rows * H) { dx1.pointer[e] += dx2.pointer[e] }
        Embedding.backward(parameters: P, gradients: G, config: c, ids: ctx.ids.pointer, rows: rows, length: T, dOutput: dx1.pointer)

        return ForwardResult(
            paddedLength: T, logits: logits.toArray(), loss: loss, countedTargets: counted, hidden: [], lshLayers: traces)
    }
}
