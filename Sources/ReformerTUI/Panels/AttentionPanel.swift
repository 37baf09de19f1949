// AttentionPanel: one sorted chunk's attention weights (spec §9.7–9.9). Rows are the chunk's queries
// (slots sorted by bucket, labelled with their original positions); columns are the window's keys,
// the look-back chunk first, then the chunk itself. Masked cells are glyphs: · causal (a later
// position), × self (a position's own key, used only when nothing else is allowed), - padding.

import ReformerTelemetry

/// The attention-chunk panel.
///
/// ```swift
/// AttentionPanel.render(snapshot, state, theme: .dark, in: layout.panels[.attention]!, into: &screen)
/// ```
public enum AttentionPanel {
    /// The glyph of a masked cell, nil for an attended one.
    public static func glyph(_ kind: AttentionProbe.MaskKind) -> Unicode.Scalar? {
        switch kind {
        case .none: nil
        case .causal: "·"
        case .selfPosition: "×"
        case .padding: "-"
        }
    }

    public static func render(_ s: EngineSnapshot, _ state: ViewState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let p = s.probe
        let right = p.flatMap { $0.chunkCount > 0 ? "chunk \($0.chunk + 1)/\($0.chunkCount)" : nil }
        let inner = PanelFrame.draw(.attention, rightTitle: right, state: state, theme: theme, in: rect, into: &screen)
        guard !inner.isEmpty else { return }
        guard let p else {
            PanelFrame.placeholder(s.watch != nil ? BucketPanel.waitingForCheckpoint(s, "attention weights")
                                                  : "no probe yet — attention appears after the first training step",
                                   theme: theme, in: inner, into: &screen)
            return
        }
        var caption: [TextView.Span] = BucketPanel.checkpointSpans(s, theme: theme) + [.init(BucketPanel.selectionText(p, includeChunk: true), theme.title)]
        if let pending = BucketPanel.pendingText(p, state) { caption.append(.init("  " + pending, theme.warning)) }
        PanelFrame.line(caption, x: inner.x, y: inner.y, clip: inner, into: &screen)
        let rest = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        guard !p.attention.isEmpty, p.attention.contains(where: { !$0.isEmpty }) else {
            PanelFrame.placeholder("no attention weights for this selection", theme: theme, in: rest, into: &screen)
            return
        }
        renderMatrix(p, theme: theme, in: rest, into: &screen)
    }

    static func renderMatrix(_ p: AttentionProbe, theme: Theme, in rect: Rect, into screen: inout Screen) {
        guard rect.height >= 1 else { return }
        let keys = p.attention.map(\.count).max() ?? 0
        // The window is the look-back chunk(s) then the chunk itself (spec §9.7, chunks after = 0).
        let own = p.chunkLength > 0 && p.chunkLength < keys ? p.chunkLength : 0
        let lookBack = own > 0 ? keys - own : 0

        // Bucket markers beside queries and under keys, when the chunk lies in the selected round (the
        // strip's colours); look-back keys only when the chunk before is in the same round.
        let localChunk = p.buckets.isEmpty ? nil : BucketPanel.chunkInRound(p)
        let markers = localChunk != nil
        func bucket(_ position: Int32) -> Int? {
            let i = Int(position)
            guard i >= 0, i < p.buckets.count else { return nil }
            let b = Int(p.buckets[i])
            return p.bucketCount > 0 && b >= p.bucketCount ? -1 : b
        }
        let markerStrip = CategoricalStrip(values: [], palette: theme.categorical, missingStyle: theme.masked)

        // Rows: band ("look-back | this chunk"), matrix, key positions, key buckets, legend.
        let bandRows = rect.height >= 4 && lookBack > 0 ? 1 : 0
        let legendRows = rect.height >= 3 ? 1 : 0
        let keyRows = rect.height - bandRows - legendRows >= 4 && !p.keyPositions.isEmpty ? 1 : 0
        let keyMarkerRows = markers && rect.height - bandRows - legendRows - keyRows >= 6 ? 1 : 0
        let matrixRows = rect.height - bandRows - legendRows - keyRows - keyMarkerRows
        guard matrixRows >= 1 else { return }

        let labelWidth = (p.queryPositions.map { Format.width(String($0)) }.max() ?? 0)
        let markerColumns = markers ? 2 : 0
        let labelColumns = labelWidth > 0 && rect.width - labelWidth - 1 - markerColumns >= 8 ? labelWidth + 1 + markerColumns : 0
        let mapRect = Rect(x: rect.x + labelColumns, y: rect.y + bandRows, width: rect.width - labelColumns, height: matrixRows)

        let maxValue = p.attention.enumerated().flatMap { r, row in
            row.enumerated().compactMap { c, v -> Float? in
                let masked = r < p.mask.count && c < p.mask[r].count && p.mask[r][c] != .none
                return masked || !v.isFinite ? nil : v
            }
        }.max() ?? 1
        let marks = p.mask.map { $0.map(glyph) }
        let digits = p.keyPositions.map { Format.width(String($0)) }.max() ?? 1
        let cellWidth = max(digits + 1, min(6, (mapRect.width - 1) / max(1, keys)))
        let heatmap = Heatmap(values: p.attention, marks: marks, range: 0...max(maxValue, 1e-6),
                              maxCellWidth: cellWidth, maxRowRepeat: max(1, cellWidth / 2),
                              gapAfterColumn: lookBack > 0 ? lookBack - 1 : nil, showLegend: false, theme: theme)
        let g = heatmap.render(mapRect, into: &screen)
        guard !g.columnX.isEmpty else { return }

        // Band over the columns.
        if bandRows == 1, let split = g.columnGroups.firstIndex(where: { $0.contains(lookBack) }) {
            let y = rect.y
            let lookWidth = max(0, g.columnX[split] - 1 - g.columnX[0])
            let lookText = lookWidth >= 16 ? "◀ look-back chunk" : (lookWidth >= 11 ? "◀ look-back" : "back")
            if Format.width(lookText) <= lookWidth {
                screen.put(lookText, x: g.columnX[0], y: y, style: theme.dim, clip: rect)
            }
            let ownWidth = max(0, g.maxX - g.columnX[split])
            let ownText = ownWidth >= 10 ? "this chunk" : "own"
            if Format.width(ownText) <= ownWidth {
                screen.put(ownText, x: g.columnX[split], y: y, style: theme.dim, clip: rect)
            }
        }

        // Query positions (and bucket markers) beside the rows: the first query of each drawn line.
        if labelColumns > 0 {
            var previous: Range<Int>?
            for (line, rows) in g.lineRows.enumerated() where rows.lowerBound < p.queryPositions.count && rows != previous {
                previous = rows
                let position = p.queryPositions[rows.lowerBound]
                screen.put(Format.padLeft(String(position), labelWidth), x: rect.x, y: g.top + line, style: theme.dim, clip: rect)
                if markers, let b = bucket(position) {
                    let (glyph, style) = markerStrip.cell(b)
                    screen.set(rect.x + labelWidth + 1, g.top + line, glyph, style, clip: rect)
                }
            }
        }

        // Key positions under the columns: all of them when each fits its cell, else the chunk starts.
        var y = g.top + g.lineRows.count
        let everyKey = g.cellWidth >= digits + 1 && g.columnGroups.count == keys
        if keyRows == 1 {
            let clip = Rect(x: mapRect.x, y: y, width: mapRect.width, height: 1)
            if everyKey {
                for (i, group) in g.columnGroups.enumerated() where group.lowerBound < p.keyPositions.count {
                    screen.put(String(p.keyPositions[group.lowerBound]), x: g.columnX[i], y: y, style: theme.dim, clip: clip)
                }
            } else {
                var next = clip.x
                for start in [0, lookBack] where start < p.keyPositions.count {
                    guard let i = g.columnGroups.firstIndex(where: { $0.contains(start) }), g.columnX[i] >= next else { continue }
                    next = screen.put("↑" + String(p.keyPositions[start]), x: g.columnX[i], y: y, style: theme.dim, clip: clip) + 1
                }
            }
            y += 1
        }
        if keyMarkerRows == 1 && everyKey {
            for (i, group) in g.columnGroups.enumerated() where group.lowerBound < p.keyPositions.count {
                guard group.lowerBound >= lookBack || (localChunk ?? 0) > 0, let b = bucket(p.keyPositions[group.lowerBound]) else { continue }
                let (glyph, style) = markerStrip.cell(b)
                screen.set(g.columnX[i], y, glyph, style, clip: rect)
            }
            let note = " bucket"
            if g.maxX + Format.width(note) <= rect.maxX { screen.put(note, x: g.maxX, y: y, style: theme.dim, clip: rect) }
            y += 1
        }

        // Legend: ramp, then what the glyphs mean.
        if legendRows == 1 {
            let ly = rect.maxY - 1
            var x = Heatmap.renderLegend(0...max(maxValue, 1e-6), theme: theme, x: rect.x, y: ly, maxX: rect.maxX, into: &screen)
            let present = Set(p.mask.joined())
            let notes: [(AttentionProbe.MaskKind, String)] = [(.causal, "causal"), (.selfPosition, "self"), (.padding, "padding")]
            for (kind, name) in notes where present.contains(kind) {
                let text = "  \(glyph(kind)!) \(name)"
                guard x + Format.width(text) <= rect.maxX else { break }
                x = screen.put("  ", x: x, y: ly, style: .plain, clip: rect)
                x = screen.put(String(glyph(kind)!), x: x, y: ly, style: theme.masked, clip: rect)
                x = screen.put(" \(name)", x: x, y: ly, style: theme.dim, clip: rect)
            }
        }
    }
}
