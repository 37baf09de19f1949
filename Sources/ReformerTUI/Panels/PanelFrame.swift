// PanelFrame: the border every dashboard panel shares — title, focus style, zoom note — plus the
// placeholder text panels show before their data exists.

import ReformerTelemetry

enum PanelFrame {
    /// Draws `panel`'s box (focused when the view state says so) and returns the inner rect.
    static func draw(_ panel: PanelID, rightTitle: String? = nil, state: ViewState, theme: Theme,
                     in rect: Rect, into screen: inout Screen) -> Rect {
        let focused = state.focus == panel
        let title = panel.title + (focused && state.zoomed ? " · zoomed (z)" : "")
        return Box(title: title, rightTitle: rightTitle, focused: focused, theme: theme).render(rect, into: &screen)
    }

    /// Dim text centred in `rect` (wrapped), for "no data yet" states.
    static func placeholder(_ text: String, theme: Theme, in rect: Rect, into screen: inout Screen) {
        guard !rect.isEmpty else { return }
        let lines = TextView.wrap([TextView.Span(text, theme.dim)], width: rect.width)
        let top = rect.y + max(0, (rect.height - lines.count) / 2)
        for (i, line) in lines.prefix(rect.height).enumerated() {
            var x = rect.x + max(0, (rect.width - line.count) / 2)
            for item in line { x = screen.put(String(item.scalar), x: x, y: top + i, style: item.style, clip: rect) }
        }
    }

    /// One line of styled spans from `x`, clipped to `rect`; returns the column after it.
    @discardableResult
    static func line(_ spans: [TextView.Span], x: Int, y: Int, clip rect: Rect, into screen: inout Screen) -> Int {
        var cx = x
        for span in spans { cx = screen.put(span.text, x: cx, y: y, style: span.style, clip: rect) }
        return cx
    }
}
