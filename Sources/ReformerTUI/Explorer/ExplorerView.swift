// ExplorerView: the hashing explorer as a pure function of (HashTrace, ExplorerState, theme, rect) —
// STYLE habit 8. A box titled "Hashing explorer · Stage k/6 · <name>", a row of the six stages, then
// the stage's picture (ExplorerView+<Stage>.swift), and the help overlay on top. Spec §9.

import ReformerTelemetry

/// Draws the explorer.
///
/// ```swift
/// ExplorerView.render(trace, state, theme: .dark, in: Rect(x: 0, y: 1, width: 120, height: 37), into: &screen)
/// ExplorerView.renderWaiting(state, note: "tracing layer 1 head 2…", theme: .dark, in: body, into: &screen)
/// ```
public enum ExplorerView {
    public static func render(_ trace: HashTrace, _ state: ExplorerState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let index = TraceIndex(trace)
        let context = Context(index: index, state: state, selection: state.resolved(index), theme: theme)
        let inner = Box(title: title(state), rightTitle: rightTitle(context), focused: true, theme: theme).render(rect, into: &screen)
        if inner.width >= 1 && inner.height >= 1 {
            renderStageRow(state, theme: theme, in: Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), into: &screen)
            let body = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
            if body.height >= 1 {
                if index.isEmpty {
                    PanelFrame.placeholder("the trace is empty: no positions to show (Esc goes back)", theme: theme, in: body, into: &screen)
                } else {
                    switch state.stage {
                    case .vectors: renderVectors(context, in: body, into: &screen)
                    case .hashing: renderHashing(context, in: body, into: &screen)
                    case .sorting: renderSorting(context, in: body, into: &screen)
                    case .chunking: renderChunking(context, in: body, into: &screen)
                    case .attention: renderAttention(context, in: body, into: &screen)
                    case .merging: renderMerging(context, in: body, into: &screen)
                    }
                }
            }
        }
        if state.helpVisible { ExplorerHelp.renderOverlay(state, theme: theme, in: rect, into: &screen) }
    }

    /// The explorer's frame with a centred note instead of a trace ("tracing layer 1 head 2…").
    public static func renderWaiting(_ state: ExplorerState, note: String, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let inner = Box(title: title(state), rightTitle: "layer \(state.layer + 1) · head \(state.head + 1)", focused: true, theme: theme)
            .render(rect, into: &screen)
        if inner.width >= 1 && inner.height >= 1 {
            renderStageRow(state, theme: theme, in: Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), into: &screen)
            PanelFrame.placeholder(note, theme: theme, in: Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1), into: &screen)
        }
        if state.helpVisible { ExplorerHelp.renderOverlay(state, theme: theme, in: rect, into: &screen) }
    }

    /// "Hashing explorer · Stage 5/6 · Attention (from Chunking)".
    static func title(_ state: ExplorerState) -> String {
        "Hashing explorer · " + state.stage.title + (state.drilledFrom.map { " (from \($0.name), Esc back)" } ?? "")
    }

    /// "layer 1/2 LSH · head 2/4 · round 1/4".
    static func rightTitle(_ c: Context) -> String {
        let t = c.index.trace
        var parts = ["layer \(t.layer + 1)/\(max(t.layerCount, t.layer + 1)) \(c.index.isLocal ? "local" : "LSH")",
                     "head \(t.head + 1)/\(max(t.headCount, t.head + 1))"]
        if c.index.rounds > 1 || c.index.hashed { parts.append("round \(c.selection.round + 1)/\(c.index.rounds)") }
        return parts.joined(separator: " · ")
    }

    /// "1 Vectors › 2 Hashing › …" with the current stage highlighted (numbers only when narrow).
    static func renderStageRow(_ state: ExplorerState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let stages = ExplorerState.Stage.allCases
        let full = stages.map { "\($0.number) \($0.name)" }
        let separator = " › "
        let fullWidth = full.reduce(0) { $0 + Format.width($1) } + separator.count * (stages.count - 1)
        var current = theme.key
        current.reverse = true
        var x = rect.x
        for (i, stage) in stages.enumerated() {
            if i > 0 { x = screen.put(separator, x: x, y: rect.y, style: theme.dim, clip: rect) }
            let text = fullWidth <= rect.width || stage == state.stage ? full[i] : String(stage.number)
            x = screen.put(text, x: x, y: rect.y, style: stage == state.stage ? current : theme.dim, clip: rect)
        }
    }

    // MARK: Shared pieces

    /// Everything a stage needs: the trace's lookups, the state and its resolved indices, styles.
    struct Context {
        let index: TraceIndex
        let state: ExplorerState
        let selection: ExplorerState.Resolved
        let theme: Theme

        var trace: HashTrace { index.trace }
        var mono: Bool { theme.isMono || theme.categorical.isEmpty }
        /// The selected position's twin (copy task).
        var twin: Int? { index.twin(of: selection.position) }

        /// Text coloured like bucket `b` (plain in mono; the padding bucket masked).
        func bucketStyle(_ b: Int?) -> Style {
            guard let b, b >= 0 else { return theme.masked }
            if index.isPadding(bucket: b) { return theme.masked }
            if mono { return .plain }
            return Style(foreground: theme.categorical[b % theme.categorical.count])
        }

        /// A cell whose background is bucket `b`'s colour (mono: plain text).
        func chipStyle(_ b: Int?) -> Style {
            guard let b, b >= 0, !index.isPadding(bucket: b) else { return theme.masked }
            if mono { return .plain }
            return Style(foreground: theme.categorical[b % theme.categorical.count], reverse: true)
        }

        /// The selected position's emphasis.
        var selectedStyle: Style {
            var s = theme.key
            s.bold = true
            return s
        }

        /// The twin's emphasis.
        var twinStyle: Style {
            var s = theme.good
            s.bold = true
            s.underline = true
            return s
        }

        /// `base` marked as the selected position / the twin / neither.
        func mark(_ base: Style, position p: Int?) -> Style {
            guard let p else { return base }
            var s = base
            if p == selection.position {
                s.bold = true
                s.underline = true
                if mono { s.reverse = true }
            } else if p == twin {
                s.underline = true
            }
            return s
        }

        /// "33 '19'" — a position with its token.
        func describe(_ p: Int) -> String { "\(p) '\(index.token(p))'" }

        /// "b3" or "pad" for a bucket.
        func bucketName(_ b: Int?) -> String {
            guard let b else { return "?" }
            return index.isPadding(bucket: b) ? "pad" : "b\(b)"
        }
    }

    /// Dim explanation text wrapped at the top of `rect` (3 lines at most, fewer when space is short);
    /// returns the rest.
    static func intro(_ text: String, theme: Theme, in rect: Rect, into screen: inout Screen) -> Rect {
        guard rect.height >= 1, rect.width >= 1 else { return rect }
        let lines = rect.height >= 24 ? 3 : (rect.height >= 10 ? 2 : 1)
        let used = min(lines, TextView.wrap([TextView.Span(text, theme.dim)], width: rect.width).count)
        TextView(text, style: theme.dim).render(Rect(x: rect.x, y: rect.y, width: rect.width, height: used), into: &screen)
        return Rect(x: rect.x, y: rect.y + used, width: rect.width, height: rect.height - used)
    }

    /// First index of a window of `visible` items out of `count` that keeps `focus` near the middle.
    static func scrollStart(count: Int, visible: Int, focus: Int) -> Int {
        guard visible > 0, count > visible else { return 0 }
        return max(0, min(count - visible, focus - visible / 2))
    }

    /// A weight as "0.62" (or "nan").
    static func weight(_ w: Float) -> String { Format.fixed(Double(w), 2) }

    /// `text` centred in `width` columns (cut to fit).
    static func centre(_ text: String, _ width: Int) -> String {
        let t = Format.width(text) > width ? Format.truncate(text, width) : text
        let pad = max(0, width - Format.width(t))
        return String(repeating: " ", count: pad / 2) + t + String(repeating: " ", count: pad - pad / 2)
    }

    /// One row of cells `width` columns wide (the last column a gap when `width` ≥ 3) from `x`.
    static func cellRow(_ cells: [(text: String, style: Style)], x: Int, y: Int, width: Int, clip: Rect, into screen: inout Screen) {
        guard width >= 1 else { return }
        let inside = width >= 3 ? width - 1 : width
        for (i, cell) in cells.enumerated() {
            screen.put(centre(cell.text, inside), x: x + i * width, y: y, style: cell.style, clip: clip)
        }
    }
}

extension ExplorerView {
    /// The explorer in a dashboard-shaped frame (the caller draws row 0): the body, the engine's
    /// message, the explorer's key hints. Without a trace: "tracing layer L head H…" or a note.
    ///
    /// ```swift
    /// let layout = DashboardLayout(width: 120, height: 40)
    /// StatusBar.render(snapshot, theme: theme, in: layout.status, into: &screen)
    /// ExplorerView.renderScreenBody(snapshot.hashTrace, explorer, tracing: snapshot.tracing, message: snapshot.message,
    ///                               theme: theme, layout: layout, into: &screen)
    /// ```
    public static func renderScreenBody(_ trace: HashTrace?, _ state: ExplorerState, tracing: Bool, message: String?,
                                        theme: Theme, layout: DashboardLayout, into screen: inout Screen) {
        if let trace, !tracing {
            render(trace, state, theme: theme, in: layout.body, into: &screen)
        } else {
            let what = "layer \(state.layer + 1) head \(state.head + 1)"
            let note = "tracing \(what) on the current batch…" + (tracing ? "" : " (Esc goes back)")
            renderWaiting(state, note: note, theme: theme, in: layout.body, into: &screen)
        }
        if let message, !message.isEmpty, layout.message.width > 0 {
            screen.put(Format.truncate(message, layout.message.width), x: layout.message.x, y: layout.message.y, style: theme.dim, clip: layout.message)
        }
        ExplorerHelp.renderHints(state, theme: theme, in: layout.hints, into: &screen)
    }
}
