// Reducer: every key's commands and view-state change, selection clamping, and the modal help overlay.

import ReformerTelemetry
import Testing
@testable import ReformerTUI

@Suite struct ReducerTests {
    let snapshot = Fixtures.copyMidTraining()   // probe: layer 0/1, head 1/4, round 0/4, chunk 3/32

    func press(_ keys: [Key], from state: ViewState = ViewState(), snapshot: EngineSnapshot? = nil) -> (ViewState, [SessionCommand]) {
        var s = state
        var commands: [SessionCommand] = []
        for key in keys { commands += Reducer.reduce(&s, key: key, snapshot: snapshot ?? self.snapshot) }
        return (s, commands)
    }

    @Test(arguments: [
        (Key.character(" "), [SessionCommand.togglePause]),
        (.character("n"), [.stepOnce]),
        (.character("s"), [.sample]),
        (.character("c"), [.checkpoint]),
        (.character("+"), [.changeEvalHashes(1)]),
        (.character("="), [.changeEvalHashes(1)]),
        (.character("-"), [.changeEvalHashes(-1)]),
    ])
    func commandKeysSendTheirCommandAndLeaveTheViewAlone(key: Key, expected: [SessionCommand]) {
        let (state, commands) = press([key])
        #expect(commands == expected)
        #expect(state == ViewState())
    }

    @Test(arguments: [Key.character("q"), .controlC])
    func quitKeysRequestQuit(key: Key) {
        let (state, commands) = press([key])
        #expect(commands == [.quit])
        #expect(state.quitRequested)
        var help = ViewState()
        help.helpVisible = true
        let (_, fromHelp) = press([key], from: help)
        #expect(fromHelp == [.quit], "quit works with the help overlay open")
    }

    @Test func helpTogglesWithQuestionMarkAndEscClosesItFirst() {
        var (state, commands) = press([.character("?")])
        #expect(state.helpVisible && commands.isEmpty)
        (state, _) = press([.character("?")], from: state)
        #expect(!state.helpVisible)

        var zoomedHelp = ViewState()
        zoomedHelp.zoomed = true
        zoomedHelp.helpVisible = true
        (state, _) = press([.escape], from: zoomedHelp)
        #expect(!state.helpVisible && state.zoomed, "Esc closes help before it un-zooms")
        (state, _) = press([.escape], from: state)
        #expect(!state.zoomed)
    }

    @Test func helpIsModal() {
        var open = ViewState()
        open.helpVisible = true
        let (state, commands) = press([.character(" "), .tab, .character("z"), .character("l"), .right, .character("s")], from: open)
        #expect(commands.isEmpty)
        #expect(state == open)
    }

    @Test func tabAndShiftTabCycleFocusOverEveryPanel() {
        var state = ViewState()
        var seen: [PanelID] = [state.focus]
        for _ in 0..<PanelID.allCases.count {
            (state, _) = press([.tab], from: state)
            seen.append(state.focus)
        }
        #expect(seen == [.loss, .buckets, .attention, .memory, .samples, .loss])
        (state, _) = press([.backTab], from: ViewState())
        #expect(state.focus == .samples)
        (state, _) = press([.backTab], from: state)
        #expect(state.focus == .memory)
    }

    @Test func zoomLogScaleAndIgnoredKeys() {
        var (state, commands) = press([.character("z")])
        #expect(state.zoomed && commands.isEmpty)
        (state, _) = press([.character("z")], from: state)
        #expect(!state.zoomed)
        (state, _) = press([.character("l")])
        #expect(state.logScale)
        (state, commands) = press([.controlL, .resize, .character("x"), .home, .function(5), .enter])
        #expect(state == ViewState() && commands.isEmpty)
    }

    @Test func arrowsDoNothingOutsideTheProbePanels() {
        for panel in [PanelID.loss, .memory, .samples] {
            var s = ViewState()
            s.focus = panel
            let (state, commands) = press([.left, .right, .up, .down, .pageUp, .pageDown, .character("]")], from: s)
            #expect(commands.isEmpty && state.selection == nil, "\(panel)")
        }
    }

    @Test func bucketPanelArrowsSelectHeadAndRoundFromTheProbeAndClamp() {
        var focused = ViewState()
        focused.focus = .buckets
        // The probe shows head 1, round 0: → starts from there.
        var (state, commands) = press([.right], from: focused)
        #expect(commands == [.selectProbe(layer: 0, head: 2, round: 0, chunk: 3)])
        // The selection is the view's own from now on, even while the snapshot still shows head 1.
        (state, commands) = press([.right, .right], from: state)
        #expect(commands == [.selectProbe(layer: 0, head: 3, round: 0, chunk: 3)], "head clamps at headCount - 1 = 3")
        #expect(state.selection == ProbeSelection(layer: 0, head: 3, round: 0, chunk: 3))
        (state, commands) = press([.down, .down, .character("j")], from: state)
        #expect(commands.last == .selectProbe(layer: 0, head: 3, round: 3, chunk: 3))
        (state, commands) = press([.down], from: state)
        #expect(commands.isEmpty, "round clamps at roundCount - 1")
        (state, commands) = press([.up, .character("k")], from: state)
        #expect(commands == [.selectProbe(layer: 0, head: 3, round: 2, chunk: 3), .selectProbe(layer: 0, head: 3, round: 1, chunk: 3)])
        (state, commands) = press([.pageDown, .pageUp], from: state)
        #expect(commands.isEmpty, "one layer: PgUp/PgDn clamp to layer 0")
        (state, commands) = press([.character("["), .left], from: state)
        #expect(commands == [.selectProbe(layer: 0, head: 2, round: 1, chunk: 3), .selectProbe(layer: 0, head: 1, round: 1, chunk: 3)])
    }

    @Test func attentionPanelArrowsSelectTheChunkAndClamp() {
        var focused = ViewState()
        focused.focus = .attention
        var (state, commands) = press([.left, .left], from: focused)
        #expect(commands == [.selectProbe(layer: 0, head: 1, round: 0, chunk: 2), .selectProbe(layer: 0, head: 1, round: 0, chunk: 1)])
        (state, commands) = press([.left, .left, .left], from: state)
        #expect(commands == [.selectProbe(layer: 0, head: 1, round: 0, chunk: 0)], "chunk clamps at 0")
        (state, commands) = press(Array(repeating: .right, count: 40), from: state)
        #expect(commands.count == 31 && commands.last == .selectProbe(layer: 0, head: 1, round: 0, chunk: 31))
        (state, commands) = press([.character("]")], from: state)
        #expect(commands == [.selectProbe(layer: 0, head: 2, round: 0, chunk: 31)], "[ ] change the head here too")
    }

    @Test func selectionUsesLayersWhenThereAreSeveral() {
        var text = Fixtures.textRun()   // layer 1 of 2 selected by the worker
        text.probe?.layer = 1
        var focused = ViewState()
        focused.focus = .buckets
        var (state, commands) = press([.pageUp], from: focused, snapshot: text)
        #expect(commands == [.selectProbe(layer: 0, head: 1, round: 0, chunk: 3)])
        (state, commands) = press([.pageUp], from: state, snapshot: text)
        #expect(commands.isEmpty)
        (_, commands) = press([.pageDown, .pageDown], from: state, snapshot: text)
        #expect(commands == [.selectProbe(layer: 1, head: 1, round: 0, chunk: 3)])
    }

    @Test func noProbeMeansNoSelection() {
        var focused = ViewState()
        focused.focus = .attention
        let (state, commands) = press([.right, .down, .pageDown], from: focused, snapshot: EngineSnapshot())
        #expect(commands.isEmpty && state.selection == nil)
    }

    @Test func clampKeepsEveryIndexInRange() {
        var p = AttentionProbe()
        p.layerCount = 2
        p.headCount = 4
        p.roundCount = 0
        p.chunkCount = 8
        #expect(Reducer.clamp(ProbeSelection(layer: 7, head: -2, round: 3, chunk: 99), to: p)
            == ProbeSelection(layer: 1, head: 0, round: 0, chunk: 7))
    }
}
