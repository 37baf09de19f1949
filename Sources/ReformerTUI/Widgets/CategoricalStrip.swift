// CategoricalStrip: a sequence of small integers (categories) as one row of coloured cells, with an
// optional row of per-item labels beneath when they fit. Longer sequences are downsampled by majority.

/// One row of categories, e.g. which bucket each position fell into.
///
/// ```swift
/// let strip = CategoricalStrip(values: [3, 3, 7, 1], labels: ["a", "b", "c", "d"],
///                              palette: theme.categorical, labelStyle: theme.dim)
/// let drawn = strip.render(rect, into: &screen)     // drawn.labelsDrawn tells whether row 2 was used
/// ```
///
/// Cells are `█` in `palette[value % palette.count]`; with an empty palette (mono) the value's base-36
/// digit. Negative values are "missing" and drawn as `·` in `missingStyle`.
public struct CategoricalStrip: Sendable {
    public var values: [Int]
    /// Per-item text for the row beneath (only drawn when every label fits its cell).
    public var labels: [String]
    public var palette: [TermColor]
    public var labelStyle: Style
    public var missingStyle: Style

    public init(values: [Int], labels: [String] = [], palette: [TermColor], labelStyle: Style = .plain,
                missingStyle: Style = .plain) {
        self.values = values
        self.labels = labels
        self.palette = palette
        self.labelStyle = labelStyle
        self.missingStyle = missingStyle
    }

    /// How the strip was drawn.
    public struct Drawn: Sendable, Equatable {
        /// Columns per item (0 when downsampled: several items per column).
        public var cellWidth: Int
        /// Number of drawn cells.
        public var cells: Int
        public var labelsDrawn: Bool
    }

    /// `values` squeezed into `width` cells: each cell takes its group's most frequent value (ties: the
    /// value that appears first in the group).
    public static func downsample(_ values: [Int], to width: Int) -> [Int] {
        guard width > 0 else { return [] }
        guard values.count > width else { return values }
        return Heatmap.groups(values.count, width).map { group in
            var counts: [Int: Int] = [:]
            var best = values[group.lowerBound], bestCount = 0
            for i in group {
                let v = values[i]
                let c = (counts[v] ?? 0) + 1
                counts[v] = c
                if c > bestCount { best = v; bestCount = c }
            }
            // A later value that only ties must not win: recount in order of first appearance.
            for i in group where counts[values[i]] == bestCount { best = values[i]; break }
            return best
        }
    }

    /// The cell glyph and style of a value.
    public func cell(_ value: Int) -> (Unicode.Scalar, Style) {
        if value < 0 { return ("·", missingStyle) }
        if palette.isEmpty {
            let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz".unicodeScalars)
            return (digits[value % digits.count], .plain)
        }
        return ("█", Style(foreground: palette[value % palette.count]))
    }

    @discardableResult
    public func render(_ rect: Rect, into screen: inout Screen) -> Drawn {
        guard rect.width >= 1, rect.height >= 1, !values.isEmpty else { return Drawn(cellWidth: 0, cells: 0, labelsDrawn: false) }
        let shown = Self.downsample(values, to: rect.width)
        let cellWidth = values.count <= rect.width ? rect.width / values.count : 0
        let step = max(1, cellWidth)
        for (i, v) in shown.enumerated() {
            let (glyph, style) = cell(v)
            for k in 0..<step { screen.set(rect.x + i * step + k, rect.y, glyph, style, clip: rect) }
        }
        var labelsDrawn = false
        if rect.height >= 2, cellWidth >= 1, labels.count == values.count,
           labels.allSatisfy({ Format.width($0) <= (cellWidth == 1 ? 1 : cellWidth - 1) }) {
            for (i, label) in labels.enumerated() {
                screen.put(label, x: rect.x + i * cellWidth, y: rect.y + 1, style: labelStyle, clip: rect)
            }
            labelsDrawn = true
        }
        return Drawn(cellWidth: cellWidth, cells: shown.count, labelsDrawn: labelsDrawn)
    }
}
