// TerminalSession: what the CLI calls — can this process show a dashboard, and run one on the real
// terminal with the terminal restored on every way out (TUI_GUIDE §2.6).

import ReformerTelemetry
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum TerminalSession {
    /// True when stdin and stdout are terminals and TERM names one that is not "dumb" and whose
    /// terminfo entry can move the cursor. When false, the CLI prints headless progress lines instead.
    public static var canUseTerminal: Bool {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { return false }
        guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty, term != "dumb" else { return false }
        return NcursesBackend.terminfoCanAddressCursor()
    }

    /// Where stderr goes while the dashboard is up unless told otherwise:
    /// `$TMPDIR/reformer-tui-<uid>.log` (one file per user, rewritten by each run).
    public static var defaultLogPath: String {
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "\(directory)/reformer-tui-\(getuid()).log"
    }

    /// Runs the dashboard on the calling thread (the main thread: every ncurses call happens here)
    /// until the user quits (`q`, Ctrl-C), a SIGINT/SIGTERM/SIGHUP arrives, or `exitAfter` passes;
    /// each sends `.quit` through `commands` and keeps drawing until `workerFinished()` is true
    /// (or 30 s pass). The terminal is restored before this returns or throws; a crash restores it
    /// through CTermGuard. Prints nothing.
    ///
    /// ```swift
    /// worker.start(store: store, commands: commands)          // publishes snapshots, drains commands
    /// let exit = try TerminalSession.runDashboard(store: store, commands: commands, mono: mono,
    ///                                             workerFinished: { worker.isDone })
    /// print("stopped at step \(exit.lastSnapshot.step)")
    /// ```
    /// - Parameters:
    ///   - mono: no colours (`--mono`); `NO_COLOR` in the environment has the same effect.
    ///   - logPath: receives stderr while the dashboard is up (default `defaultLogPath`).
    ///   - exitAfter: quit by itself after this long (smoke runs).
    /// - Throws: `TerminalError` when the terminal cannot host the dashboard (before anything is drawn).
    public static func runDashboard(store: SnapshotStore, commands: CommandQueue, mono: Bool = false,
                                    logPath: String? = nil, exitAfter: Duration? = nil,
                                    onStart: () -> Void = {},
                                    workerFinished: () -> Bool) throws -> AppExit {
        let backend = try NcursesBackend(mono: mono, logPath: logPath ?? defaultLogPath)
        defer { backend.shutdown() }
        onStart()   // the terminal is set up and stderr goes to the log: start the worker now
        let theme = backend.colors == 0 ? Theme.mono : Theme.dark.limited(to: backend.colors)
        let loop = AppLoop(backend: backend, store: store, commands: commands, theme: theme)
        loop.exitAfter = exitAfter
        return loop.run(workerFinished: workerFinished)
    }
}
