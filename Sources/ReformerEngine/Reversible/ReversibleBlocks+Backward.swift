// ReversibleBlocks+Backward: one reversible layer walked back (REFORMER_SPEC §13.1), in place:
//   1. recompute G(Y1); Ŷ1 = Ȳ1 + J_G(Y1)ᵀ Ȳ2, θ̄_G;  X2 = Y2 − G(Y1)
//   2. recompute F(X2) with the forward's buckets; X̄2 = Ȳ2 + J_F(X2)ᵀ Ŷ1, θ̄_F;  X1 = Y1 − F(X2)
//   3. X̄1 = Ŷ1.
// Only this layer's working set is live; nothing of the layers above is kept but (Y1, Y2).
// With dropout, every recomputation computes the forward's masks again (they are functions of the
// step's seed, the layer and the element), and each gradient goes through the same factors.

/// Buffers only the backward needs, planned once per step from (rows, config).
final class TrainingBuffers {
    let mean, rstd: FloatBuffer                      // [rows] LayerNorm statistics of the current block
    let dNormed: FloatBuffer                         // [rows, H]
    let dProjA, dProjB, dProjV, dAttended: FloatBuffer  // [rows, A]
    let ffPre, ffAct, ffGrad: FloatBuffer            // [ffRows, F]

    init(config c: ReformerConfig, rows: Int, ffRows: Int) {
        let H = c.hiddenSize, A = c.allHeadSize, F = c.feedForwardSize
        mean = FloatBuffer(count: rows, category: .activations)
        rstd = FloatBuffer(count: rows, category: .activations)
        dNormed = FloatBuffer(count: rows * H, category: .activations)
        dProjA = FloatBuffer(count: rows * A, category: .activations)
        dProjB = FloatBuffer(count: c.hasLocal ? rows * A : 0, category: .activations)
        dProjV = FloatBuffer(count: rows * A, category: .activations)
        dAttended = FloatBuffer(count: rows * A, category: .activations)
        ffPre = FloatBuffer(count: ffRows * F, category: .activations)
        ffAct = FloatBuffer(count: ffRows * F, category: .activations)
        ffGrad = FloatBuffer(count: ffRows * F, category: .activations)
    }
}

/// Column sums of a [rows, n] matrix added into `into` [n].
@inline(__always)
func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, width n: Int, into: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = m + r * n
        for j in 0..<n { into[j] += row[j] }
    }
}

extension LayerContext {
    /// Backward of layer i. On entry (y1, y2) are the layer's outputs and (dy1, dy2) their
    /// gradients; on return they are the layer's inputs and their gradients. Parameter gradients
    /// accumulate into `grads`. `storedInputs` (x1, x2), when given, replace the reconstruction
    /// (the "stored activations" twin used to test the reversible path).
    func backwardLayer(
        _ i: Int, y1: UnsafeMutablePointer<Float>, y2: UnsafeMutablePointer<Float>,
        dy1: UnsafeMutablePointer<Float>, dy2: UnsafeMutablePointer<Float>, grads G: ParameterSet,
        storedInputs: (x1: UnsafePointer<Float>, x2: UnsafePointer<Float>)? = nil
    ) {
        guard let tb = train else { preconditionFailure("LayerContext was not planned for training") }
        let c = model.config, P = model.parameters, s = P.layout.layers[i]
        let H = c.hiddenSize, A = c.allHeadSize, F = c.feedForwardSize
        let ffDrop = feedForwardDropout(layer: i)

        // 1. Feed-forward half: G(Y1) recomputed chunk by chunk.
        LayerNorm.forward(
            input: y1, output: normed.pointer, rows: rows, width: H, weight: P.pointer(s.ffNormWeight),
            bias: P.pointer(s.ffNormBias), eps: c.layerNormEps, mean: tb.mean.pointer, rstd: tb.rstd.pointer)
        var start = 0
        while start < rows {
            let n = min(ffRows, rows - start)
            let xin = normed.pointer + start * H
            BLAS.linear(input: xin, rows: n, inFeatures: H, weight: P.pointer(s.ff1Weight), outFeatures: F,
                        bias: P.pointer(s.ff1Bias), output: tb.ffPre.pointer)
            // ffPre holds the (dropped) pre-activation the activation saw.
            ffDrop?.hidden?.apply(tb.ffPre.pointer, count: n * F, first: start * F)
            tb.ffAct.pointer.update(from: tb.ffPre.pointer, count: n * F)
            Activations.apply(c.activation, tb.ffAct.pointer, count: n * F)
            let b2 = P.pointer(s.ff2Bias)
            var dyc = UnsafePointer(dy2 + start * H)
            if let mask = ffDrop?.output, let block = ffDrop?.scratch {
                // X2 = Y2 − drop(act·W₂ᵀ + b₂); the branch's gradient is drop(Ȳ2) (same factors).
                BLAS.linear(input: tb.ffAct.pointer, rows: n, inFeatures: F, weight: P.pointer(s.ff2Weight), outFeatures: H,
                            bias: b2, output: block)
                mask.apply(block, count: n * H, first: start * H)
                let x2 = y2 + start * H, g = dy2 + start * H
                for e in 0..<(n * H) {
                    x2[e] -= block[e]
                    block[e] = g[e]
                }
                mask.apply(block, count: n * H, first: start * H)
                dyc = UnsafePointer(block)
            } else {
                // X2 = Y2 − G(Y1)
                BLAS.gemm(.none, .transposed, m: n, n: H, k: F, alpha: -1, a: tb.ffAct.pointer, lda: F,
                          b: P.pointer(s.ff2Weight), ldb: F, beta: 1, c: y2 + start * H, ldc: H)
                for r in 0..<n { let row = y2 + (start + r) * H; for j in 0..<H { row[j] -= b2[j] } }
            }
            // θ̄ of the second dense, then back through it and the activation.
            BLAS.gemm(.transposed, .none, m: H, n: F, k: n, a: dyc, lda: H, b: tb.ffAct.pointer, ldb: F,
                      beta: 1, c: G.pointer(s.ff2Weight), ldc: F)
            addColumnSums(dyc, rows: n, width: H, into: G.pointer(s.ff2Bias))
            BLAS.gemm(.none, .none, m: n, n: F, k: H, a: dyc, lda: H, b: P.pointer(s.ff2Weight), ldb: F,
                      c: tb.ffGrad.pointer, ldc: F)
            Activations.backward(c.activation, preActivation: tb.ffPre.pointer, grad: tb.ffGrad.pointer, count: n * F)
            ffDrop?.hidden?.apply(tb.ffGrad.pointer, count: n * F, first: start * F)
            BLAS.gemm(.transposed, .none, m: F, n: H, k: n, a: tb.ffGrad.pointer, lda: F, b: xin, ldb: H,
                      beta: 1, c: G.pointer(s.ff1Weight), ldc: H)
            addColumnSums(tb.ffGrad.pointer, rows: n, width: F, into: G.pointer(s.ff1Bias))
            BLAS.gemm(.none, .none, m: n, n: H, k: F, a: tb.ffGrad.pointer, lda: F, b: P.pointer(s.ff1Weight), ldb: H,
                      c: tb.dNormed.pointer + start * H, ldc: H)
            start += n
        }
        LayerNorm.backward(
            input: y1, dOutput: tb.dNormed.pointer, dInput: dy1, rows: rows, width: H, weight: P.pointer(s.ffNormWeight),
            mean: tb.mean.pointer, rstd: tb.rstd.pointer, dWeight: G.pointer(s.ffNormWeight), dBias: G.pointer(s.ffNormBias))
        if let stored = storedInputs { y2.update(from: stored.x2, count: rows * H) }

        // 2. Attention half: F(X2) recomputed with the forward's buckets.
        LayerNorm.forward(
            input: y2, output: normed.pointer, rows: rows, width: H, weight: P.pointer(s.attentionNormWeight),
            bias: P.pointer(s.attentionNormBias), eps: c.layerNormEps, mean: tb.mean.pointer, rstd: tb.rstd.pointer)
        // The branch's gradient: Ŷ1, or drop(Ŷ1) with the forward's attention-output mask (held in
        // dNormed, which is free until the projections below write it).
        let outDrop = dropout?.mask(.attentionOutput, layer: i)
        var dBranch = UnsafePointer(dy1)
        if let outDrop {
            tb.dNormed.pointer.update(from: dy1, count: rows * H)
            outDrop.apply(tb.dNormed.pointer, count: rows * H, first: 0)
            dBranch = UnsafePointer(tb.dNormed.pointer)
        }
        // Ō (attention output, heads merged) = Ŷ1 · W_o
        BLAS.gemm(.none, .none, m: rows, n: A, k: H, a: dBranch, lda: H, b: P.pointer(s.output), ldb: A,
                  c: tb.dAttended.pointer, ldc: A)
        let kv = maskPresent ? keyValid : nil
        let weights = weightDropout(layer: i)
        if c.attentionLayers[i] == .local {
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.query), outFeatures: A, bias: nil, output: projA.pointer)
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.key), outFeatures: A, bias: nil, output: projB.pointer)
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.value), outFeatures: A, bias: nil, output: projV.pointer)
            workspace.localBackward(
                query: projA, key: projB, value: projV, keyValid: kv, dOut: tb.dAttended, out: attended,
                dQuery: tb.dProjA, dKey: tb.dProjB, dValue: tb.dProjV, dropout: weights)
        } else {
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.queryKey), outFeatures: A, bias: nil, output: projA.pointer)
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.value), outFeatures: A, bias: nil, output: projV.pointer)
            workspace.lshBackward(
                layer: i, qk: projA, value: projV, keyValid: kv, padBucket: paddingBucket,
                dOut: tb.dAttended, out: attended, dQK: tb.dProjA, dValue: tb.dProjV, dropout: weights)
        }
        // θ̄ of W_o, then X1 = Y1 − F(X2).
        BLAS.gemm(.transposed, .none, m: H, n: A, k: rows, a: dBranch, lda: H, b: attended.pointer, ldb: A,
                  beta: 1, c: G.pointer(s.output), ldc: A)
        if let stored = storedInputs {
            y1.update(from: stored.x1, count: rows * H)
        } else if let outDrop {
            // X1 = Y1 − drop(attended · W_oᵀ)
            BLAS.gemm(.none, .transposed, m: rows, n: H, k: A, a: attended.pointer, lda: A,
                      b: P.pointer(s.output), ldb: A, c: undropped.pointer, ldc: H)
            outDrop.apply(undropped.pointer, count: rows * H, first: 0)
            for e in 0..<(rows * H) { y1[e] -= undropped.pointer[e] }
        } else {
            BLAS.gemm(.none, .transposed, m: rows, n: H, k: A, alpha: -1, a: attended.pointer, lda: A,
                      b: P.pointer(s.output), ldb: A, beta: 1, c: y1, ldc: H)
        }
        // Projections: θ̄ and the gradient of the normalised input.
        let pairs: [(grad: FloatBuffer, slot: Int)] = c.attentionLayers[i] == .local
            ? [(tb.dProjA, s.query), (tb.dProjB, s.key), (tb.dProjV, s.value)]
            : [(tb.dProjA, s.queryKey), (tb.dProjV, s.value)]
        for (index, pair) in pairs.enumerated() {
            BLAS.gemm(.transposed, .none, m: A, n: H, k: rows, a: pair.grad.pointer, lda: A, b: normed.pointer, ldb: H,
                      beta: 1, c: G.pointer(pair.slot), ldc: H)
            BLAS.gemm(.none, .none, m: rows, n: H, k: A, a: pair.grad.pointer, lda: A, b: P.pointer(pair.slot), ldb: H,
                      beta: index == 0 ? 0 : 1, c: tb.dNormed.pointer, ldc: H)
        }
        LayerNorm.backward(
            input: y2, dOutput: tb.dNormed.pointer, dInput: dy2, rows: rows, width: H, weight: P.pointer(s.attentionNormWeight),
            mean: tb.mean.pointer, rstd: tb.rstd.pointer, dWeight: G.pointer(s.attentionNormWeight), dBias: G.pointer(s.attentionNormBias))
    }
}
