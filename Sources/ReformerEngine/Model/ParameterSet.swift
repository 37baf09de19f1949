// ParameterSet: every named weight of a model as a view into one ledger-counted arena. The same
// layout serves parameters, gradients and optimizer moments, so a slot index means the same tensor
// in each (llm.c's malloc_and_point_parameters).

/// One named tensor inside a ParameterSet.
public struct ParameterEntry: Sendable {
    public let name: String      // engine name, e.g. "layers.1.attention.queryKey"
    public let hfName: String    // HF checkpoint key
    public let shape: [Int]
    public let offset: Int       // in elements from the arena start
    /// Elements (0 in a layout whose sizes overflow; see `ParameterLayout.overflows`).
    public let count: Int
}

/// Slot indices of one layer's tensors (-1 where the layer kind has none).
public struct LayerSlots: Sendable {
    public var attentionNormWeight = -1, attentionNormBias = -1
    public var query = -1, key = -1, queryKey = -1, value = -1, output = -1
    public var ffNormWeight = -1, ffNormBias = -1
    public var ff1Weight = -1, ff1Bias = -1, ff2Weight = -1, ff2Bias = -1
}

/// Names, shapes and offsets of a model's parameters, derived from its config.
public struct ParameterLayout: Sendable {
    public private(set) var entries: [ParameterEntry] = []
    public private(set) var totalCount = 0
    /// Some tensor's element count, or the total, exceeds Int: the layout describes sizes that
    /// cannot exist (ReformerConfig.validate refuses such configs before any storage is made).
    public private(set) var overflows = false
    public var word = -1, axial0 = -1, axial1 = -1, position = -1
    public var layers: [LayerSlots] = []
    public var finalNormWeight = -1, finalNormBias = -1
    public var lmWeight = -1, lmBias = -1, lmLegacyBias = -1
    private var index: [String: Int] = [:]
    private var hfIndex: [String: Int] = [:]

    public init(config c: ReformerConfig) {
        let H = c.hiddenSize, F = c.feedForwardSize, V = c.vocabSize
        let checkedA = Checked.product([c.headCount, c.headSize]), checked2H = Checked.product([2, H])
        if checkedA == nil || checked2H == nil { overflows = true }
        let A = checkedA ?? 0, H2 = checked2H ?? 0
        word = add("embeddings.word", [V, H])
        if c.axialPositionEmbeddings {
            axial0 = add("embeddings.axial0", [c.axialShape[0], 1, c.axialDims[0]])
            axial1 = add("embeddings.axial1", [1, c.axialShape[1], c.axialDims[1]])
        } else {
            position = add("embeddings.position", [c.maxPositionEmbeddings, H])
        }
        for (i, kind) in c.attentionLayers.enumerated() {
            let p = "layers.\(i)."
            var s = LayerSlots()
            s.attentionNormWeight = add(p + "attention.norm.weight", [H])
            s.attentionNormBias = add(p + "attention.norm.bias", [H])
            if kind == .local {
                s.query = add(p + "attention.query", [A, H])
                s.key = add(p + "attention.key", [A, H])
            } else {
                s.queryKey = add(p + "attention.queryKey", [A, H])
            }
            s.value = add(p + "attention.value", [A, H])
            s.output = add(p + "attention.output", [H, A])
            s.ffNormWeight = add(p + "feedForward.norm.weight", [H])
            s.ffNormBias = add(p + "feedForward.norm.bias", [H])
            s.ff1Weight = add(p + "feedForward.dense1.weight", [F, H])
            s.ff1Bias = add(p + "feedForward.dense1.bias", [F])
            s.ff2Weight = add(p + "feedForward.dense2.weight", [H, F])
            s.ff2Bias = add(p + "feedForward.dense2.bias", [H])
            layers.append(s)
        }
        finalNormWeight = add("finalNorm.weight", [H2])
        finalNormBias = add("finalNorm.bias", [H2])
        lmWeight = add("lmHead.weight", [V, H2])
        lmBias = add("lmHead.bias", [V])
        lmLegacyBias = add("lmHead.legacyBias", [V])
    }

    private mutating func add(_ name: String, _ shape: [Int]) -> Int {
        let hf = TensorNames.hfName(forEngineName: name) ?? name
        let count = Checked.product(shape)
        let e = ParameterEntry(name: name, hfName: hf, shape: shape, offset: totalCount, count: count ?? 0)
        // Keep every tensor 16-float aligned so SIMD loads never straddle two tensors' cache lines.
        if let count, let padded = Checked.sum([count, 15]).map({ $0 / 16 * 16 }), let next = Checked.sum([totalCount, padded]) {
            totalCount = next
        } else {
            overflows = true
        }
        index[name] = entries.count
        hfIndex[hf] = entries.count
        entries.append(e)
        return entries.count - 1
    }

    public func slot(named name: String) -> Int? { index[name] }
    public func slot(hfName: String) -> Int? { hfIndex[hfName] }
}

/// Storage for one full set of tensors laid out by a ParameterLayout.
public final class ParameterSet: @unchecked Sendable {
    public let layout: ParameterLayout
    public let storage: FloatBuffer

    public init(layout: ParameterLayout, category: MemoryCategory, ledger: MemoryLedger = .current) {
        self.layout = layout
        self.storage = FloatBuffer(count: layout.totalCount, category: category, ledger: ledger)
    }

    /// Pointer to the first element of the tensor in `slot`.
    @inline(__always)
    public func pointer(_ slot: Int) -> UnsafeMutablePointer<Float> {
        storage.pointer + layout.entries[slot].offset
    }

    public func values(_ slot: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer(slot), count: layout.entries[slot].count))
    }

    public func set(_ slot: Int, _ values: [Float]) {
        precondition(values.count == layout.entries[slot].count, "parameter size mismatch")
        values.withUnsafeBufferPointer { pointer(slot).update(from: $0.baseAddress!, count: values.count) }
    }

    public func zero() { storage.fill(0) }

    /// A deep copy with the same layout (ledger category may differ).
    public func copy(category: MemoryCategory? = nil) -> ParameterSet {
        let c = ParameterSet(layout: layout, category: category ?? storage.category)
        c.storage.pointer.update(from: storage.pointer, count: layout.totalCount)
        return c
    }

    /// Total number of scalar parameters (without alignment padding).
    public var scalarCount: Int { layout.entries.reduce(0) { $0 + $1.count } }
}
