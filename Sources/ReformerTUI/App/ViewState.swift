// ViewState: everything the UI remembers that is not engine data — focus, zoom, log scale, the help
// overlay, the probe selection the user asked for, and the hashing explorer when it is open. Changed
// only by Reducer (STYLE habit 11).

import ReformerTelemetry

/// The dashboard's panels that can take focus, in Tab order.
public enum PanelID: String, Sendable, CaseIterable, Equatable {
    case loss, buckets, attention, memory, samples

    /// The panel's title.
    public var title: String {
        switch self {
        case .loss: "Training curves"
        case .buckets: "LSH buckets"
        case .attention: "Attention chunk"
        case .memory: "Memory"
        case .samples: "Samples"
        }
    }

    /// Whether the arrow keys select layer/head/round/chunk while this panel has focus.
    public var selectsProbe: Bool { self == .buckets || self == .attention }
}

/// Which layer, head, hash round and sorted chunk the probe should show.
public struct ProbeSelection: Sendable, Equatable {
    public var layer: Int, head: Int, round: Int, chunk: Int
    public init(layer: Int = 0, head: Int = 0, round: Int = 0, chunk: Int = 0) {
        self.layer = layer
        self.head = head
        self.round = round
        self.chunk = chunk
    }

    /// The selection a probe shows.
    public init(_ probe: AttentionProbe) {
        self.init(layer: probe.layer, head: probe.head, round: probe.round, chunk: probe.chunk)
    }
}

/// UI-only state of the dashboard.
///
/// ```swift
/// var state = ViewState()
/// let commands = Reducer.reduce(&state, key: .tab, snapshot: snapshot)   // focus → LSH buckets
/// let screen = Dashboard.render(snapshot, state, theme: .dark, width: 120, height: 40)
/// ```
public struct ViewState: Sendable, Equatable {
    /// The `?` overlay is open.
    public var helpVisible = false
    /// `q` or Ctrl-C was pressed; the loop sends `.quit` and stops once the worker has saved.
    public var quitRequested = false
    /// The focused panel (Tab / Shift-Tab).
    public var focus = PanelID.loss
    /// The focused panel fills the body (z).
    public var zoomed = false
    /// Loss curves on a log10 scale (l).
    public var logScale = false
    /// The probe the user asked for; nil until the first selection key (the worker's own choice shows
    /// until then). Panels render the probe the snapshot carries, and mark it while it lags this.
    public var selection: ProbeSelection?
    /// The hashing explorer is open (h) and takes the whole body and every key; nil: the dashboard.
    public var explorer: ExplorerState?

    public init() {}
}
