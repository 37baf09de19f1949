// Whole-dashboard golden screens at fixed sizes from a hand-built deterministic snapshot (a copy run
// mid-training with a probe, memory and a sample), the size sweep, and the frame-time measurement.
// RECORD_GOLDENS=1 rewrites the files in Goldens/; review them in the diff.

import Foundation
import ReformerTelemetry
import Testing
@testable import ReformerTUI

/// Deterministic snapshots for the TUI tests.
enum Fixtures {
    /// The copy word w (31 symbols in 1…127).
    static let word: [Int32] = (0..<31).map { Int32(($0 * 37 + 11) % 127 + 1) }

    /// A copy run at step 120 of 2000, paused on nothing, with every panel's data.
    static func copyMidTraining() -> EngineSnapshot {
        var s = EngineSnapshot()
        s.runState = .running
        s.task = "copy"
        s.modelSummary = "1 LSH layer, hidden 64, 4 heads, 50,048 params, T=64"
        s.step = 120
        s.totalSteps = 2000
        s.tokensPerSecond = 12345.6
        s.elapsedSeconds = 83.4
        s.checkpointPath = "runs/copy-seed0"
        s.checkpointAgeSeconds = 42
        s.metricName = "acc"
        s.trainHashes = 4
        s.evalHashes = 4
        s.message = "evaluation at step 120: loss 1.912, acc 0.412"
        s.trainLoss = (1...120).map { CurvePoint(step: $0, value: 4.85 * exp(-Double($0) / 45) + 0.9 + 0.05 * sin(Double($0))) }
        s.trainMetric = (1...120).map { CurvePoint(step: $0, value: 0.45 * (1 - exp(-Double($0) / 60)) + 0.01 * cos(Double($0))) }
        s.validationLoss = stride(from: 20, through: 120, by: 20).map { CurvePoint(step: $0, value: 4.9 * exp(-Double($0) / 45) + 1.0) }
        s.validationMetric = stride(from: 20, through: 120, by: 20).map { CurvePoint(step: $0, value: 0.43 * (1 - exp(-Double($0) / 60))) }
        s.probe = probe()
        var m = MemoryReport()
        m.parametersBytes = 200_192
        m.gradientsBytes = 200_192
        m.optimizerBytes = 400_384
        m.activationsBytes = 3_145_728
        m.attentionBytes = 524_288
        m.peakBytes = 4_718_592
        m.processRSSBytes = 88_080_384
        m.sequenceLength = 64
        m.standardAttentionBytes = 1 * 32 * 4 * 64 * 64 * 4
        m.standardActivationsBytes = 1 * 32 * 64 * (4 * 64 + 4 * 64 + 2 * 64) * 4
        s.memory = m
        var sample = SamplePreview()
        sample.kind = .copy
        sample.step = 100
        sample.prompt = [0] + word + [0]
        sample.expected = word
        sample.predicted = word.enumerated().map { i, t in [4, 11, 27].contains(i) ? (t % 127) + 1 : t }
        s.sample = sample
        return s
    }

    /// Layer 1/1 (LSH), head 2/4, round 1/4, chunk 4/32 of the `0 w 0 w` row, with attention taken from
    /// the real sort order of these buckets (slots sorted by (bucket, position), chunks of 8).
    static func probe() -> AttentionProbe {
        var p = AttentionProbe()
        p.layer = 0
        p.layerCount = 1
        p.layerKinds = ["lsh"]
        p.head = 1
        p.headCount = 4
        p.round = 0
        p.roundCount = 4
        p.chunk = 3
        p.chunkCount = 32
        p.chunkLength = 8
        p.bucketCount = 16
        p.tokens = [0] + word + [0] + word
        p.buckets = p.tokens.map { ($0 * 7 + 3) % 16 }
        p.occupancy = (0..<16).map { b in p.buckets.filter { $0 == b }.count }
        let T = Double(p.tokens.count)
        let entropy = p.occupancy.filter { $0 > 0 }.reduce(0.0) { h, c in let q = Double(c) / T; return h - q * log(q) }
        p.evenness = entropy / log(16.0)
        let sorted = p.buckets.indices.sorted { (p.buckets[$0], $0) < (p.buckets[$1], $1) }.map { Int32($0) }
        p.queryPositions = Array(sorted[24..<32])
        p.keyPositions = Array(sorted[16..<32])
        for q in p.queryPositions {
            var row: [Float] = [], mask: [AttentionProbe.MaskKind] = []
            for k in p.keyPositions {
                mask.append(k == q ? .selfPosition : (k > q ? .causal : .none))
                row.append(k < q ? Float(exp(-abs(Double(q - k) - 32) / 6)) : 0)
            }
            let total = row.reduce(0, +)
            p.attention.append(total > 0 ? row.map { $0 / total } : row)
            p.mask.append(mask)
        }
        return p
    }

    /// A text run: local + LSH layers, byte tokens, a streaming continuation.
    static func textRun() -> EngineSnapshot {
        var s = copyMidTraining()
        s.task = "text"
        s.metricName = "bpb"
        s.trainMetric = s.trainLoss.map { CurvePoint(step: $0.step, value: $0.value / log(2.0)) }
        s.validationMetric = s.validationLoss.map { CurvePoint(step: $0.step, value: $0.value / log(2.0)) }
        var p = probe()
        p.layerCount = 2
        p.layerKinds = ["local", "lsh"]
        p.layer = 1
        p.tokens = Array("It was the best of times, it was the worst of times, it was the ag".utf8.map { Int32($0) }.prefix(64))
        s.probe = p
        var sample = SamplePreview()
        sample.kind = .text
        sample.step = 120
        sample.text = "It was the best of times,"
        sample.continuation = " it was the worst of tim"
        sample.inProgress = true
        s.sample = sample
        return s
    }

    static func failed() -> EngineSnapshot {
        var s = copyMidTraining()
        s.runState = .failed
        s.failure = "loss is NaN at step 121 (learning rate too high?) — last checkpoint kept"
        return s
    }
}

@Suite struct DashboardGoldenTests {
    static let goldens = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    /// The screen's rows with trailing blanks removed, one per line.
    static func text(_ screen: Screen) -> String {
        (0..<screen.height).map { y in
            var row = screen.row(y)
            while row.hasSuffix(" ") { row.removeLast() }
            return row
        }.joined(separator: "\n") + "\n"
    }

    static func check(_ name: String, _ screen: Screen) throws {
        let url = goldens.appendingPathComponent(name)
        let actual = text(screen)
        if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" {
            try FileManager.default.createDirectory(at: goldens, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if actual != expected {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
            Issue.record("""
                \(name) differs from the golden at row \(first) (RECORD_GOLDENS=1 re-records):
                expected: \(first < e.count ? String(e[first]) : "<none>")
                actual:   \(first < a.count ? String(a[first]) : "<none>")
                """)
        }
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func copyMidTrainingMatchesGolden(size: (Int, Int)) throws {
        let screen = Dashboard.render(Fixtures.copyMidTraining(), ViewState(), theme: .dark, width: size.0, height: size.1)
        try Self.check("copy-\(size.0)x\(size.1).txt", screen)
    }

    @Test func helpOverlayMatchesGolden() throws {
        var state = ViewState()
        state.helpVisible = true
        try Self.check("help-120x40.txt", Dashboard.render(Fixtures.copyMidTraining(), state, theme: .dark, width: 120, height: 40))
        try Self.check("help-80x24.txt", Dashboard.render(Fixtures.copyMidTraining(), state, theme: .dark, width: 80, height: 24))
    }

    @Test func zoomedAttentionMatchesGolden() throws {
        var state = ViewState()
        state.focus = .attention
        state.zoomed = true
        try Self.check("attention-zoomed-120x40.txt", Dashboard.render(Fixtures.copyMidTraining(), state, theme: .dark, width: 120, height: 40))
    }

    @Test func textRunInMonoMatchesGolden() throws {
        var state = ViewState()
        state.focus = .buckets
        try Self.check("text-mono-120x40.txt", Dashboard.render(Fixtures.textRun(), state, theme: .mono, width: 120, height: 40))
    }

    @Test func emptyAndFailedSnapshotsMatchGolden() throws {
        try Self.check("empty-80x24.txt", Dashboard.render(EngineSnapshot(), ViewState(), theme: .dark, width: 80, height: 24))
        try Self.check("failed-80x24.txt", Dashboard.render(Fixtures.failed(), ViewState(), theme: .dark, width: 80, height: 24))
    }

    /// Every size from 20×5 to 220×70 in steps, for several snapshots and view states, renders a screen of
    /// exactly that size without trapping.
    @Test func everySizeRendersWithoutTrapping() {
        var odd = Fixtures.copyMidTraining()
        odd.tokensPerSecond = .nan
        odd.elapsedSeconds = .infinity
        odd.trainLoss.append(CurvePoint(step: 121, value: .nan))
        odd.validationLoss = [CurvePoint(step: 5, value: -1)]
        odd.checkpointAgeSeconds = -3
        odd.probe?.attention[0] = []
        odd.probe?.mask = []
        odd.probe?.buckets.append(99)
        odd.memory.peakBytes = Int.max / 2
        var states: [ViewState] = [ViewState()]
        var s = ViewState()
        s.helpVisible = true
        s.logScale = true
        states.append(s)
        for panel in PanelID.allCases {
            var z = ViewState()
            z.focus = panel
            z.zoomed = true
            z.selection = ProbeSelection(layer: 5, head: 9, round: 9, chunk: 99)
            states.append(z)
        }
        let snapshots = [EngineSnapshot(), Fixtures.copyMidTraining(), Fixtures.textRun(), Fixtures.failed(), odd]
        var frames = 0
        for width in stride(from: 20, through: 220, by: 10) {
            for height in stride(from: 5, through: 70, by: 5) {
                for (i, snapshot) in snapshots.enumerated() {
                    for (j, state) in states.enumerated() where (i + j + width + height) % 3 == 0 || j == 0 {
                        let screen = Dashboard.render(snapshot, state, theme: (i + j) % 2 == 0 ? .dark : .mono, width: width, height: height)
                        #expect(screen.width == width && screen.height == height)
                        #expect(screen.text.contains(width < 80 || height < 24 ? "Terminal too small" : "step "))
                        frames += 1
                    }
                }
            }
        }
        // Also the exact boundary sizes.
        for (w, h) in [(0, 0), (1, 1), (-3, -3), (79, 24), (80, 23), (80, 24), (81, 25), (119, 33), (120, 33), (220, 70)] {
            for snapshot in snapshots {
                _ = Dashboard.render(snapshot, states[1], theme: .dark, width: w, height: h)
                frames += 1
            }
        }
        #expect(frames > 2000)
    }

    /// Prints the time to render one 200×60 frame (debug build); not asserted.
    @Test func measureFrameTime() {
        let snapshot = Fixtures.copyMidTraining()
        let clock = ContinuousClock()
        _ = Dashboard.render(snapshot, ViewState(), theme: .dark, width: 200, height: 60)
        let n = 20
        let elapsed = clock.measure {
            for _ in 0..<n { _ = Dashboard.render(snapshot, ViewState(), theme: .dark, width: 200, height: 60) }
        }
        let ms = Double(elapsed.components.attoseconds) / 1e15 / Double(n) + Double(elapsed.components.seconds) * 1000 / Double(n)
        print("render 200×60 frame: \(Format.fixed(ms, 2)) ms (mean of \(n), this build)")
    }
}
