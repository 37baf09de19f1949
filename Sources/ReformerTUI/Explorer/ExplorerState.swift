// ExplorerState: what the hashing explorer remembers — the stage, the hash round, the selected
// position, chunk and query row, a drill into one chunk, the help overlay. Changed only by
// ExplorerReducer; `resolved(in:)` turns it into indices that are valid for a given trace.

import ReformerTelemetry

/// The explorer's view state (issue 5: six stages of one LSH layer/head on one sequence).
///
/// ```swift
/// var state = ExplorerState(layer: 0, head: 1)
/// _ = ExplorerReducer.reduce(&state, key: .right, trace: trace)      // Stage 2/6 · Hashing
/// let s = state.resolved(in: trace)                                   // round, position, chunk, query row
/// ```
///
/// `position`, `chunk` and `query` are nil until the user picks one: the position then defaults to
/// the first symbol of the second copy of a `0 w 0 w` sequence (else the middle), the chunk follows
/// the selected position in the selected round, and the query row is that position's row.
public struct ExplorerState: Sendable, Equatable {
    /// The six stages, in order (numbers 1…6).
    public enum Stage: Int, Sendable, CaseIterable, Equatable {
        case vectors = 1, hashing, sorting, chunking, attention, merging

        public var name: String {
            switch self {
            case .vectors: "Vectors"
            case .hashing: "Hashing"
            case .sorting: "Sorting"
            case .chunking: "Chunking"
            case .attention: "Attention"
            case .merging: "Merging rounds"
            }
        }

        public var number: Int { rawValue }

        /// "Stage 3/6 · Sorting".
        public var title: String { "Stage \(rawValue)/\(Stage.allCases.count) · \(name)" }
    }

    /// The layer and head the explorer asked the engine to trace.
    public var layer: Int
    public var head: Int
    public var stage = Stage.vectors
    /// Hash round (0-based) shown by stages 1–5.
    public var round = 0
    /// Selected sequence position; nil = the default.
    public var position: Int?
    /// Selected chunk over all rounds (0-based); nil = the chunk holding `position` in `round`.
    public var chunk: Int?
    /// Selected query row within the chunk; nil = the row of `position` when it lies in the chunk, else 0.
    public var query: Int?
    /// The stage `Enter` drilled from into Attention; Esc goes back there.
    public var drilledFrom: Stage?
    /// The explorer's `?` overlay is open.
    public var helpVisible = false
    /// Standalone (`reformer-tui explore`): closing the explorer quits the app, hints say so.
    public var closesApp = false

    public init(layer: Int = 0, head: Int = 0, closesApp: Bool = false) {
        self.layer = layer
        self.head = head
        self.closesApp = closesApp
    }

    /// Inside a drill (`Enter` from another stage into Attention).
    public var drilled: Bool { drilledFrom != nil }

    /// Indices valid for `trace` (each clamped; all 0 for an empty trace).
    public struct Resolved: Sendable, Equatable {
        public var round: Int
        public var position: Int
        public var chunk: Int
        /// Row within `chunk`.
        public var query: Int
        /// Slot of the selected query row (`chunk · C + query`).
        public var querySlot: Int
    }

    /// The selection as indices into `trace`.
    public func resolved(in trace: HashTrace) -> Resolved {
        resolved(TraceIndex(trace))
    }

    func resolved(_ index: TraceIndex) -> Resolved {
        let round = Self.clamp(self.round, index.rounds)
        let position = Self.clamp(self.position ?? index.defaultPosition, index.length)
        let slot = index.slot(round: round, position: position)
        let chunk = Self.clamp(self.chunk ?? (slot.map { index.chunk(ofSlot: $0) } ?? 0), index.chunkCount)
        let rowOfPosition = slot.flatMap { index.chunk(ofSlot: $0) == chunk ? $0 - chunk * index.chunkLength : nil }
        let query = Self.clamp(self.query ?? rowOfPosition ?? 0, index.chunkLength)
        return Resolved(round: round, position: position, chunk: chunk, query: query, querySlot: chunk * index.chunkLength + query)
    }

    /// `value` in 0 ..< count (0 when count ≤ 0).
    static func clamp(_ value: Int, _ count: Int) -> Int { max(0, min(value, count - 1)) }
}
