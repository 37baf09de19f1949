// Stage 1 · Vectors: the shared query/key vectors in a plane, coloured by bucket and labelled with tokens
// (spec §9.4). With one factor of 4 buckets the plane is the round's two rotated coordinates and the
// sectors of argmax(x, y, −x, −y) are exact (borders: the diagonals; each axis runs through one bucket);
// otherwise the plane is a projection and the screen says so.

import Foundation
import ReformerTelemetry

extension ExplorerView {
    /// How positions are placed in the plane.
    enum Plane: Equatable {
        /// (ρ₀, ρ₁) of the round: one factor of 4 buckets, exact sectors.
        case exact
        /// The first factor's `factor / 2` rotated coordinates, direction k drawn at angle k·180°/(factor/2),
        /// so that bucket b points at b·360°/factor (exactly the `exact` plane when factor = 4).
        case projected(factor: Int)
        /// Coordinates 1–2 of the vectors (nothing was hashed).
        case raw
    }

    static func plane(_ c: Context) -> Plane {
        let t = c.trace
        guard c.index.hashed, !t.rotated.isEmpty else { return .raw }
        let factors = t.factors.isEmpty ? [t.bucketCount] : t.factors
        if factors == [4] { return .exact }
        return .projected(factor: max(2, factors.first ?? 2))
    }

    /// The plane's (x, y) of position `p` (nil when the trace lacks it or it is not finite).
    static func planePoint(_ c: Context, _ plane: Plane, _ p: Int) -> (x: Double, y: Double)? {
        var x = 0.0, y = 0.0
        switch plane {
        case .exact:
            let v = c.index.rotated(round: c.selection.round, position: p)
            guard v.count >= 2 else { return nil }
            (x, y) = (Double(v[0]), Double(v[1]))
        case .projected(let factor):
            let v = c.index.rotated(round: c.selection.round, position: p)
            let h = max(1, factor / 2)
            guard v.count >= h else { return nil }
            for k in 0..<h {
                let angle = Double.pi * Double(k) / Double(h)
                x += Double(v[k]) * cos(angle)
                y += Double(v[k]) * sin(angle)
            }
        case .raw:
            let v = c.index.vector(p)
            guard !v.isEmpty else { return nil }
            (x, y) = (Double(v[0]), v.count > 1 ? Double(v[1]) : 0)
        }
        return x.isFinite && y.isFinite ? (x, y) : nil
    }

    /// What colours a point: its bucket (hashed), its chunk (local: its window), else nothing.
    static func colourKey(_ c: Context, _ p: Int) -> Int? {
        if c.index.hashed { return c.index.bucket(round: c.selection.round, position: p) }
        if c.index.isLocal, c.index.chunkLength > 0 { return p / c.index.chunkLength }
        return nil
    }

    static func vectorsIntro(_ c: Context, _ plane: Plane) -> String {
        let t = c.trace
        switch plane {
        case .exact:
            return "Each position's shared query/key vector, rotated by this round's random R into 2 coordinates (x, y): its bucket is "
                + "argmax(x, y, −x, −y), so the 4 sectors are exact — the diagonals are their borders (b0 right, b1 up, b2 left, b3 down). Colour = bucket."
        case .projected(let factor):
            let h = max(1, factor / 2)
            if t.factors.count > 1 {
                return "A PROJECTION: buckets are factorized (\(t.factors.map(String.init).joined(separator: "×"))); plotted are the first factor's \(h) "
                    + "rotated coordinates, drawn so that its index a = k points at k·360°/\(factor) (rays a0…). Colours are the full buckets; borders are approximate."
            }
            return "A PROJECTION: the round's \(h) rotated coordinates drawn so that bucket b points at b·360°/\(factor). "
                + "Colours are the true buckets (argmax over ±\(h) coordinates); sector borders in this picture are approximate."
        case .raw:
            if c.index.isLocal {
                return "Local attention layer: no hashing. Each chunk of \(c.index.chunkLength) positions attends to itself and the "
                    + "\(t.chunksBefore) chunk(s) before it; colour = chunk. Plotted: coordinates 1–2 of the query vectors (a projection)."
            }
            return "The sequence fits one chunk (T = \(c.index.length) ≤ chunk length): no hashing — every position attends to every "
                + "allowed position. Plotted: coordinates 1–2 of the shared query/key vectors (a projection)."
        }
    }

    static func renderVectors(_ c: Context, in area: Rect, into screen: inout Screen) {
        let plane = plane(c)
        let rect = intro(vectorsIntro(c, plane), theme: c.theme, in: area, into: &screen)
        guard rect.height >= 1 else { return }
        let infoWidth = rect.width >= 70 ? min(44, rect.width / 3) : 0
        let plot = Rect(x: rect.x, y: rect.y, width: rect.width - infoWidth - (infoWidth > 0 ? 1 : 0), height: rect.height)
        renderScatter(c, plane, in: plot, into: &screen)
        if infoWidth > 0 {
            renderVectorInfo(c, plane, in: Rect(x: plot.maxX + 1, y: rect.y, width: infoWidth, height: rect.height), into: &screen)
        }
    }

    static func renderScatter(_ c: Context, _ plane: Plane, in rect: Rect, into screen: inout Screen) {
        guard rect.width >= 4, rect.height >= 2 else { return }
        let T = c.index.length
        let points: [(x: Double, y: Double)?] = (0..<T).map { planePoint(c, plane, $0) }
        var canvas = BrailleCanvas(cols: rect.width, rows: rect.height)
        let halfW = Double(canvas.dotWidth / 2 - 1), halfH = Double(canvas.dotHeight / 2 - 1)
        let cx = canvas.dotWidth / 2, cy = canvas.dotHeight / 2
        let maxX = points.compactMap { $0.map { abs($0.x) } }.max() ?? 0
        let maxY = points.compactMap { $0.map { abs($0.y) } }.max() ?? 0
        // One scale for both axes (braille dots are about square), so angles are true.
        var scale = 1.0
        if maxX > 0 || maxY > 0 {
            scale = min(maxX > 0 ? halfW / maxX : .infinity, maxY > 0 ? halfH / maxY : .infinity)
            if !scale.isFinite || scale <= 0 { scale = 1 }
        }
        func dot(_ x: Double, _ y: Double) -> (Int, Int) {
            let dx = Double(cx) + (x * scale).rounded(), dy = Double(cy) - (y * scale).rounded()
            guard dx.isFinite, dy.isFinite else { return (cx, cy) }
            return (Int(max(0, min(Double(canvas.dotWidth - 1), dx))), Int(max(0, min(Double(canvas.dotHeight - 1), dy))))
        }
        func ray(_ angle: Double) -> (Int, Int) {
            let co = cos(angle), si = sin(angle)
            let length = min(abs(co) > 1e-9 ? halfW / abs(co) : .infinity, abs(si) > 1e-9 ? halfH / abs(si) : .infinity)
            return (cx + Int((co * length).rounded()), cy - Int((si * length).rounded()))
        }

        // Guides (series 0): axes dashed; exact sectors: the diagonals solid; projected: each bucket's direction.
        var labels: [(angle: Double, bucket: Int)] = []
        switch plane {
        case .exact:
            canvas.line(from: (0, cy), to: (canvas.dotWidth - 1, cy), series: 0, dashed: true)
            canvas.line(from: (cx, 0), to: (cx, canvas.dotHeight - 1), series: 0, dashed: true)
            for angle in [Double.pi / 4, 3 * Double.pi / 4, 5 * Double.pi / 4, 7 * Double.pi / 4] {
                canvas.line(from: (cx, cy), to: ray(angle), series: 0)
            }
            labels = (0..<4).map { (Double($0) * Double.pi / 2, $0) }
        case .projected(let factor):
            for b in 0..<factor {
                let angle = 2 * Double.pi * Double(b) / Double(factor)
                canvas.line(from: (cx, cy), to: ray(angle), series: 0, dashed: true)
                labels.append((angle, b))
            }
        case .raw:
            canvas.line(from: (0, cy), to: (canvas.dotWidth - 1, cy), series: 0, dashed: true)
            canvas.line(from: (cx, 0), to: (cx, canvas.dotHeight - 1), series: 0, dashed: true)
        }

        // Points: 2×2 dots inside their cell, series 1 + colour key.
        var pointCell = [Int: Int]()   // cell index → position drawn there last
        for p in 0..<T {
            guard let point = points[p] else { continue }
            let (dx, dy) = dot(point.x, point.y)
            let x0 = dx - dx % 2, y0 = dy - dy % 2
            let series = 1 + max(0, colourKey(c, p) ?? 0)
            for (ox, oy) in [(0, 0), (1, 0), (0, 1), (1, 1)] { canvas.set(x0 + ox, y0 + oy, series: series) }
            pointCell[(y0 / 4) * rect.width + x0 / 2] = p
        }

        for row in 0..<rect.height {
            for col in 0..<rect.width {
                let owner = canvas.owner(col: col, row: row)
                guard owner >= 0 else { continue }
                if owner == 0 {
                    screen.set(rect.x + col, rect.y + row, canvas.scalar(col: col, row: row), c.theme.dim, clip: rect)
                } else if let p = pointCell[row * rect.width + col] {
                    let key = colourKey(c, p)
                    var style = c.bucketStyle(key)
                    var glyph = canvas.scalar(col: col, row: row)
                    if c.mono, let key {
                        glyph = Array("0123456789abcdefghijklmnopqrstuvwxyz".unicodeScalars)[(key % 36 + 36) % 36]
                        style.bold = true
                    }
                    if p == c.selection.position { style = c.selectedStyle; style.reverse = true }
                    else if p == c.twin { style = c.twinStyle; style.reverse = true }
                    screen.set(rect.x + col, rect.y + row, glyph, style, clip: rect)
                } else {
                    screen.set(rect.x + col, rect.y + row, canvas.scalar(col: col, row: row), c.bucketStyle(owner - 1), clip: rect)
                }
            }
        }

        // Bucket names at the ends of the axes / directions.
        var taken = Set(pointCell.keys)
        for label in labels {
            let (dx, dy) = ray(label.angle)
            let text = (c.trace.factors.count > 1 ? "a" : "b") + "\(label.bucket)"
            let w = Format.width(text), co = cos(label.angle)
            let anchor = co > 0.3 ? dx / 2 - w + 1 : (co < -0.3 ? dx / 2 : dx / 2 - w / 2)
            let col = max(0, min(rect.width - w, anchor))
            let row = max(0, min(rect.height - 1, dy / 4))
            screen.put(text, x: rect.x + col, y: rect.y + row, style: c.trace.factors.count > 1 ? c.theme.dim : c.chipStyle(label.bucket), clip: rect)
            for k in 0..<Format.width(text) { taken.insert(row * rect.width + col + k) }
        }

        // Token labels beside their points where they fit: the selected position and its twin first.
        var order = Array(0..<T)
        if let twin = c.twin { order.removeAll { $0 == twin }; order.insert(twin, at: 0) }
        order.removeAll { $0 == c.selection.position }
        order.insert(c.selection.position, at: 0)
        for p in order where p < T {
            guard let point = points[p] else { continue }
            let (dx, dy) = dot(point.x, point.y)
            let col = dx / 2, row = dy / 4
            let text: String, style: Style
            if p == c.selection.position { text = "▶\(p):\(c.index.token(p))"; style = c.selectedStyle }
            else if p == c.twin { text = "◆\(p):\(c.index.token(p))"; style = c.twinStyle }
            else { text = c.index.token(p); style = c.mono ? c.theme.dim : c.bucketStyle(colourKey(c, p)) }
            let w = Format.width(text)
            for start in [col + 1, col - w] {
                guard start >= 0, start + w <= rect.width else { continue }
                let cells = (start..<(start + w)).map { row * rect.width + $0 }
                guard cells.allSatisfy({ !taken.contains($0) }) else { continue }
                screen.put(text, x: rect.x + start, y: rect.y + row, style: style, clip: rect)
                cells.forEach { taken.insert($0) }
                break
            }
        }
    }

    static func renderVectorInfo(_ c: Context, _ plane: Plane, in rect: Rect, into screen: inout Screen) {
        let t = c.trace, r = c.selection.round, p = c.selection.position
        var spans: [TextView.Span] = []
        func line(_ text: String, _ style: Style) { spans.append(.init(text + "\n", style)) }
        switch plane {
        case .exact: line("round \(r + 1)/\(c.index.rounds) · 4 buckets · exact plane", c.theme.title)
        case .projected(let f): line("round \(r + 1)/\(c.index.rounds) · \(t.bucketCount) buckets · projection (\(f / 2) directions)", c.theme.title)
        case .raw: line(c.index.isLocal ? "local layer · no buckets" : "one chunk · no buckets", c.theme.title)
        }
        let b = c.index.hashed ? c.index.bucket(round: r, position: p) : nil
        spans.append(.init("▶ position " + c.describe(p), c.selectedStyle))
        if c.index.hashed { spans.append(.init(" → ", c.theme.dim)); spans.append(.init(" \(c.bucketName(b)) ", c.chipStyle(b))) }
        spans.append(.init("\n", .plain))
        let rho = plane == .raw ? c.index.vector(p) : c.index.rotated(round: r, position: p)
        if !rho.isEmpty {
            let shown = rho.prefix(4).map { Format.fixed(Double($0), 2) }.joined(separator: ", ") + (rho.count > 4 ? ", …" : "")
            line("  \(plane == .raw ? "x" : "xR") = (\(shown))", c.theme.dim)
        }
        if let twin = c.twin {
            let tb = c.index.hashed ? c.index.bucket(round: r, position: twin) : nil
            spans.append(.init("◆ twin " + c.describe(twin), c.twinStyle))
            if c.index.hashed {
                spans.append(.init(" → ", c.theme.dim))
                spans.append(.init(" \(c.bucketName(tb)) ", c.chipStyle(tb)))
                spans.append(tb == b ? .init(" same bucket ✓", c.theme.good) : .init(" other bucket ✗", c.theme.bad))
            }
            spans.append(.init("\n", .plain))
        } else if c.index.isCopy {
            line("(a position ≥ \(c.index.length / 2) has a twin in the first copy: , . move)", c.theme.dim)
        }
        if c.index.hashed {
            let pairs = c.index.sharedPairs(round: r)
            if pairs.total > 0 {
                line((c.index.isCopy ? "twins" : "equal-token pairs") + " sharing a bucket this round: \(pairs.shared)/\(pairs.total)", c.theme.text)
            }
            line("positions per bucket (this round):", c.theme.dim)
            var counts = [Int](repeating: 0, count: c.index.bucketsPerRound)
            for q in 0..<c.index.length { if let bq = c.index.bucket(round: r, position: q), bq >= 0, bq < counts.count { counts[bq] += 1 } }
            for (bucket, n) in counts.enumerated() {
                spans.append(.init(c.bucketName(bucket), c.chipStyle(bucket)))
                spans.append(.init(":\(n)  ", c.theme.text))
            }
        } else if c.index.isLocal, c.index.chunkLength > 0 {
            line("colour = chunk of \(c.index.chunkLength) positions; position \(p) is in chunk \(p / c.index.chunkLength + 1)", c.theme.dim)
        }
        TextView(spans: spans).render(rect, into: &screen)
    }
}
