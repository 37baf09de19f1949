// Stage 4 · Chunking: the sorted slots of all rounds cut into N chunks of C (spec §9.7), one line per
// chunk — its round, its slots' positions coloured by bucket, and the chunks its window holds
// ((c + j) mod N, j = −before … after). The selected chunk and its window are highlighted.

import ReformerTelemetry

extension ExplorerView {
    /// "c4 c5" — the window of chunk `chunk`, 1-based.
    static func windowText(_ c: Context, _ chunk: Int) -> String {
        c.index.window(ofChunk: chunk).map { "c\($0 + 1)" }.joined(separator: " ")
    }

    static func renderChunking(_ c: Context, in area: Rect, into screen: inout Screen) {
        let N = c.index.chunkCount, C = c.index.chunkLength, t = c.trace
        let before = max(0, t.chunksBefore), after = max(0, t.chunksAfter)
        let reach = (before > 0 ? (before == 1 ? "the chunk before" : "the \(before) chunks before") : "")
            + (after > 0 ? (before > 0 ? " and " : "") + (after == 1 ? "the chunk after" : "the \(after) chunks after") : "")
        var text = "The \(c.index.slotCount) " + (c.index.hashed ? "sorted slots" : "positions, in order,") + (c.index.rounds > 1 ? " of all \(c.index.rounds) rounds" : "")
            + " cut into N = \(N) chunks of C = \(C). Chunk c attends to itself" + (reach.isEmpty ? "" : " and \(reach)") + " (mod N"
            + (c.index.rounds > 1 ? ": a round's first chunk looks back into the previous round" : "") + ")."
        if c.index.hashed { text += " Keys in other buckets are simply not in the window." }
        else if c.index.isLocal { text += " Local layer: the chunks are runs of neighbouring positions (no hashing)." }
        else { text += " Nothing hashed: one chunk holds the whole sequence." }
        let rect = intro(text, theme: c.theme, in: area, into: &screen)
        guard rect.height >= 2, N > 0 else {
            PanelFrame.placeholder("no chunks in this trace", theme: c.theme, in: rect, into: &screen)
            return
        }
        let selected = c.selection.chunk
        let inWindow = Set(c.index.window(ofChunk: selected))
        let footerRows = rect.height >= 8 ? 3 : 0
        let tableRows = max(1, rect.height - footerRows - 2)

        // Columns: marker, chunk, round, slots, positions (coloured by bucket), window.
        let chunkWidth = max(6, Format.width("c\(N)") + 1)
        let roundWidth = c.index.rounds > 1 ? max(6, Format.width("r\(c.index.rounds)") + 1) : 0
        let slotWidth = max(6, Format.width("\(max(0, c.index.slotCount - 1))–\(max(0, c.index.slotCount - 1))") + 1)
        let windowWidth = min(36, Format.width("← " + windowText(c, 0)) + 14)
        let lead = 2 + chunkWidth + roundWidth + slotWidth
        let available = max(0, rect.width - lead - windowWidth)
        let digits = Format.width(String(max(0, c.index.length - 1)))
        let cellWidth = max(3, digits + 1)
        let chips = C * cellWidth <= available
        let positionsWidth = chips ? C * cellWidth + 1 : available

        var y = rect.y
        var x = screen.put("  " + Format.padRight("chunk", chunkWidth), x: rect.x, y: y, style: c.theme.dim, clip: rect)
        if roundWidth > 0 { x = screen.put(Format.padRight("round", roundWidth), x: x, y: y, style: c.theme.dim, clip: rect) }
        x = screen.put(Format.padRight("slots", slotWidth), x: x, y: y, style: c.theme.dim, clip: rect)
        let positionsTitle = c.index.hashed && positionsWidth > 28 ? "positions (colour = bucket)" : "positions"
        screen.put(Format.truncate(positionsTitle, max(0, positionsWidth - 1)), x: x, y: y, style: c.theme.dim, clip: rect)
        screen.put("attends to (window)", x: x + positionsWidth, y: y, style: c.theme.dim, clip: rect)
        y += 1

        let first = scrollStart(count: N, visible: tableRows, focus: selected)
        for chunk in first..<min(N, first + tableRows) {
            let isSelected = chunk == selected
            x = rect.x
            let marker = isSelected ? "▶ " : (inWindow.contains(chunk) ? "┃ " : "  ")
            x = screen.put(marker, x: x, y: y, style: isSelected ? c.selectedStyle : c.theme.key, clip: rect)
            x = screen.put(Format.padRight("c\(chunk + 1)", chunkWidth), x: x, y: y, style: isSelected ? c.selectedStyle : c.theme.text, clip: rect)
            let round = c.index.round(ofChunk: chunk)
            if roundWidth > 0 { x = screen.put(Format.padRight("\(round + 1)", roundWidth), x: x, y: y, style: c.theme.dim, clip: rect) }
            let slots = c.index.slots(ofChunk: chunk)
            x = screen.put(Format.padRight("\(slots.lowerBound)–\(max(slots.lowerBound, slots.upperBound - 1))", slotWidth), x: x, y: y, style: c.theme.dim, clip: rect)
            let positions = slots.map { c.index.position(ofSlot: $0) }
            func category(_ q: Int?) -> Int? {
                guard let q else { return nil }
                return c.index.hashed ? c.index.bucket(round: round, position: q) : (C > 0 ? q / C : 0)
            }
            if chips {
                cellRow(positions.map { q in (q.map(String.init) ?? "?", c.mark(c.chipStyle(category(q)), position: q)) },
                        x: x, y: y, width: cellWidth, clip: rect, into: &screen)
            } else if available >= 2 {
                let values = positions.map { q -> Int in category(q).map { c.index.isPadding(bucket: $0) ? -1 : $0 } ?? -1 }
                CategoricalStrip(values: values, palette: c.theme.categorical, missingStyle: c.theme.masked)
                    .render(Rect(x: x, y: y, width: available - 1, height: 1), into: &screen)
            }
            x += positionsWidth
            let window = c.index.window(ofChunk: chunk)
            let crosses = c.index.rounds > 1 && window.contains { c.index.round(ofChunk: $0) != round }
            let wraps = window.contains { $0 > chunk }
            var text = "← " + windowText(c, chunk)
            if wraps { text += "  (wraps to the end)" } else if crosses { text += "  (from round \(round))" }
            screen.put(Format.truncate(text, max(0, rect.maxX - x)), x: x, y: y, style: isSelected ? c.selectedStyle : c.theme.dim, clip: rect)
            y += 1
        }
        if N > tableRows, y < rect.maxY {
            screen.put("chunks \(first + 1)–\(min(N, first + tableRows)) of \(N)  ([ ] select)", x: rect.x, y: y, style: c.theme.dim, clip: rect)
            y += 1
        }

        // The selected chunk in words.
        guard footerRows > 0, y + 1 < rect.maxY else { return }
        y += 1
        let slots = c.index.slots(ofChunk: selected)
        let queries = slots.compactMap { c.index.position(ofSlot: $0) }
        let windowChunks = c.index.window(ofChunk: selected)
        var spans: [TextView.Span] = [
            .init("▶ chunk \(selected + 1)" + (c.index.rounds > 1 ? " (round \(c.index.round(ofChunk: selected) + 1))" : ""), c.selectedStyle),
            .init(": queries at positions \(queries.map(String.init).joined(separator: " ")) attend to \(windowChunks.count * C) keys — ", c.theme.text),
            .init(windowChunks.map { w in
                "c\(w + 1) (" + c.index.slots(ofChunk: w).compactMap { c.index.position(ofSlot: $0) }.map(String.init).joined(separator: " ") + ")"
            }.joined(separator: " + "), c.theme.text),
        ]
        if let twin = c.twin, queries.contains(c.selection.position) {
            let keys = Set(windowChunks.flatMap { w in c.index.slots(ofChunk: w).compactMap { c.index.position(ofSlot: $0) } })
            spans.append(keys.contains(twin) ? .init(".  ◆ twin \(twin) of ▶ \(c.selection.position) is in this window ✓", c.twinStyle)
                : .init(".  ◆ twin \(twin) of ▶ \(c.selection.position) is not in this window", c.theme.bad))
        }
        spans.append(.init("   Enter: its attention", c.theme.key))
        renderLine(spans, x: rect.x, y: y, in: Rect(x: rect.x, y: y, width: rect.width, height: min(footerRows, rect.maxY - y)), into: &screen)
    }
}
