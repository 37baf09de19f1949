// TextView: styled text wrapped at spaces to a width (long words are broken), clipped to the rect,
// with a scroll offset or pinned to the end (newest text visible).

/// Wrapped, clipped, styled text.
///
/// ```swift
/// TextView(spans: [.init("prompt ", theme.dim), .init("continuation", theme.text)], pinToEnd: true)
///     .render(rect, into: &screen)
/// ```
public struct TextView: Sendable {
    public struct Span: Sendable, Equatable {
        public var text: String
        public var style: Style
        public init(_ text: String, _ style: Style = .plain) { self.text = text; self.style = style }
    }

    public var spans: [Span]
    /// First wrapped line shown.
    public var scroll: Int
    /// Show the last lines instead (overrides `scroll`).
    public var pinToEnd: Bool

    public init(spans: [Span], scroll: Int = 0, pinToEnd: Bool = false) {
        self.spans = spans
        self.scroll = scroll
        self.pinToEnd = pinToEnd
    }

    public init(_ text: String, style: Style = .plain) { self.init(spans: [Span(text, style)]) }

    /// One wrapped line: (scalar, style) per column, wide characters followed by a nil placeholder.
    public typealias Line = [(scalar: Unicode.Scalar, style: Style)]

    /// `spans` wrapped to `width` columns. "\n" starts a new line; other control characters are dropped.
    public static func wrap(_ spans: [Span], width: Int) -> [Line] {
        guard width > 0 else { return [] }
        var lines: [Line] = []
        var line: Line = []
        var lineWidth = 0
        var word: Line = []
        var wordWidth = 0

        func flushWord() {
            if lineWidth + wordWidth > width && lineWidth > 0 {
                while let last = line.last, last.scalar == " " { line.removeLast(); lineWidth -= 1 }
                lines.append(line)
                line = []
                lineWidth = 0
            }
            for item in word {
                let w = Screen.displayWidth(item.scalar)
                if lineWidth + w > width { lines.append(line); line = []; lineWidth = 0 }
                line.append(item)
                lineWidth += w
            }
            word = []
            wordWidth = 0
        }

        for span in spans {
            for scalar in span.text.unicodeScalars {
                if scalar == "\n" {
                    flushWord()
                    lines.append(line)
                    line = []
                    lineWidth = 0
                    continue
                }
                let w = Screen.displayWidth(scalar)
                if w == 0 { continue }
                if scalar == " " {
                    flushWord()
                    if lineWidth + 1 <= width, lineWidth > 0 { line.append((" ", span.style)); lineWidth += 1 }
                    continue
                }
                word.append((scalar, span.style))
                wordWidth += w
            }
        }
        flushWord()
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// Draws the visible lines; returns how many wrapped lines the text has in total.
    @discardableResult
    public func render(_ rect: Rect, into screen: inout Screen) -> Int {
        guard rect.width >= 1, rect.height >= 1 else { return 0 }
        let lines = Self.wrap(spans, width: rect.width)
        let first = pinToEnd ? max(0, lines.count - rect.height) : max(0, min(scroll, lines.count - 1))
        for (i, line) in lines.dropFirst(first).prefix(rect.height).enumerated() {
            var x = rect.x
            for item in line {
                x = screen.put(String(item.scalar), x: x, y: rect.y + i, style: item.style, clip: rect)
            }
        }
        return lines.count
    }
}
