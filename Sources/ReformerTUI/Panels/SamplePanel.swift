// SamplePanel: what the model does with a held-out example. Copy task: the prompt `0 w 0`, then the
// model's second copy, each wrong symbol in the bad style and listed with the wanted one. Text task:
// the prompt and the generated continuation, newest text kept in view, a cursor while generating.

import ReformerTelemetry

/// The samples panel.
///
/// ```swift
/// SamplePanel.render(snapshot, state, theme: .dark, in: layout.panels[.samples]!, into: &screen)
/// ```
public enum SamplePanel {
    /// Indices of `predicted` that differ from `expected` (positions beyond `expected` are not judged).
    public static func wrongIndices(_ sample: SamplePreview) -> [Int] {
        sample.predicted.indices.filter { $0 < sample.expected.count && sample.predicted[$0] != sample.expected[$0] }
    }

    public static func render(_ s: EngineSnapshot, _ state: ViewState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let right = s.sample.map { "step \($0.step)" + ($0.inProgress ? " · generating…" : "") }
        let inner = PanelFrame.draw(.samples, rightTitle: right, state: state, theme: theme, in: rect, into: &screen)
        guard !inner.isEmpty else { return }
        guard let sample = s.sample else {
            PanelFrame.placeholder(s.watch != nil ? "no sample yet — press s for one from the checkpoint shown (copy probe: its second copy; text: a continuation)"
                                                  : "no sample yet — press s for one (copy: a validation example; text: a continuation)",
                                   theme: theme, in: inner, into: &screen)
            return
        }
        switch sample.kind {
        case .copy: renderCopy(sample, theme: theme, in: inner, into: &screen)
        case .text: renderText(sample, theme: theme, in: inner, into: &screen)
        }
    }

    static func renderCopy(_ sample: SamplePreview, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let wrong = wrongIndices(sample)
        let judged = min(sample.predicted.count, sample.expected.count)
        var header = "copy: prompt 0 w 0, then the model's second copy of w"
        if judged > 0 {
            let right = judged - wrong.count
            header = "\(right)/\(judged) symbols right (\(Format.fixed(100 * Double(right) / Double(judged), 0))%) · " + header
        }
        screen.put(Format.truncate(header, rect.width), x: rect.x, y: rect.y, style: theme.title, clip: rect)
        guard rect.height >= 2 else { return }

        let wrongSet = Set(wrong)
        var spans: [TextView.Span] = [.init(sample.prompt.map(String.init).joined(separator: " "), theme.dim), .init(" ▸ ", theme.dim)]
        if sample.predicted.isEmpty { spans.append(.init("(no prediction)", theme.dim)) }
        for (i, token) in sample.predicted.enumerated() {
            let style = wrongSet.contains(i) ? theme.bad : (i < sample.expected.count ? theme.good : theme.text)
            spans.append(.init(String(token), style))
            if i < sample.predicted.count - 1 { spans.append(.init(" ", theme.text)) }
        }
        let listRows = wrong.isEmpty || rect.height < 4 ? 0 : 1
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1 - listRows)
        TextView(spans: spans).render(body, into: &screen)
        if listRows == 1 {
            let items = wrong.map { "#\($0 + 1) \(sample.predicted[$0])≠\(sample.expected[$0])" }
            let text = "wrong \(wrong.count): " + items.joined(separator: ", ")
            screen.put(Format.truncate(text, rect.width), x: rect.x, y: rect.maxY - 1, style: theme.bad, clip: rect)
        }
    }

    static func renderText(_ sample: SamplePreview, theme: Theme, in rect: Rect, into screen: inout Screen) {
        var spans = [TextView.Span(sample.text, theme.dim), TextView.Span(sample.continuation, theme.text)]
        if sample.inProgress { spans.append(.init("▌", theme.warning)) }
        TextView(spans: spans, pinToEnd: true).render(rect, into: &screen)
    }
}
