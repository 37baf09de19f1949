// AttentionWorkspace: runs one layer's attention for a whole batch — jobs (batch row, head) fanned
// out over the cores, each worker with scratch planned once per forward call.

final class AttentionWorkspace {
    let model: ReformerModel
    let batch: Int, length: Int
    let fullAttention: Bool
    private var localScratch: [AttentionScratch] = []
    private var lshScratch: [AttentionScratch] = []
    private var lshScratchPlan: BucketPlan?
    private let workers: Int

    init(model: ReformerModel, batch: Int, length: Int, fullAttention: Bool) {
        self.model = model
        self.batch = batch
        self.length = length
        self.fullAttention = fullAttention
        self.workers = max(1, min(Parallel.workerCount, batch * model.config.headCount))
    }

    private func geometry(_ kind: AttentionKind) -> AttentionGeometry {
        let c = model.config
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

    func local(query: FloatBuffer, key: FloatBuffer, value: FloatBuffer, keyValid: LedgerBuffer<UInt8>?, out: FloatBuffer) {
        let g = geometry(.local)
        if localScratch.isEmpty {
            localScratch = (0..<workers).map { _ in
                AttentionScratch(geometry: g, rotationHalf: 0, bucketsPerRound: 0, fullKeys: g.length <= g.chunkLength)
            }
        }
        let T = length, A = g.allHeadSize, d = g.headSize, heads = g.heads
        let ptrs = UnsafeSendable((query.pointer, key.pointer, value.pointer, keyValid?.pointer, out.pointer, localScratch))
        Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
            let (q, k, v, kv, o, scratch) = ptrs.value
            let b = job / heads, h = job % heads
            let base = b * T * A + h * d
            LocalAttention.head(
                geometry: g, query: q + base, key: k + base, value: v + base,
                keyValid: kv.map { UnsafePointer($0 + b * T) }, out: o + base, scratch: scratch[worker])
        }
    }

    /// LSH attention for one layer; returns the hashing trace when the layer hashed.
    func lsh(
        layer: Int, qk: FloatBuffer, value: FloatBuffer, keyValid: LedgerBuffer<UInt8>?,
        padBucket: Bool, rotations given: [Float]?, fixedBuckets: [Int32]? = nil, out: FloatBuffer
    ) throws(ReformerError) -> LSHLayerTrace? {
        let g = geometry(.lsh)
        let T = length, A = g.allHeadSize, d = g.headSize, heads = g.heads, nH = g.rounds
        let hashes = !fullAttention && T > g.chunkLength
        if !hashes {
            if lshScratch.isEmpty {
                lshScratch = (0..<workers).map { _ in
                    AttentionScratch(geometry: g, rotationHalf: 0, bucketsPerRound: 0, fullKeys: true)
                }
            }
            let ptrs = UnsafeSendable((qk.pointer, value.pointer, keyValid?.pointer, out.pointer, lshScratch))
            Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
                let (q, v, kv, o, scratch) = ptrs.value
                let b = job / heads, h = job % heads
                let base = b * T * A + h * d
                LSHAttention.fullHead(
                    geometry: g, qk: q + base, value: v + base, keyValid: kv.map { UnsafePointer($0 + b * T) },
                    out: o + base, scratch: scratch[worker])
            }
            return nil
        }
        let plan = model.plan(forLength: T)
        let slots = nH * T
        let rot: [Float] = fixedBuckets == nil ? try model.rotations(layer: layer, plan: plan, given: given) : (given ?? [])
        if let fixedBuckets, fixedBuckets.count != batch * heads * slots {
            throw ReformerError(file: "lsh.layer\(layer).buckets", "has \(fixedBuckets.count) values, expected \(batch * heads * slots)")
        }
        if lshScratch.isEmpty || lshScratchPlan != plan {
            lshScratch = (0..<workers).map { _ in
                AttentionScratch(geometry: g, rotationHalf: plan.rotationHalf, bucketsPerRound: plan.bucketCount + 1, fullKeys: false)
            }
            lshScratchPlan = plan
        }
        var buckets = [Int32](repeating: 0, count: batch * heads * slots)
        var sorted = [Int32](repeating: 0, count: batch * heads * slots)
        let perHead = d * nH * plan.rotationHalf
        let fixed = fixedBuckets ?? []
        rot.withUnsafeBufferPointer { rotBuf in
          fixed.withUnsafeBufferPointer { fixedBuf in
            buckets.withUnsafeMutableBufferPointer { bk in
                sorted.withUnsafeMutableBufferPointer { so in
                    let ptrs = UnsafeSendable((qk.pointer, value.pointer, keyValid?.pointer, out.pointer, lshScratch,
                                               rotBuf.baseAddress, fixedBuf.baseAddress, bk.baseAddress!, so.baseAddress!))
                    let useFixed = fixedBuckets != nil
                    Parallel.forEach(jobs: batch * heads, workers: workers) { job, worker in
                        let (q, v, kv, o, scratch, r, fx, bOut, sOut) = ptrs.value
                        let b = job / heads, h = job % heads
                        let base = b * T * A + h * d
                        LSHAttention.hashedHead(
                            geometry: g, plan: plan, padBucket: padBucket,
                            qk: q + base, value: v + base, keyValid: kv.map { UnsafePointer($0 + b * T) },
                            rotations: useFixed ? nil : r.map { $0 + h * perHead },
                            fixedBuckets: useFixed ? fx.map { $0 + job * slots } : nil, out: o + base,
                            bucketsOut: bOut + job * slots, sortedOut: sOut + job * slots, scratch: scratch[worker])
                    }
                }
            }
          }
        }
        return LSHLayerTrace(
            layer: layer, plan: plan, paddingBucket: padBucket, rotations: rot,
            rotationShape: [heads, d, nH, plan.rotationHalf], buckets: buckets, sortedIndices: sorted)
    }
}
