// Stage 5 · Attention: one chunk's weights (spec §9.8–9.9) — rows its queries (sorted slots, labelled
// with their positions), columns the window's keys, masked cells as glyphs (· causal, × self,
// - padding) — and the selected query's strongest keys with their original positions. Keys in other
// buckets are not masked: they are simply not in the window.

import ReformerTelemetry

extension ExplorerView {
    /// The glyph of a masked cell (AttentionPanel's), nil for an attended one.
    static func maskGlyph(_ kind: AttentionProbe.MaskKind) -> Unicode.Scalar? { AttentionPanel.glyph(kind) }

    static func renderAttention(_ c: Context, in area: Rect, into screen: inout Screen) {
        let chunk = c.selection.chunk, C = c.index.chunkLength
        let window = c.index.window(ofChunk: chunk)
        let windowText = window.map { "c\($0 + 1)" }.joined(separator: " | ")
        let present = Set(c.index.slots(ofChunk: chunk).indices.flatMap { c.index.masks(chunk: chunk, row: $0) })
        var rules: [String] = []
        if c.trace.causal || present.contains(.causal) { rules.append("· causal (a later position)") }
        if !c.index.isLocal || present.contains(.selfPosition) { rules.append("× self (own position, used only when nothing else is allowed)") }
        if c.trace.paddingBucket || present.contains(.padding) { rules.append("- padding") }
        var text = "Chunk \(chunk + 1)'s weights: rows are its \(C) queries (\(c.index.hashed ? "sorted slots" : "positions")), columns its window's keys (\(windowText))."
        if !rules.isEmpty { text += " Masked: " + rules.joined(separator: ", ") + "." }
        if c.index.hashed { text += " Keys in other buckets are not masked — they are simply not in this window." }
        let rect = intro(text, theme: c.theme, in: area, into: &screen)
        let slots = Array(c.index.slots(ofChunk: chunk))
        guard rect.height >= 2, !slots.isEmpty else {
            PanelFrame.placeholder("no attention weights in this trace", theme: c.theme, in: rect, into: &screen)
            return
        }
        let keySlots = c.index.windowSlots(ofChunk: chunk)
        let queryPositions = slots.map { c.index.position(ofSlot: $0) }
        let keyPositions = keySlots.map { c.index.position(ofSlot: $0) }
        let rows = slots.indices.map { c.index.weights(chunk: chunk, row: $0) }
        let masks = slots.indices.map { c.index.masks(chunk: chunk, row: $0).map(maskGlyph) }
        let round = c.index.round(ofChunk: chunk)

        let infoWidth = rect.width >= 90 ? min(46, rect.width * 2 / 5) : 0
        let narrowLine = infoWidth == 0 && rect.height >= 3 ? 1 : 0
        let left = Rect(x: rect.x, y: rect.y, width: rect.width - infoWidth - (infoWidth > 0 ? 2 : 0), height: rect.height - narrowLine)
        renderChunkMatrix(c, rows: rows, masks: masks, queries: queryPositions, keys: keyPositions, round: round, in: left, into: &screen)
        if infoWidth > 0 {
            renderQueryInfo(c, slot: c.selection.querySlot, keys: keyPositions, in: Rect(x: left.maxX + 2, y: rect.y, width: infoWidth, height: rect.height), into: &screen)
        } else if narrowLine == 1 {
            // Narrow: the query's top keys in one line under the matrix area's legend.
            let keys = c.index.keys(ofSlot: c.selection.querySlot).prefix(4)
            let line = "▶ \(c.describe(c.selection.position)) top: " + keys.map { "\($0.position):\(weight($0.weight))" + ($0.position == c.twin ? "◆" : "") }.joined(separator: " ")
            screen.put(Format.truncate(line, rect.width), x: rect.x, y: rect.maxY - 1, style: c.selectedStyle, clip: rect)
        }
    }

    static func renderChunkMatrix(_ c: Context, rows: [[Float]], masks: [[Unicode.Scalar?]], queries: [Int?], keys: [Int?], round: Int,
                                  in rect: Rect, into screen: inout Screen) {
        let legendRows = rect.height >= 6 ? 1 : 0
        let keyRows = rect.height >= 5 ? 2 : 0
        let bandRows = rect.height >= 8 ? 1 : 0
        let markRows = keyRows > 0 && c.twin != nil && rect.height >= 9 ? 1 : 0
        let matrixRows = rect.height - legendRows - keyRows - bandRows - markRows
        guard matrixRows >= 1 else { return }
        let labelWidth = Format.width(String(max(0, c.index.length - 1))) + 2 + min(4, (queries.compactMap { $0 }.map { Format.width(c.index.token($0)) }.max() ?? 1)) + 1
        let mapRect = Rect(x: rect.x + labelWidth, y: rect.y + bandRows, width: rect.width - labelWidth, height: matrixRows)
        guard mapRect.width >= 2 else { return }
        let maxValue = zip(rows, masks).flatMap { row, mask in
            row.enumerated().compactMap { i, v -> Float? in (i < mask.count && mask[i] != nil) || !v.isFinite ? nil : v }
        }.max() ?? 1
        let before = max(0, c.trace.chunksBefore)
        let C = c.index.chunkLength
        let digits = Format.width(String(max(0, c.index.length - 1)))
        let columns = keys.count
        // Cells as wide as a position label at least, up to 6 columns (and 2 lines) when there is room.
        let cellWidth = max(1, min(max(digits + 1, min(6, (mapRect.width - 1) / max(1, columns))), (mapRect.width - 1) / max(1, columns)))
        let rowRepeat = cellWidth >= 5 ? 2 : 1
        let heatmap = Heatmap(values: rows, marks: masks, range: 0...max(maxValue, 1e-6), maxCellWidth: cellWidth,
                              maxRowRepeat: rowRepeat, gapAfterColumn: before > 0 ? before * C - 1 : nil, showLegend: false, theme: c.theme)
        let g = heatmap.render(mapRect, into: &screen)
        guard !g.columnX.isEmpty else { return }
        let single = g.columnGroups.count == columns

        // Band: which window chunk each column range is.
        if bandRows == 1 {
            for (j, w) in c.index.window(ofChunk: c.selection.chunk).enumerated() {
                let startColumn = j * C
                guard let i = g.columnGroups.firstIndex(where: { $0.contains(startColumn) }) else { continue }
                let label = (j < before ? "◀ c\(w + 1)" : (j == before ? "c\(w + 1) (this chunk)" : "c\(w + 1) ▶"))
                screen.put(label, x: g.columnX[i], y: rect.y, style: j == before ? c.theme.title : c.theme.dim, clip: rect)
            }
        }

        // Row labels: position and token; the selected query and the twin emphasised.
        var previous: Range<Int>?
        for (line, group) in g.lineRows.enumerated() where group != previous && group.lowerBound < queries.count {
            previous = group
            let q = queries[group.lowerBound]
            let isQuery = group.lowerBound == c.selection.query
            let label = (isQuery ? "▶" : (q == c.twin ? "◆" : " ")) + Format.padLeft(q.map(String.init) ?? "?", digits) + " "
                + Format.truncate(q.map { c.index.token($0) } ?? "", labelWidth - digits - 3)
            let style = isQuery ? c.selectedStyle : (q == c.twin ? c.twinStyle : c.theme.dim)
            screen.put(label, x: rect.x, y: g.top + line, style: style, clip: rect)
        }

        // Key positions under the columns, bucket chips under those; twin and self columns marked.
        var y = g.top + g.lineRows.count
        if keyRows == 2 {
            let clip = Rect(x: mapRect.x, y: y, width: mapRect.width, height: 2)
            screen.put("key", x: rect.x, y: y, style: c.theme.dim, clip: rect)
            screen.put(c.index.hashed ? "bucket" : "", x: rect.x, y: y + 1, style: c.theme.dim, clip: rect)
            for (i, group) in g.columnGroups.enumerated() where group.lowerBound < keys.count {
                let k = keys[group.lowerBound]
                if single && g.cellWidth >= digits + 1 {
                    let style = k == c.twin ? c.twinStyle : (k == c.selection.position ? c.selectedStyle : c.theme.dim)
                    screen.put(k.map(String.init) ?? "?", x: g.columnX[i], y: y, style: style, clip: clip)
                    if c.index.hashed {
                        let b = k.flatMap { c.index.bucket(round: round, position: $0) }
                        let name = b.map { c.index.isPadding(bucket: $0) ? "pad" : "b\($0)" } ?? "?"
                        let text = Format.width(name) < g.cellWidth ? name : (b.map(String.init) ?? "?")
                        if Format.width(text) < g.cellWidth || g.cellWidth == 1 {
                            screen.put(text, x: g.columnX[i], y: y + 1, style: c.bucketStyle(b), clip: clip)
                        }
                    }
                }
                if markRows == 1, c.twin != nil, group.contains(where: { $0 < keys.count && keys[$0] == c.twin }) {
                    screen.put("◆", x: g.columnX[i], y: y + 2, style: c.twinStyle, clip: Rect(x: mapRect.x, y: y + 2, width: mapRect.width, height: 1))
                }
            }
            if markRows == 1 { screen.put("◆ twin", x: rect.x, y: y + 2, style: c.twinStyle, clip: rect) }
            y += 2 + markRows
        }

        if legendRows == 1 {
            var x = Heatmap.renderLegend(0...max(maxValue, 1e-6), theme: c.theme, x: rect.x, y: rect.maxY - 1, maxX: rect.maxX, into: &screen)
            let present = Set(masks.joined().compactMap { $0 })
            for (glyph, name) in [("·", "causal"), ("×", "self"), ("-", "padding")] where present.contains(Unicode.Scalar(glyph)!) {
                let text = "  \(glyph) \(name)"
                guard x + Format.width(text) <= rect.maxX else { break }
                x = screen.put("  " + glyph, x: x, y: rect.maxY - 1, style: c.theme.masked, clip: rect)
                x = screen.put(" " + name, x: x, y: rect.maxY - 1, style: c.theme.dim, clip: rect)
            }
            if c.twin != nil, x + 8 <= rect.maxX {
                x = screen.put("  ◆ twin", x: x, y: rect.maxY - 1, style: c.twinStyle, clip: rect)
            }
        }
    }

    /// The selected query: its bucket and log-sum-exp, its strongest keys, and where its twin is.
    static func renderQueryInfo(_ c: Context, slot: Int, keys windowKeys: [Int?], in rect: Rect, into screen: inout Screen) {
        guard let p = c.index.position(ofSlot: slot) else { return }
        let round = c.index.round(ofSlot: slot)
        var spans: [TextView.Span] = [.init("▶ query \(c.describe(p))\n", c.selectedStyle)]
        var facts = "row \(c.selection.query + 1) of chunk \(c.selection.chunk + 1)" + (c.index.rounds > 1 ? ", round \(round + 1)" : "")
        if let lse = c.index.logSumExp(slot: slot) { facts += " · lse \(Format.fixed(Double(lse), 2))" }
        spans.append(.init(facts + "\n", c.theme.dim))
        if c.index.hashed {
            let b = c.index.bucket(round: round, position: p)
            spans.append(.init("bucket ", c.theme.dim))
            spans.append(.init(" \(c.bucketName(b)) ", c.chipStyle(b)))
            spans.append(.init("  (, . another query · [ ] chunk)\n", c.theme.dim))
        } else {
            spans.append(.init("(, . another query · [ ] chunk)\n", c.theme.dim))
        }
        spans.append(.init("\ntop keys in this window:\n", c.theme.title))
        let keys = c.index.keys(ofSlot: slot)
        let digits = Format.width(String(max(0, c.index.length - 1)))
        if keys.isEmpty { spans.append(.init("  none allowed (every key masked)\n", c.theme.dim)) }
        for k in keys.prefix(max(1, rect.height - 9)) {
            spans.append(.init(" " + Format.padLeft(String(k.position), digits) + " " + Format.padRight("'" + c.index.token(k.position) + "'", 6), k.position == c.twin ? c.twinStyle : c.theme.text))
            spans.append(.init(" " + Format.padRight(weight(k.weight), 5), c.theme.text))
            spans.append(.init(" " + BarList.bar(fraction: Double(k.weight), width: 8), c.bucketStyle(c.index.hashed ? c.index.bucket(round: round, position: k.position) : 0)))
            var note = k.copies > 1 ? " ×\(k.copies)" : ""
            if k.position == c.twin { note += " ◆ twin" }
            spans.append(.init(note + "\n", k.position == c.twin ? c.twinStyle : c.theme.dim))
        }
        if let twin = c.twin {
            let present = windowKeys.contains(twin)
            let w = keys.first { $0.position == twin }?.weight
            spans.append(.init("\n◆ twin \(c.describe(twin)): ", c.twinStyle))
            if present, let w {
                spans.append(.init("in the window, weight \(weight(w))", c.theme.good))
            } else if present {
                spans.append(.init("in the window but masked", c.theme.warning))
            } else {
                spans.append(.init(c.index.hashed ? "not in this window (another bucket or chunk this round)" : "not in this window", c.theme.bad))
            }
        }
        TextView(spans: spans).render(rect, into: &screen)
    }
}
