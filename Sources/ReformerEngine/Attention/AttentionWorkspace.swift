// AttentionWorkspace: runs one layer's attention for a whole batch — jobs (batch row, head) fanned
// out over the cores, each worker with scratch planned once per forward call. It also owns, per LSH
// layer, the rotations and the buckets/sort order the forward used (backward replays them).

final class AttentionWorkspace {
    let config: ReformerConfig
    let batch: Int, length: Int
    let fullAttention: Bool
    /// LSH layers hash at this length (T > lsh chunk and not in full-attention mode).
    let lshHashes: Bool
    /// The bucket plan of every hashing LSH layer in this forward (nil when none hashes).
    let plan: BucketPlan?
    private let localScratch: [AttentionScratch]
    private let lshScratch: [AttentionScratch]
    private let workers: Int
    /// Per LSH layer index: buckets [B, n_h, n_H·T] of its last call — the only per-layer state a
    /// training step keeps (4 bytes per head, round and position), so backward can replay them.
    private(set) var buckets: [Int: LedgerBuffer<Int32>] = [:]
    /// Sort order [B, n_h, n_H·T] and rotations [n_h, d, n_H, R/2] of the most recent LSH call
    /// (shared by all layers; read them with `trace` right after the layer ran).
    private var lastLayer = -1
    private let sortedIndices: LedgerBuffer<Int32>?
    private let rotations: FloatBuffer?

    init(model: ReformerModel, batch: Int, length: Int, fullAttention: Bool, backward: Bool = false) {
        let c = model.config
        self.config = c
        self.batch = batch
        self.length = length
        self.fullAttention = fullAttention
        self.workers = max(1, min(Parallel.workerCount, batch * c.headCount))
        lshHashes = c.hasLSH && !fullAttention && length > c.lshChunkLength
        plan = lshHashes ? model.plan(forLength: length) : nil
        let local = Self.geometry(c, .local, batch: batch, length: length)
        let lsh = Self.geometry(c, .lsh, batch: batch, length: length)
        localScratch = c.hasLocal ? (0..<workers).map { _ in
            AttentionScratch(geometry: local, rotationHalf: 0, bucketsPerRound: 0, fullKeys: length <= local.chunkLength, backward: backward)
        } : []
        let half = plan?.rotationHalf ?? 0, perRound = (plan?.bucketCount ?? 0) + 1
        lshScratch = c.hasLSH ? (0..<workers).map { [lshHashes] _ in
            AttentionScratch(geometry: lsh, rotationHalf: half, bucketsPerRound: perRound, fullKeys: !lshHashes, backward: backward)
        } : []
        if let plan {
            let slots = batch * c.headCount * c.hashRounds * length
            for (i, kind) in c.attentionLayers.enumerated() where kind == .lsh {
                buckets[i] = LedgerBuffer(count: slots, category: .attention)
            }
            sortedIndices = LedgerBuffer(count: slots, category: .attention)
            rotations = FloatBuffer(count: c.headCount * c.headSize * c.hashRounds * plan.rotationHalf, category: .attention)
        } else {
            sortedIndices = nil
            rotations = nil
        }
    }

    static func geometry(_ c: ReformerConfig, _ kind: AttentionKind, batch: Int, length: Int) -> AttentionGeometry {
        if kind == .local {
            return AttentionGeometry(
                batch: batch, length: length, heads: c.headCount, headSize: c.headSize,
                chunkLength: c.localChunkLength, chunksBefore: c.localChunksBefore, chunksAfter: c.localChunksAfter,
                causal: c.isDecoder)
        }
        return AttentionGeometry(
            batch: batch, length: length, heads: c.headCount, headSize: c.headSize,
            chunkLength: c.lshChunkLength, chunksBefore: c.lshChunksBefore, chunksAfter: c.lshChunksAfter,
            causal: c.isDecoder, rounds: c.hashRounds)
    }

    /// Local attention for one layer. `dropout` (training) drops attention weights; each job
    /// (batch row, head) draws from its own stream of the layer's mask.
    func local(
        query: FloatBuffer, key: FloatBuffer, value: FloatBuffer, keyValid: LedgerBuffer<UInt8>?, out: FloatBuffer,
        dropout: DropoutMask? = nil
    ) {
        let g = Self.geometry(config, .local, batch: batch, length: length)
        let T = length, A = g.allHeadSize, d = g.headSize, heads = g.heads
        let ptrs = UnsafeSendable((query.pointer, key.pointer, value.pointer, keyValid?.pointer, out.pointer, localScratch))
        Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
            let (q, k, v, kv, o, scratch) = ptrs.value
            let b = job / heads, h = job % heads
            let base = b * T * A + h * d
            LocalAttention.head(
                geometry: g, query: q + base, key: k + base, value: v + base,
                keyValid: kv.map { UnsafePointer($0 + b * T) }, out: o + base, scratch: scratch[worker],
                dropout: dropout?.stream(job))
        }
    }

    /// How an LSH layer gets its buckets: fresh rotations, or a replay of the buckets it used before.
    enum Hashing {
        /// Rotations [n_h, d, n_H, R/2] to hash with (given, seeded like torch, or drawn).
        case rotate([Float])
        /// Re-use the buckets stored for this layer by the previous call (no re-hashing).
        case replay
    }

    /// LSH attention for one layer. When the layer hashes, its buckets are kept in `buckets[layer]`
    /// and its rotations and sort order until the next LSH call (see `trace`).
    func lsh(
        layer: Int, qk: FloatBuffer, value: FloatBuffer, keyValid: LedgerBuffer<UInt8>?,
        padBucket: Bool, hashing: Hashing, out: FloatBuffer, dropout: DropoutMask? = nil
    ) throws(ReformerError) {
        let g = Self.geometry(config, .lsh, batch: batch, length: length)
        let T = length, A = g.allHeadSize, d = g.headSize, heads = g.heads, nH = g.rounds
        guard let plan, let bucketStore = buckets[layer], let sortedStore = sortedIndices,
              let rotationStore = rotations else {
            let ptrs = UnsafeSendable((qk.pointer, value.pointer, keyValid?.pointer, out.pointer, lshScratch))
            Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
                let (q, v, kv, o, scratch) = ptrs.value
                let b = job / heads, h = job % heads
                let base = b * T * A + h * d
                LSHAttention.fullHead(
                    geometry: g, qk: q + base, value: v + base, keyValid: kv.map { UnsafePointer($0 + b * T) },
                    out: o + base, scratch: scratch[worker], dropout: dropout?.stream(job))
            }
            return
        }
        let replay: Bool
        switch hashing {
        case .replay: replay = true
        case .rotate(let r):
            guard r.count == rotationStore.count else {
                throw ReformerError(file: "lsh.layer\(layer).rotations",
                                    "has \(r.count) values, expected shape [\(heads), \(d), \(nH), \(plan.rotationHalf)]")
            }
            r.withUnsafeBufferPointer { rotationStore.pointer.update(from: $0.baseAddress!, count: r.count) }
            replay = false
        }
        lastLayer = layer
        let slots = nH * T
        let perHead = d * nH * plan.rotationHalf
        let ptrs = UnsafeSendable((qk.pointer, value.pointer, keyValid?.pointer, out.pointer, lshScratch,
                                   rotationStore.pointer, bucketStore.pointer, sortedStore.pointer))
        Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
            let (q, v, kv, o, scratch, r, bStore, sStore) = ptrs.value
            let b = job / heads, h = job % heads
            let base = b * T * A + h * d
            LSHAttention.hashedHead(
                geometry: g, plan: plan, padBucket: padBucket,
                qk: q + base, value: v + base, keyValid: kv.map { UnsafePointer($0 + b * T) },
                rotations: replay ? nil : UnsafePointer(r + h * perHead),
                fixedBuckets: replay ? UnsafePointer(bStore + job * slots) : nil, out: o + base,
                bucketsOut: bStore + job * slots, sortedOut: sStore + job * slots, scratch: scratch[worker],
                dropout: dropout?.stream(job))
        }
    }

    /// The hashing record of LSH layer `layer` as values (for inspect and probes); nil unless that
    /// layer was the most recent LSH call and hashed.
    func trace(layer: Int, paddingBucket: Bool) -> LSHLayerTrace? {
        guard layer == lastLayer, let plan, let b = buckets[layer], let s = sortedIndices, let r = rotations else { return nil }
        return LSHLayerTrace(
            layer: layer, plan: plan, paddingBucket: paddingBucket, rotations: r.toArray(),
            rotationShape: [config.headCount, config.headSize, config.hashRounds, plan.rotationHalf],
            buckets: b.toArray(), sortedIndices: s.toArray())
    }

    // MARK: - Backward

    /// Backward of local attention for the whole batch: recomputes `out` and writes dQuery, dKey,
    /// dValue [B·T, A] from dOut [B·T, A]. `dropout` must be the forward's mask.
    func localBackward(
        query: FloatBuffer, key: FloatBuffer, value: FloatBuffer, keyValid: LedgerBuffer<UInt8>?, dOut: FloatBuffer,
        out: FloatBuffer, dQuery: FloatBuffer, dKey: FloatBuffer, dValue: FloatBuffer, dropout: DropoutMask? = nil
    ) {
        let g = Self.geometry(config, .local, batch: batch, length: length)
        let T = length, A = g.allHeadSize, d = g.headSize, heads = g.heads
        let ptrs = UnsafeSendable((query.pointer, key.pointer, value.pointer, keyValid?.pointer, dOut.pointer, out.pointer,
                                   dQuery.pointer, dKey.pointer, dValue.pointer, localScratch))
        Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
            let (q, k, v, kv, dO, o, dQ, dK, dV, scratch) = ptrs.value
            let b = job / heads, h = job % heads
            let base = b * T * A + h * d
            LocalAttention.headBackward(
                geometry: g, query: q + base, key: k + base, value: v + base,
                keyValid: kv.map { UnsafePointer($0 + b * T) }, dOut: dO + base, out: o + base,
                dQuery: dQ + base, dKey: dK + base, dValue: dV + base, scratch: scratch[worker],
                dropout: dropout?.stream(job))
        }
    }

    /// Backward of LSH attention for layer `layer` with the buckets its forward stored (no
    /// re-hashing): recomputes `out`, writes dQK and dValue [B·T, A] from dOut. `dropout` must be the
    /// forward's mask (its weights are dropped again exactly as they were).
    func lshBackward(
        layer: Int, qk: FloatBuffer, value: FloatBuffer, keyValid: LedgerBuffer<UInt8>?, padBucket: Bool,
        dOut: FloatBuffer, out: FloatBuffer, dQK: FloatBuffer, dValue: FloatBuffer, dropout: DropoutMask? = nil
    ) {
        let g = Self.geometry(config, .lsh, batch: batch, length: length)
        let T = length, A = g.allHeadSize, d = g.headSize, heads = g.heads
        let slots = g.rounds * T
        if let plan, let bucketStore = buckets[layer] {
            let ptrs = UnsafeSendable((qk.pointer, value.pointer, keyValid?.pointer, dOut.pointer, out.pointer,
                                       dQK.pointer, dValue.pointer, bucketStore.pointer, lshScratch))
            Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
                let (q, v, kv, dO, o, dQ, dV, bk, scratch) = ptrs.value
                let b = job / heads, h = job % heads
                let base = b * T * A + h * d
                LSHAttention.hashedHeadBackward(
                    geometry: g, plan: plan, padBucket: padBucket, qk: q + base, value: v + base,
                    keyValid: kv.map { UnsafePointer($0 + b * T) }, buckets: bk + job * slots,
                    dOut: dO + base, out: o + base, dQK: dQ + base, dValue: dV + base, scratch: scratch[worker],
                    dropout: dropout?.stream(job))
            }
            return
        }
        let ptrs = UnsafeSendable((qk.pointer, value.pointer, keyValid?.pointer, dOut.pointer, out.pointer,
                                   dQK.pointer, dValue.pointer, lshScratch))
        Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
            let (q, v, kv, dO, o, dQ, dV, scratch) = ptrs.value
            let b = job / heads, h = job % heads
            let base = b * T * A + h * d
            LSHAttention.fullHeadBackward(
                geometry: g, query: q + base, key: nil, value: v + base,
                keyValid: kv.map { UnsafePointer($0 + b * T) }, dOut: dO + base, out: o + base,
                dQuery: dQ + base, dKey: nil, dValue: dV + base, scratch: scratch[worker],
                dropout: dropout?.stream(job))
        }
    }
}
