// HashTrace: one LSH layer and head on one sequence, stage by stage — what the explorer shows.
// Computed on demand by the engine (never every step) from the forward pass's own inputs, buckets
// and rotations; rendered by the TUI without touching the engine.

public struct HashTrace: Sendable, Equatable {
    public var layer = 0
    public var layerCount = 0
    public var head = 0
    public var headCount = 0
    /// "lsh" or "local"; a local layer has no hashing (only `tokens`, `chunkLength`, window fields and
    /// `chunkWeights` are filled, one round).
    public var layerKind = "lsh"
    /// The forward hashed (T > chunk length); false: one chunk covers the sequence, no buckets.
    public var hashed = true
    public var length = 0
    public var headSize = 0
    public var rounds = 1
    public var chunkLength = 0
    public var chunksBefore = 1
    public var chunksAfter = 0
    public var causal = true
    /// Buckets per round (product of the factors), without the padding bucket.
    public var bucketCount = 0
    public var factors: [Int] = []
    public var paddingBucket = false

    /// Token ids [T] and a display label per position (printable bytes as text, else the id).
    public var tokens: [Int32] = []
    public var tokenLabels: [String] = []
    /// Shared-QK vectors (raw query) [T][d].
    public var vectors: [[Float]] = []
    /// This head's rotations [d][n_H·R/2] (round-major columns).
    public var rotations: [[Float]] = []
    /// Rotated projections per round [n_H][T][R/2].
    public var rotated: [[[Float]]] = []
    /// Bucket per round and position [n_H][T] (the forward's, no round offsets).
    public var buckets: [[Int32]] = []
    /// The forward's sort order: slot → flat index round·T + position [n_H·T].
    public var sortedIndices: [Int32] = []
    /// Position of each slot [n_H·T].
    public var slotPositions: [Int32] = []
    /// Chunks over all rounds: N = n_H·T / C; chunk c attends to chunks (c + j) mod N, j = −before…after.
    public var chunkCount = 0
    /// Each chunk's weights [N][C][W] (W = C·(before + 1 + after)) and why a cell is masked.
    public var chunkWeights: [[[Float]]] = []
    public var chunkMasks: [[[AttentionProbe.MaskKind]]] = []
    /// Log-sum-exp of every slot [n_H·T].
    public var slotLogSumExp: [Float] = []
    /// Merge weight of each round per position [T][n_H] (exp(ℓ_r − logsumexp_r ℓ)).
    public var roundWeights: [[Float]] = []
    /// Full attention's top-k keys per position [T][≤k], strongest first (same masks, self excluded).
    public var fullTopKeys: [[Int32]] = []
    /// Full attention weight of those keys [T][≤k].
    public var fullTopWeights: [[Float]] = []
    /// Per position: recall of full attention's top-k by each round alone [T][n_H] and by all rounds [T].
    public var recallPerRound: [[Double]] = []
    public var recallCombined: [Double] = []
    /// Mean recall over positions using the first r rounds together, r = 1…n_H.
    public var recallByRounds: [Double] = []
    public var recallK = 8

    public init() {}

    /// Number of window keys of a chunk.
    public var windowLength: Int { chunkLength * (chunksBefore + 1 + chunksAfter) }

    /// The chunks chunk `c` attends to, in window order.
    public func window(ofChunk c: Int) -> [Int] {
        guard chunkCount > 0 else { return [] }
        return (-chunksBefore...chunksAfter).map { ((c + $0) % chunkCount + chunkCount) % chunkCount }
    }
}
