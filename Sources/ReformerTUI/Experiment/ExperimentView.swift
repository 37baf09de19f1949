// ExperimentView: the dashboard of `reformer-tui experiment copy` — the Table 2 grid filling in cell by
// cell beside the paper's, what is training or being evaluated, the ETAs and the verdicts R1–R6 on top;
// the current model's training curves (LossPanel) below. It renders `EngineSnapshot.experiment` and
// never touches the engine. Keys: space pause, l log scale, ? help, q quit (the model in training is
// checkpointed; `--resume` continues).

import ReformerTelemetry

/// The experiment's screen body, keys, hints and help.
///
/// ```swift
/// // Dashboard.render and Reducer.reduce hand over when the snapshot carries an experiment:
/// if let experiment = snapshot.experiment {
///     ExperimentView.renderBody(snapshot, experiment, state, theme: theme, layout: layout, into: &screen)
/// }
/// ```
public enum ExperimentView {
    // MARK: - Keys

    /// Keys while an experiment runs: q/Ctrl-C quit, space pause, l log scale, ? / Esc help.
    public static func reduce(_ state: inout ViewState, key: Key) -> [SessionCommand] {
        switch key {
        case .controlC, .character("q"), .character("Q"):
            state.quitRequested = true
            return [.quit]
        default: break
        }
        if state.helpVisible {
            if key == .escape || key == .character("?") { state.helpVisible = false }
            return []
        }
        switch key {
        case .character("?"): state.helpVisible = true
        case .character(" "): return [.togglePause]
        case .character("l"): state.logScale.toggle()
        default: break
        }
        return []
    }

    public static let helpEntries: [HelpOverlay.Entry] = [
        HelpOverlay.section("Experiment"),
        HelpOverlay.Entry(keys: "space", action: "pause / resume (training, or before the next evaluation cell)"),
        HelpOverlay.Entry(keys: "l", action: "log scale for the loss curves"),
        HelpOverlay.Entry(keys: "? / Esc", action: "open / close this help"),
        HelpOverlay.Entry(keys: "q / Ctrl-C", action: "checkpoint the model in training and stop; --resume continues"),
        HelpOverlay.section("The grid (Kitaev et al. 2020, Table 2)"),
        HelpOverlay.Entry(keys: "rows", action: "attention used in training: full, or 4 / 2 / 1 hash rounds"),
        HelpOverlay.Entry(keys: "columns", action: "attention used in evaluation: full, or 8 / 4 / 2 / 1 rounds"),
        HelpOverlay.Entry(keys: "cells", action: "accuracy % on the second copy, median over the seeds so far"),
        HelpOverlay.Entry(keys: "R1–R4", action: "the paper's pattern; R5, R6 are reported only"),
    ]

    public static func hints(_ s: EngineSnapshot, _ state: ViewState) -> [HintBar.Hint] {
        if state.helpVisible {
            return [HintBar.Hint(key: "Esc", label: "Close help", priority: 90), HintBar.Hint(key: "q", label: "Quit", priority: 100)]
        }
        var h: [HintBar.Hint] = []
        if s.runState != .finished && s.runState != .failed {
            h.append(HintBar.Hint(key: "space", label: s.runState == .paused ? "Resume" : "Pause", priority: 95))
        }
        h.append(HintBar.Hint(key: "l", label: state.logScale ? "Linear" : "Log scale", priority: 30))
        h.append(HintBar.Hint(key: "?", label: "Help", priority: 98))
        h.append(HintBar.Hint(key: "q", label: s.runState == .finished ? "Quit" : "Quit (resumable)", priority: 100))
        return h
    }

    // MARK: - Rendering

    /// Rows the grid panel would like: borders, caption, header, 4 rows, progress (2), verdicts.
    static func wantedHeight(_ e: ExperimentProgress) -> Int { 2 + 2 + e.rows.count + 3 + (e.verdicts.isEmpty ? 0 : 1 + e.verdicts.count) }

    /// Grid panel on top, the current model's curves below, message line and hints.
    public static func renderBody(_ s: EngineSnapshot, _ e: ExperimentProgress, _ state: ViewState, theme: Theme,
                                  layout: DashboardLayout, into screen: inout Screen) {
        let body = layout.body
        let gridHeight = min(wantedHeight(e), max(0, body.height - 7))
        let (top, bottom) = body.splitTop(gridHeight)
        renderGridPanel(e, runState: s.runState, theme: theme, in: top, into: &screen)
        var curves = state
        curves.focus = .loss
        curves.zoomed = false
        LossPanel.render(s, curves, theme: theme, in: bottom, into: &screen)
        MessageLine.render(s, theme: theme, in: layout.message, into: &screen)
        HintBar.render(hints: hints(s, state), theme: theme, in: layout.hints, into: &screen)
        if state.helpVisible {
            HelpOverlay.render(entries: helpEntries, title: "Keys — experiment (Esc or ? closes)", theme: theme, in: body, into: &screen)
        }
    }

    static func value(_ v: Double?) -> String { v.map { Format.fixed($0, 1) } ?? "·" }

    /// The grid panel: ours beside the paper's (or "ours (paper)" cells when narrow), progress, verdicts.
    public static func renderGridPanel(_ e: ExperimentProgress, runState: EngineSnapshot.RunState, theme: Theme,
                                       in rect: Rect, into screen: inout Screen) {
        let right = "\(e.cellsDone)/\(e.cellsTotal) cells · seeds \(e.seedsDone)/\(e.seedCount) done"
        let inner = Box(title: e.title.isEmpty ? "Table 2" : e.title, rightTitle: right, focused: false, theme: theme).render(rect, into: &screen)
        guard !inner.isEmpty else { return }
        let area = Rect(x: inner.x + 1, y: inner.y, width: max(0, inner.width - 1), height: inner.height)
        var y = area.y
        func line(_ spans: [TextView.Span]) {
            guard y < area.maxY else { return }
            PanelFrame.line(spans, x: area.x, y: y, clip: area, into: &screen)
            y += 1
        }
        let label = 12, cell = 7
        let sideBySide = area.width >= label + 2 * e.columns.count * cell + 5
        let paperNote = "paper (Kitaev et al. 2020, Table 2)"
        let oursNote = e.seedCount > 1 ? "ours: accuracy %, median over seeds so far" : "ours: accuracy %"
        if sideBySide {
            line([.init(Format.padRight(oursNote, label + e.columns.count * cell) + "  │  ", theme.dim), .init(paperNote, theme.dim)])
        } else {
            line([.init(oursNote + " · (paper's Table 2)", theme.dim)])
        }
        let width = sideBySide ? cell : 13
        var header: [TextView.Span] = [.init(Format.padRight("Train\\Eval", label), theme.title)]
        header += e.columns.map { .init(Format.padLeft($0, width), theme.title) }
        if sideBySide {
            header.append(.init("  │  ", theme.dim))
            header += e.columns.map { .init(Format.padLeft($0, cell), theme.dim) }
        }
        line(header)
        for (r, row) in e.rows.enumerated() {
            let current = e.currentRow == r && e.phase != .finished
            var spans: [TextView.Span] = [.init(Format.padRight((current ? "▶ " : "  ") + row, label), current ? theme.title : theme.text)]
            for c in e.columns.indices {
                let ours = r < e.cells.count && c < e.cells[r].count ? e.cells[r][c] : nil
                let paper = r < e.paper.count && c < e.paper[r].count ? e.paper[r][c] : nil
                let evaluating = current && e.currentColumn == c
                var text = evaluating ? "…" : value(ours)
                if !sideBySide { text += " (\(paper.map { Format.fixed($0, 1) } ?? "?"))" }
                let style = evaluating ? theme.warning : (ours == nil ? theme.dim : theme.text)
                spans.append(.init(Format.padLeft(text, width), style))
            }
            if sideBySide {
                spans.append(.init("  │  ", theme.dim))
                for c in e.columns.indices {
                    let paper = r < e.paper.count && c < e.paper[r].count ? Format.fixed(e.paper[r][c], 1) : "?"
                    spans.append(.init(Format.padLeft(paper, cell), theme.dim))
                }
            }
            line(spans)
        }
        y += 1
        line(progressSpans(e, runState: runState, theme: theme))
        let times = e.phase == .finished ? "elapsed \(Format.duration(e.elapsedSeconds))"
            : "model ETA \(eta(e.modelETASeconds)) · experiment ETA \(eta(e.experimentETASeconds)) · elapsed \(Format.duration(e.elapsedSeconds))"
        line([.init(times, theme.text), .init(e.directory.isEmpty ? "" : " · \(e.directory)", theme.dim)])
        guard !e.verdicts.isEmpty else { return }
        y += 1
        for v in e.verdicts {
            let style: Style
            switch v.status {
            case .pass: style = theme.good
            case .fail: style = theme.bad
            case .report: style = theme.text
            case .pending: style = theme.dim
            }
            let word = v.status.rawValue
            let rest = v.line.hasPrefix("\(v.id) \(word)") ? String(v.line.dropFirst(v.id.count + word.count + 1)) : " " + v.line
            var badge = style
            badge.bold = v.status == .pass || v.status == .fail
            line([.init(v.id + " ", theme.title), .init(word, badge), .init(Format.truncate(rest, max(0, area.width - v.id.count - word.count - 1)), theme.text)])
        }
    }

    static func eta(_ seconds: Double?) -> String { seconds.map(Format.duration) ?? "estimating…" }

    static func progressSpans(_ e: ExperimentProgress, runState: EngineSnapshot.RunState, theme: Theme) -> [TextView.Span] {
        switch e.phase {
        case .finished:
            return [.init("complete: every model trained and evaluated", theme.good)]
        case .training, .evaluating:
            guard !e.currentModel.isEmpty else { return [.init("starting…", theme.dim)] }
            var what = e.phase == .training ? "training" : "evaluating"
            if e.phase == .evaluating, let c = e.currentColumn, e.columns.indices.contains(c) { what += " with \(e.columns[c])" }
            if runState == .paused { what += " (paused)" }
            return [.init("▶ \(e.currentModel)", theme.title), .init(" — \(what) · model \(e.modelIndex)/\(e.modelCount)", theme.text)]
        }
    }
}
