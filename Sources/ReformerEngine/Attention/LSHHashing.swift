// LSHHashing: angular LSH of REFORMER_SPEC §9.2–§9.6. Rotate the shared-QK vectors with random
// rotations [n_h, d, n_H, R/2], take argmax over concat(ρ, −ρ) per factor (first index wins ties),
// combine factors (first least significant), give masked positions the padding bucket, and sort the
// n_H·T (round, position) slots by (bucket + round offset, index) with a stable counting sort.

/// The bucket arithmetic of one LSH layer at one length.
public struct BucketPlan: Sendable, Equatable {
    /// Factors of the bucket id (one factor for an int `num_buckets`).
    public let factors: [Int]
    /// Rotation width R/2 = Σ factor/2.
    public var rotationHalf: Int { factors.reduce(0) { $0 + $1 / 2 } }
    /// nb = Π factors.
    public var bucketCount: Int { factors.reduce(1, *) }

    public init(factors: [Int]) { self.factors = factors }

    /// HF's automatic rule (§9.2) from the padded length of the first chunked call.
    public static func automatic(length: Int, chunkLength: Int, maxPositions: Int) -> BucketPlan {
        let twice = 2 * (length / chunkLength)
        var k = 0
        while (1 << (k + 1)) <= twice { k += 1 }   // k = floor(log2(twice))
        let nb = 1 << k
        var root = 0
        let q = maxPositions / chunkLength
        while (root + 1) * (root + 1) <= q { root += 1 }
        let limit = 2 * max(root, chunkLength)
        if nb > limit { return BucketPlan(factors: [1 << (k / 2), 1 << (k - k / 2)]) }
        return BucketPlan(factors: [nb])
    }

    /// The config value this plan corresponds to.
    public var spec: BucketSpec { factors.count == 1 ? .count(factors[0]) : .factors(factors) }
}

enum LSHHashing {
    /// buckets[r·T + t] for one (batch row, head): `qk` rows of width d with row stride `stride`,
    /// `rotations` = this head's [d, n_H, R/2] block. Masked positions (keyValid 0) get bucket nb
    /// when `padBucket` is set.
    static func hash(
        qk: UnsafePointer<Float>, stride: Int, length T: Int, headSize d: Int,
        rotations: UnsafePointer<Float>, rounds: Int, plan: BucketPlan,
        keyValid: UnsafePointer<UInt8>?, padBucket: Bool,
        rho: UnsafeMutablePointer<Float>, buckets: UnsafeMutablePointer<Int32>
    ) {
        let half = plan.rotationHalf
        let width = rounds * half
        let nb = plan.bucketCount
        for t in 0..<T {
            // ρ[t, r·half + k] = Σ_j qk[t, j] · rot[j, r, k]
            let x = qk + t * stride
            rho.update(repeating: 0, count: width)
            for j in 0..<d {
                let xj = x[j]
                let rj = rotations + j * width
                for c in 0..<width { rho[c] += xj * rj[c] }
            }
            for r in 0..<rounds {
                var bucket = 0
                var multiplier = 1
                var start = r * half
                for f in plan.factors {
                    let h = f / 2
                    var best = rho[start]
                    var arg = 0
                    for c in 1..<max(h, 1) where rho[start + c] > best { best = rho[start + c]; arg = c }
                    for c in 0..<h where -rho[start + c] > best { best = -rho[start + c]; arg = h + c }
                    bucket += arg * multiplier
                    multiplier *= f
                    start += h
                }
                if padBucket, let kv = keyValid, kv[t] == 0 { bucket = nb }
                buckets[r * T + t] = Int32(bucket)
            }
        }
    }

    /// Stable counting sort of the n_H·T slots by offset bucket `bucket + r·bucketsPerRound`
    /// (ties keep index order, i.e. position order). Writes `sorted` (slot → flat index) and
    /// `unsort` (flat index → slot). `counts` needs rounds·bucketsPerRound + 1 entries.
    static func sort(
        buckets: UnsafePointer<Int32>, length T: Int, rounds: Int, bucketsPerRound: Int,
        counts: UnsafeMutablePointer<Int32>, sorted: UnsafeMutablePointer<Int32>, unsort: UnsafeMutablePointer<Int32>
    ) {
        let keys = rounds * bucketsPerRound
        counts.update(repeating: 0, count: keys + 1)
        for r in 0..<rounds {
            for t in 0..<T { counts[Int(buckets[r * T + t]) + r * bucketsPerRound + 1] += 1 }
        }
        for k in 0..<keys { counts[k + 1] += counts[k] }
        for r in 0..<rounds {
            for t in 0..<T {
                let i = r * T + t
                let key = Int(buckets[i]) + r * bucketsPerRound
                let slot = Int(counts[key])
                counts[key] += 1
                sorted[slot] = Int32(i)
                unsort[i] = Int32(slot)
            }
        }
    }
}
