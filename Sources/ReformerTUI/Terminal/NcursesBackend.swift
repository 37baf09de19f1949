// NcursesBackend: the one file that talks to ncurses (STYLE §7). Set-up follows TUI_GUIDE §2.1
// (locale, ESCDELAY, guard before curses, stderr to a log, newterm, cursor addressing, modes,
// colours), drawing §1.2/§2.2 (werase + one cchar_t per cell + wnoutrefresh + doupdate; ncurses
// sends only what changed), colours §1.5 (lazy extended pairs), restore §2.6 (CTermGuard).

import CNcurses
import CTermGuard
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the dashboard could not take over the terminal (nothing was drawn; stderr is back).
public enum TerminalError: Error, Equatable, CustomStringConvertible {
    /// `newterm` failed: no terminfo entry for TERM, or not a terminal.
    case cannotOpen(term: String)
    /// The terminal cannot move its cursor (`TERM=dumb`): no dashboard possible.
    case noCursorAddressing(term: String)

    public var description: String {
        switch self {
        case .cannotOpen(let term): return "cannot open the terminal (TERM=\(term))"
        case .noCursorAddressing(let term): return "terminal TERM=\(term) cannot address the cursor"
        }
    }
}

/// The real terminal, through ncursesw. Main thread only; one instance at a time.
///
/// ```swift
/// let backend = try NcursesBackend(mono: false, logPath: "reformer-tui.log")
/// defer { backend.shutdown() }
/// backend.draw(screen)
/// if let key = backend.readKey(timeoutMillis: 33) { … }
/// ```
public final class NcursesBackend: TerminalBackend {
    public let colors: Int
    public let unicode: Bool
    /// Where stderr goes while the screen is ours (nil: it could not be redirected).
    public let logPath: String?
    /// Colour pairs allocated so far, and style lookups that found the pair table full (drawn in
    /// the default colours instead).
    public var pairsInUse: Int { Int(nextPair) - 1 }
    public private(set) var pairMisses = 0

    private let screenHandle: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    /// `init_extended_pair` numbers by (fg, bg) key; 0 is the default pair.
    private var pairs: [Int: Int32] = [:]
    private var nextPair: Int32 = 1
    private let pairLimit: Int
    /// Colour numbers meaning "the terminal's own": -1 with use_default_colors, else white/black.
    private let defaultForeground: Int32
    private let defaultBackground: Int32
    /// COLORS > 256 (a direct-colour terminfo): palette indices are sent as 24-bit RGB.
    private let directColor: Bool
    private var currentTimeout: Int32 = -2
    private var clearPending = false
    private var isShutDown = false

    /// Takes over the terminal: alternate screen, no echo, keys unbuffered, cursor hidden.
    /// - Parameters:
    ///   - mono: no colours even when the terminal has them (`--mono`); `NO_COLOR` does the same.
    ///   - logPath: file that receives stderr until `shutdown()` (a crash replays its tail).
    /// - Throws: `TerminalError` when there is no usable terminal; nothing is left changed then.
    public init(mono: Bool = false, logPath: String? = nil) throws {
        setlocale(LC_ALL, "")
        unicode = NcursesBackend.localeIsUTF8()
        if getenv("ESCDELAY") == nil { set_escdelay(25) }
        // Before curses: a crash or signal from here on restores the terminal saved now.
        _ = tg_install()
        var redirected: String?
        if let logPath, tg_redirect_stderr(logPath) == 0 { redirected = logPath }
        let term = getenv("TERM").map { String(cString: $0) } ?? ""

        guard let handle = tui_newterm_stdio() else {
            if redirected != nil { _ = tg_restore_stderr() }
            throw TerminalError.cannotOpen(term: term)
        }
        guard tui_tigetstr("cup") != nil, let window = tui_stdscr() else {
            endwin()
            delscreen(handle)
            if redirected != nil { _ = tg_restore_stderr() }
            throw TerminalError.noCursorAddressing(term: term)
        }
        screenHandle = handle
        self.window = window
        self.logPath = redirected
        _ = tg_set_restore_sequence(NcursesBackend.restoreSequence())

        cbreak()      // Ctrl-C still raises SIGINT (raw() would deliver it as a key)
        noecho()
        keypad(window, true)
        curs_set(0)
        wtimeout(window, 33)  // ~30 fps polling; readKey changes it per call when asked

        let noColor = getenv("NO_COLOR").map { $0.pointee != 0 } ?? false
        if !mono && !noColor && has_colors() && start_color() != ERR {
            if use_default_colors() != ERR {
                (defaultForeground, defaultBackground) = (-1, -1)
            } else {
                (defaultForeground, defaultBackground) = (Int32(COLOR_WHITE), Int32(COLOR_BLACK))
            }
            let count = Int(tui_colors())
            directColor = count > 256
            colors = min(count, 256)
            pairLimit = Int(tui_color_pairs())
        } else {
            (defaultForeground, defaultBackground) = (-1, -1)
            directColor = false
            colors = 0
            pairLimit = 0
        }
        currentTimeout = 33
    }

    deinit { shutdown() }

    public var width: Int { isShutDown ? 0 : Int(getmaxx(window)) }
    public var height: Int { isShutDown ? 0 : Int(getmaxy(window)) }

    /// Gives the terminal back (normal screen, modes, cursor) and puts stderr back. Idempotent.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        endwin()
        tg_disarm_terminal()
        if logPath != nil { _ = tg_restore_stderr() }
        delscreen(screenHandle)
    }

    // MARK: drawing

    public func draw(_ screen: Screen) {
        guard !isShutDown else { return }
        if clearPending {
            clearok(window, true)   // Ctrl-L: repaint everything, the terminal may be scribbled on
            clearPending = false
        }
        werase(window)
        let rows = min(screen.height, height), columns = min(screen.width, width)
        var lastStyle = Style.plain
        var flags: UInt32 = 0
        var pair: Int32 = 0
        for y in 0..<rows {
            for x in 0..<columns {
                let cell = screen[x, y]
                guard var scalar = cell.scalar else { continue }   // right half of a wide character
                if scalar == " " && cell.style == .plain { continue }     // werase left it blank
                if !unicode && scalar.value >= 0x80 { scalar = asciiFallback(scalar) }
                if Screen.displayWidth(scalar) == 2 && x + 1 >= columns { scalar = " " }
                if cell.style != lastStyle {
                    lastStyle = cell.style
                    flags = NcursesBackend.attributeFlags(cell.style)
                    pair = colorPair(for: cell.style)
                }
                // ERR at the bottom-right cell is expected (the cursor cannot advance); it is drawn.
                _ = tui_put_cell(Int32(y), Int32(x), scalar.value, flags, pair)
            }
        }
        wnoutrefresh(window)
        doupdate()
    }

    static func attributeFlags(_ style: Style) -> UInt32 {
        var flags: UInt32 = 0
        if style.bold { flags |= TUI_ATTR_BOLD }
        if style.dim { flags |= TUI_ATTR_DIM }
        if style.reverse { flags |= TUI_ATTR_REVERSE }
        if style.underline { flags |= TUI_ATTR_UNDERLINE }
        return flags
    }

    /// The pair for a style's (fg, bg), allocated on first use; 0 (default colours) when colour is
    /// off or the table is full.
    private func colorPair(for style: Style) -> Int32 {
        guard colors > 0 else { return 0 }
        let fg = colorNumber(style.foreground, fallback: defaultForeground)
        let bg = colorNumber(style.background, fallback: defaultBackground)
        if fg == defaultForeground && bg == defaultBackground { return 0 }
        let key = Int(fg + 1) << 32 | Int(bg + 1)
        if let known = pairs[key] { return known }
        guard Int(nextPair) < pairLimit, init_extended_pair(nextPair, fg, bg) != ERR else {
            pairMisses += 1
            return 0
        }
        pairs[key] = nextPair
        nextPair += 1
        return nextPair - 1
    }

    private func colorNumber(_ color: TermColor, fallback: Int32) -> Int32 {
        guard case .indexed(let index) = color else { return fallback }
        if directColor {
            let (r, g, b) = Theme.rgb(index)
            return Int32(index < 8 ? Int(index) : r << 16 | g << 8 | b)
        }
        if Int(index) < colors { return Int32(index) }
        return Int32(Theme.nearestBasic(index, colors: colors))
    }

    // MARK: keys

    public func readKey(timeoutMillis: Int) -> Key? {
        guard !isShutDown else { return nil }
        let timeout = Int32(clamping: max(0, timeoutMillis))
        if timeout != currentTimeout {
            wtimeout(window, timeout)
            currentTimeout = timeout
        }
        var code: wint_t = 0
        let status = wget_wch(window, &code)
        let key = NcursesBackend.decode(status: status, code: UInt32(code))
        if key == .controlL { clearPending = true }
        return key
    }

    /// `wget_wch`'s result as a Key: OK with a character, KEY_CODE_YES with a KEY_* code, ERR
    /// (timeout) or anything unknown → nil.
    static func decode(status: Int32, code: UInt32) -> Key? {
        if status == OK {
            switch code {
            case 9: return .tab
            case 10, 13: return .enter
            case 27: return .escape
            case 3: return .controlC
            case 12: return .controlL
            case 8, 127: return .backspace
            case 0..<32: return nil
            default:
                guard let scalar = Unicode.Scalar(code) else { return nil }
                return .character(Character(scalar))
            }
        }
        guard status == KEY_CODE_YES else { return nil }
        switch Int32(bitPattern: code) {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_BTAB: return .backTab
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_RESIZE: return .resize
        case (KEY_F0 + 1)...(KEY_F0 + 63): return .function(Int(Int32(bitPattern: code) - KEY_F0))
        default: return nil
        }
    }

    // MARK: set-up helpers

    /// Whether TERM has a terminfo entry that can address the cursor, checked without taking over
    /// the terminal (`setupterm` on stdout, then the entry is dropped again).
    static func terminfoCanAddressCursor() -> Bool {
        var error: Int32 = 0
        guard setupterm(nil, STDOUT_FILENO, &error) == OK else { return false }
        let canAddress = tui_tigetstr("cup") != nil
        if let loaded = set_curterm(nil) { del_curterm(loaded) }
        return canAddress
    }

    /// Whether the locale chosen by `setlocale(LC_ALL, "")` encodes text as UTF-8.
    static func localeIsUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased().filter { $0 != "-" && $0 != "_" }
        return name == "UTF8"
    }

    /// What CTermGuard writes when it must restore the terminal itself (crash, third Ctrl-C, exit
    /// without endwin): attributes off, cursor visible, leave the alternate screen, mouse reports off.
    static func restoreSequence() -> String {
        var sequence = ""
        for capability in ["sgr0", "cnorm", "rmcup"] {
            if let bytes = tui_tigetstr(capability) { sequence += String(cString: bytes) }
        }
        return sequence + "\u{1B}[?1000l\u{1B}[?1002l\u{1B}[?1003l\u{1B}[?1006l"
    }
}
