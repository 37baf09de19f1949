// Stage 3 · Sorting: each round's positions in the forward's sort order — by (bucket, position),
// stable (spec §9.6) — with bucket boundaries marked and each slot labelled with the position it came
// from; the selected round's buckets before and after sorting as two strips.

import ReformerTelemetry

extension ExplorerView {
    static func renderSorting(_ c: Context, in area: Rect, into screen: inout Screen) {
        let T = c.index.length, r = c.selection.round, p = c.selection.position
        let nb = c.index.bucketsPerRound
        let text: String
        if c.index.hashed {
            text = "Each round's positions sorted by (bucket, position) — the stable sort of the forward. Its key is bucket + round·\(nb), "
                + "so the \(c.index.rounds) rounds form one sequence of \(c.index.slotCount) slots, round 1 first. Equal buckets become neighbours; "
                + "each slot shows the position it came from."
        } else if c.index.isLocal {
            text = "Local attention layer: nothing is sorted — slot k holds position k, and chunks are runs of \(c.index.chunkLength) neighbours."
        } else {
            text = "Nothing hashed: nothing is sorted — the slots are the positions in order, one chunk."
        }
        var rect = intro(text, theme: c.theme, in: area, into: &screen)
        let labelWidth = max(14, Format.width(" slots \(max(0, c.index.slotCount - 1))–\(max(0, c.index.slotCount - 1))") + 1)
        let stripWidth = rect.width - labelWidth
        func category(_ round: Int, _ q: Int?) -> Int? {
            guard let q else { return nil }
            if c.index.hashed { return c.index.bucket(round: round, position: q) }
            return c.index.chunkLength > 0 ? q / c.index.chunkLength : 0
        }
        /// Round `round`'s slots and the position each came from.
        func roundSlots(_ round: Int) -> (slots: [Int], positions: [Int?]) {
            let base = c.index.hashed ? round * T : 0
            let slots = Array(base..<min(base + T, max(base, c.index.slotCount)))
            return (slots, slots.map { c.index.position(ofSlot: $0) })
        }
        let rounds = c.index.hashed ? c.index.rounds : 1

        // Before / after strips of the selected round (one column per position).
        let blockRows = 4
        if c.index.hashed && rect.height >= 5 + blockRows + 3 && stripWidth >= 4 {
            let (_, after) = roundSlots(r)
            let before = (0..<T).map { q -> Int in category(r, q).map { c.index.isPadding(bucket: $0) ? -1 : $0 } ?? -1 }
            let sorted = after.map { q -> Int in category(r, q).map { c.index.isPadding(bucket: $0) ? -1 : $0 } ?? -1 }
            let selectedIndex = after.firstIndex { $0 == p }
            let twinIndex = c.twin.flatMap { twin in after.firstIndex { $0 == twin } }
            renderMarkers(c, selected: p, twin: c.twin, count: T, x: rect.x + labelWidth, y: rect.y, width: stripWidth, clip: rect, into: &screen)
            screen.put("by position", x: rect.x, y: rect.y + 1, style: c.theme.dim, clip: rect)
            CategoricalStrip(values: before, palette: c.theme.categorical, missingStyle: c.theme.masked)
                .render(Rect(x: rect.x + labelWidth, y: rect.y + 1, width: stripWidth, height: 1), into: &screen)
            screen.put("sorted (r\(r + 1))", x: rect.x, y: rect.y + 2, style: c.theme.dim, clip: rect)
            CategoricalStrip(values: sorted, palette: c.theme.categorical, missingStyle: c.theme.masked)
                .render(Rect(x: rect.x + labelWidth, y: rect.y + 2, width: stripWidth, height: 1), into: &screen)
            renderMarkers(c, selected: selectedIndex, twin: twinIndex, count: sorted.count, x: rect.x + labelWidth, y: rect.y + 3,
                          width: stripWidth, clip: rect, into: &screen)
            rect = advance(rect, rect.y + 5)
        }

        // One block per round (as many as fit, around the selected one): bucket brackets, the
        // positions the slots came from, their tokens — each window centred on the selected position.
        let footerRows = rect.height >= blockRows + 3 ? 3 : 0
        let fitting = max(1, min(rounds, (rect.height - footerRows + 1) / blockRows))
        let firstRound = scrollStart(count: rounds, visible: fitting, focus: r)
        let digits = max(Format.width(String(max(0, T - 1))), min(4, (0..<T).map { Format.width(c.index.token($0)) }.max() ?? 1))
        let cellWidth = max(3, digits + 1)
        let visible = max(1, (rect.width - labelWidth) / cellWidth)
        let x0 = rect.x + labelWidth
        var y = rect.y
        for round in firstRound..<min(rounds, firstRound + fitting) where y < rect.maxY {
            let (slots, positions) = roundSlots(round)
            guard !slots.isEmpty else { continue }
            let focus = positions.firstIndex { $0 == p } ?? 0
            let start = scrollStart(count: slots.count, visible: visible, focus: focus)
            let shown = Array(start..<min(slots.count, start + visible))
            let isSelected = round == r && rounds > 1
            screen.put((isSelected ? "▶" : " ") + (c.index.hashed ? "round \(round + 1)" : "positions"), x: rect.x, y: y + 1,
                       style: isSelected ? c.selectedStyle : c.theme.dim, clip: rect)
            screen.put(" slots \(slots[shown.first!])–\(slots[shown.last!])", x: rect.x, y: y + 2, style: c.theme.dim, clip: rect)
            // Bucket brackets: one per run of equal buckets, the boundary on the gap column below.
            var runStart = 0
            for i in 0...shown.count {
                let current = i < shown.count ? category(round, positions[shown[i]]) : nil
                let previous = i > 0 ? category(round, positions[shown[i - 1]]) : nil
                guard i == shown.count || (i > 0 && current != previous) else { continue }
                if i > runStart {
                    let left = x0 + runStart * cellWidth, width = (i - runStart) * cellWidth - 1
                    let name = c.index.hashed ? c.bucketName(previous) : "c\((previous ?? 0) + 1)"
                    let bar = width >= 3 ? "├" + String(repeating: "─", count: width - 2) + "┤" : String(repeating: "─", count: max(1, width))
                    screen.put(bar, x: left, y: y, style: c.bucketStyle(previous), clip: rect)
                    if Format.width(name) + 2 <= width {
                        screen.put(name, x: left + (width - Format.width(name)) / 2, y: y, style: c.chipStyle(previous), clip: rect)
                    }
                    if i < shown.count { for dy in 1...2 { screen.set(left + width, y + dy, "│", c.theme.dim, clip: rect) } }
                }
                runStart = i
            }
            cellRow(shown.map { i in
                let q = positions[i]
                return (q.map(String.init) ?? "?", c.mark(c.chipStyle(category(round, q)), position: q))
            }, x: x0, y: y + 1, width: cellWidth, clip: rect, into: &screen)
            cellRow(shown.map { i in
                let q = positions[i]
                return (Format.truncate(q.map { c.index.token($0) } ?? "?", cellWidth - 1), c.mark(c.theme.text, position: q))
            }, x: x0, y: y + 2, width: cellWidth, clip: rect, into: &screen)
            y += blockRows
        }
        if rounds > fitting, y <= rect.maxY - 1 {
            screen.put("rounds \(firstRound + 1)–\(firstRound + fitting) of \(rounds) shown (↑↓ select)", x: rect.x, y: y, style: c.theme.dim, clip: rect)
            y += 1
        }

        // Where the selected position and its twin went.
        guard footerRows > 0, y < rect.maxY, let slot = c.index.slot(round: c.index.hashed ? r : 0, position: p) else { return }
        var spans: [TextView.Span] = [.init("▶ \(c.describe(p)) → slot \(slot)", c.selectedStyle)]
        if c.index.hashed { spans.append(.init(" (round \(r + 1): \(c.bucketName(category(r, p))), chunk \(c.index.chunk(ofSlot: slot) + 1))", c.theme.text)) }
        if let twin = c.twin, let ts = c.index.slot(round: c.index.hashed ? r : 0, position: twin) {
            spans.append(.init("   ◆ twin \(c.describe(twin)) → slot \(ts)", c.twinStyle))
            if c.index.hashed {
                let same = category(r, twin) == category(r, p)
                let sameChunk = c.index.chunk(ofSlot: ts) == c.index.chunk(ofSlot: slot)
                spans.append(.init(" (\(c.bucketName(category(r, twin))), chunk \(c.index.chunk(ofSlot: ts) + 1))", c.theme.text))
                spans.append(same ? .init(" — same bucket, \(abs(ts - slot)) slot\(abs(ts - slot) == 1 ? "" : "s") apart" + (sameChunk ? ", same chunk" : ""), c.theme.good)
                    : .init(" — other bucket", c.theme.bad))
            }
        }
        renderLine(spans, x: rect.x, y: y, in: Rect(x: rect.x, y: y, width: rect.width, height: min(2, rect.maxY - y)), into: &screen)
    }
}
