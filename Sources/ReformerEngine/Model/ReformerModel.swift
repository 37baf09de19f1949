// ReformerModel: the whole forward of REFORMER_SPEC §3 in one top-down flow —
//   pad → embed → for each layer: Y1 = X1 + Attn(X2), Y2 = X2 + FF(Y1) → LN(concat) → LM head → loss.
// Buffers are planned once per call from (B, T) and checked against the memory budget first; the
// per-layer loop allocates nothing.

import Foundation

public final class ReformerModel: @unchecked Sendable {
    public let config: ReformerConfig
    public let parameters: ParameterSet
    /// The bucket plan of every LSH layer; fixed at the first chunked call when `num_buckets` is null.
    public private(set) var bucketPlan: BucketPlan?
    /// Where the config came from, for error messages ("config.json" of a checkpoint folder).
    public var configSource = "config"
    /// torch's draw for `hash_seed` (the same tensor every time, so computed once).
    private var seededRotations: [Float]?
    /// Source of rotations when neither the request nor `hash_seed` supplies them.
    public var rotationGenerator: SplitMix64

    public init(config: ReformerConfig, parameters: ParameterSet, seed: UInt64 = 0) {
        self.config = config
        self.parameters = parameters
        self.rotationGenerator = SplitMix64(seed: seed ^ 0x5EED_0F15_A000_0001)
        if let f = config.buckets.factorList { bucketPlan = BucketPlan(factors: f) }
    }

    /// The plan for a chunked LSH call at padded length T (freezing the automatic choice).
    func plan(forLength T: Int) -> BucketPlan {
        if let p = bucketPlan { return p }
        let p = BucketPlan.automatic(length: T, chunkLength: config.lshChunkLength, maxPositions: config.maxPositionEmbeddings)
        bucketPlan = p
        return p
    }

    /// Length HF runs at for an input of length T₀ (automatic padding, §3.1).
    public func paddedLength(for T0: Int) -> Int {
        let multiple = config.paddingMultiple
        if T0 % multiple != 0 && T0 > config.shortLengthBound { return T0 + (multiple - T0 % multiple) }
        return T0
    }

    public func forward(_ request: ForwardRequest) throws(ReformerError) -> ForwardResult {
        let c = config
        let B = request.batch, T0 = request.length
        try validate(request)
        let T = paddedLength(for: T0)
        try checkLength(T)
        try checkMemory(request, length: T, training: false)
        let H = c.hiddenSize, V = c.vocabSize, rows = B * T

        let ctx = LayerContext(model: self, request: request, length: T)
        if let probe = request.probe {
            ctx.probe = probe
            ctx.beginProbe(probe)
        }
        let x1 = FloatBuffer(count: rows * H, category: .activations)
        let x2 = FloatBuffer(count: rows * H, category: .activations)

        var hidden: [NamedTensor] = []
        func capture(_ name: String, _ buf: FloatBuffer, width: Int) {
            if request.captureHidden { hidden.append(NamedTensor(name: name, shape: [B, T, width], values: buf.toArray())) }
        }

        Embedding.forward(parameters: parameters, config: c, ids: ctx.ids.pointer, rows: rows, length: T, output: x1.pointer)
        x2.pointer.update(from: x1.pointer, count: rows * H)
        capture("hidden.embeddings", x1, width: H)

        var traces: [LSHLayerTrace] = []
        for i in 0..<c.layerCount {
            // Y1 = X1 + Attn(X2);  Y2 = X2 + FF(Y1)
            try ctx.forwardLayer(i, x1: x1.pointer, x2: x2.pointer, rotations: request.rotations[i])
            if let trace = ctx.workspace.trace(layer: i, paddingBucket: ctx.paddingBucket) { traces.append(trace) }
            capture("hidden.layer\(i).y1", x1, width: H)
            capture("hidden.layer\(i).y2", x2, width: H)
        }
        let P = parameters

        // Z = LN(concat(Y1, Y2)) over 2H, cut to T₀, then the LM head.
        let concat = FloatBuffer(count: rows * 2 * H, category: .activations)
        for r in 0..<rows {
            (concat.pointer + r * 2 * H).update(from: x1.pointer + r * H, count: H)
            (concat.pointer + r * 2 * H + H).update(from: x2.pointer + r * H, count: H)
        }
        let z = FloatBuffer(count: rows * 2 * H, category: .activations)
        LayerNorm.forward(
            input: concat.pointer, output: z.pointer, rows: rows, width: 2 * H,
            weight: P.pointer(P.layout.finalNormWeight), bias: P.pointer(P.layout.finalNormBias), eps: c.layerNormEps)
        capture("hidden.final_norm", z, width: 2 * H)
        var logits = [Float](repeating: 0, count: B * T0 * V)
        logits.withUnsafeMutableBufferPointer { out in
            for b in 0..<B {
                BLAS.linear(
                    input: z.pointer + b * T * 2 * H, rows: T0, inFeatures: 2 * H,
                    weight: P.pointer(P.layout.lmWeight), outFeatures: V, bias: P.pointer(P.layout.lmBias),
                    output: out.baseAddress! + b * T0 * V)
            }
        }
        var loss: Float? = nil
        var counted = 0
        if let labels = request.labels {
            let r = logits.withUnsafeBufferPointer { lg in
                labels.withUnsafeBufferPointer { lb in
                    CrossEntropy.loss(logits: lg.baseAddress!, labels: lb.baseAddress!, batch: B, length: T0, vocab: V, causal: c.causalLoss)
                }
            }
            loss = r.loss
            counted = r.counted
        }
        return ForwardResult(paddedLength: T, logits: logits, loss: loss, countedTargets: counted, hidden: hidden, lshLayers: traces)
    }

    // MARK: - Input checks

    func validate(_ r: ForwardRequest) throws(ReformerError) {
        let n = r.batch * r.length
        guard r.batch > 0, r.length > 0 else {
            throw ReformerError(file: "input_ids", "has shape [\(r.batch), \(r.length)], expected a non-empty [batch, length]")
        }
        guard r.tokens.count == n else {
            throw ReformerError(file: "input_ids", "has \(r.tokens.count) values, expected \(n) for shape [\(r.batch), \(r.length)]")
        }
        for (i, id) in r.tokens.enumerated() where id < 0 || Int(id) >= config.vocabSize {
            throw ReformerError(file: "input_ids", "token id \(id) at [\(i / r.length), \(i % r.length)] is outside the vocabulary 0..<\(config.vocabSize)")
        }
        if let m = r.attentionMask, m.count != n {
            throw ReformerError(file: "attention_mask", "has \(m.count) values, expected \(n) (the shape of input_ids)")
        }
        if let l = r.labels {
            guard l.count == n else {
                throw ReformerError(file: "labels", "has \(l.count) values, expected \(n) (the shape of input_ids)")
            }
            for (i, y) in l.enumerated() where y != CrossEntropy.ignoreIndex && (y < 0 || y >= Int64(config.vocabSize)) {
                throw ReformerError(file: "labels", "label \(y) at [\(i / r.length), \(i % r.length)] is outside 0..<\(config.vocabSize) and not -100")
            }
        }
    }

    func checkLength(_ T: Int) throws(ReformerError) {
        let c = config
        if T > c.maxPositionEmbeddings {
            throw ReformerError(file: configSource, field: "max_position_embeddings",
                                "is \(c.maxPositionEmbeddings), but the sequence needs \(T) positions")
        }
        if c.axialPositionEmbeddings && c.axialShape[0] * c.axialShape[1] < T {
            throw ReformerError(file: configSource, field: "axial_pos_shape",
                                "\(c.axialShape) covers \(c.axialShape[0] * c.axialShape[1]) positions, but the sequence needs \(T)")
        }
    }

    /// Refuses a call whose buffers (ModelFootprint.forward) cannot fit in the memory the process
    /// may use, or whose LSH sort indices would pass 32 bits — before any of its buffers exists.
    func checkMemory(_ request: ForwardRequest, length T: Int, training: Bool) throws(ReformerError) {
        let c = config
        let hashing = ModelFootprint.hashes(c, length: T, fullAttention: request.fullAttention)
        let footprint = ModelFootprint.forward(
            c, plan: hashing ? plan(forLength: T) : nil, batch: request.batch, length: T, inputLength: request.length,
            training: training, fullAttention: request.fullAttention, captureHidden: request.captureHidden)
        try MemoryBudget.require(footprint, configFile: configSource)
        if hashing && c.hashRounds > Int(Int32.max) / T {
            throw ReformerError(file: configSource, field: "num_hashes",
                                "is \(c.hashRounds): that many rounds of \(T) positions pass the 32-bit sort indices")
        }
    }

    /// Rotations for LSH layer `layer` at this plan: given, seeded like torch, or from the generator.
    /// Rotations for LSH layer `layer` when none are given: seeded like torch (`hash_seed`, identical
    /// for every layer, §9.3) or fresh from the engine's generator.
    func rotations(layer: Int, plan: BucketPlan) throws(ReformerError) -> [Float] {
        let c = config
        let count = c.headCount * c.headSize * c.hashRounds * plan.rotationHalf
        if let seed = c.hashSeed {
            if let cached = seededRotations, cached.count == count { return cached }
            let r = try TorchRandom.randn(seed: seed, count: count)
            seededRotations = r
            return r
        }
        return rotationGenerator.gaussians(count)
    }
}
