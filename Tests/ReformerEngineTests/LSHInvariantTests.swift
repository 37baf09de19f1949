// LSHInvariantTests: the fast LSH path against its plain-loop twin (NaiveLSH) with hashing, sorting
// and look-around really running; the counting sort against a stable comparison sort; LSH equal to
// full attention when the sequence fits one chunk; causality with the buckets held fixed.

import Testing
@testable import ReformerEngine
import ReformerTestSupport

struct LSHCase: CustomStringConvertible, Sendable {
    var length = 48, headSize = 8, rounds = 3, factors = [2, 4], chunk = 8, before = 1, after = 1
    var causal = false, masked = false
    var description: String { "T\(length) C\(chunk) nH\(rounds) f\(factors) b\(before)a\(after) causal:\(causal) mask:\(masked)" }
}

func randomInput(_ c: LSHCase, seed: UInt64) -> NaiveLSHInput {
    var rng = SplitMix64(seed: seed)
    let half = c.factors.map { $0 / 2 }.reduce(0, +)
    var mask: [Int]? = nil
    if c.masked { mask = (0..<c.length).map { $0 >= c.length - 5 ? 0 : 1 } }
    return NaiveLSHInput(
        length: c.length, headSize: c.headSize, rounds: c.rounds, factors: c.factors, chunkLength: c.chunk,
        before: c.before, after: c.after, causal: c.causal,
        qk: rng.gaussians(c.length * c.headSize), value: rng.gaussians(c.length * c.headSize),
        rotations: rng.gaussians(c.headSize * c.rounds * half), mask: mask)
}

/// Runs the engine's single-head LSH path on a NaiveLSHInput (heads = 1, so A = d).
func engineHead(_ x: NaiveLSHInput, fixedBuckets: [Int32]? = nil, full: Bool = false) -> (out: [Float], buckets: [Int32], sorted: [Int32]) {
    let g = AttentionGeometry(
        batch: 1, length: x.length, heads: 1, headSize: x.headSize, chunkLength: x.chunkLength,
        chunksBefore: x.before, chunksAfter: x.after, causal: x.causal, rounds: x.rounds)
    let plan = BucketPlan(factors: x.factors)
    let scratch = AttentionScratch(geometry: g, rotationHalf: plan.rotationHalf, bucketsPerRound: plan.bucketCount + 1, fullKeys: full)
    var out = [Float](repeating: 0, count: x.length * x.headSize)
    var buckets = [Int32](repeating: 0, count: x.rounds * x.length)
    var sorted = buckets
    let valid: [UInt8] = (x.mask ?? Array(repeating: 1, count: x.length)).map { UInt8($0) }
    let pad = x.mask?.contains(0) ?? false
    x.qk.withUnsafeBufferPointer { qk in
        x.value.withUnsafeBufferPointer { v in
            x.rotations.withUnsafeBufferPointer { rot in
                valid.withUnsafeBufferPointer { kv in
                    let kvp = x.mask == nil ? nil : kv.baseAddress
                    if full {
                        LSHAttention.fullHead(geometry: g, qk: qk.baseAddress!, value: v.baseAddress!, keyValid: kvp,
                                              out: &out, scratch: scratch)
                        return
                    }
                    if let fixedBuckets {
                        fixedBuckets.withUnsafeBufferPointer { fb in
                            LSHAttention.hashedHead(
                                geometry: g, plan: plan, padBucket: pad, qk: qk.baseAddress!, value: v.baseAddress!,
                                keyValid: kvp, rotations: nil, fixedBuckets: fb.baseAddress, out: &out,
                                bucketsOut: &buckets, sortedOut: &sorted, scratch: scratch)
                        }
                    } else {
                        LSHAttention.hashedHead(
                            geometry: g, plan: plan, padBucket: pad, qk: qk.baseAddress!, value: v.baseAddress!,
                            keyValid: kvp, rotations: rot.baseAddress!, out: &out,
                            bucketsOut: &buckets, sortedOut: &sorted, scratch: scratch)
                    }
                }
            }
        }
    }
    return (out, buckets, sorted)
}

@Suite struct LSHInvariantTests {
    static let cases: [LSHCase] = [
        LSHCase(),
        LSHCase(causal: true),
        LSHCase(masked: true),
        LSHCase(rounds: 1, factors: [8], before: 1, after: 0, causal: true, masked: true),
        LSHCase(length: 64, headSize: 16, rounds: 4, factors: [4], chunk: 16, before: 2, after: 0, causal: true),
        LSHCase(length: 40, headSize: 5, rounds: 2, factors: [2, 2, 2], chunk: 4, before: 0, after: 2),
        // Fewer chunks than the window spans: the window repeats chunks, as HF's does.
        LSHCase(length: 16, headSize: 8, rounds: 1, factors: [4], chunk: 8, before: 1, after: 1),
    ]

    @Test(arguments: cases)
    func fastPathEqualsPlainLoopTwin(_ c: LSHCase) {
        let x = randomInput(c, seed: 42)
        let naiveBuckets = NaiveLSH.buckets(x)
        let fast = engineHead(x)
        #expect(fast.buckets.map(Int.init) == naiveBuckets.flatMap { $0 }, "buckets differ")
        let nbEff = c.factors.reduce(1, *) + (c.masked ? 1 : 0)
        #expect(fast.sorted.map(Int.init) == NaiveLSH.sortedIndices(buckets: naiveBuckets, bucketsPerRound: nbEff))
        let naive = NaiveLSH.attention(x, buckets: naiveBuckets)
        let miss = Approx.check(fast.out, naive, atol: 2e-5, rtol: 1e-5)
        #expect(miss == nil, "\(miss?.description ?? "")")
    }

    @Test func countingSortEqualsStableComparisonSort() {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<20 {
            let T = 1 + rng.nextInt(below: 80), rounds = 1 + rng.nextInt(below: 4), nb = 1 + rng.nextInt(below: 9)
            let buckets = (0..<rounds * T).map { _ in Int32(rng.nextInt(below: nb)) }
            var counts = [Int32](repeating: 0, count: rounds * nb + 1)
            var sorted = [Int32](repeating: 0, count: rounds * T), unsort = sorted
            LSHHashing.sort(buckets: buckets, length: T, rounds: rounds, bucketsPerRound: nb,
                            counts: &counts, sorted: &sorted, unsort: &unsort)
            let reference = (0..<rounds * T).sorted {
                (Int(buckets[$0]) + ($0 / T) * nb, $0) < (Int(buckets[$1]) + ($1 / T) * nb, $1)
            }
            #expect(sorted.map(Int.init) == reference, "trial \(trial)")
            #expect((0..<rounds * T).allSatisfy { Int(sorted[Int(unsort[$0])]) == $0 }, "unsort inverts sort")
        }
    }

    @Test(arguments: [false, true])
    func fullAttentionEqualsTwin(_ causal: Bool) {
        let x = randomInput(LSHCase(length: 70, headSize: 8, causal: causal, masked: true), seed: 3)
        let fast = engineHead(x, full: true)
        let miss = Approx.check(fast.out, NaiveLSH.full(x), atol: 2e-5, rtol: 1e-5)
        #expect(miss == nil, "\(miss?.description ?? "")")
    }

    /// Causal full attention multiplies each query block against its causal prefix only: several
    /// blocks (the last one partial), with and without padding, against the twin and against the
    /// same blocks multiplied by all T keys (what the kernel did before the trim).
    @Test(arguments: [false, true])
    func causalFullAttentionOnThePrefixEqualsAllKeys(_ masked: Bool) {
        let x = randomInput(LSHCase(length: 200, headSize: 8, causal: true, masked: masked), seed: 5)
        let fast = engineHead(x, full: true)
        var miss = Approx.check(fast.out, NaiveLSH.full(x), atol: 2e-5, rtol: 1e-5)
        #expect(miss == nil, "twin: \(miss?.description ?? "")")

        let T = x.length, d = x.headSize
        let g = AttentionGeometry(batch: 1, length: T, heads: 1, headSize: d, chunkLength: T,
                                  chunksBefore: 0, chunksAfter: 0, causal: true)
        let s = AttentionScratch(geometry: g, rotationHalf: 0, bucketsPerRound: 0, fullKeys: true)
        #expect(s.blockLength < T / 3, "the test needs several query blocks")
        let valid: [UInt8] = (x.mask ?? Array(repeating: 1, count: T)).map { UInt8($0) }
        var allKeys = [Float](repeating: 0, count: T * d)
        for t in 0..<T {
            for j in 0..<d { s.queries[t * d + j] = x.qk[t * d + j]; s.values[t * d + j] = x.value[t * d + j] }
            s.queryPositions[t] = Int32(t)
        }
        do {
            valid.withUnsafeBufferPointer { kv in
                LSHAttention.normalizeKeys(s.queries.pointer, srcStride: d, s.keys.pointer, rows: T, d: d)
                let rules = AttentionRules(causal: true, selfMask: true, keyValid: x.mask == nil ? nil : kv.baseAddress)
                var start = 0
                while start < T {
                    let n = min(s.blockLength, T - start)
                    ChunkAttention.attend(
                        q: s.queries.pointer + start * d, qPos: s.queryPositions.pointer + start, nq: n,
                        k: s.keys.pointer, v: s.values.pointer, kPos: s.queryPositions.pointer, nk: T, d: d, rules: rules,
                        probs: s.probs.pointer, out: s.outputs.pointer, lse: s.lse.pointer)
                    for i in 0..<(n * d) { allKeys[start * d + i] = s.outputs[i] }
                    start += n
                }
            }
        }
        miss = Approx.check(fast.out, allKeys, atol: 1e-6, rtol: 1e-6)
        #expect(miss == nil, "all keys: \(miss?.description ?? "")")
    }

    @Test func causalOutputsIgnoreTheFutureWithBucketsFixed() {
        let c = LSHCase(length: 48, headSize: 8, rounds: 2, factors: [4], chunk: 8, before: 1, after: 0, causal: true)
        var x = randomInput(c, seed: 11)
        let first = engineHead(x)
        let changed = 30
        for j in 0..<c.headSize { x.qk[changed * c.headSize + j] += 3; x.value[changed * c.headSize + j] -= 2 }
        let second = engineHead(x, fixedBuckets: first.buckets)
        let before = changed * c.headSize
        #expect(Array(first.out[..<before]) == Array(second.out[..<before]), "positions before the change moved")
        #expect(Array(first.out[before...]) != Array(second.out[before...]), "the changed position itself must change")
    }

    @Test func automaticBucketRule() {
        #expect(BucketPlan.automatic(length: 128, chunkLength: 8, maxPositions: 128).factors == [4, 8])
        #expect(BucketPlan.automatic(length: 64, chunkLength: 8, maxPositions: 64).factors == [16])
        #expect(BucketPlan.automatic(length: 4096, chunkLength: 64, maxPositions: 4096).factors == [128])
        #expect(BucketPlan.automatic(length: 96, chunkLength: 32, maxPositions: 4096).factors == [4])
    }
}
