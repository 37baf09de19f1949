// ProbeCapture: what the dashboard needs to show a layer's hashing and attention, copied out of the
// training step's own forward pass (batch row 0): the attention inputs of the captured layers and the
// bucket ids they really used. AttentionProbe values are then recomputed from exactly these.

/// Captured inputs of one layer's attention for batch row 0.
public struct CapturedLayer: Sendable {
    public let layer: Int
    public let kind: AttentionKind
    /// [T, A] each: LSH: qk in `first`, values in `third`; local: query, key, value.
    public let first: [Float]
    public let second: [Float]
    public let third: [Float]
    /// LSH layers that hashed: [n_h, n_H·T] bucket ids (no round offsets); else empty.
    public let buckets: [Int32]
    /// LSH layers that hashed: the rotations used [n_h, d, n_H, R/2]; else empty.
    public var rotations: [Float] = []
}

/// Which layers to capture during a forward, and what was captured.
public final class ProbeCapture: @unchecked Sendable {
    public let layers: Set<Int>
    public private(set) var captured: [Int: CapturedLayer] = [:]
    public private(set) var tokens: [Int32] = []
    public private(set) var keyValid: [UInt8] = []
    public private(set) var length = 0
    public private(set) var plan: BucketPlan?
    public private(set) var paddingBucket = false

    public init(layers: Set<Int>) { self.layers = layers }

    func begin(tokens: [Int32], keyValid: [UInt8], length: Int, plan: BucketPlan?, paddingBucket: Bool) {
        self.tokens = tokens
        self.keyValid = keyValid
        self.length = length
        self.plan = plan
        self.paddingBucket = paddingBucket
        captured = [:]
    }

    func record(_ layer: CapturedLayer) { captured[layer.layer] = layer }
}

extension LayerContext {
    /// Copies batch row 0 of the current projections (and, for LSH, its buckets) into `probe`.
    func captureProbe(layer i: Int, into probe: ProbeCapture) {
        let c = model.config, T = length, A = c.allHeadSize
        func row0(_ b: FloatBuffer) -> [Float] { Array(UnsafeBufferPointer(start: b.pointer, count: T * A)) }
        if c.attentionLayers[i] == .local {
            probe.record(CapturedLayer(layer: i, kind: .local, first: row0(projA), second: row0(projB), third: row0(projV), buckets: []))
        } else {
            var buckets: [Int32] = []
            if let store = workspace.buckets[i] {
                buckets = Array(UnsafeBufferPointer(start: store.pointer, count: c.headCount * c.hashRounds * T))
            }
            var layer = CapturedLayer(layer: i, kind: .lsh, first: row0(projA), second: [], third: row0(projV), buckets: buckets)
            layer.rotations = workspace.trace(layer: i, paddingBucket: paddingBucket)?.rotations ?? []
            probe.record(layer)
        }
    }

    func beginProbe(_ probe: ProbeCapture) {
        let T = length
        probe.begin(
            tokens: Array(UnsafeBufferPointer(start: ids.pointer, count: T)),
            keyValid: maskPresent ? Array(UnsafeBufferPointer(start: keyValid.pointer, count: T)) : [],
            length: T, plan: workspace.plan, paddingBucket: paddingBucket)
    }
}
