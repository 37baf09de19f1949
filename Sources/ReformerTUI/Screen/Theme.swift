// Theme: semantic styles the panels ask for; colours are data. `mono` leaves every colour at the
// terminal default (NO_COLOR, --mono); `colors` (8, 16 or 256) maps indices down for small palettes.

public struct Theme: Sendable, Equatable {
    public var border: Style
    public var borderFocused: Style
    public var title: Style
    public var text: Style
    public var dim: Style
    public var key: Style               // key names in the hint bar and help
    public var good: Style              // finished, correct symbols
    public var bad: Style               // wrong symbols, failures
    public var warning: Style           // paused
    public var series: [Style]          // chart series: train loss, validation loss, metric, …
    /// Colour ramp for heat maps and bucket strips, low → high.
    public var ramp: [TermColor]
    /// Distinct colours for categorical data (bucket ids).
    public var categorical: [TermColor]
    /// Masked heat-map cells (causal, self, padding).
    public var masked: Style
    public var isMono: Bool

    public static let dark = Theme(
        border: Style(foreground: .indexed(240)), borderFocused: Style(foreground: .indexed(81), bold: true),
        title: Style(foreground: .indexed(252), bold: true), text: Style(), dim: Style(foreground: .indexed(245)),
        key: Style(foreground: .indexed(214), bold: true), good: Style(foreground: .indexed(114)),
        bad: Style(foreground: .indexed(203), bold: true), warning: Style(foreground: .indexed(221), bold: true),
        series: [Style(foreground: .indexed(81)), Style(foreground: .indexed(214)), Style(foreground: .indexed(114)),
                 Style(foreground: .indexed(177))],
        ramp: [17, 18, 19, 20, 26, 32, 38, 44, 49, 84, 119, 154, 190, 226, 220, 214].map { .indexed($0) },
        categorical: [196, 208, 226, 118, 46, 51, 39, 21, 93, 201, 213, 229, 159, 123, 111, 141].map { .indexed($0) },
        masked: Style(foreground: .indexed(238)), isMono: false)

    public static let mono = Theme(
        border: Style(), borderFocused: Style(bold: true), title: Style(bold: true), text: Style(), dim: Style(dim: true),
        key: Style(bold: true), good: Style(), bad: Style(reverse: true), warning: Style(bold: true),
        series: [Style(), Style(bold: true), Style(), Style()], ramp: [], categorical: [],
        masked: Style(dim: true), isMono: true)

    /// This theme with every colour mapped to the nearest of `colors` (8 or 16) terminal colours.
    public func limited(to colors: Int) -> Theme {
        guard colors < 256, !isMono else { return self }
        func map(_ c: TermColor) -> TermColor {
            guard case .indexed(let i) = c else { return c }
            return .indexed(Theme.nearestBasic(i, colors: colors))
        }
        func map(_ s: Style) -> Style {
            var t = s
            t.foreground = map(s.foreground)
            t.background = map(s.background)
            return t
        }
        var t = self
        t.border = map(border); t.borderFocused = map(borderFocused); t.title = map(title); t.text = map(text)
        t.dim = map(dim); t.key = map(key); t.good = map(good); t.bad = map(bad); t.warning = map(warning)
        t.series = series.map(map); t.masked = map(masked)
        t.ramp = ramp.map(map); t.categorical = categorical.map(map)
        return t
    }

    /// Nearest ANSI colour (0–7, or 0–15 with 16 colours) to an xterm-256 index, by RGB distance.
    public static func nearestBasic(_ index: UInt8, colors: Int) -> UInt8 {
        let (r, g, b) = rgb(index)
        let count = colors >= 16 ? 16 : 8
        // Greys on an 8-colour terminal: black would vanish on a dark background; use white.
        if count == 8 && r == g && g == b && r > 40 { return 7 }
        var best = 0, bestDistance = Int.max
        for i in 0..<count {
            let (r2, g2, b2) = rgb(UInt8(i))
            let d = (r - r2) * (r - r2) + (g - g2) * (g - g2) + (b - b2) * (b - b2)
            if d < bestDistance { bestDistance = d; best = i }
        }
        return UInt8(best)
    }

    /// The xterm-256 palette as RGB.
    public static func rgb(_ i: UInt8) -> (Int, Int, Int) {
        let basic: [(Int, Int, Int)] = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
                                        (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
                                        (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]
        if i < 16 { return basic[Int(i)] }
        if i >= 232 { let v = 8 + 10 * (Int(i) - 232); return (v, v, v) }
        let n = Int(i) - 16
        let levels = [0, 95, 135, 175, 215, 255]
        return (levels[n / 36], levels[(n / 6) % 6], levels[n % 6])
    }
}
