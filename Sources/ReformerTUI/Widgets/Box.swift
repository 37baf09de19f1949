// Box: a border with a title; everything inside is drawn by someone else into the returned inner rect.
// A focused box uses heavy lines as well as the focused style, so focus shows without colour.

/// A bordered panel frame.
///
/// ```swift
/// let inner = Box(title: "Loss", focused: true, theme: .dark).render(rect, into: &screen)
/// LineChart(series: …).render(inner, into: &screen)
/// ```
public struct Box: Sendable {
    public var title: String
    /// Short text at the right end of the top border (e.g. "L1 H2 R1").
    public var rightTitle: String?
    public var focused: Bool
    public var borderStyle: Style
    public var titleStyle: Style

    public init(title: String, rightTitle: String? = nil, focused: Bool = false, borderStyle: Style, titleStyle: Style) {
        self.title = title
        self.rightTitle = rightTitle
        self.focused = focused
        self.borderStyle = borderStyle
        self.titleStyle = titleStyle
    }

    /// A panel frame with the theme's border (or focused border) and title styles.
    public init(title: String, rightTitle: String? = nil, focused: Bool, theme: Theme) {
        self.init(title: title, rightTitle: rightTitle, focused: focused,
                  borderStyle: focused ? theme.borderFocused : theme.border,
                  titleStyle: focused ? theme.borderFocused : theme.title)
    }

    /// Draws the frame and returns the rectangle inside it (empty when `rect` is too small).
    @discardableResult
    public func render(_ rect: Rect, into screen: inout Screen) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else { return Rect(x: rect.x, y: rect.y, width: 0, height: 0) }
        let g: (h: Unicode.Scalar, v: Unicode.Scalar, tl: Unicode.Scalar, tr: Unicode.Scalar, bl: Unicode.Scalar, br: Unicode.Scalar) =
            focused ? ("━", "┃", "┏", "┓", "┗", "┛") : ("─", "│", "┌", "┐", "└", "┘")
        let right = rect.maxX - 1, bottom = rect.maxY - 1
        for x in rect.x + 1..<right {
            screen.set(x, rect.y, g.h, borderStyle)
            screen.set(x, bottom, g.h, borderStyle)
        }
        for y in rect.y + 1..<bottom {
            screen.set(rect.x, y, g.v, borderStyle)
            screen.set(right, y, g.v, borderStyle)
        }
        screen.set(rect.x, rect.y, g.tl, borderStyle)
        screen.set(right, rect.y, g.tr, borderStyle)
        screen.set(rect.x, bottom, g.bl, borderStyle)
        screen.set(right, bottom, g.br, borderStyle)

        // " Title " from column 2, " right " ending two columns before the corner; the title wins space.
        let available = rect.width - 4
        var titleEnd = rect.x + 1
        if available >= 3, !title.isEmpty {
            let text = " " + Format.truncate(title, available - 2) + " "
            titleEnd = screen.put(text, x: rect.x + 1, y: rect.y, style: titleStyle, clip: rect)
        }
        if let r = rightTitle, !r.isEmpty {
            let room = right - 1 - (titleEnd + 1)
            if room >= Format.width(r) + 2 {
                let text = " " + r + " "
                screen.put(text, x: right - 1 - Format.width(text), y: rect.y, style: borderStyle, clip: rect)
            }
        }
        return rect.inset()
    }
}
