// SessionCommand: everything the UI may ask of the engine worker; drained between steps.

public enum SessionCommand: Sendable, Equatable {
    case pause, resume, togglePause
    case stepOnce
    case sample
    case checkpoint
    /// Change the evaluation hash rounds by a delta (clamped to 1…16; 0 = full attention is `setEvalHashes(0)`).
    case changeEvalHashes(Int)
    /// Select what the probe shows.
    case selectProbe(layer: Int, head: Int, round: Int, chunk: Int)
    /// Freeze training (remembering whether it ran) and trace `layer`/`head` on the current batch.
    case explore(layer: Int, head: Int)
    /// Leave the explorer: training resumes if it was running before `explore`.
    case closeExplorer
    case quit
}
