// Reducer: the one place keys become view-state changes and SessionCommands (STYLE habit 11).
// Panels never look at keys. The key scheme is listed for users in HelpOverlay.

import ReformerTelemetry

/// Key → (view state change, commands for the worker).
///
/// ```swift
/// var state = ViewState()
/// Reducer.reduce(&state, key: .character(" "), snapshot: snap)   // [.togglePause]
/// Reducer.reduce(&state, key: .character("q"), snapshot: snap)   // [.quit], state.quitRequested
/// ```
///
/// Selection keys act while the LSH buckets or Attention panel has focus:
/// ↑/↓ (k/j) hash round, PgUp/PgDn layer, [ / ] head, ← / → head in Buckets and chunk in Attention.
/// Each clamps to the snapshot probe's counts and, when the selection changed, emits
/// `.selectProbe(layer:head:round:chunk:)` so the worker computes that probe next.
///
/// `h` opens the hashing explorer on the selected layer/head (`.explore`); while it is open every key
/// goes to ExplorerReducer, and closing it sends `.closeExplorer`.
public enum Reducer {
    public static func reduce(_ state: inout ViewState, key: Key, snapshot: EngineSnapshot) -> [SessionCommand] {
        // The Table 2 experiment has its own, smaller key set.
        if snapshot.experiment != nil { return ExperimentView.reduce(&state, key: key) }
        // The explorer, while open, takes every key (its own reducer; q still quits).
        if var explorer = state.explorer {
            switch ExplorerReducer.reduce(&explorer, key: key, trace: snapshot.hashTrace ?? HashTrace()) {
            case .none:
                state.explorer = explorer
                return []
            case .close:
                state.explorer = nil
                return [.closeExplorer]
            case .quit:
                state.explorer = explorer
                state.quitRequested = true
                return [.quit]
            }
        }

        switch key {
        case .controlC, .character("q"), .character("Q"):
            state.quitRequested = true
            return [.quit]
        default: break
        }

        // The help overlay is modal: only ?, Esc and quit act while it is open.
        if state.helpVisible {
            if key == .escape || key == .character("?") { state.helpVisible = false }
            return []
        }

        // Watching another process's run: its training is not ours to pause, step, save or re-evaluate.
        if snapshot.watch != nil {
            switch key {
            case .character(" "), .character("n"), .character("c"), .character("+"), .character("="), .character("-"), .character("_"):
                return []
            default: break
            }
        }

        switch key {
        case .character("?"):
            state.helpVisible = true
        case .escape:
            state.zoomed = false
        case .character(" "):
            return [.togglePause]
        case .character("n"):
            return [.stepOnce]
        case .character("s"):
            return [.sample]
        case .character("c"):
            return [.checkpoint]
        case .character("+"), .character("="):
            return [.changeEvalHashes(1)]
        case .character("-"), .character("_"):
            return [.changeEvalHashes(-1)]
        case .tab:
            state.focus = cycle(state.focus, by: 1)
        case .backTab:
            state.focus = cycle(state.focus, by: -1)
        case .character("z"):
            state.zoomed.toggle()
        case .character("l"):
            state.logScale.toggle()
        case .character("h"):
            let target = explorerTarget(state, snapshot)
            state.explorer = ExplorerState(layer: target.layer, head: target.head)
            return [.explore(layer: target.layer, head: target.head)]
        case .up, .character("k"):
            return select(&state, snapshot) { $0.round -= 1 }
        case .down, .character("j"):
            return select(&state, snapshot) { $0.round += 1 }
        case .pageUp:
            return select(&state, snapshot) { $0.layer -= 1 }
        case .pageDown:
            return select(&state, snapshot) { $0.layer += 1 }
        case .character("["):
            return select(&state, snapshot) { $0.head -= 1 }
        case .character("]"):
            return select(&state, snapshot) { $0.head += 1 }
        case .left, .right:
            let delta = key == .left ? -1 : 1
            let chunks = state.focus == .attention
            return select(&state, snapshot) { if chunks { $0.chunk += delta } else { $0.head += delta } }
        default:
            break   // Ctrl-L (the backend repaints), resize, others
        }
        return []
    }

    /// The layer and head `h` explores: the user's selection, else the probe's — preferring an LSH
    /// layer over a local one the user did not pick (a picked local layer is traced as it is).
    static func explorerTarget(_ state: ViewState, _ snapshot: EngineSnapshot) -> (layer: Int, head: Int) {
        guard let probe = snapshot.probe else { return (state.selection?.layer ?? 0, state.selection?.head ?? 0) }
        if let wanted = state.selection {
            let s = clamp(wanted, to: probe)
            return (s.layer, s.head)
        }
        var layer = probe.layer
        if layer >= 0, layer < probe.layerKinds.count, probe.layerKinds[layer] == "local",
           let lsh = probe.layerKinds.firstIndex(of: "lsh") {
            layer = lsh
        }
        return (max(0, layer), max(0, probe.head))
    }

    /// The panel `step` places after `panel` in Tab order, wrapping.
    static func cycle(_ panel: PanelID, by step: Int) -> PanelID {
        let all = PanelID.allCases
        let i = all.firstIndex(of: panel) ?? 0
        return all[((i + step) % all.count + all.count) % all.count]
    }

    /// Applies `change` to the current selection, clamps it to the probe's counts, and asks the worker
    /// for the new probe if anything moved. Does nothing outside the two probe panels or without a probe.
    static func select(_ state: inout ViewState, _ snapshot: EngineSnapshot,
                       _ change: (inout ProbeSelection) -> Void) -> [SessionCommand] {
        guard state.focus.selectsProbe, let probe = snapshot.probe else { return [] }
        let current = clamp(state.selection ?? ProbeSelection(probe), to: probe)
        var next = current
        change(&next)
        next = clamp(next, to: probe)
        guard next != current else { return [] }
        state.selection = next
        return [.selectProbe(layer: next.layer, head: next.head, round: next.round, chunk: next.chunk)]
    }

    /// `selection` with each index in 0 ..< its count (0 when the count is 0).
    public static func clamp(_ selection: ProbeSelection, to probe: AttentionProbe) -> ProbeSelection {
        func c(_ v: Int, _ count: Int) -> Int { max(0, min(v, count - 1)) }
        return ProbeSelection(layer: c(selection.layer, probe.layerCount), head: c(selection.head, probe.headCount),
                              round: c(selection.round, probe.roundCount), chunk: c(selection.chunk, probe.chunkCount))
    }
}
