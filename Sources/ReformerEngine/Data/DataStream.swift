// DataStream: one seed, several independent random streams — model initialisation, training data and
// evaluation data must not share draws, or "a different seed for evaluation" silently means nothing.

/// A named random stream derived from a run's seed.
///
/// Each stream mixes the seed with its own tag before seeding a `SplitMix64`, so the copy task's
/// training batches and its fixed evaluation set never repeat each other's draws, even when both
/// come from the same `seed` in train.json.
///
/// ```swift
/// var trainRNG = DataStream.copyTraining.generator(seed: settings.seed)
/// let batch = task.sample(batch: 32, rng: &trainRNG)
/// ```
public enum DataStream: UInt64, Sendable, CaseIterable {
    /// Fresh `0 w 0 w` batches for training.
    case copyTraining = 0x636F_7079_2E74_726E  // "copy.trn"
    /// The fixed `0 w 0 w` evaluation set.
    case copyEvaluation = 0x636F_7079_2E65_766C  // "copy.evl"
    /// Random windows of a text corpus for training.
    case textTraining = 0x7465_7874_2E74_726E  // "text.trn"
    /// LSH rotations drawn while training (models without a hash_seed).
    case rotations = 0x726F_7461_2E74_726E  // "rota.trn"
    /// Dropout masks of training steps (mixed with the step number, see `DropoutPlan`).
    case dropout = 0x6472_6F70_2E74_726E  // "drop.trn"

    /// A generator for this stream; the same seed always gives the same sequence.
    public func generator(seed: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ rawValue)
        return SplitMix64(seed: mixer.next())
    }
}
