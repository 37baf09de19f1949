// Stage 2 · Hashing: the bucket of every position in every round (spec §9.4), as coloured strips —
// one column per position over the whole sequence, then a window of positions with their tokens
// and bucket numbers. Repeated content lands together: the two copies of `0 w 0 w` get the same colours.

import ReformerTelemetry

extension ExplorerView {
    /// One labelled row of categories per position (a round's buckets, or a local layer's chunks).
    struct CategoryRow {
        var label: String
        /// Per position; nil = unknown, the padding bucket stays as it is (drawn masked).
        var values: [Int?]
        var selected: Bool
    }

    /// The rows stages 2 and 3 show: each round's buckets, or (nothing hashed) each position's chunk.
    static func categoryRows(_ c: Context) -> [CategoryRow] {
        let T = c.index.length
        if c.index.hashed {
            return (0..<c.index.rounds).map { r in
                CategoryRow(label: "round \(r + 1)", values: (0..<T).map { c.index.bucket(round: r, position: $0) }, selected: r == c.selection.round)
            }
        }
        let C = max(1, c.index.chunkLength)
        return [CategoryRow(label: "chunk", values: (0..<T).map { $0 / C }, selected: true)]
    }

    /// Screen column of item `i` of `count` in a strip of `width` cells (CategoricalStrip's layout).
    static func stripColumn(_ i: Int, count: Int, width: Int) -> Int {
        guard count > 0, width > 0 else { return 0 }
        if count <= width { let w = width / count; return i * w + (w - 1) / 2 }
        return Heatmap.groups(count, width).firstIndex { $0.contains(i) } ?? 0
    }

    /// ▼ over the selected position and ◆ over its twin, for a strip of `count` items.
    static func renderMarkers(_ c: Context, selected: Int?, twin: Int?, count: Int, x: Int, y: Int, width: Int, clip: Rect, into screen: inout Screen) {
        if let twin { screen.set(x + stripColumn(twin, count: count, width: width), y, "◆", c.twinStyle, clip: clip) }
        if let selected { screen.set(x + stripColumn(selected, count: count, width: width), y, "▼", c.selectedStyle, clip: clip) }
    }

    static func renderHashing(_ c: Context, in area: Rect, into screen: inout Screen) {
        let T = c.index.length, p = c.selection.position
        let text: String
        if c.index.hashed {
            text = "Each round hashes every position on its own, with its own random rotation: the strips are the bucket of each position. "
                + (c.index.isCopy ? "Repeated content lands together once the model makes a symbol's two copies alike: compare the two halves of 0 w 0 w (◆ = the twin)."
                    : "Similar vectors — often the same token — share a bucket.")
        } else if c.index.isLocal {
            text = "Local attention layer: no hashing, no buckets. Positions stay in order and are cut into chunks of \(c.index.chunkLength); colour = chunk."
        } else {
            text = "The sequence fits one chunk: nothing is hashed — every position attends to every allowed position."
        }
        var rect = intro(text, theme: c.theme, in: area, into: &screen)
        let rows = categoryRows(c)
        let labelWidth = (rows.map { Format.width($0.label) } + [8]).max()! + 2
        // Row budget, most important first: the detail window, the summary, the overview, tokens by bucket.
        let detailRows = 1 + 2 + rows.count + 1
        let summaryRows = c.index.hashed ? 3 : 0
        let overviewRows = 1 + rows.count + 1
        let showOverview = rect.height >= detailRows + summaryRows + overviewRows
        let groupRows = c.index.hashed ? rect.height - detailRows - summaryRows - (showOverview ? overviewRows : 0) - 1 : 0
        let stripWidth = rect.width - labelWidth

        // Overview: one column per position (or majority-downsampled), the whole sequence.
        if showOverview && stripWidth >= 4 {
            renderMarkers(c, selected: p, twin: c.twin, count: T, x: rect.x + labelWidth, y: rect.y, width: stripWidth, clip: rect, into: &screen)
            for (i, row) in rows.enumerated() {
                let y = rect.y + 1 + i
                screen.put(Format.truncate((row.selected && rows.count > 1 ? "▶" : " ") + row.label, labelWidth - 1), x: rect.x, y: y,
                           style: row.selected && rows.count > 1 ? c.selectedStyle : c.theme.dim, clip: rect)
                let values = row.values.map { v -> Int in guard let v, !c.index.isPadding(bucket: v) else { return -1 }; return v }
                CategoricalStrip(values: values, palette: c.theme.categorical, missingStyle: c.theme.masked)
                    .render(Rect(x: rect.x + labelWidth, y: y, width: stripWidth, height: 1), into: &screen)
            }
            rect = advance(rect, rect.y + overviewRows)
        }

        // Detail: a window of positions, token and bucket number per round, ▼ / ◆ over the columns.
        guard rect.height >= 3 else { return }
        let digits = [Format.width(String(max(0, T - 1))), Format.width(String(max(0, c.trace.bucketCount))) + 1,
                      min(4, (0..<T).map { Format.width(c.index.token($0)) }.max() ?? 1)].max()!
        let cellWidth = max(3, digits + 1)
        let visible = max(1, (rect.width - labelWidth) / cellWidth)
        let start = scrollStart(count: T, visible: visible, focus: p)
        let shown = Array(start..<min(T, start + visible))
        func rowLabel(_ text: String, _ y: Int, _ style: Style) {
            screen.put(Format.truncate(text, labelWidth - 1), x: rect.x, y: y, style: style, clip: rect)
        }
        var y = rect.y
        let inside = cellWidth - 1
        for (i, q) in shown.enumerated() where q == p || q == c.twin {
            screen.put(centre(q == p ? "▼" : "◆", inside), x: rect.x + labelWidth + i * cellWidth, y: y, style: q == p ? c.selectedStyle : c.twinStyle, clip: rect)
        }
        y += 1
        rowLabel("position", y, c.theme.dim)
        cellRow(shown.map { (String($0), c.mark($0 == p ? c.selectedStyle : ($0 == c.twin ? c.twinStyle : c.theme.dim), position: $0)) },
                x: rect.x + labelWidth, y: y, width: cellWidth, clip: rect, into: &screen)
        y += 1
        rowLabel("token", y, c.theme.dim)
        cellRow(shown.map { (Format.truncate(c.index.token($0), cellWidth - 1), c.mark(c.theme.text, position: $0)) },
                x: rect.x + labelWidth, y: y, width: cellWidth, clip: rect, into: &screen)
        y += 1
        for row in rows where y < rect.maxY {
            rowLabel((row.selected && rows.count > 1 ? "▶" : " ") + row.label, y, row.selected && rows.count > 1 ? c.selectedStyle : c.theme.dim)
            cellRow(shown.map { q in
                let v = q < row.values.count ? row.values[q] : nil
                let text = v.map { c.index.isPadding(bucket: $0) ? "pad" : String($0) } ?? "?"
                return (text, c.mark(c.chipStyle(v), position: q))
            }, x: rect.x + labelWidth, y: y, width: cellWidth, clip: rect, into: &screen)
            y += 1
        }
        if y < rect.maxY {
            let range = shown.isEmpty ? "" : "positions \(shown.first!)–\(shown.last!) of \(T)"
            let note = shown.count < T ? "\(range)  (, . move · PgUp/PgDn 16)" : "all \(T) positions  (, . move the selection)"
            screen.put(Format.truncate(note, rect.width), x: rect.x, y: y, style: c.theme.dim, clip: rect)
            y += 1
        }

        // Summary: the selected position's buckets, its twin's, and how often twins share a bucket.
        guard c.index.hashed, y + 1 < rect.maxY else { return }
        y += 1
        var spans: [TextView.Span] = [.init("▶ \(c.describe(p)): ", c.selectedStyle)]
        for r in 0..<c.index.rounds {
            let b = c.index.bucket(round: r, position: p)
            spans.append(.init(" \(c.bucketName(b)) ", c.chipStyle(b)))
            spans.append(.init(" ", .plain))
        }
        if let twin = c.twin {
            spans.append(.init("   ◆ twin \(c.describe(twin)): ", c.twinStyle))
            var same: [Int] = []
            for r in 0..<c.index.rounds {
                let b = c.index.bucket(round: r, position: twin)
                spans.append(.init(" \(c.bucketName(b)) ", c.chipStyle(b)))
                spans.append(.init(" ", .plain))
                if b != nil && b == c.index.bucket(round: r, position: p) { same.append(r + 1) }
            }
            spans.append(.init("— same bucket? ", c.theme.dim))
            for r in 0..<c.index.rounds {
                let shared = same.contains(r + 1)
                spans.append(.init("r\(r + 1)\(shared ? "✓" : "✗") ", shared ? c.theme.good : c.theme.bad))
            }
            if same.isEmpty { spans.append(.init("(never)", c.theme.bad)) }
        }
        y = renderLine(spans, x: rect.x, y: y, in: Rect(x: rect.x, y: y, width: rect.width, height: 1), into: &screen)
        if y < rect.maxY {
            let label = c.index.isCopy ? "twins (p, p + \(T / 2)) sharing a bucket:" : "equal-token pairs sharing a bucket:"
            let parts = (0..<c.index.rounds).map { r -> String in
                let s = c.index.sharedPairs(round: r)
                return "round \(r + 1) \(s.shared)/\(s.total)"
            }
            screen.put(Format.truncate(label + " " + parts.joined(separator: " · "), rect.width), x: rect.x, y: y, style: c.theme.text, clip: rect)
            y += 1
        }

        // Tokens by bucket, per round: what landed together.
        guard groupRows >= 2, y + 2 < rect.maxY else { return }
        y += 1
        screen.put("tokens by bucket (position order):", x: rect.x, y: y, style: c.theme.dim, clip: rect)
        y += 1
        let linesPerRound = max(1, min(3, (rect.maxY - y) / max(1, c.index.rounds)))
        for r in 0..<c.index.rounds where y < rect.maxY {
            screen.put((r == c.selection.round ? "▶" : " ") + "round \(r + 1)", x: rect.x, y: y, style: r == c.selection.round ? c.selectedStyle : c.theme.dim, clip: rect)
            let area = Rect(x: rect.x + labelWidth, y: y, width: rect.width - labelWidth, height: min(linesPerRound, rect.maxY - y))
            var members = [[Int]](repeating: [], count: c.index.bucketsPerRound)
            for q in 0..<T { if let b = c.index.bucket(round: r, position: q), b >= 0, b < members.count { members[b].append(q) } }
            // Only as much text as the lines can show.
            var spans: [TextView.Span] = [], budget = area.width * area.height
            for (b, positions) in members.enumerated() where !positions.isEmpty && budget > 0 {
                spans.append(.init(" \(c.bucketName(b)) ", c.chipStyle(b)))
                budget -= 6
                for q in positions where budget > 0 {
                    let style = q == p ? c.selectedStyle : (q == c.twin ? c.twinStyle : c.bucketStyle(b))
                    let text = " " + c.index.token(q)
                    spans.append(.init(text, c.mark(style, position: q)))
                    budget -= Format.width(text)
                }
                spans.append(.init("  ", .plain))
            }
            y += min(TextView(spans: spans).render(area, into: &screen), area.height)
        }
    }

    /// Styled spans wrapped from (x, y) inside `rect`; returns the row after the last one drawn.
    @discardableResult
    static func renderLine(_ spans: [TextView.Span], x: Int, y: Int, in rect: Rect, into screen: inout Screen) -> Int {
        let area = Rect(x: x, y: y, width: rect.maxX - x, height: rect.maxY - y)
        guard area.width >= 1, area.height >= 1 else { return y }
        let lines = TextView(spans: spans).render(area, into: &screen)
        return y + min(lines, area.height)
    }
}
