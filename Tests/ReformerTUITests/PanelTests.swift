// Panels and the dashboard frame: status line, hint bar, too-small message, banners, the LSH panels'
// special cases, masked attention cells, wrong copy symbols, memory comparison, mono theme, layout.

import Foundation
import ReformerTelemetry
import Testing
@testable import ReformerTUI

@Suite struct PanelTests {
    let snapshot = Fixtures.copyMidTraining()

    func render(_ s: EngineSnapshot, _ state: ViewState = ViewState(), theme: Theme = .dark, _ width: Int = 120, _ height: Int = 40) -> Screen {
        Dashboard.render(s, state, theme: theme, width: width, height: height)
    }

    /// (x, y) of the first occurrence of `text` on screen.
    func find(_ text: String, in screen: Screen) -> (Int, Int)? {
        for y in 0..<screen.height {
            let cells = (0..<screen.width).map { screen[$0, y].scalar.map { String($0) } ?? "" }
            let row = cells.joined()
            guard let range = row.range(of: text) else { continue }
            let prefix = String(row[..<range.lowerBound])
            var used = 0, x = 0
            while x < cells.count && used < prefix.unicodeScalars.count { used += cells[x].unicodeScalars.count; x += 1 }
            return (x, y)
        }
        return nil
    }

    // MARK: Frame

    @Test func tooSmallShowsOnlyTheMessageAndRecovers() {
        let small = render(snapshot, ViewState(), 60, 20)
        let lines = (0..<20).map(small.row).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(lines == ["Terminal too small: 60×20 — need 80×24"])
        #expect(small.row(9).hasPrefix("  ") && small.row(9).contains("Terminal too small"), "centred")
        let tiny = render(snapshot, ViewState(), 20, 5)
        #expect(tiny.text.contains("Terminal too small:") && tiny.text.contains("20×5 — need 80×24"))
        #expect(render(snapshot, ViewState(), 30, 10).text.contains("Terminal too small: 30×10"))
        #expect(render(snapshot, ViewState(), 79, 24).text.contains("Terminal too small: 79×24"))
        #expect(render(snapshot, ViewState(), 80, 23).text.contains("Terminal too small: 80×23"))
        let ok = render(snapshot, ViewState(), 80, 24)
        #expect(!ok.text.contains("Terminal too small"))
        #expect(ok.row(0).contains("step 120/2000"))
    }

    @Test(arguments: [80, 100, 120, 200])
    func statusLineCarriesStepNOfM(width: Int) {
        let screen = render(snapshot, ViewState(), width, 30)
        #expect(screen.row(0).contains("step 120/2000"))
        #expect(screen.row(0).contains("RUNNING"))
        #expect(screen.row(0).contains("12,346 tok/s"))
    }

    @Test func statusLineDropsDetailsBeforeTheStep() {
        var screen = Screen(width: 30, height: 1)
        StatusBar.render(snapshot, theme: .dark, in: screen.bounds, into: &screen)
        #expect(screen.row(0) == " RUNNING  │ step 120/2000     ")
        var wide = Screen(width: 200, height: 1)
        StatusBar.render(snapshot, theme: .dark, in: wide.bounds, into: &wide)
        for part in ["copy", "01:23", "hashes 4 · eval 4", "ckpt 42s ago", "1 LSH layer, hidden 64"] {
            #expect(wide.row(0).contains(part), "\(part)")
        }
        var empty = Screen(width: 80, height: 1)
        StatusBar.render(EngineSnapshot(), theme: .dark, in: empty.bounds, into: &empty)
        #expect(empty.row(0).contains("step 0/0") && empty.row(0).contains("STARTING"))
    }

    @Test func hintBarNeverExceedsTheWidthAt80Columns() {
        var states: [ViewState] = []
        for panel in PanelID.allCases {
            for zoomed in [false, true] {
                var s = ViewState()
                s.focus = panel
                s.zoomed = zoomed
                s.logScale = zoomed
                states.append(s)
            }
        }
        var help = ViewState()
        help.helpVisible = true
        states.append(help)
        var paused = snapshot
        paused.runState = .paused
        for s in [snapshot, paused, EngineSnapshot(), Fixtures.failed()] {
            for state in states {
                let hints = HintBar.fitting(HintBar.hints(s, state), width: 80)
                let width = hints.reduce(0) { $0 + $1.width } + max(0, hints.count - 1) * 2
                #expect(width <= 80)
                #expect(hints.contains { $0.key == "q" } && hints.contains { $0.label == "Help" || $0.label == "Close help" })
                let screen = render(s, state, 80, 24)
                #expect(Format.width(screen.row(23).trimmingCharacters(in: .whitespaces)) <= 80)
                #expect(screen.row(23).contains("q Quit"))
            }
        }
        #expect(HintBar.fitting(HintBar.hints(snapshot, ViewState()), width: 10).map(\.key) == ["q"])
    }

    @Test func hintBarFollowsStateAndFocus() {
        var paused = snapshot
        paused.runState = .paused
        let text = render(paused).row(39)
        #expect(text.contains("space Resume") && text.contains("n Step"))
        var state = ViewState()
        state.focus = .attention
        #expect(render(snapshot, state).row(39).contains("←→ Chunk"))
        state.focus = .buckets
        #expect(render(snapshot, state).row(39).contains("←→ Head"))
        let keyCell = render(snapshot)[0, 39]
        #expect(keyCell.scalar == "s" && keyCell.style == Theme.dark.key, "the key itself is highlighted")
    }

    @Test func finishedAndFailedRunsSayHowToLeave() {
        var finished = snapshot
        finished.runState = .finished
        let f = render(finished)
        #expect(f.row(38).contains("FINISHED — press q to quit"))
        #expect(f.row(0).contains("FINISHED"))
        #expect(!f.row(39).contains("Pause"))
        let failed = render(Fixtures.failed())
        #expect(failed.row(38).contains("FAILED"))
        #expect(failed.row(38).contains("loss is NaN at step 121"))
        #expect(failed.row(0).contains("FAILED"))
    }

    @Test func emptySnapshotRendersPlaceholders() {
        let screen = render(EngineSnapshot())
        #expect(screen.text.contains("waiting for the first step"))
        #expect(screen.text.contains("no probe yet"))
        #expect(screen.text.contains("no sample yet"))
        #expect(screen.text.contains("no ledger yet"))
    }

    @Test func focusedPanelHasTheFocusedBorderAndZoomFillsTheBody() {
        var state = ViewState()
        state.focus = .memory
        let layout = DashboardLayout(width: 120, height: 40)
        let memory = layout.panels[.memory]!
        let screen = render(snapshot, state)
        #expect(screen[memory.x, memory.y].scalar == "┏" && screen[memory.x, memory.y].style == Theme.dark.borderFocused)
        let loss = layout.panels[.loss]!
        #expect(screen[loss.x, loss.y].scalar == "┌" && screen[loss.x, loss.y].style == Theme.dark.border)

        state.zoomed = true
        let zoomed = DashboardLayout(width: 120, height: 40, zoomed: .memory)
        #expect(zoomed.panels == [.memory: layout.body])
        #expect(render(snapshot, state).row(1).hasPrefix("┏ Memory · zoomed"))
    }

    @Test(arguments: [(80, 24), (100, 30), (120, 40), (160, 50), (200, 60)])
    func layoutTilesTheBodyWithoutOverlap(size: (Int, Int)) {
        let layout = DashboardLayout(width: size.0, height: size.1)
        #expect(layout.status == Rect(x: 0, y: 0, width: size.0, height: 1))
        #expect(layout.hints == Rect(x: 0, y: size.1 - 1, width: size.0, height: 1))
        #expect(layout.message.y == size.1 - 2)
        #expect(Set(layout.panels.keys) == Set(PanelID.allCases))
        var covered = Array(repeating: 0, count: size.0 * size.1)
        for rect in layout.panels.values {
            #expect(rect.width >= 20 && rect.height >= 5, "\(rect)")
            for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX { covered[y * size.0 + x] += 1 } }
        }
        let body = layout.body
        for y in body.y..<body.maxY { for x in body.x..<body.maxX { #expect(covered[y * size.0 + x] == 1) } }
    }

    @Test func monoThemeLeavesEveryColourAtTheDefault() {
        var help = ViewState()
        help.helpVisible = true
        for s in [snapshot, Fixtures.textRun(), Fixtures.failed(), EngineSnapshot()] {
            for state in [ViewState(), help] {
                for (w, h) in [(80, 24), (120, 40), (200, 60)] {
                    let screen = render(s, state, theme: .mono, w, h)
                    #expect(screen.cells.allSatisfy { $0.style.foreground == .default && $0.style.background == .default })
                }
            }
        }
        #expect(render(snapshot, ViewState(), theme: .dark).cells.contains { $0.style.foreground != .default })
    }

    @Test(arguments: [8, 16])
    func limitedPalettesOnlyUseTheirColours(colors: Int) {
        let theme = Theme.dark.limited(to: colors)
        let screen = render(snapshot, ViewState(), theme: theme, 200, 60)
        for cell in screen.cells {
            for color in [cell.style.foreground, cell.style.background] {
                if case .indexed(let i) = color { #expect(Int(i) < colors) }
            }
        }
        #expect(screen.text.contains("step 120/2000"))
    }

    @Test func helpOverlayListsEveryKey() {
        var state = ViewState()
        state.helpVisible = true
        let text = render(snapshot, state, 120, 40).text
        #expect(text.contains("Keys"))
        for key in ["space", "n ", "s ", "c ", "+ / -", "Tab / Shift-Tab", "z ", "l ", "? / Esc", "↑ / ↓", "PgUp / PgDn", "← / →", "[ / ]", "q / Ctrl-C"] {
            #expect(text.contains(key), "\(key)")
        }
        #expect(text.contains("pause / resume training"))
        let small = render(snapshot, state, 80, 24).text
        #expect(small.contains("Keys") && small.contains("q / Ctrl-C"), "at 80×24 the section headings give way to keys")
    }

    // MARK: LSH panels

    @Test func bucketPanelExplainsLocalLayersAndUnhashedSequences() {
        var local = snapshot
        local.probe?.layerKinds = ["local"]
        var state = ViewState()
        state.zoomed = true
        state.focus = .buckets
        #expect(render(local, state).text.contains("local attention layer: no hashing"))
        var fits = snapshot
        fits.probe?.buckets = []
        #expect(render(fits, state).text.contains("sequence fits one chunk: no hashing"))
    }

    @Test func bucketStripColoursPositionsAndShowsTokensWhenTheyFit() {
        let text = Fixtures.textRun()
        #expect(text.probe!.buckets.count == text.probe!.tokens.count)
        var state = ViewState()
        state.zoomed = true
        state.focus = .buckets
        let screen = render(text, state, 120, 40)
        // Inside the zoomed box: caption on row 2, strip on row 3, one token per column on row 4.
        #expect(screen.row(4).contains("It was the best of times"))
        let b0 = Int(text.probe!.buckets[0])
        #expect(screen[1, 3].scalar == "█" && screen[1, 3].style.foreground == Theme.dark.categorical[b0 % 16])
        #expect(screen.text.contains("evenness 0.65"))
        #expect(screen.text.contains("sorted by bucket → 8 chunks of 8"))
    }

    @Test func paddingBucketIsDrawnAsMissing() {
        var s = snapshot
        s.probe?.buckets[0] = 16   // bucketCount = 16: the padding bucket
        var state = ViewState()
        state.zoomed = true
        state.focus = .buckets
        let screen = render(s, state, 200, 60)
        #expect(screen[1, 3].scalar == "·" && screen[1, 3].style == Theme.dark.masked)
    }

    @Test func attentionHeatmapMarksMaskedCellsAndLabelsPositions() {
        var state = ViewState()
        state.zoomed = true
        state.focus = .attention
        let screen = render(snapshot, state, 120, 40)
        let text = screen.text
        #expect(text.contains("◀ look-back chunk") && text.contains("this chunk"))
        #expect(text.contains("· causal") && text.contains("× self"))
        // Query 46 is the first row; its own key (column 9 of 16) is the self cell.
        guard let (x, y) = find("×", in: screen) else { Issue.record("no self cell"); return }
        #expect(screen[x, y].style == Theme.dark.masked)
        #expect(screen.row(y).hasPrefix("┃46 "))
        let causal = (x + 1..<screen.width).first { screen[$0, y].scalar == "·" }
        #expect(causal.map { screen[$0, y].style } == Theme.dark.masked, "keys after query 46 are causal-masked")
        #expect(text.contains("0     14    17"), "key positions under the columns, look-back first")
    }

    @Test func pendingSelectionIsShownUntilTheWorkerCatchesUp() {
        var state = ViewState()
        state.focus = .attention
        _ = Reducer.reduce(&state, key: .right, snapshot: snapshot)
        #expect(render(snapshot, state).text.contains("→ L1 H2 R1 C5…"))
        #expect(!render(snapshot, ViewState()).text.contains("→ L1"))
    }

    // MARK: Memory, samples, curves

    @Test func memoryShowsTheLedgerAndTheStandardTransformerBesideIt() {
        let text = render(snapshot, ViewState(), 200, 60).text
        for part in ["parameters", "gradients", "optimizer", "activations", "attention", "ledger peak 4.5 MiB", "process RSS 84.0 MiB",
                     "standard Transformer: 7.8 MiB — 1.73× the Reformer"] {
            #expect(text.contains(part), "\(part)")
        }
        #expect(render(snapshot, ViewState(), 80, 24).text.contains("standard Transformer: 1.73× more"), "short panels keep the ratio")
        var long = snapshot.memory
        long.sequenceLength = 4096
        long.standardAttentionBytes = 6 * 8 * 4 * 4096 * 4096 * 4
        #expect(MemoryPanel.comparisonText(long).hasPrefix("standard Transformer: 12.0 GiB — "))
    }

    @Test func copySampleMarksWrongSymbolsInTheBadStyle() {
        let screen = render(snapshot, ViewState(), 200, 60)
        #expect(screen.text.contains("28/31 symbols right (90%)"))
        #expect(screen.text.contains("wrong 3: #5 34≠33, #12 39≠38, #28 123≠122"))
        guard let (x, y) = find("▸ 12 49 86 123 34", in: screen) else { Issue.record("no prediction"); return }
        let wrong = x + Format.width("▸ 12 49 86 123 ")
        #expect(screen[wrong, y].scalar == "3" && screen[wrong, y].style == Theme.dark.bad)
        #expect(screen[x + 2, y].style == Theme.dark.good)
        let mono = render(snapshot, ViewState(), theme: .mono, 200, 60)
        #expect(mono[wrong, y].style.reverse, "mono marks wrong symbols in reverse video")
    }

    @Test func textSampleShowsTheContinuationAndAGeneratingCursor() {
        let text = render(Fixtures.textRun()).text
        #expect(text.contains("It was the best of times, it was the worst of tim▌"))
        #expect(text.contains("generating…"))
    }

    @Test func lossPanelShowsBothCurvesTheMetricAndTheLogScale() {
        let screen = render(snapshot, ViewState(), 200, 60)
        #expect(screen.text.contains("── train loss 1.27") && screen.text.contains("╌╌ val loss 1.34"))
        #expect(screen.text.contains("train acc 0.40") && screen.text.contains("1.00┤"))
        var log = ViewState()
        log.logScale = true
        #expect(render(snapshot, log).text.contains("loss (log) · acc"))
        #expect(render(Fixtures.textRun()).text.contains("bpb 1.83"))
    }
}
