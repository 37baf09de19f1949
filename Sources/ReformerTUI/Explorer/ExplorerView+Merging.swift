// Stage 6 · Merging rounds: for the selected position, what each round attended to (its strongest keys
// in that round's chunk window) and with what weight the rounds are merged — exp(ℓ_r − logsumexp_r ℓ)
// (spec §9.10) — the merged result, and how many of full attention's top-k keys the rounds found
// (recall), per round and together; then the recall over the whole sequence per number of rounds.

import ReformerTelemetry

extension ExplorerView {
    static func renderMerging(_ c: Context, in area: Rect, into screen: inout Screen) {
        let p = c.selection.position, R = c.index.rounds, k = c.trace.recallK
        var text = "Each round attended inside its own chunk window; the rounds' outputs are merged per position with weights exp(ℓ_r − logsumexp ℓ), "
            + "ℓ_r = that round's log-sum-exp: a round that found strong keys counts more. Recall = how many of full attention's top-\(k) keys the rounds let this position see."
        if R == 1 { text = "One round (" + (c.index.isLocal ? "local layer" : "nothing to merge") + "): its weight is 1. Recall = how many of full attention's top-\(k) keys its window holds." }
        var rect = intro(text, theme: c.theme, in: area, into: &screen)
        guard rect.height >= 2 else { return }

        // Who.
        var spans: [TextView.Span] = [.init("▶ position \(c.describe(p))", c.selectedStyle), .init("  (↑↓ or , . move)", c.theme.dim)]
        if let twin = c.twin { spans.append(.init("   ◆ twin \(c.describe(twin))", c.twinStyle)) }
        rect = advance(rect, renderLine(spans, x: rect.x, y: rect.y, in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), into: &screen) + 1)
        guard rect.height >= 2 else { return }

        // The table: one row per round, then the merged result.
        let digits = Format.width(String(max(0, c.index.length - 1)))
        let keyText: (TraceIndex.Key) -> String = { "\($0.position):\(weight($0.weight))" + ($0.position == c.twin ? "◆" : "") }
        let columns = (round: 7, weight: 16, bucket: c.index.hashed ? 7 : 0, chunk: max(6, Format.width("c\(c.index.chunkCount)") + 2),
                       recall: Format.width("recall@\(k)") + 1)
        let keysWidth = max(8, rect.width - columns.round - columns.weight - columns.bucket - columns.chunk - columns.recall)
        var x = rect.x
        for (title, width) in [("round", columns.round), ("merge weight", columns.weight), ("bucket", columns.bucket), ("chunk", columns.chunk),
                               ("strongest keys (position:weight)", keysWidth), ("recall@\(k)", columns.recall)] where width > 0 {
            screen.put(Format.truncate(title, width - 1), x: x, y: rect.y, style: c.theme.dim, clip: rect)
            x += width
        }
        var y = rect.y + 1
        let full = Set(c.index.fullTop(position: p).map(\.position))
        func keysSpans(_ keys: [TraceIndex.Key], width: Int) -> [TextView.Span] {
            var out: [TextView.Span] = [], used = 0
            for key in keys {
                let t = keyText(key) + " "
                guard used + Format.width(t) <= width else { break }
                let style = key.position == c.twin ? c.twinStyle : (full.contains(key.position) ? c.theme.text : c.theme.dim)
                out.append(.init(t, style))
                used += Format.width(t)
            }
            return out
        }
        let rowsAvailable = rect.maxY - y - 4
        for r in 0..<R where r < max(1, rowsAvailable) {
            let slot = c.index.slot(round: r, position: p)
            let rw = c.index.roundWeight(position: p, round: r) ?? (R == 1 ? 1 : .nan)
            let recall = r < (p < c.trace.recallPerRound.count ? c.trace.recallPerRound[p].count : 0) ? c.trace.recallPerRound[p][r] : .nan
            x = rect.x
            screen.put("  \(r + 1)", x: x, y: y, style: c.theme.text, clip: rect)
            x += columns.round
            let bar = BarList.bar(fraction: Double(rw), width: 8)
            screen.put(Format.padRight(weight(rw), 5), x: x, y: y, style: c.theme.text, clip: rect)
            screen.put(bar, x: x + 5, y: y, style: c.theme.series[0], clip: rect)
            x += columns.weight
            if columns.bucket > 0 {
                let b = c.index.bucket(round: r, position: p)
                screen.put(" \(c.bucketName(b)) ", x: x, y: y, style: c.chipStyle(b), clip: rect)
                if let twin = c.twin {
                    let same = c.index.bucket(round: r, position: twin) == b
                    screen.put(same ? "◆" : " ", x: x + 5, y: y, style: c.twinStyle, clip: rect)
                }
                x += columns.bucket
            }
            screen.put(slot.map { "c\(c.index.chunk(ofSlot: $0) + 1)" } ?? "?", x: x, y: y, style: c.theme.dim, clip: rect)
            x += columns.chunk
            let keys = slot.map { c.index.keys(ofSlot: $0) } ?? []
            PanelFrame.line(keysSpans(keys, width: keysWidth - 1), x: x, y: y, clip: rect, into: &screen)
            x += keysWidth
            screen.put(recall.isNaN ? "–" : Format.fixed(recall, 2), x: x, y: y, style: c.theme.text, clip: rect)
            y += 1
        }
        if y < rect.maxY {
            x = rect.x
            screen.put("merged", x: x, y: y, style: c.theme.title, clip: rect)
            x += columns.round + columns.weight + columns.bucket + columns.chunk
            PanelFrame.line(keysSpans(c.index.mergedKeys(position: p), width: keysWidth - 1), x: x, y: y, clip: rect, into: &screen)
            x += keysWidth
            let combined = p < c.trace.recallCombined.count ? Format.fixed(c.trace.recallCombined[p], 2) : "–"
            screen.put(combined, x: x, y: y, style: c.theme.title, clip: rect)
            y += 1
        }

        // Full attention's top-k, each marked with the rounds that saw it.
        if y + 1 < rect.maxY {
            y += 1
            var spans: [TextView.Span] = [.init("full attention's top-\(k): ", c.theme.title)]
            let top = c.index.fullTop(position: p)
            if top.isEmpty { spans.append(.init("no allowed keys (nothing before it)", c.theme.dim)) }
            let seen = (0..<R).map { c.index.attended(position: p, round: $0) }
            for (key, w) in top {
                let rounds = (0..<R).filter { seen[$0].contains(key) }.map { String($0 + 1) }
                spans.append(.init(" " + Format.padLeft(String(key), digits) + ":" + weight(w), key == c.twin ? c.twinStyle : c.theme.text))
                spans.append(rounds.isEmpty ? .init(" ✗", c.theme.bad) : .init(" ✓" + (R > 1 ? "r" + rounds.joined(separator: ",") : ""), c.theme.good))
                spans.append(.init(" ", .plain))
            }
            y = renderLine(spans, x: rect.x, y: y, in: Rect(x: rect.x, y: y, width: rect.width, height: min(2, rect.maxY - y)), into: &screen)
        }
        if let twin = c.twin, y < rect.maxY {
            let rounds = (0..<R).filter { c.index.attended(position: p, round: $0).contains(twin) }.map { String($0 + 1) }
            let merged = c.index.mergedKeys(position: p).first { $0.position == twin }?.weight
            let text = rounds.isEmpty ? "◆ twin \(twin) is in no round's window: this position cannot see its copy"
                : "◆ twin \(twin) seen in round\(rounds.count == 1 ? "" : "s") \(rounds.joined(separator: ", ")) · weight in the merged result \(merged.map(weight) ?? "0")"
            screen.put(Format.truncate(text, rect.width), x: rect.x, y: y, style: rounds.isEmpty ? c.theme.bad : c.twinStyle, clip: rect)
            y += 1
            // A causal model predicting the next symbol needs the twin's successor — the symbol to
            // copy next — more than the twin itself; a trained copy model attends there.
            let next = twin + 1
            if y < rect.maxY, next < p {
                let seenIn = (0..<R).filter { c.index.attended(position: p, round: $0).contains(next) }.map { String($0 + 1) }
                let w = c.index.mergedKeys(position: p).first { $0.position == next }?.weight
                let line = seenIn.isEmpty
                    ? "◇ \(next), the twin's successor (the next symbol to copy), is in no round's window"
                    : "◇ \(next), the twin's successor (the next symbol to copy): round\(seenIn.count == 1 ? "" : "s") \(seenIn.joined(separator: ", ")) · merged weight \(w.map(weight) ?? "0")"
                screen.put(Format.truncate(line, rect.width), x: rect.x, y: y, style: seenIn.isEmpty ? c.theme.dim : c.twinStyle, clip: rect)
                y += 1
            }
        }

        // The whole sequence: recall by number of rounds.
        let byRounds = c.trace.recallByRounds
        guard !byRounds.isEmpty, y + 1 < rect.maxY else { return }
        y += 1
        let summary = "recall of full attention's top-\(k) over the whole sequence: "
            + byRounds.enumerated().map { "\($0.offset + 1) round\($0.offset == 0 ? "" : "s") \(Format.fixed($0.element, 2))" }.joined(separator: " · ")
        screen.put(Format.truncate(summary, rect.width), x: rect.x, y: y, style: c.theme.title, clip: rect)
        y += 1
        let barRows = min(byRounds.count, rect.maxY - y)
        if barRows >= 1 {
            let items = byRounds.prefix(barRows).enumerated().map { i, v in
                BarList.Item(label: "\(i + 1) round\(i == 0 ? "" : "s")", value: v, valueText: Format.fixed(v, 2), style: c.theme.series[0])
            }
            BarList(items: Array(items), maxValue: 1, labelStyle: c.theme.dim, valueStyle: c.theme.text)
                .render(Rect(x: rect.x, y: y, width: min(rect.width, 60), height: barRows), into: &screen)
        }
    }

    /// `rect` from row `y` down.
    static func advance(_ rect: Rect, _ y: Int) -> Rect {
        Rect(x: rect.x, y: min(y, rect.maxY), width: rect.width, height: rect.maxY - min(y, rect.maxY))
    }
}
