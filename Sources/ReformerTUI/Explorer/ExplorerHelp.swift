// ExplorerHelp: the explorer's `?` overlay (the keys ExplorerReducer implements, and what each stage
// shows) and its bottom hint bar — the keys that act in the current stage.

import ReformerTelemetry

/// Help entries and key hints of the hashing explorer.
///
/// ```swift
/// ExplorerHelp.renderHints(state, theme: .dark, in: hintRow, into: &screen)
/// if state.helpVisible { ExplorerHelp.renderOverlay(state, theme: .dark, in: body, into: &screen) }
/// ```
public enum ExplorerHelp {
    typealias Entry = HelpOverlay.Entry

    public static let title = "Explorer keys (Esc or ? closes)"

    /// Every explorer key, by section; `closesApp` words Esc for the standalone explorer.
    public static func entries(closesApp: Bool) -> [HelpOverlay.Entry] {
        [
            Entry(keys: "", action: "Hashing explorer — one layer/head on one sequence, stage by stage"),
            Entry(keys: "← / →", action: "previous / next stage (1 Vectors … 6 Merging rounds)"),
            Entry(keys: "↑ / ↓  (k / j)", action: "hash round (stages 1–5) · position (stage 6)"),
            Entry(keys: ", / .  (< / >)", action: "previous / next position (Attention: query row of the chunk)"),
            Entry(keys: "PgUp / PgDn", action: "16 positions back / forward · Home / End: first / last"),
            Entry(keys: "[ / ]", action: "previous / next chunk (Chunking, Attention; the round follows)"),
            Entry(keys: "Enter", action: "drill into Attention for the selected chunk (or the position's chunk)"),
            Entry(keys: "Esc", action: closesApp ? "out of a drill; else quit the explorer" : "out of a drill; else back to the dashboard (training resumes)"),
            Entry(keys: "?", action: "open / close this help"),
            Entry(keys: "q / Ctrl-C", action: closesApp ? "quit" : "quit the app (checkpoint first)"),
            Entry(keys: "", action: "Stages"),
            Entry(keys: "1 Vectors", action: "shared query/key vectors in the plane of the round's rotation, coloured by bucket"),
            Entry(keys: "2 Hashing", action: "bucket of every position per round, under its token"),
            Entry(keys: "3 Sorting", action: "positions sorted by (bucket, position): equal buckets become neighbours"),
            Entry(keys: "4 Chunking", action: "the sorted slots cut into chunks; each attends to itself + the chunk before"),
            Entry(keys: "5 Attention", action: "one chunk's weights: rows queries, columns its window's keys"),
            Entry(keys: "6 Merging", action: "each round's weight and keys for one position, merged; recall vs full"),
            Entry(keys: "◆ twin", action: "copy task 0 w 0 w: the first-copy position holding the same symbol"),
            Entry(keys: "masks", action: "· causal (a later position)  × self (own position)  - padding"),
        ]
    }

    public static func renderOverlay(_ state: ExplorerState, theme: Theme, in area: Rect, into screen: inout Screen) {
        HelpOverlay.render(entries: entries(closesApp: state.closesApp), title: title, theme: theme, in: area, into: &screen)
    }

    /// The hints for the current stage, in display order.
    public static func hints(_ state: ExplorerState) -> [HintBar.Hint] {
        if state.helpVisible {
            return [HintBar.Hint(key: "Esc", label: "Close help", priority: 90), HintBar.Hint(key: "q", label: "Quit", priority: 100)]
        }
        var h: [HintBar.Hint] = [HintBar.Hint(key: "←→", label: "Stage", priority: 97)]
        switch state.stage {
        case .merging:
            h.append(HintBar.Hint(key: "↑↓", label: "Position", priority: 92))
        case .attention:
            h.append(HintBar.Hint(key: "↑↓", label: "Round", priority: 90))
            h.append(HintBar.Hint(key: "[ ]", label: "Chunk", priority: 92))
            h.append(HintBar.Hint(key: ", .", label: "Query", priority: 91))
        case .chunking:
            h.append(HintBar.Hint(key: "↑↓", label: "Round", priority: 90))
            h.append(HintBar.Hint(key: "[ ]", label: "Chunk", priority: 92))
            h.append(HintBar.Hint(key: "Enter", label: "Drill in", priority: 91))
        default:
            h.append(HintBar.Hint(key: "↑↓", label: "Round", priority: 92))
            h.append(HintBar.Hint(key: ", .", label: "Position", priority: 91))
            h.append(HintBar.Hint(key: "Enter", label: "Its chunk", priority: 60))
        }
        if state.closesApp && !state.drilled {
            h.append(HintBar.Hint(key: "?", label: "Help", priority: 98))
            h.append(HintBar.Hint(key: "Esc/q", label: "Quit", priority: 100))
            return h
        }
        h.append(HintBar.Hint(key: "Esc", label: state.drilledFrom.map { "Back to \($0.name)" } ?? "Dashboard", priority: 96))
        h.append(HintBar.Hint(key: "?", label: "Help", priority: 98))
        h.append(HintBar.Hint(key: "q", label: "Quit", priority: 100))
        return h
    }

    public static func renderHints(_ state: ExplorerState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        HintBar.render(hints: hints(state), theme: theme, in: rect, into: &screen)
    }
}
