// Rect: a rectangle of cells; layouts split it into rows and columns.

public struct Rect: Sendable, Hashable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var isEmpty: Bool { width == 0 || height == 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var description: String { "(\(x),\(y) \(width)×\(height))" }

    /// The rectangle shrunk by `dx` columns and `dy` rows on every side.
    public func inset(dx: Int = 1, dy: Int = 1) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy)
    }

    /// The first `n` rows and the rest.
    public func splitTop(_ n: Int) -> (Rect, Rect) {
        let h = min(max(0, n), height)
        return (Rect(x: x, y: y, width: width, height: h), Rect(x: x, y: y + h, width: width, height: height - h))
    }

    /// The first `n` columns and the rest.
    public func splitLeft(_ n: Int) -> (Rect, Rect) {
        let w = min(max(0, n), width)
        return (Rect(x: x, y: y, width: w, height: height), Rect(x: x + w, y: y, width: width - w, height: height))
    }

    /// `weights.count` columns with widths proportional to the weights (remainder to the last).
    public func columns(_ weights: [Int]) -> [Rect] {
        let total = max(1, weights.reduce(0, +))
        var out: [Rect] = []
        var cx = x
        for (i, w) in weights.enumerated() {
            let cw = i == weights.count - 1 ? maxX - cx : width * w / total
            out.append(Rect(x: cx, y: y, width: cw, height: height))
            cx += cw
        }
        return out
    }

    /// `weights.count` rows with heights proportional to the weights (remainder to the last).
    public func rows(_ weights: [Int]) -> [Rect] {
        let total = max(1, weights.reduce(0, +))
        var out: [Rect] = []
        var cy = y
        for (i, w) in weights.enumerated() {
            let ch = i == weights.count - 1 ? maxY - cy : height * w / total
            out.append(Rect(x: x, y: cy, width: width, height: ch))
            cy += ch
        }
        return out
    }
}
