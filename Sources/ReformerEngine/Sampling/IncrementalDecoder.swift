// IncrementalDecoder: generation with a decoding cache (REFORMER_SPEC §15). A full forward over the
// prompt fills, per layer, the projections of the prompt's normalised attention inputs and, for LSH
// layers whose cache has reached a chunk, their buckets; each new token then costs its own layer
// computations plus attention over one window:
//   local: keys from ((T_past div C) − n_b)·C to the new token — exact;
//   LSH, fewer than C positions: shared-QK attention over all positions, self rule — exact;
//   LSH, ≥ C positions: hash the new token, stable-sort each round, attend to the chunk holding it
//   and n_b before / n_a after (wrapping within the round), self rule only, merge rounds by
//   logsumexp — §15's incremental semantics, close to but not equal to a full forward.
// Rotations are drawn once per generation (torch-seeded with hash_seed), so the cache stays consistent.

import Foundation

public final class IncrementalDecoder {
    let model: ReformerModel
    let c: ReformerConfig
    /// Cached positions.
    public private(set) var length = 0
    /// Per layer: cached projections, [length, A] each (LSH: qk in `first`, local: q unused, k in `first`).
    private var first: [[Float]]
    private var values: [[Float]]
    /// Per LSH layer: buckets [head][round][position]; empty until the cache reaches a chunk.
    private var buckets: [[[[Int32]]]]
    /// Per LSH layer, head and round: positions in stable (bucket, position) order, and how many
    /// positions each bucket holds — kept up to date by insertion, since a new token is always last
    /// in its bucket.
    private var order: [[[[Int32]]]]
    private var bucketSizes: [[[[Int]]]]
    /// Per LSH layer: RMS-normalised keys of the cached qk rows [length, A].
    private var normalizedKeys: [[Float]]
    private var rotations: [[Float]]
    private let plan: BucketPlan?

    /// Prefills the cache with `prompt` (a full forward) and returns the logits of its last position.
    /// `capacity`: the positions the cache will grow to (default: the prompt's), capped by the
    /// model's maximum; the cache and the rotations for it must fit in memory before any is made.
    public init(model: ReformerModel, prompt: [Int32], capacity: Int? = nil) throws(ReformerError) {
        self.model = model
        c = model.config
        guard !prompt.isEmpty else { throw ReformerError(file: "prompt", "is empty, expected at least one token") }
        first = Array(repeating: [], count: c.layerCount)
        values = Array(repeating: [], count: c.layerCount)
        buckets = Array(repeating: [], count: c.layerCount)
        order = Array(repeating: [], count: c.layerCount)
        bucketSizes = Array(repeating: [], count: c.layerCount)
        normalizedKeys = Array(repeating: [], count: c.layerCount)
        rotations = Array(repeating: [], count: c.layerCount)
        var resolved = model.bucketPlan
        if resolved == nil, c.hasLSH {
            // Automatic num_buckets: HF decides at the first chunked call; decide for the maximum length.
            resolved = BucketPlan.automatic(length: max(c.lshChunkLength * 2, (c.maxPositionEmbeddings / c.lshChunkLength) * c.lshChunkLength),
                                            chunkLength: c.lshChunkLength, maxPositions: c.maxPositionEmbeddings)
        }
        plan = resolved
        let positions = min(max(capacity ?? prompt.count, prompt.count), c.maxPositionEmbeddings)
        try MemoryBudget.require(ModelFootprint.decodeCache(c, plan: resolved, length: positions, source: "prompt + --tokens"),
                                 configFile: model.configSource)
        if let plan {
            for i in 0..<c.layerCount where c.attentionLayers[i] == .lsh {
                rotations[i] = try model.rotations(layer: i, plan: plan)
            }
        }
        try prefill(prompt)
    }

    public private(set) var lastLogits: [Float] = []

    private func prefill(_ prompt: [Int32]) throws(ReformerError) {
        // One forward over the prompt (the model's own, with automatic padding) capturing every
        // layer's projections for batch row 0; the cache keeps the first T₀ rows.
        var request = ForwardRequest(batch: 1, length: prompt.count, tokens: prompt)
        let capture = ProbeCapture(layers: Set(0..<c.layerCount))
        request.probe = capture
        var given: [Int: [Float]] = [:]
        for i in 0..<c.layerCount where !rotations[i].isEmpty { given[i] = rotations[i] }
        request.rotations = given
        let out = try model.forward(request)
        let T0 = prompt.count, A = c.allHeadSize, V = c.vocabSize
        lastLogits = Array(out.logits[((T0 - 1) * V)..<(T0 * V)])
        for i in 0..<c.layerCount {
            guard let layer = capture.captured[i] else { continue }
            let keysOrQK = c.attentionLayers[i] == .lsh ? layer.first : layer.second
            first[i] = Array(keysOrQK.prefix(T0 * A))
            values[i] = Array(layer.third.prefix(T0 * A))
            if c.attentionLayers[i] == .lsh {
                for p in 0..<T0 { appendNormalizedKeys(layer: i, position: p) }
            }
        }
        length = T0
        for i in 0..<c.layerCount where c.attentionLayers[i] == .lsh && length >= c.lshChunkLength { hashAll(layer: i) }
    }

    /// Appends `token` and returns the logits of its position.
    @discardableResult
    public func step(_ token: Int32) throws(ReformerError) -> [Float] {
        guard token >= 0, Int(token) < c.vocabSize else {
            throw ReformerError(file: "token", "id \(token) is outside the vocabulary 0..<\(c.vocabSize)")
        }
        guard length < c.maxPositionEmbeddings else {
            throw ReformerError(file: "generation", "reached the model's maximum length \(c.maxPositionEmbeddings)")
        }
        if c.axialPositionEmbeddings && length >= c.axialShape[0] * c.axialShape[1] {
            throw ReformerError(file: "generation", "reached the axial position grid's \(c.axialShape[0] * c.axialShape[1]) positions")
        }
        let P = model.parameters, H = c.hiddenSize, A = c.allHeadSize, F = c.feedForwardSize, V = c.vocabSize
        let position = length
        var x1 = embedding(token: token, position: position)
        var x2 = x1
        var normed = [Float](repeating: 0, count: H)
        var attended = [Float](repeating: 0, count: A)
        var hidden = [Float](repeating: 0, count: F)
        for i in 0..<c.layerCount {
            let s = P.layout.layers[i]
            LayerNorm.forward(input: x2, output: &normed, rows: 1, width: H, weight: P.pointer(s.attentionNormWeight),
                              bias: P.pointer(s.attentionNormBias), eps: c.layerNormEps)
            var a = [Float](repeating: 0, count: A), v = [Float](repeating: 0, count: A), q = [Float](repeating: 0, count: A)
            if c.attentionLayers[i] == .local {
                BLAS.linear(input: normed, rows: 1, inFeatures: H, weight: P.pointer(s.query), outFeatures: A, bias: nil, output: &q)
                BLAS.linear(input: normed, rows: 1, inFeatures: H, weight: P.pointer(s.key), outFeatures: A, bias: nil, output: &a)
            } else {
                BLAS.linear(input: normed, rows: 1, inFeatures: H, weight: P.pointer(s.queryKey), outFeatures: A, bias: nil, output: &a)
                q = a
            }
            BLAS.linear(input: normed, rows: 1, inFeatures: H, weight: P.pointer(s.value), outFeatures: A, bias: nil, output: &v)
            first[i] += a
            values[i] += v
            if c.attentionLayers[i] == .lsh { appendNormalizedKeys(layer: i, position: position) }
            if c.attentionLayers[i] == .local {
                localAttend(layer: i, query: q, out: &attended)
            } else {
                lshAttend(layer: i, query: q, out: &attended)
            }
            BLAS.gemm(.none, .transposed, m: 1, n: H, k: A, a: attended, lda: A, b: P.pointer(s.output), ldb: A, beta: 1, c: &x1, ldc: H)
            LayerNorm.forward(input: x1, output: &normed, rows: 1, width: H, weight: P.pointer(s.ffNormWeight),
                              bias: P.pointer(s.ffNormBias), eps: c.layerNormEps)
            normed.withUnsafeBufferPointer { n in
                hidden.withUnsafeMutableBufferPointer { h in
                    x2.withUnsafeMutableBufferPointer { o in
                        FeedForward.forward(parameters: P, slots: s, config: c, input: n.baseAddress!, rows: 1,
                                            hidden: h.baseAddress!, hiddenRows: 1, accumulateInto: o.baseAddress!)
                    }
                }
            }
        }
        length += 1
        var concat = x1 + x2, z = [Float](repeating: 0, count: 2 * H)
        LayerNorm.forward(input: concat, output: &z, rows: 1, width: 2 * H, weight: P.pointer(P.layout.finalNormWeight),
                          bias: P.pointer(P.layout.finalNormBias), eps: c.layerNormEps)
        concat = []
        var logits = [Float](repeating: 0, count: V)
        BLAS.linear(input: z, rows: 1, inFeatures: 2 * H, weight: P.pointer(P.layout.lmWeight), outFeatures: V,
                    bias: P.pointer(P.layout.lmBias), output: &logits)
        lastLogits = logits
        return logits
    }

    private func embedding(token: Int32, position t: Int) -> [Float] {
        let P = model.parameters, H = c.hiddenSize, layout = P.layout
        var e = [Float](repeating: 0, count: H)
        let w = P.pointer(layout.word) + Int(token) * H
        if c.axialPositionEmbeddings {
            let n2 = c.axialShape[1], d0 = c.axialDims[0], d1 = c.axialDims[1]
            let a0 = P.pointer(layout.axial0) + (t / n2) * d0, a1 = P.pointer(layout.axial1) + (t % n2) * d1
            for j in 0..<d0 { e[j] = w[j] + a0[j] }
            for j in 0..<d1 { e[d0 + j] = w[d0 + j] + a1[j] }
        } else {
            let p = P.pointer(layout.position) + t * H
            for j in 0..<H { e[j] = w[j] + p[j] }
        }
        return e
    }

    /// Local layer: the new token (position = length) attends to cached keys from
    /// ((length div C) − n_b)·C (not below 0) through itself; no mask is needed (all keys are past).
    private func localAttend(layer i: Int, query: [Float], out: inout [Float]) {
        let d = c.headSize, A = c.allHeadSize, C = c.localChunkLength
        let n = length + 1
        let start = max(0, (length / C - c.localChunksBefore) * C)
        let sqrtD = Float(Double(d).squareRoot())
        for h in 0..<c.headCount {
            let keyPositions = Array(start..<n)
            var k = [Float](), v = [Float]()
            for p in keyPositions {
                k += first[i][(p * A + h * d)..<(p * A + h * d + d)].map { $0 / sqrtD }
                v += values[i][(p * A + h * d)..<(p * A + h * d + d)]
            }
            let o = attend(query: Array(query[(h * d)..<(h * d + d)]), keys: k, values: v,
                           keyPositions: keyPositions.map(Int32.init), queryPosition: Int32(length), selfRule: false)
            for j in 0..<d { out[h * d + j] = o.out[j] }
        }
    }

    /// LSH layer: exact shared-QK attention while the sequence fits one chunk; then the cached
    /// incremental semantics of §15.
    private func lshAttend(layer i: Int, query: [Float], out: inout [Float]) {
        let d = c.headSize, A = c.allHeadSize, C = c.lshChunkLength, nH = c.hashRounds
        let n = length + 1
        // Buckets are cached once the cache held a chunk before this token (§15); this token is
        // hashed and appended. Before that, plain attention; when the total reaches C, hash all.
        let hashed = !buckets[i].isEmpty
        if hashed { appendBuckets(layer: i, position: length) }
        defer { if !hashed && n >= C && plan != nil { hashAll(layer: i, count: n) } }
        for h in 0..<c.headCount {
            let qh = Array(query[(h * d)..<(h * d + d)])
            func keyAndValue(_ positions: [Int]) -> ([Float], [Float]) {
                var k = [Float](repeating: 0, count: positions.count * d), v = k
                normalizedKeys[i].withUnsafeBufferPointer { nk in
                    values[i].withUnsafeBufferPointer { vals in
                        for (w, p) in positions.enumerated() {
                            for j in 0..<d {
                                k[w * d + j] = nk[p * A + h * d + j]
                                v[w * d + j] = vals[p * A + h * d + j]
                            }
                        }
                    }
                }
                return (k, v)
            }
            if !hashed {
                let positions = Array(0..<n)
                let (k, v) = keyAndValue(positions)
                let o = attend(query: qh, keys: k, values: v, keyPositions: positions.map(Int32.init), queryPosition: Int32(length), selfRule: true)
                for j in 0..<d { out[h * d + j] = o.out[j] }
                continue
            }
            var outs: [[Float]] = [], lses: [Float] = []
            for r in 0..<nH {
                // This round's positions in stable (bucket, position) order; the new token was inserted
                // last in its bucket by appendBuckets.
                let order = self.order[i][h][r]
                let bucket = Int(buckets[i][h][r][length])
                var end = 0
                for b in 0...bucket { end += bucketSizes[i][h][r][b] }
                let slot = end - 1
                let chunks = (n + C - 1) / C
                let home = slot / C
                var window: [Int] = []
                for j in -c.lshChunksBefore...c.lshChunksAfter {
                    let ch = ((home + j) % chunks + chunks) % chunks
                    window += order[(ch * C)..<min(n, (ch + 1) * C)].map(Int.init)
                }
                let (k, v) = keyAndValue(window)
                let o = attend(query: qh, keys: k, values: v, keyPositions: window.map(Int32.init), queryPosition: Int32(length), selfRule: true)
                outs.append(o.out)
                lses.append(o.lse)
            }
            if nH == 1 {
                for j in 0..<d { out[h * d + j] = outs[0][j] }
                continue
            }
            var m = lses.max()!
            if m.isInfinite { m = 0 }
            let total = logf(lses.reduce(Float(0)) { $0 + expf($1 - m) }) + m
            for j in 0..<d { out[h * d + j] = 0 }
            for r in 0..<nH {
                let w = expf(lses[r] - total)
                for j in 0..<d { out[h * d + j] += outs[r][j] * w }
            }
        }
    }

    private func attend(query: [Float], keys: [Float], values: [Float], keyPositions: [Int32], queryPosition: Int32, selfRule: Bool) -> (out: [Float], lse: Float) {
        let d = c.headSize, nk = keyPositions.count
        var probs = [Float](repeating: 0, count: nk), o = [Float](repeating: 0, count: d), lse: Float = 0
        let rules = AttentionRules(causal: false, selfMask: selfRule, keyValid: nil)
        ChunkAttention.attend(q: query, qPos: [queryPosition], nq: 1, k: keys, v: values, kPos: keyPositions, nk: nk, d: d,
                              rules: rules, probs: &probs, out: &o, lse: &lse)
        return (o, lse)
    }

    /// Buckets of the first `count` cached positions of LSH layer i, with the generation's rotations.
    private func hashAll(layer i: Int, count: Int? = nil) {
        guard let plan else { return }
        let n = count ?? length
        buckets[i] = (0..<c.headCount).map { _ in Array(repeating: [Int32](), count: c.hashRounds) }
        order[i] = (0..<c.headCount).map { _ in Array(repeating: [Int32](), count: c.hashRounds) }
        bucketSizes[i] = (0..<c.headCount).map { _ in Array(repeating: [Int](repeating: 0, count: plan.bucketCount), count: c.hashRounds) }
        for p in 0..<n { appendBuckets(layer: i, position: p, plan: plan) }
    }

    private func appendBuckets(layer i: Int, position p: Int, plan given: BucketPlan? = nil) {
        guard let plan = given ?? plan else { return }
        let d = c.headSize, A = c.allHeadSize, nH = c.hashRounds, half = plan.rotationHalf
        var rho = [Float](repeating: 0, count: nH * half)
        var bk = [Int32](repeating: 0, count: nH)
        for h in 0..<c.headCount {
            let u = Array(first[i][(p * A + h * d)..<(p * A + h * d + d)])
            rotations[i].withUnsafeBufferPointer { rot in
                LSHHashing.hash(qk: u, stride: d, length: 1, headSize: d, rotations: rot.baseAddress! + h * d * nH * half,
                                rounds: nH, plan: plan, keyValid: nil, padBucket: false, rho: &rho, buckets: &bk)
            }
            for r in 0..<nH {
                let b = Int(bk[r])
                buckets[i][h][r].append(bk[r])
                var end = 0
                for x in 0...b { end += bucketSizes[i][h][r][x] }
                order[i][h][r].insert(Int32(p), at: end)
                bucketSizes[i][h][r][b] += 1
            }
        }
    }

    private func appendNormalizedKeys(layer i: Int, position p: Int) {
        let d = c.headSize, A = c.allHeadSize
        var row = [Float](repeating: 0, count: A)
        first[i].withUnsafeBufferPointer { u in
            row.withUnsafeMutableBufferPointer { out in
                for h in 0..<c.headCount {
                    LSHAttention.normalizeKeys(u.baseAddress! + p * A + h * d, srcStride: d, out.baseAddress! + h * d, rows: 1, d: d)
                }
            }
        }
        normalizedKeys[i] += row
    }
}

extension Generator {
    /// Generation with the decoding cache: one prefill forward, then one cached step per token.
    @discardableResult
    public static func generateCached(
        model: ReformerModel, prompt: [Int32], count: Int, settings: SamplingSettings, rng: inout SplitMix64,
        onToken: (Int32) -> Bool = { _ in true }
    ) throws(ReformerError) -> [Int32] {
        let decoder = try IncrementalDecoder(model: model, prompt: prompt, capacity: Checked.sum([prompt.count, count]) ?? Int.max)
        var produced: [Int32] = []
        var logits = decoder.lastLogits
        while produced.count < count && decoder.length < model.config.maxPositionEmbeddings {
            let next = Int32(Sampler.pick(logits[...], settings: settings, rng: &rng))
            produced.append(next)
            if !onToken(next) { break }
            if produced.count == count { break }
            logits = try decoder.step(next)
        }
        return produced
    }
}
