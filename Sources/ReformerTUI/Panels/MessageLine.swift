// MessageLine: the line above the key hints. A finished run says "FINISHED — press q to quit", a
// failed one shows its failure line; otherwise the paused note and the engine's latest message.

import ReformerTelemetry

/// The banner / message line.
///
/// ```swift
/// MessageLine.render(snapshot, theme: .dark, in: layout.message, into: &screen)
/// ```
public enum MessageLine {
    public static func render(_ s: EngineSnapshot, theme: Theme, in rect: Rect, into screen: inout Screen) {
        guard rect.width > 0, rect.height > 0 else { return }
        var spans: [TextView.Span] = []
        var badge = theme.good
        badge.bold = true
        badge.reverse = true
        switch s.runState {
        case .failed:
            var style = theme.bad
            style.bold = true
            spans = [.init(" FAILED ", Style(foreground: style.foreground, bold: true, reverse: true)),
                     .init((s.failure ?? "the engine stopped") + " — press q to quit", style)]
        case .finished:
            spans = [.init(" FINISHED ", badge), .init("— press q to quit", theme.good)]
        case .paused:
            spans = [.init("PAUSED — space resumes, n runs one step", theme.warning)]
        case .stopping:
            spans = [.init("stopping: writing a checkpoint…", theme.warning)]
        case .starting:
            if s.watch == nil { spans = [.init("starting…", theme.dim)] }
        case .running:
            break
        }
        if s.runState != .failed, let m = s.message, !m.isEmpty {
            spans.append(.init((spans.isEmpty ? "" : "  ·  ") + m, theme.dim))
        }
        // Spans in order; the one that does not fit is cut with "…" and ends the line.
        var x = rect.x
        for span in spans {
            let room = rect.maxX - x
            guard room > 0 else { break }
            x = screen.put(Format.truncate(span.text, room), x: x, y: rect.y, style: span.style, clip: rect)
        }
    }
}
