// HelpOverlay: the `?` window listing every key (the same scheme Reducer implements) and a short
// glossary of what the LSH panels show; while watching, without the training keys. Esc or ? closes
// it; other keys except q wait until then.

import ReformerTelemetry

/// The help overlay.
///
/// ```swift
/// if state.helpVisible { HelpOverlay.render(theme: theme, in: layout.body, into: &screen) }
/// ```
public enum HelpOverlay {
    /// One help row: keys and what they do; an empty key starts a section named by `action`.
    public struct Entry: Sendable, Equatable {
        public var keys: String
        public var action: String
        public init(keys: String, action: String) {
            self.keys = keys
            self.action = action
        }
    }

    static func section(_ name: String) -> Entry { Entry(keys: "", action: name) }

    /// Every key, by section.
    public static let entries: [Entry] = [
        section("Training"),
        Entry(keys: "space", action: "pause / resume training"),
        Entry(keys: "n", action: "one training step while paused"),
        Entry(keys: "s", action: "sample now (copy: a validation example; text: a continuation)"),
        Entry(keys: "c", action: "write a checkpoint now"),
        Entry(keys: "+ / -", action: "evaluation hash rounds up / down (more rounds: closer to full attention)"),
        section("View"),
        Entry(keys: "Tab / Shift-Tab", action: "focus the next / previous panel"),
        Entry(keys: "z", action: "zoom the focused panel to the whole screen (Esc or z restores)"),
        Entry(keys: "l", action: "log scale for the loss curves"),
        Entry(keys: "h", action: "explore the hashing of the selected layer/head"),
        Entry(keys: "? / Esc", action: "open / close this help"),
        section("Selection — in the LSH buckets and Attention chunk panels"),
        Entry(keys: "↑ / ↓  (k / j)", action: "previous / next hash round"),
        Entry(keys: "PgUp / PgDn", action: "previous / next layer"),
        Entry(keys: "← / →", action: "head (LSH buckets) · chunk (Attention chunk)"),
        Entry(keys: "[ / ]", action: "previous / next head (both panels)"),
        section("Quit"),
        Entry(keys: "q / Ctrl-C", action: "write a checkpoint, stop training, restore the terminal"),
        section("What the LSH panels show"),
        Entry(keys: "bucket", action: "a random rotation hashes each position's shared query/key; nearby vectors share a bucket"),
        Entry(keys: "round", action: "one independent hashing; more rounds miss fewer neighbours"),
        Entry(keys: "chunk", action: "positions sorted by bucket, cut into equal chunks; each attends to itself + the chunk before"),
        Entry(keys: "masks", action: "· causal (a later position)  × self (own position, used only if nothing else)  - padding"),
    ]

    /// Every key while watching another process's run (`reformer-tui watch`): no training keys.
    public static let watchEntries: [Entry] = [
        section("Watching a run"),
        Entry(keys: "s", action: "sample from the checkpoint shown (copy probe: its second copy; text: a continuation)"),
    ] + entries.drop { $0.keys != "" || $0.action != "View" }.filter { $0.keys != "q / Ctrl-C" && $0.action != "Quit" }
      + [section("Quit"), Entry(keys: "q / Ctrl-C", action: "stop watching (the run goes on), restore the terminal")]

    /// The keys for this snapshot: the dashboard's, or `watchEntries` when watching.
    public static func entries(for snapshot: EngineSnapshot) -> [Entry] { snapshot.watch != nil ? watchEntries : entries }

    public static let title = "Keys — reformer-tui (Esc or ? closes)"

    /// Draws the overlay centred in `area`, clearing what is beneath it.
    public static func render(_ snapshot: EngineSnapshot = EngineSnapshot(), theme: Theme, in area: Rect, into screen: inout Screen) {
        render(entries: entries(for: snapshot), title: title, theme: theme, in: area, into: &screen)
    }

    /// Draws a key list (`entries`, sections where `keys` is empty) as an overlay titled `title`.
    public static func render(entries: [Entry], title: String, theme: Theme, in area: Rect, into screen: inout Screen) {
        let keyWidth = entries.map { Format.width($0.keys) }.max() ?? 0
        let textWidth = entries.map { $0.keys.isEmpty ? Format.width($0.action) : keyWidth + 4 + Format.width($0.action) }.max() ?? 0
        let width = min(area.width, max(textWidth + 4, Format.width(title) + 6))
        let height = min(area.height, entries.count + 2)
        guard width >= 10, height >= 3 else { return }
        let rect = Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        screen.fill(rect)
        let inner = Box(title: title, focused: true, theme: theme).render(rect, into: &screen)
        let inset = Rect(x: inner.x + 1, y: inner.y, width: inner.width - 1, height: inner.height)
        let shown = inner.height < entries.count ? entries.filter { !$0.keys.isEmpty } : entries
        for (i, entry) in shown.prefix(inset.height).enumerated() {
            let y = inset.y + i
            if entry.keys.isEmpty {
                screen.put(entry.action, x: inset.x, y: y, style: theme.title, clip: inset)
            } else {
                screen.put(entry.keys, x: inset.x + 2, y: y, style: theme.key, clip: inset)
                screen.put(Format.truncate(entry.action, max(0, inset.width - keyWidth - 4)), x: inset.x + 2 + keyWidth + 2, y: y,
                           style: theme.text, clip: inset)
            }
        }
    }
}
