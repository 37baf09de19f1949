// TerminalBackend: what the app loop needs from a terminal — its size and palette, a way to show a
// whole Screen, and the next key within a timeout. NcursesBackend is the real one, MemoryBackend the
// one tests script (ratatui's `Backend` / `TestBackend` split; TUI_GUIDE §4.1).

/// A terminal the app loop draws on. Used from one thread only (ncurses is not reentrant).
///
/// ```swift
/// let backend: any TerminalBackend = MemoryBackend(width: 100, height: 30)
/// backend.draw(Screen(width: backend.width, height: backend.height))
/// let key = backend.readKey(timeoutMillis: 33)   // nil: nothing typed within 33 ms
/// ```
public protocol TerminalBackend: AnyObject {
    /// Current size in cells; re-read after `Key.resize`.
    var width: Int { get }
    var height: Int { get }
    /// Usable colours: 0 when colour is off (`NO_COLOR`, `--mono`, no colour support), else 8, 16,
    /// 256, … Pick the theme with `Theme.dark.limited(to: colors)`, or `.mono` for 0.
    var colors: Int { get }
    /// Whether non-ASCII glyphs (box drawing, blocks, braille) can be shown: the locale is UTF-8.
    /// When false the backend draws `asciiFallback(_:)` for every non-ASCII scalar.
    var unicode: Bool { get }
    /// Shows `screen` as the whole terminal. Cells outside the terminal are dropped; a smaller screen
    /// leaves the rest blank. Right halves of wide characters (`scalar == nil`) are skipped.
    func draw(_ screen: Screen)
    /// The next key, waiting at most `timeoutMillis` (0: do not wait); nil when none arrived.
    func readKey(timeoutMillis: Int) -> Key?
}

/// An ASCII stand-in for a scalar a non-UTF-8 terminal cannot show (htop's `--no-unicode` idea):
/// box drawing → `+ - |`, shades and blocks → `# = - .` by darkness, braille → `:` or `.`, any other
/// non-ASCII scalar → `?`. ASCII comes back unchanged.
public func asciiFallback(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
    let v = scalar.value
    if v < 0x80 { return scalar }
    switch v {
    case 0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D, 0x2550, 0x2574, 0x2576, 0x2578, 0x257A:
        return "-"
    case 0x2502, 0x2503, 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F, 0x2551, 0x2575, 0x2577, 0x2579, 0x257B:
        return "|"
    case 0x2500...0x257F: return "+"                     // corners, tees, crosses
    case 0x2591: return "."                              // light shade
    case 0x2592: return ":"                              // medium shade
    case 0x2593, 0x2588: return "#"                      // dark shade, full block
    case 0x2581...0x2583: return "_"                     // low eighth blocks
    case 0x2584...0x2587, 0x2580: return "="             // half-ish blocks, upper half
    case 0x2589...0x258F: return "|"                     // left blocks
    case 0x2800: return " "                              // empty braille
    case 0x2801...0x28FF: return (v - 0x2800).nonzeroBitCount > 2 ? ":" : "."
    case 0x2022, 0x25CF, 0x25CB, 0x00B7: return "*"      // bullets
    case 0x2190, 0x25C0: return "<"
    case 0x2192, 0x25B6: return ">"
    case 0x2191, 0x25B2: return "^"
    case 0x2193, 0x25BC: return "v"
    case 0x2026: return "~"                              // ellipsis: one column, one scalar
    case 0x00D7: return "x"
    case 0x2013, 0x2014, 0x2212: return "-"
    default: return "?"
    }
}
