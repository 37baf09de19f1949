// BrailleCanvas: a dot grid of 2×4 dots per cell drawn with the Unicode braille block (U+2800–U+28FF).
// Dot bits per cell: left column top→bottom 0x01 0x02 0x04 0x40, right column 0x08 0x10 0x20 0x80.

/// Dots on a grid of `cols × rows` cells (`2·cols × 4·rows` dots, (0, 0) at the top left).
///
/// ```swift
/// var canvas = BrailleCanvas(cols: 1, rows: 1)
/// canvas.set(1, 3)                       // right column, bottom row
/// canvas.scalar(col: 0, row: 0)          // "\u{2880}"
/// ```
public struct BrailleCanvas: Sendable, Equatable {
    public let cols: Int
    public let rows: Int
    /// Dot bits per cell, row-major [rows × cols].
    public private(set) var bits: [UInt8]
    /// Index of the last series that set a dot in each cell (-1: none), for colouring.
    public private(set) var owner: [Int]

    /// Bit of the dot at (column 0/1, row 0…3) inside one cell.
    public static let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    public init(cols: Int, rows: Int) {
        self.cols = max(0, cols)
        self.rows = max(0, rows)
        bits = Array(repeating: 0, count: self.cols * self.rows)
        owner = Array(repeating: -1, count: self.cols * self.rows)
    }

    public var dotWidth: Int { cols * 2 }
    public var dotHeight: Int { rows * 4 }

    /// Sets the dot at (`x`, `y`) in dot coordinates; dots outside the canvas are ignored.
    public mutating func set(_ x: Int, _ y: Int, series: Int = 0) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let i = (y / 4) * cols + x / 2
        bits[i] |= Self.dotBits[x % 2][y % 4]
        owner[i] = series
    }

    /// Whether the dot at (`x`, `y`) is set.
    public func isSet(_ x: Int, _ y: Int) -> Bool {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return false }
        return bits[(y / 4) * cols + x / 2] & Self.dotBits[x % 2][y % 4] != 0
    }

    /// A straight line of dots from (x0, y0) to (x1, y1) (Bresenham). With `dashed`, dots alternate
    /// two on, two off along the line.
    public mutating func line(from start: (Int, Int), to end: (Int, Int), series: Int = 0, dashed: Bool = false) {
        var (x, y) = start
        let (x1, y1) = end
        let dx = abs(x1 - x), dy = -abs(y1 - y)
        let sx = x < x1 ? 1 : -1, sy = y < y1 ? 1 : -1
        var err = dx + dy
        var n = 0
        while true {
            if !dashed || (n / 2) % 2 == 0 { set(x, y, series: series) }
            n += 1
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// The braille character of one cell (U+2800 when empty).
    public func scalar(col: Int, row: Int) -> Unicode.Scalar {
        guard col >= 0, row >= 0, col < cols, row < rows else { return "\u{2800}" }
        return Unicode.Scalar(0x2800 + UInt32(bits[row * cols + col]))!
    }

    /// The series that last drew into a cell (-1 when the cell is empty).
    public func owner(col: Int, row: Int) -> Int {
        guard col >= 0, row >= 0, col < cols, row < rows else { return -1 }
        return owner[row * cols + col]
    }
}
