// ReformerModel+Backward: loss and gradients of one batch (REFORMER_SPEC §13):
//   forward keeping only the top layer's (Y1, Y2) and each LSH layer's buckets →
//   cross-entropy → LM head → final LayerNorm → layers walked back, each reconstructing its inputs
//   from its outputs (reversible) → embeddings. Gradients accumulate (+=) into `gradients`.
// This is the only place dropout happens: with `request.dropout` set and a config probability
// above 0, the step's masks (Dropout.swift) apply at HF's sites, in the forward and again, identical,
// wherever the backward recomputes.

import Foundation

extension ReformerModel {
    /// Loss, logits and gradients of `request` (which must carry labels). `storeActivations` keeps
    /// every layer's inputs instead of reconstructing them — the ordinary-backprop twin the tests
    /// compare the reversible path with (its memory grows with depth; the default's does not).
    /// When the loss is not finite, `gradients` are left untouched and the result reports the loss.
    /// `request.dropout` turns on the config's dropout (training mode) with that step's masks.
    public func lossAndGradients(
        _ request: ForwardRequest, gradients G: ParameterSet, storeActivations: Bool = false, probe: ProbeCapture? = nil
    ) throws(ReformerError) -> ForwardResult {
        try lossAndGradients(request, gradients: G, storeActivations: storeActivations, probe: probe, headRows: 2048)
    }

    /// `headRows`: positions per block of the final LayerNorm / LM head / loss (any value gives the
    /// same result up to float summation order; tests compare small blocks with one block).
    func lossAndGradients(
        _ request: ForwardRequest, gradients G: ParameterSet, storeActivations: Bool, probe: ProbeCapture?, headRows: Int
    ) throws(ReformerError) -> ForwardResult {
        let c = config
        guard let labels = request.labels else {
            throw ReformerError(file: "labels", "are required to compute gradients")
        }
        let B = request.batch, T0 = request.length
        try validate(request)
        let T = paddedLength(for: T0)
        try checkLength(T)
        try checkMemory(request, length: T, training: true)
        let H = c.hiddenSize, V = c.vocabSize, rows = B * T
        let P = parameters
        if request.dropout != nil { try c.checkDropout(file: configSource) }

        // Forward, keeping only what the backward needs.
        let ctx = LayerContext(model: self, request: request, length: T, training: true)
        let embeddingDrop = ctx.embeddingDropout
        let finalDrop = ctx.dropout?.mask(.finalNorm)
        if let probe {
            ctx.probe = probe
            ctx.beginProbe(probe)
        }
        let x1 = FloatBuffer(count: rows * H, category: .activations)
        let x2 = FloatBuffer(count: rows * H, category: .activations)
        Embedding.forward(parameters: P, config: c, ids: ctx.ids.pointer, rows: rows, length: T, output: x1.pointer,
                          dropout: embeddingDrop)
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
        // Final LayerNorm, LM head and cross-entropy, a block of rows at a time so that only
        // [headRows, 2H] and [headRows, V] pieces are live next to (Y1, Y2): pass 1 computes the
        // logits (returned) and the loss; pass 2, only for a finite loss, recomputes each block's
        // LayerNorm and walks it back into (dY1, dY2).
        let piece = max(1, min(headRows, T0))
        let concat = FloatBuffer(count: piece * 2 * H, category: .activations)
        let z = FloatBuffer(count: piece * 2 * H, category: .activations)
        let zMean = FloatBuffer(count: piece, category: .activations), zRstd = FloatBuffer(count: piece, category: .activations)
        let logits = FloatBuffer(count: B * T0 * V, category: .activations)
        /// LayerNorm of rows [start, start + n) of batch row b into `z` (statistics kept), then the
        /// final dropout (mask index (b·T + t)·2H + j).
        func normalizeBlock(b: Int, start: Int, n: Int) {
            for i in 0..<n {
                let r = b * T + start + i
                (concat.pointer + i * 2 * H).update(from: x1.pointer + r * H, count: H)
                (concat.pointer + i * 2 * H + H).update(from: x2.pointer + r * H, count: H)
            }
            LayerNorm.forward(
                input: concat.pointer, output: z.pointer, rows: n, width: 2 * H,
                weight: P.pointer(P.layout.finalNormWeight), bias: P.pointer(P.layout.finalNormBias), eps: c.layerNormEps,
                mean: zMean.pointer, rstd: zRstd.pointer)
            finalDrop?.apply(z.pointer, count: n * 2 * H, first: (b * T + start) * 2 * H)
        }
        for b in 0..<B {
            for start in stride(from: 0, to: T0, by: piece) {
                let n = min(piece, T0 - start)
                normalizeBlock(b: b, start: start, n: n)
                BLAS.linear(
                    input: z.pointer, rows: n, inFeatures: 2 * H, weight: P.pointer(P.layout.lmWeight),
                    outFeatures: V, bias: P.pointer(P.layout.lmBias), output: logits.pointer + (b * T0 + start) * V)
            }
        }
        let (loss, counted) = labels.withUnsafeBufferPointer { lb in
            CrossEntropy.loss(logits: logits.pointer, labels: lb.baseAddress!, batch: B, length: T0, vocab: V, causal: c.causalLoss)
        }
        guard loss.isFinite else {
            // No gradients for a non-finite loss: the caller sees `loss` and decides (the trainer stops).
            return ForwardResult(paddedLength: T, logits: logits.toArray(), loss: loss, countedTargets: counted, hidden: [], lshLayers: traces)
        }

        // Loss → logits → LM head → final LayerNorm → (dY1, dY2), block by block (padding rows stay 0).
        let dLogits = FloatBuffer(count: piece * V, category: .activations)
        let dZ = FloatBuffer(count: piece * 2 * H, category: .activations)
        let dConcat = FloatBuffer(count: piece * 2 * H, category: .activations)
        let dx1 = FloatBuffer(count: rows * H, category: .activations)
        let dx2 = FloatBuffer(count: rows * H, category: .activations)
        let scale = counted > 0 ? 1 / Float(counted) : 0
        for b in 0..<B {
            for start in stride(from: 0, to: T0, by: piece) {
                let n = min(piece, T0 - start)
                normalizeBlock(b: b, start: start, n: n)
                dLogits.pointer.update(from: logits.pointer + (b * T0 + start) * V, count: n * V)
                labels.withUnsafeBufferPointer { lb in
                    CrossEntropy.gradient(
                        logitsInGradientOut: dLogits.pointer, labels: lb.baseAddress!, row: b, positions: start..<(start + n),
                        length: T0, vocab: V, causal: c.causalLoss, scale: scale)
                }
                BLAS.gemm(.none, .none, m: n, n: 2 * H, k: V, a: dLogits.pointer, lda: V, b: P.pointer(P.layout.lmWeight), ldb: 2 * H,
                          c: dZ.pointer, ldc: 2 * H)
                BLAS.gemm(.transposed, .none, m: V, n: 2 * H, k: n, a: dLogits.pointer, lda: V, b: z.pointer, ldb: 2 * H,
                          beta: 1, c: G.pointer(P.layout.lmWeight), ldc: 2 * H)
                addColumnSums(dLogits.pointer, rows: n, width: V, into: G.pointer(P.layout.lmBias))
                finalDrop?.apply(dZ.pointer, count: n * 2 * H, first: (b * T + start) * 2 * H)
                dConcat.pointer.update(repeating: 0, count: n * 2 * H)
                LayerNorm.backward(
                    input: concat.pointer, dOutput: dZ.pointer, dInput: dConcat.pointer, rows: n, width: 2 * H,
                    weight: P.pointer(P.layout.finalNormWeight), mean: zMean.pointer, rstd: zRstd.pointer,
                    dWeight: G.pointer(P.layout.finalNormWeight), dBias: G.pointer(P.layout.finalNormBias))
                for i in 0..<n {
                    let r = b * T + start + i
                    (dx1.pointer + r * H).update(from: dConcat.pointer + i * 2 * H, count: H)
                    (dx2.pointer + r * H).update(from: dConcat.pointer + i * 2 * H + H, count: H)
                }
            }
        }

        // The stack, top to bottom.
        for i in (0..<c.layerCount).reversed() {
            let inputs = storeActivations ? (x1: UnsafePointer(stored[i].0.pointer), x2: UnsafePointer(stored[i].1.pointer)) : nil
            ctx.backwardLayer(i, y1: x1.pointer, y2: x2.pointer, dy1: dx1.pointer, dy2: dx2.pointer, grads: G, storedInputs: inputs)
        }

        // Both streams started as E.
        for e in 0..<(rows * H) { dx1.pointer[e] += dx2.pointer[e] }
        Embedding.backward(parameters: P, gradients: G, config: c, ids: ctx.ids.pointer, rows: rows, length: T, dOutput: dx1.pointer,
                           dropout: embeddingDrop)

        return ForwardResult(
            paddedLength: T, logits: logits.toArray(), loss: loss, countedTargets: counted, hidden: [], lshLayers: traces)
    }
}
