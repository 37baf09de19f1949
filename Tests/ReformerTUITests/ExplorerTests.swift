// The hashing explorer: golden screens of the six stages from a hand-built `0 w 0 w` trace, every
// explorer key, the dashboard's `h` / Esc round trip, the copy task's twin highlighting, local and
// unhashed layers, a missing or empty trace, the standalone session's reducer, and a size sweep.
// RECORD_GOLDENS=1 rewrites the files in Goldens/.

import Foundation
import ReformerTelemetry
import Testing
@testable import ReformerTUI

@Suite struct ExplorerTests {
    let trace = ExplorerFixtures.copyTrace()

    /// The dashboard's copy snapshot, paused by the explorer, carrying `trace`.
    func snapshot(_ trace: HashTrace?, tracing: Bool = false) -> EngineSnapshot {
        var s = Fixtures.copyMidTraining()
        s.runState = .paused
        s.hashTrace = trace
        s.tracing = tracing
        s.message = "explorer: layer 2 head 2 on the current batch (training paused)"
        return s
    }

    func viewState(_ stage: ExplorerState.Stage, configure: (inout ExplorerState) -> Void = { _ in }) -> ViewState {
        var v = ViewState()
        var e = ExplorerState(layer: 1, head: 1)
        e.stage = stage
        configure(&e)
        v.explorer = e
        return v
    }

    func render(_ stage: ExplorerState.Stage, trace: HashTrace? = nil, theme: Theme = .dark, width: Int = 120, height: Int = 40,
                configure: (inout ExplorerState) -> Void = { _ in }) -> Screen {
        Dashboard.render(snapshot(trace ?? self.trace), viewState(stage, configure: configure), theme: theme, width: width, height: height)
    }

    /// Applies `keys` to `state`, returning the actions.
    func press(_ keys: [Key], _ state: inout ExplorerState, trace: HashTrace? = nil) -> [ExplorerAction] {
        keys.map { ExplorerReducer.reduce(&state, key: $0, trace: trace ?? self.trace) }
    }

    // MARK: The fixture is a consistent trace

    @Test func fixtureFollowsTheSpecRules() {
        let t = trace, T = t.length
        #expect(T == 16 && t.rounds == 2 && t.bucketCount == 4 && t.factors == [4] && t.chunkLength == 4 && t.chunkCount == 8)
        #expect(Set(t.sortedIndices.map(Int.init)) == Set(0..<32), "the sort order is a permutation of the 32 (round, position) slots")
        for s in 1..<32 {
            let a = Int(t.sortedIndices[s - 1]), b = Int(t.sortedIndices[s])
            let ka = (Int(t.buckets[a / T][a % T]) + 4 * (a / T), a), kb = (Int(t.buckets[b / T][b % T]) + 4 * (b / T), b)
            #expect(ka < kb, "slots \(s - 1), \(s) in (bucket + round·nb, index) order")
        }
        for (c, rows) in t.chunkWeights.enumerated() {
            #expect(rows.count == 4 && rows.allSatisfy { $0.count == t.windowLength })
            for (i, row) in rows.enumerated() {
                let total = row.reduce(0, +)
                #expect(abs(total - 1) < 1e-4, "chunk \(c) row \(i) sums to \(total)")
            }
        }
        #expect(t.roundWeights.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-5 })
        #expect(TraceIndex(t).isCopy)
    }

    // MARK: Golden screens

    @Test(arguments: ExplorerState.Stage.allCases)
    func eachStageMatchesGolden(stage: ExplorerState.Stage) throws {
        let screen = render(stage)
        #expect(screen.text.contains(stage.title), "title shows '\(stage.title)'")
        try DashboardGoldenTests.check("explorer-\(stage.number)-\(stage.name.lowercased().replacingOccurrences(of: " ", with: "-"))-120x40.txt", screen)
    }

    @Test func copyPresetShapeMatchesGolden() throws {
        // 16 buckets: the vectors are a projection, and long rows scroll.
        let preset = ExplorerFixtures.presetTrace()
        let vectors = render(.vectors, trace: preset)
        #expect(vectors.text.contains("A PROJECTION"))
        try DashboardGoldenTests.check("explorer-preset-1-vectors-120x40.txt", vectors)
        try DashboardGoldenTests.check("explorer-preset-2-hashing-120x40.txt", render(.hashing, trace: preset))
        try DashboardGoldenTests.check("explorer-preset-3-sorting-120x40.txt", render(.sorting, trace: preset) { $0.round = 2 })
        try DashboardGoldenTests.check("explorer-preset-4-chunking-120x40.txt", render(.chunking, trace: preset))
        try DashboardGoldenTests.check("explorer-preset-5-attention-120x40.txt", render(.attention, trace: preset))
        try DashboardGoldenTests.check("explorer-preset-6-merging-120x40.txt", render(.merging, trace: preset, width: 100, height: 30))
    }

    @Test func smallTerminalAndStandaloneMatchGolden() throws {
        try DashboardGoldenTests.check("explorer-5-attention-80x24.txt", render(.attention, width: 80, height: 24))
        let standalone = ExplorerSession.render(trace, ExplorerSession.initialState(trace), title: "fresh copy model (seed 0) · 0 w 0 w",
                                                theme: .mono, width: 120, height: 40)
        try DashboardGoldenTests.check("explorer-standalone-mono-120x40.txt", standalone)
        let local = ExplorerFixtures.localTrace()
        try DashboardGoldenTests.check("explorer-local-4-chunking-120x40.txt", render(.chunking, trace: local))
    }

    // MARK: Explorer keys

    @Test func arrowsWalkTheSixStagesAndStopAtTheEnds() {
        var s = ExplorerState()
        #expect(press([.left], &s) == [.none] && s.stage == .vectors)
        var titles: [String] = []
        for _ in 0..<7 {
            titles.append(s.stage.title)
            _ = press([.right], &s)
        }
        #expect(titles == ["Stage 1/6 · Vectors", "Stage 2/6 · Hashing", "Stage 3/6 · Sorting", "Stage 4/6 · Chunking",
                           "Stage 5/6 · Attention", "Stage 6/6 · Merging rounds", "Stage 6/6 · Merging rounds"])
        _ = press([.left, .left], &s)
        #expect(s.stage == .chunking)
    }

    @Test func upDownChangeTheRoundInStagesOneToFiveAndClamp() {
        var s = ExplorerState()
        _ = press([.down], &s)
        #expect(s.round == 1)
        _ = press([.down, .character("j")], &s)
        #expect(s.round == 1, "2 rounds: clamps at round 2")
        _ = press([.up, .character("k")], &s)
        #expect(s.round == 0)
        s.stage = .attention
        s.chunk = 5
        _ = press([.down], &s)
        #expect(s.round == 1 && s.chunk == nil && s.query == nil, "a new round re-centres the chunk on the position")
        #expect(s.resolved(in: trace).chunk >= 4, "round 2's chunks are 5…8")
    }

    @Test func upDownMoveThePositionInStageSix() {
        var s = ExplorerState()
        s.stage = .merging
        let start = s.resolved(in: trace).position
        #expect(start == 9, "default: the first symbol of the second copy")
        _ = press([.down, .down], &s)
        #expect(s.position == 11 && s.round == 0)
        _ = press([.up], &s)
        #expect(s.position == 10)
        _ = press([.end], &s)
        #expect(s.position == 15)
        _ = press([.down], &s)
        #expect(s.position == 15)
        _ = press([.home], &s)
        #expect(s.position == 0)
    }

    @Test func commaAndPeriodMoveThePositionAndPagesMoveSixteen() {
        var s = ExplorerState()
        _ = press([.character(".")], &s)
        #expect(s.position == 10)
        _ = press([.character(","), .character("<"), .character("<")], &s)
        #expect(s.position == 7)
        _ = press([.character(">")], &s)
        #expect(s.position == 8)
        _ = press([.pageDown], &s)
        #expect(s.position == 15)
        _ = press([.pageUp], &s)
        #expect(s.position == 0)
    }

    @Test func bracketsChangeTheChunkInChunkingAndAttentionOnly() {
        var s = ExplorerState()
        _ = press([.character("]")], &s)
        #expect(s.chunk == nil, "stage 1: [ ] do nothing")
        s.stage = .chunking
        let first = s.resolved(in: trace).chunk
        _ = press([.character("]")], &s)
        #expect(s.chunk == first + 1)
        _ = press(Array(repeating: .character("]"), count: 10), &s)
        #expect(s.chunk == 7 && s.round == 1, "clamps at chunk 8, which lies in round 2")
        _ = press(Array(repeating: .character("["), count: 10), &s)
        #expect(s.chunk == 0 && s.round == 0)
        s.stage = .attention
        s.query = 2
        _ = press([.character("]")], &s)
        let index = TraceIndex(trace)
        #expect(s.chunk == 1 && s.query == 2 && s.position == index.position(ofSlot: 6), "in Attention the position follows the query")
    }

    @Test func commaAndPeriodMoveTheQueryRowInAttention() {
        var s = ExplorerState()
        s.stage = .attention
        let r = s.resolved(in: trace)
        _ = press([.character(".")], &s)
        let index = TraceIndex(trace)
        let expectedQuery = min(3, r.query + 1)
        #expect(s.chunk == r.chunk && s.query == expectedQuery)
        #expect(s.position == index.position(ofSlot: r.chunk * 4 + expectedQuery))
        _ = press([.pageUp], &s)
        #expect(s.query == 0)
        _ = press([.pageDown], &s)
        #expect(s.query == 3)
    }

    @Test func enterDrillsIntoAttentionAndEscComesBack() {
        var s = ExplorerState()
        s.stage = .chunking
        s.chunk = 6
        #expect(press([.enter], &s) == [.none])
        #expect(s.stage == .attention && s.drilledFrom == .chunking && s.chunk == 6 && s.round == 1)
        #expect(press([.enter], &s) == [.none] && s.stage == .attention, "Enter in Attention does nothing")
        #expect(press([.escape], &s) == [.none])
        #expect(s.stage == .chunking && !s.drilled && s.chunk == 6)
        // From Hashing: the chunk holding the selected position in the selected round.
        var h = ExplorerState()
        h.stage = .hashing
        h.round = 1
        _ = press([.enter], &h)
        let r = h.resolved(in: trace)
        let index = TraceIndex(trace)
        #expect(h.stage == .attention && h.drilledFrom == .hashing)
        #expect(r.chunk == index.chunk(ofSlot: index.slot(round: 1, position: 9)!) && index.position(ofSlot: r.querySlot) == 9)
        // ← / → leave the drill.
        _ = press([.right], &h)
        #expect(h.stage == .merging && !h.drilled)
        #expect(press([.escape], &h) == [.close])
    }

    @Test func escClosesHelpFirstThenTheExplorerAndQQuits() {
        var s = ExplorerState()
        #expect(press([.character("?")], &s) == [.none] && s.helpVisible)
        #expect(press([.right, .down, .enter], &s) == [.none, .none, .none] && s.stage == .vectors && s.round == 0, "help is modal")
        #expect(press([.escape], &s) == [.none] && !s.helpVisible)
        _ = press([.character("?"), .character("?")], &s)
        #expect(!s.helpVisible)
        #expect(press([.escape], &s) == [.close])
        for key in [Key.character("q"), .character("Q"), .controlC] {
            var t = ExplorerState()
            t.helpVisible = true
            #expect(press([key], &t) == [.quit])
        }
        #expect(press([.tab, .character("x"), .resize, .function(2)], &s) == [.none, .none, .none, .none])
    }

    @Test func keysOnAnEmptyTraceNeverTrap() {
        var s = ExplorerState()
        let keys: [Key] = [.right, .down, .character("."), .pageDown, .end, .character("]"), .enter, .right, .character(","), .up,
                           .home, .character("["), .escape, .left]
        for stage in ExplorerState.Stage.allCases {
            s.stage = stage
            _ = press(keys, &s, trace: HashTrace())
        }
        let r = s.resolved(in: HashTrace())
        #expect(r == ExplorerState.Resolved(round: 0, position: 0, chunk: 0, query: 0, querySlot: 0))
    }

    // MARK: The dashboard's h

    @Test func hOpensTheExplorerOnTheSelectedLayerAndHead() {
        var state = ViewState()
        let s = snapshot(nil)
        let commands = Reducer.reduce(&state, key: .character("h"), snapshot: s)
        #expect(commands == [.explore(layer: 0, head: 1)], "the probe's layer and head")
        #expect(state.explorer == ExplorerState(layer: 0, head: 1))

        var picked = ViewState()
        picked.selection = ProbeSelection(layer: 0, head: 3, round: 1, chunk: 2)
        #expect(Reducer.reduce(&picked, key: .character("h"), snapshot: s) == [.explore(layer: 0, head: 3)])

        // Text run: the probe sits on a local layer → the LSH layer is preferred unless the user picked the local one.
        var text = Fixtures.textRun()
        text.probe?.layer = 0
        var fresh = ViewState()
        #expect(Reducer.reduce(&fresh, key: .character("h"), snapshot: text) == [.explore(layer: 1, head: 1)])
        var local = ViewState()
        local.selection = ProbeSelection(layer: 0, head: 0, round: 0, chunk: 0)
        #expect(Reducer.reduce(&local, key: .character("h"), snapshot: text) == [.explore(layer: 0, head: 0)])
    }

    @Test func whileOpenKeysGoToTheExplorerAndEscSendsCloseExplorer() {
        var state = viewState(.vectors)
        let s = snapshot(trace)
        #expect(Reducer.reduce(&state, key: .right, snapshot: s).isEmpty)
        #expect(state.explorer?.stage == .hashing && state.focus == .loss)
        #expect(Reducer.reduce(&state, key: .character(" "), snapshot: s).isEmpty, "space does not toggle training inside the explorer")
        #expect(Reducer.reduce(&state, key: .tab, snapshot: s).isEmpty && state.focus == .loss)
        #expect(Reducer.reduce(&state, key: .escape, snapshot: s) == [.closeExplorer])
        #expect(state.explorer == nil)
        #expect(Reducer.reduce(&state, key: .character(" "), snapshot: s) == [.togglePause], "back on the dashboard")

        var quitting = viewState(.attention)
        #expect(Reducer.reduce(&quitting, key: .character("q"), snapshot: s) == [.quit] && quitting.quitRequested)
        // Without a trace yet, Esc still closes.
        var waiting = viewState(.vectors)
        #expect(Reducer.reduce(&waiting, key: .escape, snapshot: snapshot(nil, tracing: true)) == [.closeExplorer])
    }

    @Test func hintBarAndHelpOfferTheExplorer() {
        let screen = Dashboard.render(Fixtures.copyMidTraining(), ViewState(), theme: .dark, width: 200, height: 60)
        #expect(screen.row(59).contains("h Explore"))
        #expect(HelpOverlay.entries.contains { $0.keys == "h" && $0.action.hasPrefix("explore the hashing of the selected layer/head") })
        let explorer = render(.chunking)
        #expect(explorer.row(39).contains("←→ Stage") && explorer.row(39).contains("Esc Dashboard") && explorer.row(39).contains("q Quit"))
        #expect(explorer.row(0).contains("step 120/2000"), "the status line stays on top")
        let help = render(.chunking) { $0.helpVisible = true }
        #expect(help.text.contains("Explorer keys") && help.text.contains("drill into Attention"))
    }

    // MARK: Twins, local layers, missing traces

    @Test func twinIsHighlightedWhereverItAppears() {
        // Position 9 (the first symbol of the second copy) has twin 1.
        let index = TraceIndex(trace)
        #expect(index.twin(of: 9) == 1 && index.twin(of: 3) == nil && index.twin(of: 8) == 0)
        let vectors = render(.vectors)
        #expect(vectors.text.contains("◆1:19") && vectors.text.contains("▶9:19"), "scatter labels")
        #expect(vectors.text.contains("◆ twin 1 '19'"))
        let hashing = render(.hashing)
        #expect(hashing.text.contains("◆ twin 1 '19'"))
        let same = (0..<2).filter { index.bucket(round: $0, position: 9) == index.bucket(round: $0, position: 1) }
        let marks = (0..<2).map { "r\($0 + 1)" + (same.contains($0) ? "✓" : "✗") }.joined(separator: " ")
        #expect(hashing.text.contains("same bucket? " + marks), "each round says whether the twins share a bucket")
        // The twin's cell in the token row is underlined.
        let rows = (0..<40).filter { hashing.row($0).hasPrefix("┃token ") }
        #expect(rows.count == 1)
        let y = rows.first ?? 0
        let twinCells = (0..<120).filter { hashing[$0, y].style.underline && !hashing[$0, y].style.bold && hashing[$0, y].scalar != " " }
        #expect(!twinCells.isEmpty)
        let sorting = render(.sorting)
        #expect(sorting.text.contains("◆ twin 1 '19' → slot"))
        let attention = render(.attention)
        #expect(attention.text.contains("◆ twin 1 '19':"))
        let merging = render(.merging)
        #expect(merging.text.contains("◆ twin 1"))
        // A first-copy position has no twin.
        let first = render(.merging) { $0.position = 3 }
        #expect(!first.text.contains("◆ twin"))
    }

    @Test func localLayerSaysItHasNoHashingAndShowsItsWindow() {
        let local = ExplorerFixtures.localTrace()
        let vectors = render(.vectors, trace: local)
        #expect(vectors.text.contains("Local attention layer: no hashing"))
        #expect(vectors.text.contains("layer 1/2 local"))
        let hashing = render(.hashing, trace: local)
        #expect(hashing.text.contains("no hashing, no buckets"))
        let chunking = render(.chunking, trace: local)
        #expect(chunking.text.contains("N = 4 chunks of C = 4") && chunking.text.contains("← c3 c4"))
        let attention = render(.attention, trace: local)
        #expect(attention.text.contains("this chunk") && !attention.text.contains("×"), "local attention has no self mask")
        let merging = render(.merging, trace: local)
        #expect(merging.text.contains("One round (local layer)"))
        let unhashed = render(.vectors, trace: ExplorerFixtures.unhashedTrace())
        #expect(unhashed.text.contains("fits one chunk") && unhashed.text.contains("no hashing"))
    }

    @Test func exactPlaneOnlyForOneFactorOfFourBuckets() {
        #expect(ExplorerView.plane(ExplorerView.Context(index: TraceIndex(trace), state: ExplorerState(), selection: ExplorerState().resolved(in: trace), theme: .dark)) == .exact)
        let exact = render(.vectors)
        #expect(exact.text.contains("the 4 sectors are exact") && !exact.text.contains("PROJECTION"))
        var factorized = trace
        factorized.factors = [2, 2]
        let projected = render(.vectors, trace: factorized)
        #expect(projected.text.contains("A PROJECTION: buckets are factorized (2×2)") && projected.text.contains("a1"))
        let preset = render(.vectors, trace: ExplorerFixtures.presetTrace())
        #expect(preset.text.contains("A PROJECTION: the round's 8 rotated coordinates") && preset.text.contains("b15"))
    }

    @Test func missingTraceShowsTracingAndEmptyTraceSaysSo() {
        let tracing = Dashboard.render(snapshot(nil, tracing: true), viewState(.vectors), theme: .dark, width: 120, height: 40)
        #expect(tracing.text.contains("tracing layer 2 head 2 on the current batch…"))
        #expect(tracing.text.contains("Stage 1/6 · Vectors") && tracing.row(0).contains("PAUSED"))
        let notYet = Dashboard.render(snapshot(nil), viewState(.merging), theme: .mono, width: 80, height: 24)
        #expect(notYet.text.contains("tracing layer 2 head 2"))
        for stage in ExplorerState.Stage.allCases {
            let empty = render(stage, trace: HashTrace())
            #expect(empty.text.contains("the trace is empty"))
        }
    }

    @Test func standaloneEscQuitsOutsideADrillAndBacksOutOfOne() {
        var state = ExplorerSession.initialState(trace)
        let s = ExplorerSession.snapshot(trace)
        #expect(ExplorerSession.reduce(&state, .right, s).isEmpty && !state.quitRequested)
        _ = ExplorerSession.reduce(&state, .right, s)
        _ = ExplorerSession.reduce(&state, .right, s)
        _ = ExplorerSession.reduce(&state, .enter, s)
        #expect(state.explorer?.stage == .attention)
        #expect(ExplorerSession.reduce(&state, .escape, s).isEmpty && state.explorer?.stage == .chunking, "Esc leaves the drill first")
        #expect(ExplorerSession.reduce(&state, .escape, s) == [.quit] && state.quitRequested)
        var q = ExplorerSession.initialState(trace)
        #expect(ExplorerSession.reduce(&q, .character("q"), s) == [.quit] && q.quitRequested)
        let screen = ExplorerSession.render(trace, ExplorerSession.initialState(trace), title: "t", theme: .dark, width: 120, height: 40)
        #expect(screen.row(39).contains("Esc/q Quit"))
    }

    @Test func standaloneLoopQuitsOnEscWithAMemoryBackend() {
        let backend = MemoryBackend(width: 100, height: 30)
        backend.enqueue(.right, .right, .right, .right, .right)
        backend.enqueueIdle()
        backend.enqueue(.escape)
        let store = SnapshotStore()
        store.publish(ExplorerSession.snapshot(trace))
        let loop = AppLoop(backend: backend, store: store, commands: CommandQueue(), theme: .dark,
                           initialState: ExplorerSession.initialState(trace),
                           render: { ExplorerSession.render($0.hashTrace, $1, title: "test", theme: $2, width: $3, height: $4) },
                           reduce: ExplorerSession.reduce)
        loop.quitSignal = { 0 }
        let exit = loop.run(workerFinished: { true })
        #expect(exit.reason == .quitKey && exit.workerFinished)
        #expect(backend.screens.contains { $0.text.contains("Stage 6/6 · Merging rounds") })
    }

    // MARK: Sizes

    /// Every size from 20×5 to 220×70, every stage, several traces and both themes: a screen of exactly
    /// that size, no trap; the explorer view alone at every size too (no minimum there).
    @Test func everySizeRendersWithoutTrapping() {
        var odd = ExplorerFixtures.copyTrace()
        odd.chunkWeights[2] = []
        odd.chunkMasks = Array(odd.chunkMasks.prefix(3))
        odd.roundWeights[4] = [.nan]
        odd.rotated = []
        odd.slotPositions.removeLast(5)
        odd.fullTopWeights = []
        odd.chunksBefore = -3
        odd.recallByRounds = [.nan, .infinity]
        odd.buckets[1][3] = -7
        odd.sortedIndices[0] = 999
        odd.tokens.removeLast()
        var factorized = ExplorerFixtures.copyTrace()
        factorized.factors = [2, 2]
        var padded = ExplorerFixtures.copyTrace()
        padded.paddingBucket = true
        padded.buckets[0][15] = 4
        let traces: [HashTrace?] = [trace, ExplorerFixtures.presetTrace(), ExplorerFixtures.localTrace(), ExplorerFixtures.unhashedTrace(), HashTrace(), odd, factorized, padded, nil]
        var frames = 0
        for width in stride(from: 20, through: 220, by: 20) {
            for height in stride(from: 5, through: 70, by: 5) {
                for (i, t) in traces.enumerated() {
                    for stage in ExplorerState.Stage.allCases where (i + stage.number + width / 20 + height / 5) % 3 == 0 {
                        var v = viewState(stage)
                        if (width + height) % 4 == 0 { v.explorer?.helpVisible = true }
                        if stage == .attention && i % 2 == 0 { v.explorer?.drilledFrom = .chunking }
                        let theme: Theme = (i + width) % 2 == 0 ? .dark : .mono
                        let screen = Dashboard.render(snapshot(t), v, theme: theme, width: width, height: height)
                        #expect(screen.width == width && screen.height == height)
                        var direct = Screen(width: width, height: height)
                        if let t { ExplorerView.render(t, v.explorer!, theme: theme, in: direct.bounds, into: &direct) }
                        frames += 2
                    }
                }
            }
        }
        for (w, h) in [(0, 0), (1, 1), (2, 2), (3, 40), (200, 3), (79, 24), (80, 24)] {
            for t in traces {
                for stage in ExplorerState.Stage.allCases {
                    var direct = Screen(width: max(0, w), height: max(0, h))
                    if let t { ExplorerView.render(t, viewState(stage).explorer!, theme: .dark, in: direct.bounds, into: &direct) }
                    _ = ExplorerSession.render(t, viewState(stage), title: "t", theme: .dark, width: w, height: h)
                    frames += 1
                }
            }
        }
        #expect(frames > 1000)
    }
}
