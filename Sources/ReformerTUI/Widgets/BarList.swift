// BarList: labelled horizontal bars with ⅛-cell resolution (`▏▎▍▌▋▊▉█`), one row per item:
// "label  ███████▍   value-text".

/// Horizontal bars sharing one scale.
///
/// ```swift
/// BarList(items: [.init(label: "params", value: 196_608, valueText: "192 KiB", style: theme.series[0])])
///     .render(rect, into: &screen)
/// ```
public struct BarList: Sendable {
    public struct Item: Sendable {
        public var label: String
        public var value: Double
        public var valueText: String
        public var style: Style
        public init(label: String, value: Double, valueText: String, style: Style = .plain) {
            self.label = label
            self.value = value
            self.valueText = valueText
            self.style = style
        }
    }

    public var items: [Item]
    /// The value of a full-width bar; nil = the largest item.
    public var maxValue: Double?
    public var labelStyle: Style
    public var valueStyle: Style

    public init(items: [Item], maxValue: Double? = nil, labelStyle: Style = .plain, valueStyle: Style = .plain) {
        self.items = items
        self.maxValue = maxValue
        self.labelStyle = labelStyle
        self.valueStyle = valueStyle
    }

    /// Left-aligned partial blocks, index = eighths (1…7).
    public static let partials: [Unicode.Scalar] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// A bar of `fraction` (0…1) of `width` cells in eighths; a positive fraction too small to show
    /// still gets one `▏`, so "tiny" and "none" look different.
    public static func bar(fraction: Double, width: Int) -> String {
        guard width > 0, fraction.isFinite, fraction > 0 else { return "" }
        let eighths = max(1, min(width * 8, Int((min(fraction, 1) * Double(width * 8)).rounded())))
        var s = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { s.unicodeScalars.append(partials[eighths % 8]) }
        return s
    }

    public func render(_ rect: Rect, into screen: inout Screen) {
        guard rect.width >= 1, rect.height >= 1 else { return }
        let labelWidth = min(items.map { Format.width($0.label) }.max() ?? 0, rect.width / 3)
        let valueWidth = min(items.map { Format.width($0.valueText) }.max() ?? 0, rect.width / 3)
        let barWidth = rect.width - labelWidth - valueWidth - (labelWidth > 0 ? 1 : 0) - (valueWidth > 0 ? 1 : 0)
        let top = maxValue ?? items.map(\.value).filter(\.isFinite).max() ?? 0
        for (i, item) in items.prefix(rect.height).enumerated() {
            let y = rect.y + i
            var x = rect.x
            if labelWidth > 0 {
                screen.put(Format.padRight(Format.truncate(item.label, labelWidth), labelWidth), x: x, y: y, style: labelStyle, clip: rect)
                x += labelWidth + 1
            }
            if barWidth > 0 {
                screen.put(Self.bar(fraction: top > 0 ? item.value / top : 0, width: barWidth), x: x, y: y, style: item.style, clip: rect)
                x += barWidth + 1
            }
            if valueWidth > 0 {
                screen.put(Format.padLeft(Format.truncate(item.valueText, valueWidth), valueWidth), x: x, y: y, style: valueStyle, clip: rect)
            }
        }
    }
}
