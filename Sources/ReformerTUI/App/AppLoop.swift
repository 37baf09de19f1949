// AppLoop: the main-thread loop of TUI_GUIDE §2.2 — key → Reducer → commands to the worker; on a
// key, a new snapshot or a 1 s tick, Dashboard.render → backend.draw. Quitting (q, Ctrl-C, SIGINT,
// SIGTERM, SIGHUP) sends `.quit` once and keeps drawing until the worker has saved and stopped.

import CTermGuard
import ReformerTelemetry
import Synchronization

/// How the loop ended.
public struct AppExit: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// `q` or Ctrl-C through the reducer (`ViewState.quitRequested`).
        case quitKey
        /// SIGINT, SIGTERM or SIGHUP (the signal number), seen through CTermGuard.
        case signal(Int32)
        /// `AppLoop.exitAfter` elapsed (unattended runs, CI).
        case timeLimit
    }

    public var reason: Reason
    /// The worker said it had stopped; false when `AppLoop.quitTimeout` ran out first.
    public var workerFinished: Bool
    /// Frames drawn.
    public var frames: Int
    /// Longest time from reading a key to its frame being on screen (render + draw), milliseconds.
    public var slowestKeyMillis: Double
    /// The last snapshot drawn (for a summary line after the terminal is restored).
    public var lastSnapshot: EngineSnapshot

    public init(reason: Reason, workerFinished: Bool, frames: Int, slowestKeyMillis: Double, lastSnapshot: EngineSnapshot) {
        self.reason = reason
        self.workerFinished = workerFinished
        self.frames = frames
        self.slowestKeyMillis = slowestKeyMillis
        self.lastSnapshot = lastSnapshot
    }
}

/// Runs the dashboard on the calling (main) thread until quit and the worker has stopped.
///
/// ```swift
/// let loop = AppLoop(backend: backend, store: store, commands: commands,
///                    theme: backend.colors == 0 ? .mono : Theme.dark.limited(to: backend.colors))
/// let exit = loop.run(workerFinished: { workerDone.load(ordering: .acquiring) })
/// ```
public final class AppLoop {
    /// Draws a frame: (snapshot, view state, theme, width, height) → screen.
    public typealias Render = (EngineSnapshot, ViewState, Theme, Int, Int) -> Screen
    /// Applies a key to the view state; returns the commands for the worker.
    public typealias Reduce = (inout ViewState, Key, EngineSnapshot) -> [SessionCommand]

    /// Longest wait for a key before looking for a new snapshot (~30 fps).
    public var frameMillis = 33
    /// Redraw at least this often even with no key and no new snapshot (clocks, ages).
    public var tickInterval: Duration = .seconds(1)
    /// After `.quit` is sent, give up waiting for the worker after this long.
    public var quitTimeout: Duration = .seconds(30)
    /// Quit by itself after this long (nil: never).
    public var exitAfter: Duration?
    /// The pending quit signal, 0 if none (CTermGuard's flag; replaceable in tests).
    public var quitSignal: () -> Int32 = { tg_quit_signal() }
    /// The view state as the reducer left it.
    public private(set) var state = ViewState()

    private let backend: any TerminalBackend
    private let store: SnapshotStore
    private let commands: CommandQueue
    private let theme: Theme
    private let render: Render
    private let reduce: Reduce
    /// Keys applied per frame at most, so a paste cannot starve drawing.
    private let keysPerFrame = 32

    /// - Parameter initialState: the view state the loop starts from (e.g. with the explorer open).
    public init(backend: any TerminalBackend, store: SnapshotStore, commands: CommandQueue, theme: Theme,
                initialState: ViewState = ViewState(),
                render: @escaping Render = { Dashboard.render($0, $1, theme: $2, width: $3, height: $4) },
                reduce: @escaping Reduce = { Reducer.reduce(&$0, key: $1, snapshot: $2) }) {
        self.state = initialState
        self.backend = backend
        self.store = store
        self.commands = commands
        self.theme = theme
        self.render = render
        self.reduce = reduce
    }

    /// Loops until a quit request (key, signal or `exitAfter`) has been sent to the worker as
    /// `.quit` and `workerFinished()` returns true — drawing all the while, so the user sees the
    /// checkpoint being written — or until `quitTimeout` expires.
    public func run(workerFinished: () -> Bool) -> AppExit {
        let clock = ContinuousClock()
        let start = clock.now
        var quitSentAt: ContinuousClock.Instant?
        var reason = AppExit.Reason.quitKey
        var finished = false
        var dirty = true
        var lastVersion: UInt64?
        var lastDraw = start
        var firstUndrawnKey: ContinuousClock.Instant?
        var frames = 0
        var slowestKey = Duration.zero
        var lastSnapshot = EngineSnapshot()

        while true {
            if quitSentAt == nil, let why = quitReason(elapsed: clock.now - start) {
                reason = why
                state.quitRequested = true
                commands.send(.quit)
                quitSentAt = clock.now
                dirty = true
            }
            if let sentAt = quitSentAt {
                if workerFinished() {
                    finished = true
                    break
                }
                if clock.now - sentAt >= quitTimeout { break }
            }

            var timeout = frameMillis
            for _ in 0..<keysPerFrame {
                guard let key = backend.readKey(timeoutMillis: timeout) else { break }
                timeout = 0
                dirty = true
                if firstUndrawnKey == nil { firstUndrawnKey = clock.now }
                if quitSentAt == nil && !state.quitRequested {
                    for command in reduce(&state, key, store.current()) { commands.send(command) }
                }
                if state.quitRequested { break }
            }

            let version = store.version.load(ordering: .acquiring)
            if dirty || version != lastVersion || clock.now - lastDraw >= tickInterval {
                lastSnapshot = store.current()
                backend.draw(render(lastSnapshot, state, theme, backend.width, backend.height))
                frames += 1
                lastDraw = clock.now
                // The snapshot's own number: publish bumps the counter just before swapping the value in.
                lastVersion = lastSnapshot.version
                dirty = false
                if let keyTime = firstUndrawnKey {
                    slowestKey = max(slowestKey, lastDraw - keyTime)
                    firstUndrawnKey = nil
                }
            }
        }
        let millis = Double(slowestKey.components.seconds) * 1000 + Double(slowestKey.components.attoseconds) / 1e15
        return AppExit(reason: reason, workerFinished: finished, frames: frames, slowestKeyMillis: millis,
                       lastSnapshot: lastSnapshot)
    }

    private func quitReason(elapsed: Duration) -> AppExit.Reason? {
        if state.quitRequested { return .quitKey }
        let signal = quitSignal()
        if signal != 0 { return .signal(signal) }
        if let limit = exitAfter, elapsed >= limit { return .timeLimit }
        return nil
    }
}
