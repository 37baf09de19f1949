// The Table 2 experiment's dashboard: golden screens of the grid filling in (mid-run, a cell being
// evaluated; complete with verdicts; narrow with "ours (paper)" cells), the keys it answers and
// its hint bar. RECORD_GOLDENS=1 rewrites the files in Goldens/.

import Foundation
import ReformerTelemetry
import Testing
@testable import ReformerTUI

enum ExperimentFixtures {
    static let paper: [[Double]] = [[100, 94.8, 92.5, 76.9, 52.5], [0.8, 100, 99.9, 99.4, 91.9],
                                    [0.8, 100, 99.9, 98.1, 86.8], [0.8, 99.9, 99.6, 94.8, 77.9]]

    /// Seed 0 of 3: Full and LSH-1 measured, LSH-2 being evaluated with LSH-4 (two of its cells done).
    static func midRun() -> EngineSnapshot {
        var s = Fixtures.copyMidTraining()
        s.task = "copy quick · seed 0 · LSH-2"
        s.trainHashes = 2
        s.evalHashes = 2
        s.message = "evaluating seed 0 · LSH-2 with LSH-4 (3 draws)…"
        var e = ExperimentProgress()
        e.title = "Table 2 · copy task · tier quick"
        e.rows = ["Full", "LSH-4", "LSH-2", "LSH-1"]
        e.columns = ["Full", "LSH-8", "LSH-4", "LSH-2", "LSH-1"]
        e.cells = [[100, 97.3, 95.1, 88.4, 71.2], [nil, nil, nil, nil, nil], [99.6, 99.9, nil, nil, nil], [98.7, 99.8, 99.1, 96.0, 84.5]]
        e.paper = paper
        e.seedCount = 3
        e.seedsDone = 0
        e.cellsDone = 12
        e.cellsTotal = 60
        e.phase = .evaluating
        e.currentModel = "seed 0 · LSH-2"
        e.currentRow = 2
        e.currentColumn = 2
        e.modelIndex = 3
        e.modelCount = 12
        e.modelETASeconds = 4
        e.experimentETASeconds = 1234
        e.elapsedSeconds = 321
        e.directory = "runs/experiment-copy-quick"
        e.verdicts = [
            ExperimentVerdict(id: "R1", status: .pass, line: "R1 pass full→full 100.0% (≥ 99%)"),
            ExperimentVerdict(id: "R2", status: .pending, line: "R2 pending the LSH rows are not measured yet"),
            ExperimentVerdict(id: "R3", status: .pending, line: "R3 pending the diagonal is not measured yet"),
            ExperimentVerdict(id: "R4", status: .pass, line: "R4 pass +15.3 points (≥ 10)"),
            ExperimentVerdict(id: "R5", status: .report, line: "R5 report Full row LSH-1→Full 71.2 ≤ 88.4 ≤ 95.1 ≤ 97.3 ≤ 100.0: rises (paper: rises)"),
            ExperimentVerdict(id: "R6", status: .pending, line: "R6 pending the Full column is not measured yet"),
        ]
        s.experiment = e
        return s
    }

    /// Complete: every cell, verdicts with a failure, finished.
    static func complete() -> EngineSnapshot {
        var s = midRun()
        s.runState = .finished
        s.message = "experiment complete: R1–R4 3/4 pass · results in runs/experiment-copy-quick"
        var e = s.experiment!
        e.cells = [[100, 97.3, 95.1, 88.4, 71.2], [99.9, 100, 99.9, 99.5, 93.0], [99.6, 99.9, 99.7, 98.8, 88.1], [98.7, 99.8, 99.1, 96.0, 84.5]]
        e.phase = .finished
        e.seedsDone = 3
        e.cellsDone = 60
        e.currentRow = nil
        e.currentColumn = nil
        e.modelETASeconds = nil
        e.experimentETASeconds = 0
        e.elapsedSeconds = 3725
        e.verdicts = [
            ExperimentVerdict(id: "R1", status: .pass, line: "R1 pass full→full 100.0% (≥ 99%)"),
            ExperimentVerdict(id: "R2", status: .pass, line: "R2 pass smallest step +0.2 points, LSH-2 row LSH-4→LSH-8 (≥ -1)"),
            ExperimentVerdict(id: "R3", status: .pass, line: "R3 pass diagonal 84.5 ≤ 98.8 ≤ 99.9 (tolerance 1)"),
            ExperimentVerdict(id: "R4", status: .fail, line: "R4 fail +3.1 points (≥ 10)"),
            ExperimentVerdict(id: "R5", status: .report, line: "R5 report Full row LSH-1→Full 71.2 ≤ 88.4 ≤ 95.1 ≤ 97.3 ≤ 100.0: rises (paper: rises)"),
            ExperimentVerdict(id: "R6", status: .report, line: "R6 report LSH-trained → full attention: LSH-4 99.9%, LSH-2 99.6%, LSH-1 98.7% (paper: 0.8%, chance)"),
        ]
        s.experiment = e
        return s
    }
}

@Suite struct ExperimentViewTests {
    @Test func midRunMatchesGolden() throws {
        let s = ExperimentFixtures.midRun()
        try DashboardGoldenTests.check("experiment-midrun-120x40.txt", Dashboard.render(s, ViewState(), theme: .dark, width: 120, height: 40))
        try DashboardGoldenTests.check("experiment-midrun-80x24.txt", Dashboard.render(s, ViewState(), theme: .dark, width: 80, height: 24))
    }

    @Test func completeMatchesGolden() throws {
        let s = ExperimentFixtures.complete()
        try DashboardGoldenTests.check("experiment-complete-100x34.txt", Dashboard.render(s, ViewState(), theme: .mono, width: 100, height: 34))
    }

    @Test func gridShowsOursBesideThePapersAndTheCellBeingEvaluated() {
        let screen = Dashboard.render(ExperimentFixtures.midRun(), ViewState(), theme: .dark, width: 120, height: 40)
        let text = screen.text
        #expect(text.contains("Table 2 · copy task · tier quick") && text.contains("12/60 cells"))
        #expect(text.contains("paper (Kitaev et al. 2020, Table 2)"))
        let lsh2 = (0..<screen.height).map { screen.row($0) }.first { $0.contains("▶ LSH-2") } ?? ""
        #expect(lsh2.contains("99.6") && lsh2.contains("…") && lsh2.contains("98.1"), "row: \(lsh2)")
        #expect(text.contains("model ETA 00:04 · experiment ETA 20:34"))
        #expect(text.contains("R1 pass full→full 100.0% (≥ 99%)") && text.contains("Training curves"))
        // Narrow: "ours (paper)" in one table.
        let narrow = Dashboard.render(ExperimentFixtures.midRun(), ViewState(), theme: .dark, width: 80, height: 24).text
        #expect(narrow.contains("100.0 (100.0)") && narrow.contains("(paper's Table 2)"))
    }

    @Test func keysPauseQuitAndHelpOnly() {
        let s = ExperimentFixtures.midRun()
        var state = ViewState()
        #expect(Reducer.reduce(&state, key: .character(" "), snapshot: s) == [.togglePause])
        #expect(Reducer.reduce(&state, key: .character("h"), snapshot: s) == [] && state.explorer == nil)
        #expect(Reducer.reduce(&state, key: .character("s"), snapshot: s) == [])
        #expect(Reducer.reduce(&state, key: .tab, snapshot: s) == [] && state.focus == .loss)
        _ = Reducer.reduce(&state, key: .character("l"), snapshot: s)
        #expect(state.logScale)
        _ = Reducer.reduce(&state, key: .character("?"), snapshot: s)
        #expect(state.helpVisible)
        let help = Dashboard.render(s, state, theme: .dark, width: 120, height: 40).text
        #expect(help.contains("Keys — experiment") && help.contains("--resume continues"))
        #expect(Reducer.reduce(&state, key: .character(" "), snapshot: s) == [], "help is modal")
        _ = Reducer.reduce(&state, key: .escape, snapshot: s)
        #expect(!state.helpVisible)
        #expect(Reducer.reduce(&state, key: .character("q"), snapshot: s) == [.quit] && state.quitRequested)
    }

    @Test func hintsFollowTheRunState() {
        let mid = ExperimentView.hints(ExperimentFixtures.midRun(), ViewState()).map(\.label)
        #expect(mid == ["Pause", "Log scale", "Help", "Quit (resumable)"])
        var paused = ExperimentFixtures.midRun()
        paused.runState = .paused
        #expect(ExperimentView.hints(paused, ViewState()).first?.label == "Resume")
        #expect(ExperimentView.hints(ExperimentFixtures.complete(), ViewState()).map(\.label) == ["Log scale", "Help", "Quit"])
    }

    @Test func everySizeRendersWithoutTrapping() {
        var odd = ExperimentFixtures.midRun()
        odd.experiment?.cells = [[nil], []]
        odd.experiment?.paper = []
        odd.experiment?.currentRow = 9
        odd.experiment?.currentColumn = -1
        odd.experiment?.modelETASeconds = .nan
        for snapshot in [ExperimentFixtures.midRun(), ExperimentFixtures.complete(), odd] {
            for width in stride(from: 20, through: 220, by: 15) {
                for height in stride(from: 5, through: 70, by: 7) {
                    let screen = Dashboard.render(snapshot, ViewState(), theme: .dark, width: width, height: height)
                    #expect(screen.width == width && screen.height == height)
                }
            }
        }
    }
}
