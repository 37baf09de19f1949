// Tests for TorchRandom: MT19937 reference outputs, fixture rotations drawn by torch 2.15 on CPU
// (REFORMER_SPEC.md Appendix A), and the tail rule for counts that are not multiples of 16.

import Foundation
import Testing

import ReformerEngine

@Suite("TorchRandom")
struct TorchRandomTests {
    @Test func mersenneTwisterMatchesTheReferenceOutputsForSeed5489() {
        var generator = MT19937(seed: 5489)
        let first = (0..<5).map { _ in generator.next() }
        #expect(first == [3_499_211_612, 581_869_302, 3_890_346_734, 3_586_334_585, 545_404_204])
    }

    @Test func mersenneTwisterTenThousandthOutputCrossesManyRefills() {
        // The C++ standard's check value for mt19937 (default seed 5489): output 10000.
        var generator = MT19937(seed: 5489)
        for _ in 0..<9999 { _ = generator.next() }
        #expect(generator.next() == 4_123_659_995)
    }

    @Test func seedIsTakenModulo2To32() {
        var reduced = MT19937(seed: 5489)
        var wide = MT19937(seed: 5489 + (1 << 32))
        for _ in 0..<700 { #expect(reduced.next() == wide.next()) }
    }

    @Test(arguments: [
        TorchRandomFixture(
            directory: "tiny-causal", tensor: "lsh.layer1.rotations", shape: [2, 16, 2, 4]),
        TorchRandomFixture(
            directory: "lsh-encoder", tensor: "lsh.layer0.rotations", shape: [2, 16, 4, 3]),
    ])
    func randnReproducesTorchRotationsFromTheFixtures(_ fixture: TorchRandomFixture) throws {
        let seed = try fixture.hashSeed()
        let stored = try fixture.loadTensor()
        #expect(stored.shape == fixture.shape)

        let drawn = try TorchRandom.randn(seed: seed, count: stored.values.count)
        try #require(drawn.count == stored.values.count)
        let (maxDifference, index) = maxAbsDifference(drawn, stored.values)
        let firstPairs = (0..<4).map { "(\(drawn[$0]), \(stored.values[$0]))" }
        #expect(
            maxDifference <= 1e-6,
            """
            \(fixture.tensor) of \(fixture.directory): max |ours - torch| = \(maxDifference) \
            at index \(index) (ours \(drawn[index]), torch \(stored.values[index])); \
            first pairs \(firstPairs.joined(separator: " "))
            """
        )
    }

    @Test func randnIsStandardNormalAndDeterministic() throws {
        let values = try TorchRandom.randn(seed: 7, count: 4096)
        #expect(try TorchRandom.randn(seed: 7, count: 4096) == values)
        #expect(try TorchRandom.randn(seed: 8, count: 4096) != values)
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.08)
        #expect(abs(variance - 1) < 0.08)
    }

    /// n = 20: slots 0…3 keep the first full block's values; slots 4…19 are overwritten by the
    /// transform of 16 new words w20…w35 (w16…w19 were drawn for the initial fill, then lost).
    @Test func tailRuleRedrawsTheLastSixteenSlots() throws {
        let twenty = try TorchRandom.randn(seed: 99, count: 20)
        #expect(try TorchRandom.randn(seed: 99, count: 20) == twenty)

        let sixteen = try TorchRandom.randn(seed: 99, count: 16)
        #expect(Array(twenty[0..<4]) == Array(sixteen[0..<4]))
        #expect(Array(twenty[4..<16]) != Array(sixteen[4..<16]))

        var generator = MT19937(seed: 99)
        let words = (0..<36).map { _ in generator.next() }
        #expect(Array(twenty[4..<20]) == naiveBoxMuller16(Array(words[20..<36])))
        #expect(sixteen == naiveBoxMuller16(Array(words[0..<16])))
    }

    @Test(arguments: [0, 1, 15])
    func randnRejectsFewerThanSixteenValues(count: Int) {
        #expect {
            _ = try TorchRandom.randn(seed: 1234, count: count)
        } throws: { error in
            guard let error = error as? ReformerError else { return false }
            return error.message.contains("different path") && error.message.contains("supplied")
        }
    }
}

// MARK: - Plain twin of the spec's block transform

/// Appendix A step 2 for one block, written out from the words: u = (w & 0xFFFFFF)·2⁻²⁴,
/// u1 = 1 − u[j], u2 = u[j+8], ρ = √(−2 ln u1), θ = 2π·u2,
/// out[j] = ρ cos θ, out[j+8] = ρ sin θ.
private func naiveBoxMuller16(_ words: [UInt32]) -> [Float] {
    precondition(words.count == 16)
    let uniforms = words.map { Float($0 & 0xFF_FFFF) / Float(1 << 24) }
    var out = uniforms
    for j in 0..<8 {
        let rho = sqrtf(-2 * logf(1 - uniforms[j]))
        let theta = Float(2 * Double.pi) * uniforms[j + 8]
        out[j] = rho * cosf(theta)
        out[j + 8] = rho * sinf(theta)
    }
    return out
}

private func maxAbsDifference(_ a: [Float], _ b: [Float]) -> (Float, Int) {
    var worst: Float = 0
    var worstIndex = 0
    for i in a.indices where abs(a[i] - b[i]) > worst {
        worst = abs(a[i] - b[i])
        worstIndex = i
    }
    return (worst, worstIndex)
}

// MARK: - Minimal fixture reader (independent of the engine's SafeTensors reader)

struct TorchRandomFixture: Sendable, CustomTestStringConvertible {
    let directory: String
    let tensor: String
    let shape: [Int]

    var testDescription: String { "\(directory)/\(tensor)" }

    private var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(directory)
    }

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    func hashSeed() throws -> UInt64 {
        let url = folder.appendingPathComponent("config.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let config = object as? [String: Any], let seed = config["hash_seed"] as? Int else {
            throw FixtureError(description: "\(url.path): no integer hash_seed")
        }
        return UInt64(seed)
    }

    /// Reads one F32 tensor: u64 little-endian header length N, N bytes of JSON, then data whose
    /// `data_offsets` count from byte 8 + N.
    func loadTensor() throws -> (shape: [Int], values: [Float]) {
        let url = folder.appendingPathComponent("expected.safetensors")
        let bytes = [UInt8](try Data(contentsOf: url))
        guard bytes.count >= 8 else { throw FixtureError(description: "\(url.path): too short") }
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        guard 8 + headerLength <= bytes.count else {
            throw FixtureError(description: "\(url.path): header length \(headerLength) past end")
        }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)]))
        guard let entries = header as? [String: Any], let entry = entries[tensor] as? [String: Any],
            let dtype = entry["dtype"] as? String, let shape = entry["shape"] as? [Int],
            let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
        else { throw FixtureError(description: "\(url.path): no usable entry \(tensor)") }
        guard dtype == "F32" else {
            throw FixtureError(description: "\(url.path) (\(tensor)): dtype \(dtype), expected F32")
        }
        let begin = 8 + headerLength + offsets[0]
        let end = 8 + headerLength + offsets[1]
        let count = shape.reduce(1, *)
        guard end <= bytes.count, end - begin == 4 * count else {
            throw FixtureError(description: "\(url.path) (\(tensor)): offsets do not match shape")
        }
        let values = (0..<count).map { i -> Float in
            let at = begin + 4 * i
            let bits = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
                | UInt32(bytes[at + 3]) << 24
            return Float(bitPattern: bits)
        }
        return (shape, values)
    }
}
