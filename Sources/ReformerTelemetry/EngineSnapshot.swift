// EngineSnapshot: everything the dashboard shows, as one immutable value the engine worker publishes.
// The UI renders it and never reaches into the engine; the engine never formats text for a screen.

/// Training curves and the latest figures.
public struct EngineSnapshot: Sendable, Equatable {
    public enum RunState: String, Sendable { case starting, running, paused, finished, failed, stopping }

    /// Monotonic publication number (set by SnapshotStore).
    public var version: UInt64 = 0
    public var runState = RunState.starting
    /// One line saying what went wrong when `runState == .failed`.
    public var failure: String?
    /// Last event worth telling the user ("checkpoint saved to …", "evaluation hashes: 8").
    public var message: String?

    // Status line
    public var task = ""                  // "copy" / "text"
    public var modelSummary = ""          // "1 LSH layer, hidden 64, 4 heads, 50,048 params"
    public var step = 0
    public var totalSteps = 0
    public var tokensPerSecond = 0.0
    public var elapsedSeconds = 0.0
    public var checkpointPath = ""
    /// Seconds since the last checkpoint was written (nil: none yet).
    public var checkpointAgeSeconds: Double?
    public var metricName = "acc"         // "acc" or "bpb"
    public var trainHashes = 0            // hash rounds in training (0 = full attention)
    public var evalHashes = 0             // hash rounds used for evaluation (0 = full attention)

    // Curves
    public var trainLoss: [CurvePoint] = []
    public var trainMetric: [CurvePoint] = []
    public var validationLoss: [CurvePoint] = []
    public var validationMetric: [CurvePoint] = []
    /// Learning rate and global gradient norm per logged step (`watch`; empty for the dashboard's own run).
    public var learningRate: [CurvePoint] = []
    public var gradientNorm: [CurvePoint] = []

    public var probe: AttentionProbe?
    public var memory = MemoryReport()
    public var sample: SamplePreview?
    /// The hashing explorer's trace, when one was asked for (`SessionCommand.explore`).
    public var hashTrace: HashTrace?
    /// The worker is computing a trace.
    public var tracing = false
    /// The Table 2 experiment this run belongs to (`reformer-tui experiment copy`); nil for `train`.
    public var experiment: ExperimentProgress?
    /// The run `reformer-tui watch` follows; nil when the dashboard trains the model itself.
    public var watch: WatchStatus?

    public init() {}
}

public struct CurvePoint: Sendable, Equatable {
    public var step: Int
    public var value: Double
    public init(step: Int, value: Double) { self.step = step; self.value = value }
}

/// What the selected LSH layer/head/round did on the current batch (batch row 0), taken from the
/// training step's own forward pass.
public struct AttentionProbe: Sendable, Equatable {
    public var layer = 0
    public var layerCount = 0
    public var layerKinds: [String] = []  // "lsh" / "local" per layer
    public var head = 0
    public var headCount = 0
    public var round = 0
    public var roundCount = 0
    public var chunk = 0
    public var chunkCount = 0
    public var chunkLength = 0
    public var bucketCount = 0            // buckets per round (without a padding bucket)
    public var tokens: [Int32] = []       // the batch row's tokens [T]
    /// Bucket of every position in the selected round [T] (empty for local layers / unhashed).
    public var buckets: [Int32] = []
    /// Positions per bucket in the selected round [bucketCount].
    public var occupancy: [Int] = []
    /// Evenness of the occupancy: entropy / log(bucketCount), 1 = perfectly even.
    public var evenness = 0.0
    /// One chunk's attention: rows = its queries, columns = its window keys (look-back first).
    public var attention: [[Float]] = []
    /// Same shape: why a cell is masked (none, causal, self, padding).
    public var mask: [[MaskKind]] = []
    public var queryPositions: [Int32] = []
    public var keyPositions: [Int32] = []

    public enum MaskKind: UInt8, Sendable { case none, causal, selfPosition, padding }

    public init() {}
}

/// The engine's allocation ledger beside what a standard Transformer would need.
public struct MemoryReport: Sendable, Equatable {
    public var parametersBytes = 0
    public var gradientsBytes = 0
    public var optimizerBytes = 0
    public var activationsBytes = 0        // live at the last step's peak
    public var attentionBytes = 0
    public var peakBytes = 0               // ledger peak total during the last step
    public var processRSSBytes = 0
    public var sequenceLength = 0
    /// A standard (non-reversible, full-attention) Transformer of the same config at this length:
    /// T×T attention scores per head and layer plus activations stored per layer, for one training step.
    public var standardAttentionBytes = 0
    public var standardActivationsBytes = 0
    public init() {}
}

/// The Samples panel: copy — an evaluation example with the model's prediction; text — generated text.
public struct SamplePreview: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case copy, text }
    public var kind = Kind.copy
    public var step = 0
    /// Copy: the first half `0 w` and the predicted second copy; `wrong[i]` marks mispredictions.
    public var prompt: [Int32] = []
    public var expected: [Int32] = []
    public var predicted: [Int32] = []
    /// Text: the prompt and the continuation as (lossily decoded) UTF-8.
    public var text = ""
    public var continuation = ""
    /// Still generating (streaming into the panel).
    public var inProgress = false
    public init() {}
}
