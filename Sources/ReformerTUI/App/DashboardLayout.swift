// DashboardLayout: terminal size → named rectangles. Status line on top, message line and key-hint bar
// at the bottom, the panels between; below 80×24 only a "too small" message (TUI_GUIDE §2.5, §5).

/// Where everything goes at one terminal size.
///
/// ```swift
/// let layout = DashboardLayout(width: 120, height: 40)
/// layout.panels[.loss]          // Rect of the training curves
/// DashboardLayout(width: 60, height: 20).tooSmall   // true
/// ```
///
/// Two arrangements:
/// - narrow (< 120 columns or < 30 body rows): curves over samples on the left; buckets, attention
///   and memory stacked on the right;
/// - wide: curves beside memory on top, buckets beside attention in the middle, samples below.
/// Zoomed, the focused panel takes the whole body.
public struct DashboardLayout: Sendable, Equatable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public let width: Int
    public let height: Int
    public let tooSmall: Bool
    public var status = Rect(x: 0, y: 0, width: 0, height: 0)
    public var body = Rect(x: 0, y: 0, width: 0, height: 0)
    public var message = Rect(x: 0, y: 0, width: 0, height: 0)
    public var hints = Rect(x: 0, y: 0, width: 0, height: 0)
    public var panels: [PanelID: Rect] = [:]

    public init(width: Int, height: Int, zoomed: PanelID? = nil) {
        self.width = width
        self.height = height
        tooSmall = width < Self.minimumWidth || height < Self.minimumHeight
        guard !tooSmall else { return }
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        (status, body) = screen.splitTop(1)
        (body, hints) = body.splitTop(body.height - 1)
        (body, message) = body.splitTop(body.height - 1)
        if let panel = zoomed {
            panels[panel] = body
        } else if width >= 120 && body.height >= 30 {
            wide()
        } else {
            narrow()
        }
    }

    private mutating func narrow() {
        let columns = body.columns([11, 9])
        let left = columns[0].rows([3, 2])
        panels[.loss] = left[0]
        panels[.samples] = left[1]
        let right = columns[1].rows([7, 8, 6])
        panels[.buckets] = right[0]
        panels[.attention] = right[1]
        panels[.memory] = right[2]
    }

    private mutating func wide() {
        let samplesHeight = min(12, max(7, body.height / 5))
        let (upper, samples) = body.splitTop(body.height - samplesHeight)
        let bands = upper.rows([45, 55])
        let top = bands[0].columns([3, 2])
        panels[.loss] = top[0]
        panels[.memory] = top[1]
        let middle = bands[1].columns([1, 1])
        panels[.buckets] = middle[0]
        panels[.attention] = middle[1]
        panels[.samples] = samples
    }

    /// The centred "Terminal too small" lines for this size: one line, or split when narrower than it.
    public var tooSmallLines: [String] {
        let size = "\(width)×\(height)", need = "need \(Self.minimumWidth)×\(Self.minimumHeight)"
        let candidates = [["Terminal too small: \(size) — \(need)"], ["Terminal too small: \(size)", need],
                          ["Terminal too small:", "\(size) — \(need)"], ["Terminal too small:", size, need]]
        return candidates.first { $0.allSatisfy { Format.width($0) <= width } } ?? candidates[candidates.count - 1]
    }
}
