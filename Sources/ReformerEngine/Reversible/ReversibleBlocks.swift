// ReversibleBlocks: the two halves of a reversible layer (REFORMER_SPEC §6) over planned buffers:
//   Y1 = X1 + F(X2),  F = W_o · SelfAttn(LN_a(·))      Y2 = X2 + G(Y1),  G = FF(LN_f(·))
// and their inverse X2 = Y2 − G(Y1), X1 = Y1 − F(X2) (F with the forward's buckets, not re-hashed).
// In a training step with dropout, F and G drop with the step's masks (Dropout.swift), and every
// recomputation of a layer computes the same masks again.

/// Buffers and inputs of one forward at (batch, padded length); reused by every layer.
final class LayerContext {
    let model: ReformerModel
    let batch: Int, length: Int, rows: Int
    let ids: LedgerBuffer<Int32>
    /// keyValid[b·T + t] = 0 for masked (padding) positions.
    let keyValid: LedgerBuffer<UInt8>
    /// A mask exists (given by the caller or created by automatic padding).
    let maskPresent: Bool
    /// Some position of the batch is masked: LSH layers add the padding bucket.
    let anyMasked: Bool
    let normed, projA, projB, projV, attended, ffHidden: FloatBuffer
    let ffRows: Int
    let workspace: AttentionWorkspace
    /// When set, layers in `probe.layers` copy their attention inputs for batch row 0 into it.
    var probe: ProbeCapture?
    /// Backward-only buffers (nil for inference).
    let train: TrainingBuffers?
    /// This step's dropout masks (training with a non-zero probability only; nil = drop nothing).
    let dropout: DropoutPlan?
    /// [rows, H]: a block's output before it is dropped (allocated only with hidden dropout).
    let undropped: FloatBuffer

    init(model: ReformerModel, request: ForwardRequest, length T: Int, training: Bool = false) {
        let c = model.config
        let B = request.batch, T0 = request.length
        self.model = model
        self.batch = B
        self.length = T
        self.rows = B * T
        ids = LedgerBuffer(count: rows, category: .activations)
        keyValid = LedgerBuffer(count: rows, category: .activations)
        var masked = false
        for b in 0..<B {
            for t in 0..<T {
                let real = t < T0
                ids[b * T + t] = real ? request.tokens[b * T0 + t] : Int32(c.padTokenId)
                let valid = real && (request.attentionMask.map { $0[b * T0 + t] != 0 } ?? true)
                keyValid[b * T + t] = valid ? 1 : 0
                if !valid { masked = true }
            }
        }
        anyMasked = masked
        maskPresent = request.attentionMask != nil || T != T0
        let H = c.hiddenSize, A = c.allHeadSize
        normed = FloatBuffer(count: rows * H, category: .activations)
        projA = FloatBuffer(count: rows * A, category: .activations)
        // Keys of local layers only (LSH layers share QK): an all-LSH model needs no key buffer.
        projB = FloatBuffer(count: c.hasLocal ? rows * A : 0, category: .activations)
        projV = FloatBuffer(count: rows * A, category: .activations)
        attended = FloatBuffer(count: rows * A, category: .activations)
        ffRows = min(rows, c.feedForwardChunkSize > 0 ? c.feedForwardChunkSize : 1024)
        ffHidden = FloatBuffer(count: ffRows * c.feedForwardSize, category: .activations)
        workspace = AttentionWorkspace(model: model, batch: B, length: T, fullAttention: request.fullAttention, backward: training)
        train = training ? TrainingBuffers(config: c, rows: rows, ffRows: ffRows) : nil
        let plan = training ? request.dropout.flatMap { DropoutPlan(config: c, seed: $0) } : nil
        dropout = plan
        undropped = FloatBuffer(count: (plan?.hidden ?? 0) > 0 ? B * T * H : 0, category: .activations)
    }

    /// Layer i's attention-weight mask (nil without dropout).
    func weightDropout(layer i: Int) -> DropoutMask? {
        dropout?.attentionWeights(layer: i, kind: model.config.attentionLayers[i])
    }

    /// Layer i's feed-forward masks (nil without hidden dropout).
    func feedForwardDropout(layer i: Int) -> FeedForward.Dropout? {
        guard let d = dropout, d.hidden > 0 else { return nil }
        return FeedForward.Dropout(
            hidden: d.mask(.feedForwardHidden, layer: i), output: d.mask(.feedForwardOutput, layer: i), scratch: undropped.pointer)
    }

    /// The embeddings' masks (nil without hidden dropout).
    var embeddingDropout: Embedding.Dropout? {
        guard let d = dropout, d.hidden > 0 else { return nil }
        return Embedding.Dropout(word: d.mask(.wordEmbedding), position: d.mask(.positionEmbedding))
    }

    /// into += scale · F_i(input). An LSH layer that hashes takes `rotations` (else the model's seed
    /// or generator) and keeps its buckets in the workspace; `replayBuckets` re-uses them instead.
    func attention(
        layer i: Int, input: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>, scale: Float = 1,
        rotations: [Float]? = nil, replayBuckets: Bool = false
    ) throws(ReformerError) {
        let c = model.config, P = model.parameters, s = P.layout.layers[i]
        let H = c.hiddenSize, A = c.allHeadSize
        LayerNorm.forward(
            input: input, output: normed.pointer, rows: rows, width: H,
            weight: P.pointer(s.attentionNormWeight), bias: P.pointer(s.attentionNormBias), eps: c.layerNormEps)
        if c.attentionLayers[i] == .local {
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.query), outFeatures: A, bias: nil, output: projA.pointer)
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.key), outFeatures: A, bias: nil, output: projB.pointer)
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.value), outFeatures: A, bias: nil, output: projV.pointer)
            workspace.local(query: projA, key: projB, value: projV, keyValid: maskPresent ? keyValid : nil, out: attended,
                            dropout: weightDropout(layer: i))
        } else {
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.queryKey), outFeatures: A, bias: nil, output: projA.pointer)
            BLAS.linear(input: normed.pointer, rows: rows, inFeatures: H, weight: P.pointer(s.value), outFeatures: A, bias: nil, output: projV.pointer)
            var hashing = AttentionWorkspace.Hashing.replay
            if !replayBuckets, let plan = workspace.plan {
                if let rotations { hashing = .rotate(rotations) }
                else { hashing = .rotate(try model.rotations(layer: i, plan: plan)) }
            }
            try workspace.lsh(
                layer: i, qk: projA, value: projV, keyValid: maskPresent ? keyValid : nil,
                padBucket: paddingBucket, hashing: hashing, out: attended, dropout: weightDropout(layer: i))
        }
        if !replayBuckets, scale == 1, let probe, probe.layers.contains(i) { captureProbe(layer: i, into: probe) }
        if let mask = dropout?.mask(.attentionOutput, layer: i) {
            // into += scale · drop(attended · W_oᵀ)
            BLAS.gemm(.none, .transposed, m: rows, n: H, k: A, a: attended.pointer, lda: A,
                      b: P.pointer(s.output), ldb: A, c: undropped.pointer, ldc: H)
            mask.apply(undropped.pointer, count: rows * H, first: 0)
            for e in 0..<(rows * H) { into[e] += scale * undropped.pointer[e] }
            return
        }
        BLAS.gemm(.none, .transposed, m: rows, n: H, k: A, alpha: scale, a: attended.pointer, lda: A,
                  b: P.pointer(s.output), ldb: A, beta: 1, c: into, ldc: H)
    }

    /// LSH layers add the padding bucket when a mask exists and masks something (§9.5).
    var paddingBucket: Bool { maskPresent && anyMasked }

    /// into += scale · G_i(input).
    func feedForward(layer i: Int, input: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>, scale: Float = 1) {
        let c = model.config, P = model.parameters, s = P.layout.layers[i]
        LayerNorm.forward(
            input: input, output: normed.pointer, rows: rows, width: c.hiddenSize,
            weight: P.pointer(s.ffNormWeight), bias: P.pointer(s.ffNormBias), eps: c.layerNormEps)
        FeedForward.forward(
            parameters: P, slots: s, config: c, input: normed.pointer, rows: rows,
            hidden: ffHidden.pointer, hiddenRows: ffRows, accumulateInto: into, scale: scale,
            dropout: feedForwardDropout(layer: i))
    }

    /// Forward of layer i in place: (x1, x2) ← (Y1, Y2).
    func forwardLayer(
        _ i: Int, x1: UnsafeMutablePointer<Float>, x2: UnsafeMutablePointer<Float>, rotations: [Float]? = nil
    ) throws(ReformerError) {
        try attention(layer: i, input: x2, into: x1, rotations: rotations)
        feedForward(layer: i, input: x1, into: x2)
    }

    /// Inverse of layer i in place: (y1, y2) ← (X1, X2), re-using the buckets its forward used.
    func inverseLayer(_ i: Int, y1: UnsafeMutablePointer<Float>, y2: UnsafeMutablePointer<Float>) throws(ReformerError) {
        feedForward(layer: i, input: y1, into: y2, scale: -1)
        try attention(layer: i, input: y2, into: y1, scale: -1, replayBuckets: true)
    }
}
