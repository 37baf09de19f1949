// BucketPanel: what LSH hashing did to the current batch row for the selected layer, head and round —
// the bucket of every position as a coloured strip (tokens beneath when they fit), how many positions
// each bucket got (a histogram in the same colours) and how even that is. Spec §9.4–9.7: positions
// are sorted by bucket, cut into chunks, and each chunk attends to itself and one chunk back.

import ReformerTelemetry

/// The LSH-buckets panel.
///
/// ```swift
/// BucketPanel.render(snapshot, state, theme: .dark, in: layout.panels[.buckets]!, into: &screen)
/// ```
public enum BucketPanel {
    /// "layer 1/2 LSH · head 2/4 · round 1/4" for a probe.
    static func selectionText(_ p: AttentionProbe, includeChunk: Bool = false) -> String {
        var parts = ["layer \(p.layer + 1)/\(max(p.layerCount, 1)) \(kind(p).uppercased())", "head \(p.head + 1)/\(max(p.headCount, 1))"]
        if p.roundCount > 0 { parts.append("round \(p.round + 1)/\(p.roundCount)") }
        if includeChunk && p.chunkCount > 0 { parts.append("chunk \(p.chunk + 1)/\(p.chunkCount)") }
        return parts.joined(separator: " · ")
    }

    /// "lsh" or "local" for the probe's layer.
    static func kind(_ p: AttentionProbe) -> String {
        p.layer >= 0 && p.layer < p.layerKinds.count ? p.layerKinds[p.layer] : "lsh"
    }

    /// " → L2 H1 R3 …" when the user's selection has not reached the snapshot yet.
    static func pendingText(_ p: AttentionProbe, _ state: ViewState) -> String? {
        guard let wanted = state.selection else { return nil }
        let clamped = Reducer.clamp(wanted, to: p)
        guard clamped != ProbeSelection(p) else { return nil }
        return "→ L\(clamped.layer + 1) H\(clamped.head + 1) R\(clamped.round + 1) C\(clamped.chunk + 1)…"
    }

    /// Watching: "checkpoint-40 · " before a probe panel's caption — the checkpoint the panel shows.
    static func checkpointSpans(_ s: EngineSnapshot, theme: Theme) -> [TextView.Span] {
        guard let name = s.watch?.shownCheckpoint else { return [] }
        return [.init(name, theme.key), .init(" · ", theme.dim)]
    }

    /// Watching, before a checkpoint is loaded: what the panel waits for.
    static func waitingForCheckpoint(_ s: EngineSnapshot, _ what: String) -> String {
        if let loading = s.watch?.loading { return "loading \(loading)… — \(what) appear once its probe forward has run" }
        return "waiting for a complete checkpoint — \(what) appear once one is loaded and run on the probe"
    }

    /// One character per token for the row under the strip: bytes for text, nothing for other tasks
    /// unless there is room for the numbers.
    static func tokenLabels(_ s: EngineSnapshot, _ tokens: [Int32]) -> [String] {
        if s.task == "text" {
            return tokens.map { t in
                if t == 10 { return "↵" }
                if t >= 33 && t < 127 { return String(Unicode.Scalar(UInt8(t))) }
                return t == 32 ? " " : "·"
            }
        }
        return tokens.map { String($0) }
    }

    public static func render(_ s: EngineSnapshot, _ state: ViewState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let p = s.probe
        let right = p.map { "L\($0.layer + 1) H\($0.head + 1)" + ($0.roundCount > 0 ? " R\($0.round + 1)" : "") }
        let inner = PanelFrame.draw(.buckets, rightTitle: right, state: state, theme: theme, in: rect, into: &screen)
        guard !inner.isEmpty else { return }
        guard let p else {
            PanelFrame.placeholder(s.watch != nil ? waitingForCheckpoint(s, "buckets") : "no probe yet — buckets appear after the first training step",
                                   theme: theme, in: inner, into: &screen)
            return
        }
        var y = inner.y
        var caption: [TextView.Span] = checkpointSpans(s, theme: theme) + [.init(selectionText(p), theme.title)]
        if let pending = pendingText(p, state) { caption.append(.init("  " + pending, theme.warning)) }
        PanelFrame.line(caption, x: inner.x, y: y, clip: inner, into: &screen)
        y += 1
        let rest = Rect(x: inner.x, y: y, width: inner.width, height: inner.maxY - y)

        if kind(p) == "local" {
            PanelFrame.placeholder("local attention layer: no hashing — each chunk of \(p.chunkLength) positions attends to itself and the chunk before it",
                                   theme: theme, in: rest, into: &screen)
            return
        }
        if p.buckets.isEmpty {
            PanelFrame.placeholder("sequence fits one chunk: no hashing — every position attends to all allowed positions",
                                   theme: theme, in: rest, into: &screen)
            return
        }
        renderBuckets(s, p, theme: theme, in: rest, into: &screen)
    }

    static func renderBuckets(_ s: EngineSnapshot, _ p: AttentionProbe, theme: Theme, in rect: Rect, into screen: inout Screen) {
        guard rect.height >= 1 else { return }
        let T = p.buckets.count
        let nb = p.bucketCount > 0 ? p.bucketCount : p.occupancy.count
        let rows = rect.height
        var y = rect.y

        // Which sections fit, most important first.
        let axisRows = rows >= 3 ? 1 : 0
        let evenRows = rows >= 3 ? 1 : 0
        let sortedRows = rows >= 11 && p.chunkLength > 0 ? 3 : 0
        let footerRows = rows >= 8 ? 1 : 0
        let histRows = min(10, rows - 1 - axisRows - evenRows - sortedRows - footerRows)

        // Strip: bucket per position; the padding bucket (id == bucketCount) is drawn as missing.
        let values = p.buckets.map { Int($0) >= p.bucketCount && p.bucketCount > 0 ? -1 : Int($0) }
        let labels = p.tokens.count == T ? tokenLabels(s, p.tokens) : []
        let strip = CategoricalStrip(values: values, labels: labels, palette: theme.categorical,
                                     labelStyle: theme.dim, missingStyle: theme.masked)
        let drawn = strip.render(Rect(x: rect.x, y: y, width: rect.width, height: 1 + axisRows), into: &screen)
        if axisRows == 1 && !drawn.labelsDrawn {
            renderAxis(count: T, drawn: drawn, x: rect.x, y: y + 1, width: rect.width, theme: theme, into: &screen)
        }
        y += 1 + axisRows

        // Evenness: "evenness 0.65 ▕████▌   ▏ 1 = even · ideal 4/bucket".
        if evenRows == 1 {
            let ideal = nb > 0 ? Double(T) / Double(nb) : 0
            let lead = "evenness \(Format.fixed(p.evenness, 2)) "
            let x = screen.put(lead, x: rect.x, y: y, style: theme.text, clip: rect)
            let barWidth = min(16, rect.maxX - x - 2)
            if barWidth >= 3 {
                let style = Gauge.thresholdStyle(p.evenness, thresholds: [0.7, 0.9], styles: [theme.bad, theme.warning, theme.good])
                Gauge(fraction: p.evenness, text: "", style: style, frameStyle: theme.dim)
                    .render(Rect(x: x, y: y, width: barWidth + 2, height: 1), into: &screen)
                let note = " 1 = even · ideal \(Format.compact(ideal))/bucket"
                screen.put(Format.truncate(note, max(0, rect.maxX - x - barWidth - 2)), x: x + barWidth + 2, y: y, style: theme.dim, clip: rect)
            }
            y += 1
        }

        // Sorted view: the round's positions in bucket order, cut into chunks (spec §9.6–9.7).
        if sortedRows == 3 {
            renderSorted(p, values: values, theme: theme, in: Rect(x: rect.x, y: y, width: rect.width, height: 3), into: &screen)
            y += 3
        }

        // Occupancy histogram, coloured like the strip.
        if histRows >= 1 && !p.occupancy.isEmpty {
            let captionRows = histRows >= 4 ? 1 : 0
            if captionRows == 1 {
                screen.put(Format.truncate("positions per bucket (\(p.occupancy.count) buckets, fullest \(p.occupancy.max() ?? 0))", rect.width),
                           x: rect.x, y: y, style: theme.dim, clip: rect)
            }
            let styles = theme.categorical.isEmpty ? [] : theme.categorical.map { Style(foreground: $0) }
            let width = min(rect.width, max(p.occupancy.count * 4, p.occupancy.count))
            Histogram(values: p.occupancy.map(Double.init), styles: styles,
                      labels: p.occupancy.indices.map(String.init), labelStyle: theme.dim)
                .render(Rect(x: rect.x, y: y + captionRows, width: width, height: histRows - captionRows), into: &screen)
        }
        if footerRows == 1 {
            let footer = "each position hashes to one bucket per round; buckets sort the sequence so similar keys share a chunk"
            screen.put(Format.truncate(footer, rect.width), x: rect.x, y: rect.maxY - 1, style: theme.dim, clip: rect)
        }
    }

    /// The chunk of the selected round the attention panel shows (nil when it lies in another round).
    static func chunkInRound(_ p: AttentionProbe) -> Int? {
        guard p.chunkLength > 0, p.buckets.count % p.chunkLength == 0 else { return nil }
        let perRound = p.buckets.count / p.chunkLength
        guard perRound > 0 else { return nil }
        if p.chunkCount == perRound * max(1, p.roundCount) {
            return p.chunk / perRound == p.round ? p.chunk % perRound : nil
        }
        return p.chunkCount == perRound ? p.chunk : nil
    }

    /// Caption, the buckets in sorted order, and a bracket under every chunk (the shown one highlighted).
    static func renderSorted(_ p: AttentionProbe, values: [Int], theme: Theme, in rect: Rect, into screen: inout Screen) {
        let T = values.count, C = p.chunkLength
        let caption = "sorted by bucket → \(T / max(C, 1)) chunks of \(C); each attends to itself + the one before"
        let x = screen.put(Format.truncate(caption, rect.width), x: rect.x, y: rect.y, style: theme.dim, clip: rect)
        if chunkInRound(p) != nil && x + 22 <= rect.maxX {
            screen.put("  ━ shown in Attention", x: x, y: rect.y, style: theme.key, clip: rect)
        }
        let sorted = values.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }.map(\.element)
        let drawn = CategoricalStrip(values: sorted, palette: theme.categorical, missingStyle: theme.masked)
            .render(Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1), into: &screen)
        guard drawn.cells > 0, C > 0 else { return }
        let shown = chunkInRound(p)
        let y = rect.y + 2
        func column(_ slot: Int) -> Int { rect.x + (drawn.cellWidth > 0 ? slot * drawn.cellWidth : slot * drawn.cells / T) }
        for k in 0..<(T / C) {
            let x0 = column(k * C), x1 = column((k + 1) * C) - 1
            let selected = k == shown
            let style = selected ? theme.key : theme.dim
            guard x1 > x0 else { screen.set(x0, y, selected ? "▲" : "╵", style, clip: rect); continue }
            for x in x0...x1 { screen.set(x, y, selected ? "━" : "─", style, clip: rect) }
            screen.set(x0, y, selected ? "┗" : "└", style, clip: rect)
            screen.set(x1, y, selected ? "┛" : "┘", style, clip: rect)
        }
    }

    /// Position numbers under the strip (start, quarters, end) when token labels do not fit.
    static func renderAxis(count: Int, drawn: CategoricalStrip.Drawn, x: Int, y: Int, width: Int, theme: Theme, into screen: inout Screen) {
        guard count > 0, drawn.cells > 0 else { return }
        let clip = Rect(x: x, y: y, width: width, height: 1)
        let step = max(1, drawn.cellWidth)
        let span = drawn.cells * step
        var nextFree = x
        for q in 0...4 {
            let position = q == 4 ? count - 1 : count * q / 4
            let cx = x + (drawn.cellWidth > 0 ? position * step : position * drawn.cells / count)
            let text = String(position)
            let start = max(x, min(cx, x + span - Format.width(text)))
            guard start >= nextFree else { continue }
            screen.put(text, x: start, y: y, style: theme.dim, clip: clip)
            nextFree = start + Format.width(text) + 1
        }
    }
}
