// Gauge: one row "▕█████▍    ▏ text" with ⅛-cell resolution and a numeric label; the bar takes a
// style chosen from thresholds (e.g. green / yellow / red at 70 / 90 %).

/// A one-row fill gauge.
///
/// ```swift
/// Gauge(fraction: 0.69, text: "5622/8192 MiB 69%", style: theme.good).render(rect, into: &screen)
/// ```
public struct Gauge: Sendable {
    public var fraction: Double
    public var text: String
    public var style: Style
    public var frameStyle: Style

    public init(fraction: Double, text: String, style: Style = .plain, frameStyle: Style = .plain) {
        self.fraction = fraction
        self.text = text
        self.style = style
        self.frameStyle = frameStyle
    }

    /// The style for `fraction` given ascending thresholds: below the first → styles[0], …
    public static func thresholdStyle(_ fraction: Double, thresholds: [Double] = [0.7, 0.9], styles: [Style]) -> Style {
        guard !styles.isEmpty else { return .plain }
        let i = thresholds.firstIndex { fraction < $0 } ?? thresholds.count
        return styles[min(i, styles.count - 1)]
    }

    public func render(_ rect: Rect, into screen: inout Screen) {
        guard rect.width >= 1, rect.height >= 1 else { return }
        let textWidth = Format.width(text)
        let barWidth = rect.width - (textWidth > 0 ? textWidth + 1 : 0) - 2
        var x = rect.x
        if barWidth >= 1 {
            screen.set(x, rect.y, "▕", frameStyle, clip: rect)
            screen.put(BarList.bar(fraction: fraction, width: barWidth), x: x + 1, y: rect.y, style: style, clip: rect)
            screen.set(x + 1 + barWidth, rect.y, "▏", frameStyle, clip: rect)
            x += barWidth + 3
        }
        screen.put(text, x: x, y: rect.y, style: .plain, clip: rect)
    }
}
