// Cell and Style: what one terminal cell holds, with no ncurses types (TUI_GUIDE §4.1).

/// A terminal colour: the terminal's own default, or an xterm-256 index (0–15 are the ANSI colours).
public enum TermColor: Sendable, Hashable {
    case `default`
    case indexed(UInt8)
}

public struct Style: Sendable, Hashable {
    public var foreground: TermColor
    public var background: TermColor
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(foreground: TermColor = .default, background: TermColor = .default,
                bold: Bool = false, dim: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()
}

/// One cell. `scalar == nil` marks the right half of a double-width character (the backend skips it).
public struct Cell: Sendable, Hashable {
    public var scalar: Unicode.Scalar?
    public var style: Style

    public init(_ scalar: Unicode.Scalar? = " ", style: Style = .plain) {
        self.scalar = scalar
        self.style = style
    }

    public static let blank = Cell()
}
