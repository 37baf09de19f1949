// WatchViewTests: the dashboard while `watch` follows another process's run — goldens of a mid-run
// HF Trainer run at 160×48 and 80×24 and of the waiting screen, the status line's fields and trouble,
// the watch-only hint bar and help, the keys that do nothing here, and every size without a trap.
// RECORD_GOLDENS=1 rewrites the files in Goldens/.

import Foundation
import Testing
@testable import ReformerTUI
import ReformerTelemetry

enum WatchFixtures {
    /// An HF Trainer run at step 24 of 30, checkpoint-20 shown, checkpoint-30 not yet written.
    static func hfMidRun() -> EngineSnapshot {
        var s = Fixtures.copyMidTraining()
        s.step = 24
        s.totalSteps = 30
        s.metricName = ""
        s.trainMetric = []
        s.validationMetric = []
        s.trainLoss = stride(from: 2, through: 24, by: 2).map { CurvePoint(step: $0, value: 2.78 - 0.004 * Double($0) + 0.01 * sin(Double($0))) }
        s.validationLoss = [CurvePoint(step: 10, value: 2.73), CurvePoint(step: 20, value: 2.71)]
        s.learningRate = stride(from: 2, through: 24, by: 2).map { CurvePoint(step: $0, value: 0.003 * (1 - Double($0) / 30)) }
        s.gradientNorm = stride(from: 2, through: 24, by: 2).map { CurvePoint(step: $0, value: 0.55 + 0.05 * cos(Double($0))) }
        s.modelSummary = "2 layers local/LSH, hidden 16, 2 heads, 5,024 params, T=32"
        s.message = "checkpoint-30 is being written (.tmpv91IPt)"
        s.sample = nil
        s.memory.gradientsBytes = 0   // a forward of the checkpoint: no gradients, no moments
        s.memory.optimizerBytes = 0
        s.memory.peakBytes = s.memory.parametersBytes + s.memory.activationsBytes + s.memory.attentionBytes
        var w = WatchStatus()
        w.directory = "out"
        w.source = "HF Trainer"
        w.state = .running
        w.epoch = 0.375
        w.stepsPerSecond = 2.76
        w.lastLogAgeSeconds = 1
        w.newestCheckpoint = "checkpoint-20"
        w.newestCheckpointAgeSeconds = 3
        w.shownCheckpoint = "checkpoint-20"
        w.probe = "seeded 0 w 0 w, 32 tokens"
        s.watch = w
        return s
    }

    static func waiting() -> EngineSnapshot {
        var s = EngineSnapshot()
        s.runState = .starting
        var w = WatchStatus()
        w.directory = "out"
        w.waitingFor = "no such folder yet"
        s.watch = w
        s.message = "waiting for out: no such folder yet"
        s.metricName = ""
        return s
    }
}

@Suite struct WatchViewTests {
    @Test func midRunMatchesGoldens() throws {
        try DashboardGoldenTests.check("watch-160x48.txt", Dashboard.render(WatchFixtures.hfMidRun(), ViewState(), theme: .dark, width: 160, height: 48))
        try DashboardGoldenTests.check("watch-80x24.txt", Dashboard.render(WatchFixtures.hfMidRun(), ViewState(), theme: .dark, width: 80, height: 24))
        try DashboardGoldenTests.check("watch-waiting-120x40.txt", Dashboard.render(WatchFixtures.waiting(), ViewState(), theme: .mono, width: 120, height: 40))
    }

    @Test func theStatusLineSaysStepEpochPaceAgesAndState() {
        let s = WatchFixtures.hfMidRun()
        let top = Dashboard.render(s, ViewState(), theme: .dark, width: 160, height: 48).row(0)
        #expect(top.hasPrefix(" WATCH  │ step 24/30 │ epoch 0.38 │ 2.76 steps/s │ log 1s ago │ checkpoint-20 3s ago │ running"))
        var finished = s
        finished.watch?.state = .finished
        finished.runState = .finished
        let screen = Dashboard.render(finished, ViewState(), theme: .dark, width: 160, height: 48)
        #expect(screen.row(0).contains("│ finished") && screen.row(46).contains("FINISHED — press q to quit"))
        var silent = s
        silent.watch?.state = .silent(minutes: 3)
        #expect(Dashboard.render(silent, ViewState(), theme: .dark, width: 160, height: 48).row(0).contains("silent for 3 min"))
        var model = s
        model.watch?.source = "model folder"   // no run: no step
        let line = Dashboard.render(model, ViewState(), theme: .dark, width: 160, height: 48).row(0)
        #expect(!line.contains("step ") && line.contains("a model folder, reloaded when it changes"))
        var unknown = s
        unknown.totalSteps = 0   // max_steps not known yet: nothing after the step
        #expect(Dashboard.render(unknown, ViewState(), theme: .dark, width: 160, height: 48).row(0).contains("│ step 24 │"))
    }

    @Test(arguments: [80, 120, 160])
    func troubleIsOnTheStatusLineAtEveryWidth(width: Int) {
        var s = WatchFixtures.hfMidRun()
        s.watch?.trouble = "checkpoint-30/model.safetensors: 0 bytes, the header length is not written yet; showing checkpoint-20"
        let top = Dashboard.render(s, ViewState(), theme: .dark, width: width, height: 40).row(0)
        #expect(top.contains("⚠ checkpoint-30"), "width \(width): \(top)")
        #expect(top.contains("step 24/30"))
    }

    @Test func onlyTheKeysThatMakeSenseAreOffered() {
        let s = WatchFixtures.hfMidRun()
        let hints = HintBar.hints(s, ViewState()).map(\.key)
        #expect(hints.contains("s") && hints.contains("h") && hints.contains("Tab") && hints.contains("?") && hints.contains("q"))
        #expect(!hints.contains("space") && !hints.contains("n") && !hints.contains("c") && !hints.contains("+/-"))
        let help = HelpOverlay.entries(for: s).map(\.keys)
        #expect(!help.contains("space") && !help.contains("n") && !help.contains("c") && !help.contains("+ / -"))
        #expect(help.contains("s") && help.contains("h") && help.contains("PgUp / PgDn") && help.contains("q / Ctrl-C"))
        var state = ViewState()
        state.helpVisible = true
        let text = Dashboard.render(s, state, theme: .dark, width: 160, height: 48).text
        #expect(text.contains("Watching a run") && !text.contains("pause / resume") && !text.contains("write a checkpoint"))
    }

    @Test func trainingKeysDoNothingAndPanelKeysStillWork() {
        let s = WatchFixtures.hfMidRun()
        for key in [Key.character(" "), .character("n"), .character("c"), .character("+"), .character("-")] {
            var state = ViewState()
            #expect(Reducer.reduce(&state, key: key, snapshot: s).isEmpty)
            #expect(state == ViewState())
        }
        var state = ViewState()
        #expect(Reducer.reduce(&state, key: .character("s"), snapshot: s) == [.sample])
        state.focus = .buckets
        #expect(Reducer.reduce(&state, key: .down, snapshot: s) == [.selectProbe(layer: 0, head: 1, round: 1, chunk: 3)])
        #expect(Reducer.reduce(&state, key: .character("h"), snapshot: s).first.map { if case .explore = $0 { true } else { false } } == true)
        var quit = ViewState()
        #expect(Reducer.reduce(&quit, key: .character("q"), snapshot: s) == [.quit] && quit.quitRequested)
    }

    @Test func theProbePanelsNameTheCheckpoint() {
        let screen = Dashboard.render(WatchFixtures.hfMidRun(), ViewState(), theme: .dark, width: 160, height: 48)
        let rows = (0..<48).map { screen.row($0) }
        #expect(rows.contains { $0.contains("│checkpoint-20 · layer 1/1 LSH · head 2/4 · round 1/4") })
        #expect(rows.contains { $0.contains("ledger, one forward of checkpoint-20 on the probe") })
        #expect(rows.contains { $0.contains("── learning rate") } && rows.contains { $0.contains("── grad norm") })
        var loading = WatchFixtures.hfMidRun()
        loading.probe = nil
        loading.memory = MemoryReport()
        loading.watch?.shownCheckpoint = nil
        loading.watch?.loading = "checkpoint-10"
        #expect(Dashboard.render(loading, ViewState(), theme: .dark, width: 160, height: 48).text.contains("loading checkpoint-10…"))
    }

    @Test func everySizeRendersWithoutTrapping() {
        var odd = WatchFixtures.hfMidRun()
        odd.watch?.stepsPerSecond = .infinity
        odd.watch?.epoch = .nan
        odd.watch?.lastLogAgeSeconds = -5
        odd.watch?.trouble = String(repeating: "very long trouble ", count: 20)
        odd.learningRate = [CurvePoint(step: 3, value: .nan)]
        for snapshot in [WatchFixtures.hfMidRun(), WatchFixtures.waiting(), odd] {
            for width in stride(from: 20, through: 220, by: 20) {
                for height in stride(from: 5, through: 65, by: 10) {
                    let screen = Dashboard.render(snapshot, ViewState(), theme: .dark, width: width, height: height)
                    #expect(screen.width == width && screen.height == height)
                    #expect(screen.text.contains(width < 80 || height < 24 ? "Terminal too small" : "WATCH"))
                }
            }
        }
    }
}
