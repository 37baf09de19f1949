// Histogram: vertical bars with ⅛-row resolution (`▁▂▃▄▅▆▇█`), one per bin, with optional labels under
// the bars when they fit. More bins than columns are merged (summed) into neighbouring groups.

/// Vertical bars over bins.
///
/// ```swift
/// Histogram(values: [4, 6, 2, 4], styles: colors, labelStyle: theme.dim).render(rect, into: &screen)
/// ```
public struct Histogram: Sendable {
    public var values: [Double]
    /// Per-bar styles (cycled); empty = plain.
    public var styles: [Style]
    /// The value of a full-height bar; nil = the largest bin.
    public var maxValue: Double?
    /// Per-bin labels for the bottom row (drawn when each fits its slot).
    public var labels: [String]
    public var labelStyle: Style

    public init(values: [Double], styles: [Style] = [], maxValue: Double? = nil, labels: [String] = [],
                labelStyle: Style = .plain) {
        self.values = values
        self.styles = styles
        self.maxValue = maxValue
        self.labels = labels
        self.labelStyle = labelStyle
    }

    /// Bottom-aligned partial blocks, index = eighths (1…8).
    public static let partials: [Unicode.Scalar] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The column of one bar, bottom row first: full blocks, then the partial top.
    public static func column(fraction: Double, height: Int) -> [Unicode.Scalar] {
        guard height > 0 else { return [] }
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        var eighths = Int((f * Double(height * 8)).rounded())
        if f > 0 && eighths == 0 { eighths = 1 }
        return (0..<height).map { row in
            let left = eighths - row * 8
            return left >= 8 ? "█" : (left > 0 ? partials[left] : " ")
        }
    }

    /// Drawn geometry: the x of each bar and its width.
    public struct Drawn: Sendable, Equatable {
        public var barX: [Int]
        public var barWidth: Int
        public var binsPerBar: Int
    }

    @discardableResult
    public func render(_ rect: Rect, into screen: inout Screen) -> Drawn {
        guard rect.width >= 1, rect.height >= 1, !values.isEmpty else { return Drawn(barX: [], barWidth: 0, binsPerBar: 0) }
        let groups = Heatmap.groups(values.count, rect.width)
        let merged = groups.map { g in g.reduce(0.0) { $0 + (values[$1].isFinite ? values[$1] : 0) } }
        let slot = rect.width / merged.count
        let barWidth = slot >= 2 ? slot - 1 : 1   // one blank column between bars when there is room
        let wantLabels = !labels.isEmpty && groups.count == values.count && rect.height >= 2
        let labelsFit = wantLabels && labels.allSatisfy { Format.width($0) <= slot }
        let barRows = rect.height - (labelsFit ? 1 : 0)
        let top = maxValue ?? merged.max() ?? 0
        var xs: [Int] = []
        for (i, v) in merged.enumerated() {
            let x = rect.x + i * slot
            xs.append(x)
            let style = styles.isEmpty ? Style.plain : styles[(groups[i].lowerBound) % styles.count]
            let column = Self.column(fraction: top > 0 ? v / top : 0, height: barRows)
            for (row, glyph) in column.enumerated() where glyph != " " {
                for k in 0..<barWidth { screen.set(x + k, rect.y + barRows - 1 - row, glyph, style, clip: rect) }
            }
            if labelsFit {
                let label = labels[i]
                screen.put(label, x: x + max(0, (barWidth - Format.width(label)) / 2), y: rect.maxY - 1, style: labelStyle, clip: rect)
            }
        }
        return Drawn(barX: xs, barWidth: barWidth, binsPerBar: groups.first?.count ?? 0)
    }
}
