// ExplorerSession: the standalone explorer (`reformer-tui explore`) — one snapshot carrying the trace,
// the same AppLoop and reducer as the dashboard, no worker; closing the explorer (Esc) quits. The
// terminal is restored on every way out (NcursesBackend.shutdown, CTermGuard on signals and crashes).

import ReformerTelemetry

/// Shows only the hashing explorer on the terminal.
///
/// ```swift
/// let trace = try HashTracer.trace(capture, config: config, layer: 0, head: 0)
/// try ExplorerSession.run(trace: trace, title: "fresh copy model (seed 0)", mono: false)
/// ```
public enum ExplorerSession {
    /// Runs until Esc (outside a drill), `q`, Ctrl-C or SIGINT/SIGTERM/SIGHUP; returns with the terminal restored.
    /// - Parameters:
    ///   - title: what is being explored, shown on the top line (model, input).
    ///   - mono: no colours (`--mono`); `NO_COLOR` does the same.
    /// - Throws: `TerminalError` when the terminal cannot host the explorer (before anything is drawn).
    public static func run(trace: HashTrace, title: String, mono: Bool) throws {
        let backend = try NcursesBackend(mono: mono, logPath: TerminalSession.defaultLogPath)
        defer { backend.shutdown() }
        let theme = backend.colors == 0 ? Theme.mono : Theme.dark.limited(to: backend.colors)
        let store = SnapshotStore()
        store.publish(snapshot(trace))
        let loop = AppLoop(backend: backend, store: store, commands: CommandQueue(), theme: theme,
                           initialState: initialState(trace),
                           render: { render($0.hashTrace, $1, title: title, theme: $2, width: $3, height: $4) },
                           reduce: reduce)
        _ = loop.run(workerFinished: { true })
    }

    /// The one snapshot the standalone explorer shows.
    public static func snapshot(_ trace: HashTrace) -> EngineSnapshot {
        var s = EngineSnapshot()
        s.runState = .paused
        s.hashTrace = trace
        return s
    }

    /// The explorer open on `trace`, with Esc quitting.
    public static func initialState(_ trace: HashTrace) -> ViewState {
        var state = ViewState()
        state.explorer = ExplorerState(layer: trace.layer, head: trace.head, closesApp: true)
        return state
    }

    /// The dashboard's reducer, except that closing the explorer quits the app.
    public static func reduce(_ state: inout ViewState, _ key: Key, _ snapshot: EngineSnapshot) -> [SessionCommand] {
        let commands = Reducer.reduce(&state, key: key, snapshot: snapshot)
        if state.explorer == nil && !state.quitRequested {
            state.quitRequested = true
            return [.quit]
        }
        return commands
    }

    /// One frame: the title line, the explorer, its hint bar (below 80×24 the "too small" message).
    public static func render(_ trace: HashTrace?, _ state: ViewState, title: String, theme: Theme, width: Int, height: Int) -> Screen {
        var screen = Screen(width: width, height: height)
        let layout = DashboardLayout(width: width, height: height)
        if layout.tooSmall {
            let lines = layout.tooSmallLines
            let top = (height - lines.count) / 2
            for (i, line) in lines.enumerated() {
                screen.put(line, x: max(0, (width - Format.width(line)) / 2), y: top + i, style: theme.warning)
            }
            return screen
        }
        var badge = theme.title
        badge.reverse = true
        let x = screen.put(" EXPLORE ", x: layout.status.x, y: layout.status.y, style: badge, clip: layout.status)
        screen.put(" " + Format.truncate(title, max(0, layout.status.maxX - x - 1)), x: x, y: layout.status.y, style: theme.text, clip: layout.status)
        let explorer = state.explorer ?? ExplorerState(layer: trace?.layer ?? 0, head: trace?.head ?? 0, closesApp: true)
        ExplorerView.renderScreenBody(trace, explorer, tracing: false, message: "no training here: the model and the trace stay as they are",
                                      theme: theme, layout: layout, into: &screen)
        return screen
    }
}
