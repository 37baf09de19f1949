// MemoryPanel: the engine's allocation ledger for one training step — parameters, gradients, AdamW
// moments, activations, attention working set — with its peak and the process RSS, beside what a
// standard Transformer of the same config would need at this length (T×T attention per head and
// layer, activations stored per layer), so the Reformer's saving is visible as bars and a ratio.

import ReformerTelemetry

/// The memory panel.
///
/// ```swift
/// MemoryPanel.render(snapshot, state, theme: .dark, in: layout.panels[.memory]!, into: &screen)
/// ```
public enum MemoryPanel {
    /// Memory a standard Transformer needs for one step: weights, gradients and moments as here, plus
    /// full attention scores and per-layer activations.
    public static func standardTotal(_ m: MemoryReport) -> Int {
        m.parametersBytes &+ m.gradientsBytes &+ m.optimizerBytes &+ m.standardAttentionBytes &+ m.standardActivationsBytes
    }

    /// The Reformer side of the comparison: the ledger's peak, or the sum of its parts before one exists.
    public static func reformerTotal(_ m: MemoryReport) -> Int {
        m.peakBytes > 0 ? m.peakBytes
            : m.parametersBytes &+ m.gradientsBytes &+ m.optimizerBytes &+ m.activationsBytes &+ m.attentionBytes
    }

    /// "standard Transformer: 1.2 GiB — 380× the Reformer (T×T attention 1.0 GiB + activations 200 MiB at T=4096)"
    public static func comparisonText(_ m: MemoryReport) -> String {
        let standard = standardTotal(m), reformer = reformerTotal(m)
        var s = "standard Transformer: \(Format.bytes(standard))"
        if reformer > 0 { s += " — " + ratioText(standard, reformer) }
        s += " (T×T attention \(Format.bytes(m.standardAttentionBytes)) + activations \(Format.bytes(m.standardActivationsBytes))"
        s += (m.sequenceLength > 0 ? " at T=\(m.sequenceLength))" : ")")
        return s
    }

    /// "12.3× more" / "1.0× (no saving)".
    static func ratioText(_ standard: Int, _ reformer: Int) -> String {
        let r = Double(standard) / Double(max(reformer, 1))
        return r >= 1.05 ? "\(Format.compact(r))× the Reformer" : "\(Format.fixed(r, 1))× (no saving at this length)"
    }

    public static func render(_ s: EngineSnapshot, _ state: ViewState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let m = s.memory
        let inner = PanelFrame.draw(.memory, rightTitle: m.sequenceLength > 0 ? "T=\(m.sequenceLength)" : nil,
                                    state: state, theme: theme, in: rect, into: &screen)
        guard !inner.isEmpty else { return }
        guard reformerTotal(m) > 0 || standardTotal(m) > 0 else {
            PanelFrame.placeholder(s.watch != nil ? BucketPanel.waitingForCheckpoint(s, "its memory figures")
                                                  : "no ledger yet — memory appears after the first training step",
                                   theme: theme, in: inner, into: &screen)
            return
        }
        let series = theme.series.isEmpty ? [Style.plain] : theme.series
        let parts: [BarList.Item] = [
            .init(label: "parameters", value: Double(m.parametersBytes), valueText: Format.bytes(m.parametersBytes), style: series[0 % series.count]),
            .init(label: "gradients", value: Double(m.gradientsBytes), valueText: Format.bytes(m.gradientsBytes), style: series[0 % series.count]),
            .init(label: "optimizer", value: Double(m.optimizerBytes), valueText: Format.bytes(m.optimizerBytes), style: series[0 % series.count]),
            .init(label: "activations", value: Double(m.activationsBytes), valueText: Format.bytes(m.activationsBytes), style: series[2 % series.count]),
            .init(label: "attention", value: Double(m.attentionBytes), valueText: Format.bytes(m.attentionBytes), style: series[2 % series.count]),
        ]
        let peakLine = "ledger peak \(Format.bytes(m.peakBytes)) · process RSS \(Format.bytes(m.processRSSBytes))"
        var standardStyle = theme.bad
        standardStyle.reverse = false
        standardStyle.bold = false
        let compare: [BarList.Item] = [
            .init(label: "Reformer", value: Double(reformerTotal(m)), valueText: Format.bytes(reformerTotal(m)), style: theme.good),
            .init(label: "standard", value: Double(standardTotal(m)), valueText: Format.bytes(standardTotal(m)), style: standardStyle),
        ]

        // Sections by priority: the comparison text, its bars, the peak line, the ledger parts, notes.
        let rows = inner.height
        var wrapped = TextView.wrap([TextView.Span(comparisonText(m), theme.text)], width: inner.width)
        let compareBarRows = rows >= 3 ? 2 : 0
        let peakRows = rows >= 4 ? 1 : 0
        let partRows = rows >= 10 ? parts.count : 0
        let captionRows = rows >= 12 ? 1 : 0
        let textRows = min(wrapped.count, max(1, rows - compareBarRows - peakRows - partRows - captionRows))
        if wrapped.count > textRows {
            // Too little room for the breakdown: keep the ratio, the point of the panel.
            let ratio = Double(standardTotal(m)) / Double(max(reformerTotal(m), 1))
            let short = reformerTotal(m) > 0 ? "standard Transformer: \(Format.compact(ratio))× more"
                                             : "standard Transformer: \(Format.bytes(standardTotal(m)))"
            wrapped = TextView.wrap([TextView.Span(short, theme.text)], width: inner.width)
        }
        let why = "why: LSH attention never builds the T×T matrix (chunks of C against 2C keys); reversible layers "
            + "recompute each layer's input in the backward pass instead of storing every layer's activations"
        let whyLines = TextView.wrap([TextView.Span(why, theme.dim)], width: inner.width)
        let whyRows = rows - captionRows - partRows - peakRows - compareBarRows - textRows - 1 >= whyLines.count ? whyLines.count : 0

        var y = inner.y
        if captionRows == 1 {
            let caption = s.watch?.shownCheckpoint.map { "ledger, one forward of \($0) on the probe" } ?? "ledger, one training step"
            screen.put(Format.truncate(caption, inner.width), x: inner.x, y: y, style: theme.dim, clip: inner)
            y += 1
        }
        if partRows > 0 {
            BarList(items: parts, labelStyle: theme.text, valueStyle: theme.text)
                .render(Rect(x: inner.x, y: y, width: inner.width, height: parts.count), into: &screen)
            y += parts.count
        }
        if peakRows == 1 {
            screen.put(Format.truncate(peakLine, inner.width), x: inner.x, y: y, style: theme.text, clip: inner)
            y += 1
        }
        if compareBarRows == 2 {
            BarList(items: compare, labelStyle: theme.text, valueStyle: theme.text)
                .render(Rect(x: inner.x, y: y, width: inner.width, height: 2), into: &screen)
            y += 2
        }
        for line in wrapped.prefix(textRows) {
            var x = inner.x
            for item in line { x = screen.put(String(item.scalar), x: x, y: y, style: item.style, clip: inner) }
            y += 1
        }
        if whyRows > 0 {
            y += 1
            for line in whyLines {
                var x = inner.x
                for item in line { x = screen.put(String(item.scalar), x: x, y: y, style: item.style, clip: inner) }
                y += 1
            }
        }
    }
}
