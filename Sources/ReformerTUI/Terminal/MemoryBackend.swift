// MemoryBackend: a terminal in memory for tests — keys come from a script, every drawn Screen is
// kept (ratatui's TestBackend). Nothing here waits: an empty script answers "no key" at once.

/// A scripted, in-memory terminal.
///
/// ```swift
/// let backend = MemoryBackend(width: 100, height: 30)
/// backend.enqueue(.character("?"))
/// backend.enqueueIdle(3)                       // three polls with no key
/// backend.enqueue { store.publish(snapshot) }  // runs when the loop reaches it (then "no key")
/// backend.enqueueResize(width: 60, height: 20) // the size changes and `.resize` is delivered
/// backend.enqueue(.character("q"))
/// // … run the loop …
/// backend.screens.last?.row(0)
/// ```
public final class MemoryBackend: TerminalBackend {
    public enum Step {
        case key(Key)
        case idle
        case resize(width: Int, height: Int)
        case action(() -> Void)
    }

    public private(set) var width: Int
    public private(set) var height: Int
    public var colors: Int
    public var unicode: Bool
    /// Every screen drawn, oldest first.
    public private(set) var screens: [Screen] = []
    /// `readKey` calls so far.
    public private(set) var reads = 0
    /// Called whenever the script is empty and a key is asked for (after it, "no key").
    public var onIdle: (() -> Void)?

    private var script: [Step] = []
    private var next = 0

    public init(width: Int = 120, height: Int = 40, colors: Int = 256, unicode: Bool = true) {
        self.width = width
        self.height = height
        self.colors = colors
        self.unicode = unicode
    }

    public func enqueue(_ keys: Key...) { script += keys.map(Step.key) }
    public func enqueueIdle(_ count: Int = 1) { script += Array(repeating: .idle, count: count) }
    public func enqueue(_ action: @escaping () -> Void) { script.append(.action(action)) }
    public func enqueueResize(width: Int, height: Int) { script.append(.resize(width: width, height: height)) }
    /// Steps not yet consumed.
    public var pending: Int { script.count - next }

    public func draw(_ screen: Screen) { screens.append(screen) }

    public func readKey(timeoutMillis: Int) -> Key? {
        reads += 1
        guard next < script.count else {
            onIdle?()
            return nil
        }
        let step = script[next]
        next += 1
        switch step {
        case .key(let key): return key
        case .idle: return nil
        case .resize(let w, let h):
            width = w
            height = h
            return .resize
        case .action(let action):
            action()
            return nil
        }
    }
}
