// Screen: a grid of cells that widgets draw into; the backend flushes it. Text is measured in display
// columns (wide characters take two, combining marks and controls are dropped) and clipped.

public struct Screen: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// Sets one cell if it lies inside both the screen and `clip`.
    public mutating func set(_ x: Int, _ y: Int, _ scalar: Unicode.Scalar, _ style: Style = .plain, clip: Rect? = nil) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        if let c = clip, x < c.x || x >= c.maxX || y < c.y || y >= c.maxY { return }
        cells[y * width + x] = Cell(scalar, style: style)
    }

    /// Writes `text` from (x, y), clipped to `clip` (default: the screen). Returns the column after it.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, clip: Rect? = nil) -> Int {
        let c = clip ?? bounds
        guard y >= c.y, y < c.maxY, y >= 0, y < height else { return x }
        var cx = x
        for scalar in text.unicodeScalars {
            let w = Screen.displayWidth(scalar)
            if w == 0 { continue }
            if cx + w > c.maxX || cx + w > width { break }
            if cx >= c.x && cx >= 0 {
                cells[y * width + cx] = Cell(scalar, style: style)
                if w == 2 { cells[y * width + cx + 1] = Cell(nil, style: style) }
            }
            cx += w
        }
        return cx
    }

    /// Fills `rect` with `scalar` in `style`.
    public mutating func fill(_ rect: Rect, _ scalar: Unicode.Scalar = " ", style: Style = .plain) {
        for yy in max(0, rect.y)..<min(height, rect.maxY) {
            for xx in max(0, rect.x)..<min(width, rect.maxX) { cells[yy * width + xx] = Cell(scalar, style: style) }
        }
    }

    /// Row `y` as text (right halves of wide characters omitted), for tests.
    public func row(_ y: Int) -> String {
        var s = ""
        for x in 0..<width { if let c = cells[y * width + x].scalar { s.unicodeScalars.append(c) } }
        return s
    }

    /// All rows joined by newlines.
    public var text: String { (0..<height).map(row).joined(separator: "\n") }

    /// Display columns of a scalar: 0 for controls and combining marks, 2 for East Asian wide/fullwidth.
    public static func displayWidth(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) && v != 0x303F || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v)
            || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }
}
