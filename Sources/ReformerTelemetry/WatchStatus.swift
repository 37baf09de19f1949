// WatchStatus: what `reformer-tui watch` knows about a run written by another process — its state,
// epoch, pace, the ages of its last log and newest checkpoint, which checkpoint the panels show and
// why a newer one is not shown. Set on EngineSnapshot.watch; nil for runs the dashboard trains itself.

/// The watched run, for the status line and the panels' captions.
public struct WatchStatus: Sendable, Equatable {
    public enum RunState: Sendable, Equatable {
        /// The folder is missing, empty, or holds nothing recognisable yet.
        case waiting
        case running
        /// No new log for this many whole minutes (at least 1).
        case silent(minutes: Int)
        /// max_steps reached or the final summary logged.
        case finished
    }

    /// The folder given to `watch`.
    public var directory = ""
    /// What writes it: "HF Trainer", "reformer-tui", "model folder" (empty while waiting).
    public var source = ""
    public var state = RunState.waiting
    /// While waiting: what is missing ("no such folder yet").
    public var waitingFor = ""
    public var epoch: Double?
    /// From the wall times of the last logs.
    public var stepsPerSecond: Double?
    public var lastLogAgeSeconds: Double?
    /// The newest complete checkpoint's folder name and age.
    public var newestCheckpoint: String?
    public var newestCheckpointAgeSeconds: Double?
    /// The checkpoint the LSH, attention and memory panels show.
    public var shownCheckpoint: String?
    /// A checkpoint being loaded now.
    public var loading: String?
    /// One line: why the newest checkpoint (or the curves) cannot be shown; the last good ones stay.
    public var trouble: String?
    /// What the probe sequence is ("seeded 0 w 0 w, 32 tokens").
    public var probe = ""

    public init() {}
}
