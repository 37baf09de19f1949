// HintBar: the bottom line of key hints — the key highlighted, the label plain — for what works now
// (Resume while paused, the selection keys only in the two probe panels; no training keys while
// watching another process's run). Hints that do not fit are dropped, least important first; the bar
// is one row and never wider than the screen.

import ReformerTelemetry

/// The key-hint bar.
///
/// ```swift
/// HintBar.render(snapshot, state, theme: .dark, in: layout.hints, into: &screen)
/// // "space Pause  s Sample  c Checkpoint  +/- Eval hashes  Tab Focus  z Zoom  l Log  ? Help  q Quit"
/// ```
public enum HintBar {
    public struct Hint: Sendable, Equatable {
        public var key: String
        public var label: String
        /// Higher stays longer when space runs out.
        public var priority: Int
        public var width: Int { Format.width(key) + 1 + Format.width(label) }
        public init(key: String, label: String, priority: Int) {
            self.key = key
            self.label = label
            self.priority = priority
        }
    }

    /// The hints for this snapshot and view state, in display order.
    public static func hints(_ s: EngineSnapshot, _ state: ViewState) -> [Hint] {
        if state.helpVisible {
            return [Hint(key: "Esc", label: "Close help", priority: 90), Hint(key: "q", label: "Quit", priority: 100)]
        }
        var h: [Hint] = []
        if s.watch != nil {
            // Watching another process's run: nothing to pause, step, save or re-evaluate.
            h.append(Hint(key: "s", label: "Sample", priority: 70))
        } else {
            let live = s.runState != .finished && s.runState != .failed
            if live {
                h.append(Hint(key: "space", label: s.runState == .paused ? "Resume" : "Pause", priority: 95))
                if s.runState == .paused { h.append(Hint(key: "n", label: "Step", priority: 85)) }
                h.append(Hint(key: "s", label: "Sample", priority: 70))
            }
            h.append(Hint(key: "c", label: "Checkpoint", priority: 60))
            h.append(Hint(key: "+/-", label: "Eval hashes", priority: 40))
        }
        h.append(Hint(key: "Tab", label: "Focus", priority: 80))
        if state.focus == .buckets {
            h.append(Hint(key: "←→", label: "Head", priority: 78))
            h.append(Hint(key: "↑↓", label: "Round", priority: 77))
            h.append(Hint(key: "PgUp/Dn", label: "Layer", priority: 76))
        } else if state.focus == .attention {
            h.append(Hint(key: "←→", label: "Chunk", priority: 78))
            h.append(Hint(key: "↑↓", label: "Round", priority: 77))
            h.append(Hint(key: "PgUp/Dn", label: "Layer", priority: 76))
            h.append(Hint(key: "[ ]", label: "Head", priority: 75))
        }
        h.append(Hint(key: "z", label: state.zoomed ? "Unzoom" : "Zoom", priority: 65))
        h.append(Hint(key: "l", label: state.logScale ? "Linear" : "Log scale", priority: 30))
        h.append(Hint(key: "h", label: "Explore", priority: 72))
        h.append(Hint(key: "?", label: "Help", priority: 98))
        h.append(Hint(key: "q", label: "Quit", priority: 100))
        return h
    }

    /// The hints that fit in `width` columns (two spaces between hints).
    public static func fitting(_ all: [Hint], width: Int) -> [Hint] {
        var shown = all
        func total() -> Int { shown.reduce(0) { $0 + $1.width } + max(0, shown.count - 1) * 2 }
        while !shown.isEmpty, total() > width,
              let i = shown.indices.min(by: { shown[$0].priority < shown[$1].priority }) {
            shown.remove(at: i)
        }
        return shown
    }

    public static func render(_ s: EngineSnapshot, _ state: ViewState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        render(hints: hints(s, state), theme: theme, in: rect, into: &screen)
    }

    /// Draws `hints` (those that fit) in one row.
    public static func render(hints all: [Hint], theme: Theme, in rect: Rect, into screen: inout Screen) {
        guard rect.width > 0, rect.height > 0 else { return }
        var keyStyle = theme.key
        keyStyle.reverse = theme.isMono || keyStyle.reverse
        var x = rect.x
        for (i, hint) in fitting(all, width: rect.width).enumerated() {
            if i > 0 { x += 2 }
            x = screen.put(hint.key, x: x, y: rect.y, style: keyStyle, clip: rect)
            x = screen.put(" " + hint.label, x: x, y: rect.y, style: theme.text, clip: rect)
        }
    }
}
