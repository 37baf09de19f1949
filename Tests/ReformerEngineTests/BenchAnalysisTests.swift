// BenchAnalysisTests: the SPEED-S verdicts (a)–(d) and the MEM-S slopes on given numbers (no timing).

import Foundation
import Testing
import ReformerEngine

@Suite struct BenchAnalysisTests {
    static let lengths = [256, 512, 1024, 2048, 4096, 8192]

    /// Full attention ∝ length (tokens per step fixed), LSH-h flat at 0.015·h s: every criterion holds
    /// and the crossovers sit where the lines meet, 256·1.5·h.
    @Test func idealLinesPassEveryCriterion() {
        let full = Self.lengths.map { 0.01 * Double($0) / 256 }
        let lsh = Dictionary(uniqueKeysWithValues: [1, 2, 4, 8].map { h in (h, Self.lengths.map { _ in 0.015 * Double(h) }) })
        let v = SpeedCriteria.evaluate(lengths: Self.lengths, full: full, lsh: lsh)
        #expect(v.map(\.id) == ["a", "b", "c", "d"])
        let allPass = v.allSatisfy { $0.pass }
        #expect(allPass, "\(v)")
        for h in [1, 2, 4, 8] {
            guard case .at(let L) = SpeedCriteria.crossover(lengths: Self.lengths, full: full, lsh: lsh[h]!) else {
                Issue.record("LSH-\(h) should cross inside the range"); continue
            }
            #expect(abs(L - 384 * Double(h)) < 1e-6)
        }
        #expect(v[0].detail.contains("×2.00"), "\(v[0].detail)")
        #expect(v[3].detail.contains("LSH-1 ≈ 384") && v[3].detail.contains("LSH-8 ≈ 3072"), "\(v[3].detail)")
    }

    /// The paper's own figure (EXPERIMENTS.md §2.1, read off Figure 5 at 1024…32768): (a)–(c) hold;
    /// (d) does not in that range, since LSH-1 and LSH-2 are already faster at 1024.
    @Test func paperFigureFiveValues() {
        let lengths = [1024, 2048, 4096, 8192, 16384, 32768]
        let full = [0.20, 0.30, 0.48, 1.0, 1.9, 3.5]
        let lsh: [Int: [Double]] = [
            1: [0.10, 0.083, 0.072, 0.068, 0.072, 0.075], 2: [0.15, 0.12, 0.11, 0.10, 0.11, 0.14],
            4: [0.21, 0.18, 0.16, 0.17, 0.19, 0.23], 8: [0.32, 0.29, 0.28, 0.30, 0.36, 0.44]]
        let v = SpeedCriteria.evaluate(lengths: lengths, full: full, lsh: lsh)
        #expect(v[0].pass && v[1].pass && v[2].pass, "\(v)")
        #expect(!v[3].pass)
        #expect(SpeedCriteria.crossover(lengths: lengths, full: full, lsh: lsh[1]!) == .belowRange)
        guard case .at(let l8) = SpeedCriteria.crossover(lengths: lengths, full: full, lsh: lsh[8]!) else {
            Issue.record("LSH-8 crosses between 1024 and 2048 in the paper"); return
        }
        #expect(l8 > 1024 && l8 < 2048)
    }

    @Test func eachCriterionFailsOnItsOwnCounterexample() {
        let full = Self.lengths.map { 0.01 * Double($0) / 256 }
        let flat = Dictionary(uniqueKeysWithValues: [1, 2, 4, 8].map { h in (h, Self.lengths.map { _ in 0.015 * Double(h) }) })

        // (a): full attention falls once; or grows only 1.5× per doubling at the end.
        var dip = full
        dip[3] = dip[2] * 0.9
        #expect(!SpeedCriteria.evaluate(lengths: Self.lengths, full: dip, lsh: flat)[0].pass)
        var slow = full
        slow[4] = slow[3] * 1.5
        slow[5] = slow[4] * 1.7
        let a = SpeedCriteria.evaluate(lengths: Self.lengths, full: slow, lsh: flat)[0]
        #expect(!a.pass && a.detail.contains("×1.50"), "\(a.detail)")

        // (b): LSH-4 spreads 2.5× over the range.
        var spread = flat
        spread[4]![5] = spread[4]![0] * 2.5
        let b = SpeedCriteria.evaluate(lengths: Self.lengths, full: full, lsh: spread)[1]
        #expect(!b.pass && b.detail.contains("LSH-4 ×2.50"), "\(b.detail)")

        // (c): LSH-2 not slower than LSH-1 at one length.
        var order = flat
        order[2]![1] = order[1]![1]
        let c = SpeedCriteria.evaluate(lengths: Self.lengths, full: full, lsh: order)[2]
        #expect(!c.pass && c.detail.contains("at 512"), "\(c.detail)")

        // (d): LSH-8 never faster; or crossovers out of order.
        var never = flat
        never[8] = Self.lengths.map { _ in 1.0 }
        #expect(SpeedCriteria.crossover(lengths: Self.lengths, full: full, lsh: never[8]!) == .aboveRange)
        #expect(!SpeedCriteria.evaluate(lengths: Self.lengths, full: full, lsh: never)[3].pass)
        var swapped = flat
        swapped[4] = Self.lengths.map { _ in 0.13 }   // crosses after LSH-8 (0.12)
        swapped[8] = Self.lengths.map { _ in 0.125 }
        let d = SpeedCriteria.evaluate(lengths: Self.lengths, full: full, lsh: swapped)
        #expect(!d[3].pass && d[2].pass == false, "\(d)")
    }

    @Test func growthPerDoublingAcrossUnevenSteps() {
        // 256 → 1024 is two doublings: ×9 over two is ×3 per doubling.
        #expect(abs(SpeedCriteria.growthPerDoubling(lengths: [256, 1024], seconds: [1, 9], at: 1) - 3) < 1e-12)
    }

    @Test func slopeIsMiBPerAddedLayer() {
        let layers: [Double] = [1, 2, 4, 8]
        #expect(abs(BenchStatistics.slope(x: layers, y: layers.map { 40 + 6.5 * $0 }) - 6.5) < 1e-12)
        #expect(abs(BenchStatistics.slope(x: layers, y: [50, 50, 50, 50])) < 1e-12)
        // Least squares through uneven points: Σ(x−x̄)(y−ȳ) / Σ(x−x̄)² with x̄ = 3.75, ȳ = 17.75
        // = 85.75 / 28.75 (worked by hand).
        #expect(abs(BenchStatistics.slope(x: layers, y: [10, 13, 17, 31]) - 85.75 / 28.75) < 1e-12)
        #expect(BenchStatistics.slope(x: [4], y: [1]).isNaN)
        #expect(BenchStatistics.median([3, 1, 2]) == 2 && BenchStatistics.median([4, 1, 3, 2]) == 2.5)
    }
}

/// The runner `bench --only attention` times computes the layer's attention half exactly as the
/// forward does: F(E) = Y1 − E of layer 0, with LSH (seeded rotations) and with full attention.
@Suite struct AttentionLayerRunnerTests {
    @Test(arguments: [false, true])
    func runnerComputesTheForwardsAttentionHalf(_ full: Bool) throws {
        var c = ReformerConfig()
        c.isDecoder = true
        c.attentionLayers = [.lsh]
        c.hiddenSize = 16
        c.headCount = 2
        c.headSize = 8
        c.feedForwardSize = 16
        c.vocabSize = 20
        c.axialPositionEmbeddings = false
        c.maxPositionEmbeddings = 32
        c.lshChunkLength = 8
        c.hashRounds = 2
        c.buckets = .count(4)
        c.hashSeed = 3
        c.eosTokenId = nil
        c.hiddenDropout = 0
        c.localAttentionDropout = 0
        let model = try ReformerModel.initialized(config: c, seed: 9)
        var rng = SplitMix64(seed: 4)
        var request = ForwardRequest(batch: 2, length: 32, tokens: (0..<64).map { _ in Int32(1 + rng.nextInt(below: 19)) })
        request.fullAttention = full
        request.captureHidden = true
        let result = try model.forward(request)
        let e = result.hidden.first { $0.name == "hidden.embeddings" }!.values
        let y1 = result.hidden.first { $0.name == "hidden.layer0.y1" }!.values
        let runner = try AttentionLayerRunner(model: model, request: request)
        try runner.run()
        try runner.run()   // runs repeat the same function
        let f = runner.lastOutput
        #expect(f.count == e.count)
        let worst = zip(f, zip(y1, e)).map { abs($0 - ($1.0 - $1.1)) }.max() ?? .infinity
        #expect(worst < 1e-5, "max |F − (Y1 − E)| = \(worst)")
    }
}
