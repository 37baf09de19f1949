// TorchRandom: torch's CPU `torch.manual_seed(s); torch.randn(shape)` for float32, so seeded LSH
// rotations match HF's Reformer without torch. Follows REFORMER_SPEC.md Appendix A: MT19937,
// 24-bit uniforms, Box-Muller on blocks of 16 in f32, and torch's tail rule for n mod 16 ≠ 0.

import Foundation

/// The 32-bit Mersenne Twister (Matsumoto & Nishimura 1998) with the reference `init_genrand`
/// seeding, as used by torch's CPU generator.
///
/// ```swift
/// var generator = MT19937(seed: 5489)
/// let first = generator.next()   // 3499211612
/// ```
public struct MT19937: Sendable {
    private static let stateSize = 624
    private static let shift = 397
    private static let upperMask: UInt32 = 0x8000_0000
    private static let lowerMask: UInt32 = 0x7FFF_FFFF
    private static let matrixA: UInt32 = 0x9908_B0DF

    private var state: [UInt32]
    private var index: Int

    /// Seeds with `seed mod 2³²`, as `torch.manual_seed` does.
    public init(seed: UInt64) {
        var state = [UInt32](repeating: 0, count: Self.stateSize)
        state[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<Self.stateSize {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        self.state = state
        self.index = Self.stateSize
    }

    /// The next tempered 32-bit output.
    public mutating func next() -> UInt32 {
        if index >= Self.stateSize { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Regenerates all 624 words of state at once (the reference `genrand_int32` refill).
    private mutating func twist() {
        let n = Self.stateSize
        for i in 0..<n {
            let y = (state[i] & Self.upperMask) | (state[(i + 1) % n] & Self.lowerMask)
            var next = state[(i + Self.shift) % n] ^ (y >> 1)
            if y & 1 != 0 { next ^= Self.matrixA }
            state[i] = next
        }
        index = 0
    }
}

/// Reproduces torch's CPU normal draws for float32 tensors of at least 16 elements.
public enum TorchRandom {
    /// `torch.manual_seed(seed); torch.randn(shape)` flattened in row-major order, where
    /// `count` is the shape's element count. Matches torch to 1–2 ulp (its vectorised log/sin/cos
    /// differ from libm in the last bits).
    ///
    /// ```swift
    /// // HF Reformer rotations [heads, headSize, rounds, buckets / 2], re-seeded per hashing call.
    /// let rotations = try TorchRandom.randn(seed: 1234, count: 2 * 16 * 2 * 4)
    /// ```
    ///
    /// - Throws: `ReformerError` when `count < 16`: torch draws fewer values through another
    ///   (double-precision) path that is not reproduced, so such rotations must be supplied.
    public static func randn(seed: UInt64, count: Int) throws(ReformerError) -> [Float] {
        guard count >= blockSize else {
            throw ReformerError(
                "TorchRandom.randn: count \(count) is below \(blockSize); torch uses a different "
                    + "path for fewer than \(blockSize) values, so rotations must then be supplied "
                    + "(e.g. from a fixture)"
            )
        }
        var generator = MT19937(seed: seed)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = uniform(generator.next()) }

        var start = 0
        while start + blockSize <= count {
            boxMuller16(&values, start: start)
            start += blockSize
        }
        // torch's tail rule: fresh words for the last 16 slots, overwriting finished values.
        if count % blockSize != 0 {
            let tailStart = count - blockSize
            for i in tailStart..<count { values[i] = uniform(generator.next()) }
            boxMuller16(&values, start: tailStart)
        }
        return values
    }

    private static let blockSize = 16
    private static let twoPi = Float(2 * Double.pi)

    /// Low 24 bits of one word as a Float in [0, 1) (exact: 24 bits fit the f32 significand).
    private static func uniform(_ word: UInt32) -> Float {
        Float(word & 0xFF_FFFF) * 0x1p-24
    }

    /// Box-Muller over values[start ..< start + 16] in f32: pairs (j, j + 8) for j = 0…7.
    private static func boxMuller16(_ values: inout [Float], start: Int) {
        for j in start..<(start + 8) {
            let u1 = 1 - values[j]  // [0, 1) → (0, 1] so the log is finite
            let u2 = values[j + 8]
            let radius = sqrtf(-2 * logf(u1))
            let theta = twoPi * u2
            values[j] = radius * cosf(theta)
            values[j + 8] = radius * sinf(theta)
        }
    }
}
