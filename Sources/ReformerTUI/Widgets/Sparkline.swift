// Sparkline: one row of `▁▂▃▄▅▆▇█`, one column per value, newest on the right (older values that do
// not fit are dropped from the left).

/// History in one row.
///
/// ```swift
/// Sparkline(values: throughput, style: theme.series[0]).render(rect, into: &screen)
/// ```
public struct Sparkline: Sendable {
    public var values: [Double]
    public var style: Style
    /// Bounds; nil = min…max of the visible values.
    public var range: ClosedRange<Double>?

    public init(values: [Double], style: Style = .plain, range: ClosedRange<Double>? = nil) {
        self.values = values
        self.style = style
        self.range = range
    }

    static let levels: [Unicode.Scalar] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The glyphs for the last `width` values.
    public func glyphs(width: Int) -> [Unicode.Scalar] {
        guard width > 0 else { return [] }
        let visible = values.suffix(width)
        let finite = visible.filter(\.isFinite)
        let lo = range?.lowerBound ?? finite.min() ?? 0
        let hi = range?.upperBound ?? finite.max() ?? 1
        return visible.map { v in
            guard v.isFinite else { return " " }
            let t = hi > lo ? (v - lo) / (hi - lo) : 0.5
            return Self.levels[min(7, max(0, Int((t * 7).rounded())))]
        }
    }

    public func render(_ rect: Rect, into screen: inout Screen) {
        guard rect.height >= 1 else { return }
        let g = glyphs(width: rect.width)
        let start = rect.maxX - g.count
        for (i, glyph) in g.enumerated() { screen.set(start + i, rect.y, glyph, style, clip: rect) }
    }
}
