// Heatmap: a matrix of Floats as coloured cells (or shade characters ` ░▒▓█` in a mono theme), with
// masked cells drawn as a glyph in the masked style. When the matrix has more rows than the rect, the
// upper-half block `▀` (fg = upper row, bg = lower row) doubles vertical resolution; beyond that rows
// and columns are max-pooled.

/// A matrix heat map with an optional legend row.
///
/// ```swift
/// var map = Heatmap(values: [[0, 0.5], [1, 0.2]], theme: .dark)
/// map.marks = [[nil, "×"], [nil, nil]]          // masked cells
/// let geometry = map.render(rect, into: &screen)
/// ```
public struct Heatmap: Sendable {
    /// Rows × columns. Rows may differ in length (missing cells are blank).
    public var values: [[Float]]
    /// Same shape; a glyph marks a masked cell (drawn in `theme.masked`), nil a value cell.
    public var marks: [[Unicode.Scalar?]]
    /// Value range of the colour ramp; nil = min…max of the unmasked finite values.
    public var range: ClosedRange<Float>?
    /// Widest cell per matrix column (columns are repeated to fill the width up to this).
    public var maxCellWidth: Int
    /// A one-column gap (drawn `│`) after this column, e.g. between two chunks of keys.
    public var gapAfterColumn: Int?
    /// Most lines per matrix row when there is room (taller cells).
    public var maxRowRepeat: Int
    public var showLegend: Bool
    public var theme: Theme

    public init(values: [[Float]], marks: [[Unicode.Scalar?]] = [], range: ClosedRange<Float>? = nil,
                maxCellWidth: Int = 3, maxRowRepeat: Int = 1, gapAfterColumn: Int? = nil, showLegend: Bool = true, theme: Theme) {
        self.values = values
        self.marks = marks
        self.range = range
        self.maxCellWidth = maxCellWidth
        self.gapAfterColumn = gapAfterColumn
        self.maxRowRepeat = maxRowRepeat
        self.showLegend = showLegend
        self.theme = theme
    }

    /// Where the matrix landed on screen, for labels drawn by the caller.
    public struct Geometry: Sendable, Equatable {
        /// Matrix columns per drawn column and the drawn column's first screen x.
        public var columnGroups: [Range<Int>] = []
        public var columnX: [Int] = []
        public var cellWidth = 1
        /// Matrix rows per drawn line (two "pixel" groups per line with half blocks; a row repeats on
        /// consecutive lines when cells are taller than one line).
        public var lineRows: [Range<Int>] = []
        public var top = 0
        public var halfBlocks = false
        /// The x after the last drawn column.
        public var maxX = 0
        /// The legend row (nil when not drawn).
        public var legendY: Int?
    }

    var rowCount: Int { values.count }
    var columnCount: Int { values.map(\.count).max() ?? 0 }

    func isMasked(_ r: Int, _ c: Int) -> Unicode.Scalar? {
        guard r < marks.count, c < marks[r].count else { return nil }
        return marks[r][c]
    }

    func value(_ r: Int, _ c: Int) -> Float? {
        guard r < values.count, c < values[r].count else { return nil }
        return values[r][c]
    }

    /// Ranges splitting `count` items into `groups` nearly equal consecutive parts.
    static func groups(_ count: Int, _ groups: Int) -> [Range<Int>] {
        guard count > 0, groups > 0 else { return [] }
        let g = min(count, groups)
        return (0..<g).map { (count * $0 / g)..<(count * ($0 + 1) / g) }
    }

    /// Lays the matrix out in `rect` without drawing.
    public func geometry(in rect: Rect) -> Geometry {
        var g = Geometry()
        let legendRows = showLegend && rect.height >= 2 ? 1 : 0
        let lines = rect.height - legendRows
        let rows = rowCount, cols = columnCount
        g.top = rect.y
        if legendRows == 1 { g.legendY = rect.maxY - 1 }
        guard lines >= 1, rect.width >= 1, rows > 0, cols > 0 else { g.maxX = rect.x; return g }

        let useGap = gapAfterColumn.map { $0 >= 0 && $0 < cols - 1 } ?? false
        let available = rect.width - (useGap ? 1 : 0)
        g.columnGroups = Self.groups(cols, max(1, available))
        let pooled = g.columnGroups.count < cols
        g.cellWidth = max(1, min(maxCellWidth, available / max(1, g.columnGroups.count)))
        var x = rect.x
        for (i, group) in g.columnGroups.enumerated() {
            g.columnX.append(x)
            x += g.cellWidth
            if useGap, !pooled, let gap = gapAfterColumn, group.contains(gap), i < g.columnGroups.count - 1 { x += 1 }
        }
        g.maxX = x

        if rows <= lines {
            let repeats = max(1, min(maxRowRepeat, lines / rows))
            g.lineRows = (0..<rows).flatMap { r in Array(repeating: r..<(r + 1), count: repeats) }
        } else if !theme.isMono {
            g.halfBlocks = true
            let pixels = Self.groups(rows, 2 * lines)
            g.lineRows = stride(from: 0, to: pixels.count, by: 2).map { i in
                pixels[i].lowerBound..<(i + 1 < pixels.count ? pixels[i + 1].upperBound : pixels[i].upperBound)
            }
        } else {
            g.lineRows = Self.groups(rows, lines)
        }
        return g
    }

    /// The (max-pooled) value of a block, or the mark when every cell of it is masked.
    func pooled(_ rows: Range<Int>, _ cols: Range<Int>) -> (value: Float?, mark: Unicode.Scalar?) {
        var best: Float?
        var mark: Unicode.Scalar?
        var allMasked = true
        for r in rows {
            for c in cols {
                if let m = isMasked(r, c) { if mark == nil { mark = m }; continue }
                guard let v = value(r, c) else { continue }
                allMasked = false
                if v.isFinite { best = max(best ?? v, v) }
            }
        }
        if allMasked && mark != nil { return (nil, mark) }
        return (best, nil)
    }

    /// The ramp bounds actually used.
    public var effectiveRange: ClosedRange<Float> {
        if let r = range { return r }
        var lo = Float.infinity, hi = -Float.infinity
        for r in 0..<rowCount {
            for c in 0..<values[r].count where isMasked(r, c) == nil && values[r][c].isFinite {
                lo = min(lo, values[r][c])
                hi = max(hi, values[r][c])
            }
        }
        return lo <= hi ? lo...hi : 0...1
    }

    /// Level in 0..<levels of `v` within `range`.
    static func level(_ v: Float, _ range: ClosedRange<Float>, levels: Int) -> Int {
        guard levels > 0 else { return 0 }
        let span = range.upperBound - range.lowerBound
        let t = span > 0 ? (v - range.lowerBound) / span : (v > range.lowerBound ? 1 : (span == 0 ? 1 : 0))
        guard t.isFinite else { return 0 }
        return min(levels - 1, max(0, Int(t * Float(levels))))
    }

    static let shades: [Unicode.Scalar] = [" ", "░", "▒", "▓", "█"]

    /// Draws the map (and legend) and returns its geometry.
    @discardableResult
    public func render(_ rect: Rect, into screen: inout Screen) -> Geometry {
        let g = geometry(in: rect)
        let range = effectiveRange
        let ramp = theme.ramp
        let mono = theme.isMono || ramp.isEmpty
        for (line, rowsOfLine) in g.lineRows.enumerated() {
            let y = g.top + line
            let halves: [Range<Int>]
            if g.halfBlocks {
                let mid = rowsOfLine.lowerBound + (rowsOfLine.count + 1) / 2
                halves = rowsOfLine.count > 1 ? [rowsOfLine.lowerBound..<mid, mid..<rowsOfLine.upperBound] : [rowsOfLine]
            } else {
                halves = [rowsOfLine]
            }
            for (i, cols) in g.columnGroups.enumerated() {
                let x = g.columnX[i]
                let cells = halves.map { pooled($0, cols) }
                if mono || !g.halfBlocks {
                    let cell = cells[0]
                    if let mark = cell.mark {
                        drawGlyph(mark, x: x, y: y, width: g.cellWidth, style: theme.masked, into: &screen, clip: rect)
                    } else if let v = cell.value {
                        let glyph: Unicode.Scalar, style: Style
                        if mono {
                            glyph = Self.shades[Self.level(v, range, levels: Self.shades.count)]
                            style = .plain
                        } else {
                            glyph = "█"
                            style = Style(foreground: ramp[Self.level(v, range, levels: ramp.count)])
                        }
                        for k in 0..<g.cellWidth { screen.set(x + k, y, glyph, style, clip: rect) }
                    }
                    continue
                }
                // Half blocks: upper pixel in the foreground of ▀, lower pixel in its background.
                let upper = cells[0], lower = cells.count > 1 ? cells[1] : (value: nil, mark: nil)
                let upperColor = upper.value.map { ramp[Self.level($0, range, levels: ramp.count)] }
                let lowerColor = lower.value.map { ramp[Self.level($0, range, levels: ramp.count)] }
                if upperColor == nil && lowerColor == nil {
                    if let mark = upper.mark ?? lower.mark {
                        drawGlyph(mark, x: x, y: y, width: g.cellWidth, style: theme.masked, into: &screen, clip: rect)
                    }
                    continue
                }
                let glyph: Unicode.Scalar
                let style: Style
                if let u = upperColor {
                    glyph = "▀"
                    style = Style(foreground: u, background: lowerColor ?? .default)
                } else {
                    glyph = "▄"
                    style = Style(foreground: lowerColor!)
                }
                for k in 0..<g.cellWidth { screen.set(x + k, y, glyph, style, clip: rect) }
            }
            if let gap = gapAfterColumn, let i = g.columnGroups.firstIndex(where: { $0.contains(gap) }),
               i + 1 < g.columnX.count, g.columnX[i + 1] > g.columnX[i] + g.cellWidth {
                screen.set(g.columnX[i] + g.cellWidth, y, "│", theme.dim, clip: rect)
            }
        }
        if let ly = g.legendY {
            Self.renderLegend(range, theme: theme, x: rect.x, y: ly, maxX: rect.maxX, into: &screen)
        }
        return g
    }

    func drawGlyph(_ glyph: Unicode.Scalar, x: Int, y: Int, width: Int, style: Style, into screen: inout Screen, clip: Rect) {
        screen.set(x + (width - 1) / 2, y, glyph, style, clip: clip)
    }

    /// "lo ▕ramp▏ hi" on one row; returns the column after it.
    @discardableResult
    public static func renderLegend(_ range: ClosedRange<Float>, theme: Theme, x: Int, y: Int, maxX: Int, into screen: inout Screen) -> Int {
        let lo = Format.compact(Double(range.lowerBound)), hi = Format.compact(Double(range.upperBound))
        let mono = theme.isMono || theme.ramp.isEmpty
        let steps = mono ? shades.count : theme.ramp.count
        guard x + Format.width(lo) + Format.width(hi) + steps + 2 <= maxX else { return x }
        let clip = Rect(x: x, y: y, width: maxX - x, height: 1)
        var cx = screen.put(lo + " ", x: x, y: y, style: theme.dim, clip: clip)
        for i in 0..<steps {
            if mono {
                screen.set(cx, y, shades[i], .plain, clip: clip)
            } else {
                screen.set(cx, y, "█", Style(foreground: theme.ramp[i]), clip: clip)
            }
            cx += 1
        }
        return screen.put(" " + hi, x: cx, y: y, style: theme.dim, clip: clip)
    }
}
