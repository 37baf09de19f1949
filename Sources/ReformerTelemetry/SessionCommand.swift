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
    case quit
}
