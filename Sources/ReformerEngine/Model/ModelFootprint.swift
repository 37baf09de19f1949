// ModelFootprint: every size a config implies — parameters per tensor and in all, LSH rotations
// and bucket counts, the buffers of one forward or training step at a length, the decoding cache —
// in overflow-checked arithmetic, so that a config asking for absurd sizes is refused with one line
// before any buffer exists (MemoryBudget compares the totals with what the process may use).
// The sizes are the engine's large allocations (what LayerContext, AttentionWorkspace,
// AttentionScratch, ParameterSet and IncrementalDecoder make), small bookkeeping left out, so a
// refusal is never wrong: the run would need at least that much.

/// Arithmetic on sizes that reports overflow (nil) instead of trapping.
public enum Checked {
    /// The product, nil when a factor is negative or the product exceeds Int.
    public static func product(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = r
        }
        return p
    }

    /// The sum, nil when a term is nil or negative or the sum exceeds Int.
    public static func sum(_ terms: [Int?]) -> Int? {
        var s = 0
        for t in terms {
            guard let t, t >= 0 else { return nil }
            let (r, overflow) = s.addingReportingOverflow(t)
            if overflow { return nil }
            s = r
        }
        return s
    }
}

/// One quantity a size is proportional to; the factor furthest above its usual value is the one a
/// refusal names.
public struct SizeFactor: Sendable, Equatable {
    /// Where the value comes from: nil for the config file, else e.g. "input_ids" or "--tokens".
    public var source: String?
    public var field: String
    public var value: Int
    /// How the value reads in a message: "1000000000 rounds".
    public var shown: String
    /// A usual value (transformers' default where there is one).
    public var typical: Int

    public init(_ field: String, _ value: Int, _ unit: String, typical: Int, source: String? = nil, shown: String? = nil) {
        self.source = source
        self.field = field
        self.value = value
        self.typical = max(1, typical)
        self.shown = shown ?? (unit.isEmpty ? "\(value)" : "\(value) \(unit)")
    }

    /// How far above its usual value (≥ 0; a value below it scores 0).
    var excess: Double { Double(value) / Double(typical) }
}

/// One group of buffers: what it holds, its bytes (nil: more than Int), what it grows with.
public struct SizeTerm: Sendable, Equatable {
    public var what: String
    public var bytes: Int?
    public var factors: [SizeFactor]

    public init(_ what: String, bytes: Int?, factors: [SizeFactor]) {
        self.what = what
        self.bytes = bytes
        self.factors = factors
    }
}

/// The buffers something needs, term by term.
public struct Footprint: Sendable, Equatable {
    public var terms: [SizeTerm] = []

    public init(_ terms: [SizeTerm] = []) { self.terms = terms }

    /// All terms together; nil when that exceeds Int.
    public var total: Int? { Checked.sum(terms.map(\.bytes)) }

    public static func + (a: Footprint, b: Footprint) -> Footprint { Footprint(a.terms + b.terms) }

    /// The largest term (an overflowing one first) and its factor furthest above the usual value
    /// (nil when none is above it: then the limit is what is small, not a field).
    public var culprit: (term: SizeTerm, factor: SizeFactor?)? {
        guard let term = terms.max(by: { ($0.bytes ?? .max) < ($1.bytes ?? .max) }) else { return nil }
        let furthest = term.factors.max { $0.excess < $1.excess }   // ties: the first listed
        return (term, (furthest?.excess ?? 0) > 1 ? furthest : nil)
    }

    /// The one-line refusal: the blamed field, its value, the size it implies and, when given,
    /// the limit it exceeds. `configFile` names the config for factors without a source.
    public func refusal(configFile: String, limit: MemoryLimit? = nil) -> ReformerError {
        guard let (term, factor) = culprit else { return ReformerError(file: configFile, "needs no memory") }
        let part = "\(ByteCount.format(term.bytes)) of \(term.what)", all = ByteCount.format(total)
        var detail: String
        if let factor {
            detail = "\(factor.shown) need \(part)"
            if all != ByteCount.format(term.bytes) { detail += " (\(all) in all)" }
        } else {
            detail = all == ByteCount.format(term.bytes) ? "needs \(part)" : "needs \(all) in all (\(part))"
        }
        if let limit, total != nil { detail += ", more than the \(ByteCount.format(limit.bytes)) available (\(limit.name))" }
        return ReformerError(file: factor?.source ?? configFile, field: factor?.field ?? "", detail)
    }
}

/// Byte counts as the messages print them (binary units, like the rest of the program).
public enum ByteCount {
    /// "512 bytes", "1.5 KiB", "2.0 GiB"; nil reads "more than 8.0 EiB" (beyond Int).
    public static func format(_ bytes: Int?) -> String {
        guard let bytes else { return "more than 8.0 EiB" }
        if bytes < 1024 { return "\(bytes) bytes" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }
}

/// The sizes of a model's buffers, from its config alone.
public enum ModelFootprint {
    static let float = MemoryLayout<Float>.stride, int32 = MemoryLayout<Int32>.stride

    // Factors with transformers' defaults as their usual values.
    static func vocab(_ c: ReformerConfig) -> SizeFactor { SizeFactor("vocab_size", c.vocabSize, "tokens", typical: 320) }
    static func hidden(_ c: ReformerConfig) -> SizeFactor { SizeFactor("hidden_size", c.hiddenSize, "features", typical: 256) }
    static func heads(_ c: ReformerConfig) -> SizeFactor { SizeFactor("num_attention_heads", c.headCount, "heads", typical: 12) }
    static func headSize(_ c: ReformerConfig) -> SizeFactor {
        SizeFactor("attention_head_size", c.headSize, "features per head", typical: 64)
    }
    static func feedForward(_ c: ReformerConfig) -> SizeFactor {
        SizeFactor("feed_forward_size", c.feedForwardSize, "features", typical: 512)
    }
    static func layers(_ c: ReformerConfig) -> SizeFactor { SizeFactor("attn_layers", c.layerCount, "layers", typical: 6) }
    static func rounds(_ c: ReformerConfig) -> SizeFactor { SizeFactor("num_hashes", c.hashRounds, "rounds", typical: 1) }
    static func buckets(_ c: ReformerConfig, _ plan: BucketPlan) -> SizeFactor {
        let automatic = c.buckets.factorList == nil
        let shown = plan.factors.count == 1 ? "\(plan.bucketCount) buckets" : "\(plan.factors) buckets"
        return SizeFactor("num_buckets", plan.bucketCount, "", typical: 128, shown: shown + (automatic ? " (automatic)" : ""))
    }
    static func positions(_ length: Int, source: String) -> SizeFactor {
        SizeFactor("", length, "positions", typical: 4096, source: source)
    }
    static func sequences(_ batch: Int, source: String) -> SizeFactor { SizeFactor("", batch, "sequences", typical: 8, source: source) }

    /// Every parameter tensor: its HF name, shape and element count (nil: more than Int).
    public static func parameterTensors(_ c: ReformerConfig) -> [(hfName: String, shape: [Int], count: Int?)] {
        ParameterLayout(config: c).entries.map { ($0.hfName, $0.shape, Checked.product($0.shape)) }
    }

    /// The parameters, grouped by what they grow with; `copies` > 1 for training (gradients and
    /// the two AdamW moments share the layout), `what` says which copies.
    public static func parameters(_ c: ReformerConfig, copies: Int = 1, what: String = "parameters") -> Footprint {
        let A = Checked.product([c.headCount, c.headSize]), H2 = Checked.product([2, c.hiddenSize])
        if A == nil { return Footprint([SizeTerm("attention " + what, bytes: nil, factors: [heads(c), headSize(c)])]) }
        if H2 == nil { return Footprint([SizeTerm("LM-head " + what, bytes: nil, factors: [hidden(c)])]) }
        var groups: [(what: String, factors: [SizeFactor], counts: [Int?])] = [
            ("word-embedding and LM-head " + what, [vocab(c), hidden(c)], []),
            ("position-embedding " + what, c.axialPositionEmbeddings
                ? [SizeFactor("axial_pos_shape", c.axialShape.max() ?? 0, "", typical: 64, shown: "\(c.axialShape)"),
                   SizeFactor("axial_pos_embds_dim", c.axialDims.max() ?? 0, "", typical: 192, shown: "\(c.axialDims)")]
                : [SizeFactor("max_position_embeddings", c.maxPositionEmbeddings, "positions", typical: 4096), hidden(c)], []),
            ("attention " + what, [heads(c), headSize(c), hidden(c), layers(c)], []),
            ("feed-forward " + what, [feedForward(c), hidden(c), layers(c)], []),
            ("layer-norm " + what, [hidden(c), layers(c)], []),
        ]
        for e in ParameterLayout(config: c).entries {
            let n = e.name
            let group: Int
            if n.hasPrefix("embeddings.word") || n.hasPrefix("lmHead") { group = 0 }
            else if n.hasPrefix("embeddings.") { group = 1 }
            else if n.hasSuffix("norm.weight") || n.hasSuffix("norm.bias") || n.hasPrefix("finalNorm") { group = 4 }
            else if n.contains(".attention.") { group = 2 }
            else { group = 3 }
            groups[group].counts.append(Checked.product(e.shape + [float, copies]))
        }
        return Footprint(groups.filter { !$0.counts.isEmpty }.map { SizeTerm($0.what, bytes: Checked.sum($0.counts), factors: $0.factors) })
    }

    /// Whether LSH layers hash at padded length `T` (else they take the full-attention short path).
    static func hashes(_ c: ReformerConfig, length T: Int, fullAttention: Bool) -> Bool {
        c.hasLSH && !fullAttention && T > c.lshChunkLength
    }

    /// Rotations of one LSH hashing: n_h · d · n_H · R/2 floats, held `copies` times.
    static func rotations(_ c: ReformerConfig, plan: BucketPlan, copies: Int) -> SizeTerm {
        SizeTerm("rotations", bytes: Checked.product([c.headCount, c.headSize, c.hashRounds, plan.rotationHalf, float, copies]),
                 factors: [rounds(c), buckets(c, plan), heads(c), headSize(c)])
    }

    /// The buffers of one forward (or, with `training`, one loss-and-gradients step) of `batch`
    /// sequences of `inputLength` tokens, padded to `length`. `plan` is the bucket plan the LSH
    /// layers hash with (nil when they do not hash); `source` names where the length came from.
    public static func forward(
        _ c: ReformerConfig, plan: BucketPlan?, batch B: Int, length T: Int, inputLength T0: Int,
        training: Bool = false, fullAttention: Bool = false, captureHidden: Bool = false,
        workers: Int = Parallel.workerCount, source: String = "input_ids"
    ) -> Footprint {
        let H = c.hiddenSize, d = c.headSize, nH = c.hashRounds, V = c.vocabSize
        guard let rows = Checked.product([B, T]), let A = Checked.product([c.headCount, d]) else {
            return Footprint([SizeTerm("activations", bytes: nil, factors: [positions(T, source: source), sequences(B, source: source)])])
        }
        let length = positions(T, source: source), batch = sequences(B, source: source)
        var terms: [SizeTerm] = []
        // x1, x2, the LayerNorm input and, inference, concat(Y1, Y2) and its norm over 2H;
        // training keeps dX1, dX2 and dNormed instead of the full-width concat.
        terms.append(SizeTerm("hidden states", bytes: Checked.product([rows, H, float, training ? 6 : 7]),
                              factors: [length, hidden(c), batch]))
        let projections = (c.hasLocal ? 4 : 3) * (training ? 2 : 1)
        terms.append(SizeTerm("attention projections", bytes: Checked.product([rows, A, float, projections]),
                              factors: [length, heads(c), headSize(c), batch]))
        let ffRows = min(rows, c.feedForwardChunkSize > 0 ? c.feedForwardChunkSize : 1024)
        terms.append(SizeTerm("feed-forward activations", bytes: Checked.product([ffRows, c.feedForwardSize, float, training ? 4 : 1]),
                              factors: [feedForward(c), SizeFactor("chunk_size_feed_forward", ffRows, "rows", typical: 1024)]))
        terms.append(SizeTerm("logits", bytes: Checked.product([B, T0, V, float]), factors: [vocab(c), length, batch]))
        if captureHidden {
            terms.append(SizeTerm("captured hidden states", bytes: Checked.product([2 * c.layerCount + 3, rows, H, float]),
                                  factors: [length, layers(c), hidden(c), batch]))
        }
        let workers = max(1, min(workers, Checked.product([B, c.headCount]) ?? workers))
        let hashing = hashes(c, length: T, fullAttention: fullAttention)
        if c.hasLocal {
            terms.append(scratch(c, .local, length: T, workers: workers, plan: nil, fullKeys: T <= c.localChunkLength,
                                 training: training, source: source))
        }
        if c.hasLSH {
            terms.append(scratch(c, .lsh, length: T, workers: workers, plan: hashing ? plan : nil, fullKeys: !hashing,
                                 training: training, source: source))
        }
        if hashing, let plan {
            // The workspace's rotation store plus the drawn array it is copied from.
            terms.append(rotations(c, plan: plan, copies: 2))
            let lshLayers = c.attentionLayers.filter { $0 == .lsh }.count
            terms.append(SizeTerm("bucket ids", bytes: Checked.product([lshLayers + 1, rows, c.headCount, nH, int32]),
                                  factors: [rounds(c), length, heads(c), layers(c), batch]))
        }
        return Footprint(terms)
    }

    /// Per-worker attention scratch of one layer kind (AttentionScratch and its gradient part).
    static func scratch(
        _ c: ReformerConfig, _ kind: AttentionKind, length T: Int, workers: Int, plan: BucketPlan?, fullKeys: Bool,
        training: Bool, source: String
    ) -> SizeTerm {
        let lsh = kind == .lsh
        let C = lsh ? c.lshChunkLength : c.localChunkLength
        let before = lsh ? c.lshChunksBefore : c.localChunksBefore, after = lsh ? c.lshChunksAfter : c.localChunksAfter
        let rounds = lsh ? c.hashRounds : 1, d = c.headSize
        let window = fullKeys ? T : Checked.product([C, Checked.sum([before, 1, after]) ?? -1])
        let block = fullKeys ? min(T, 64) : min(C, T)
        guard let slots = Checked.product([rounds, T]), let w = window else {
            return SizeTerm("\(kind == .lsh ? "LSH" : "local") attention scratch", bytes: nil, factors: windowFactors(c, kind) + [positions(T, source: source)])
        }
        let counts: Int? = plan.map { Checked.sum([Checked.product([rounds, $0.bucketCount + 1]), 1]) } ?? 0
        let perWorker = Checked.sum([
            Checked.product([slots, d, float, training ? 8 : 4]),      // sorted q, k, v, outputs (+ their gradients)
            Checked.product([w, d, float, training ? 4 : 2]),          // window keys and values (+ gradients)
            Checked.product([slots, int32, 5]),                         // positions, lse, buckets, sorted, unsort
            Checked.product([block, w, float, training ? 2 : 1]),      // probabilities (+ score gradients)
            counts.flatMap { Checked.product([$0, int32]) },   // per-bucket counts of the counting sort
            plan.flatMap { Checked.product([rounds, $0.rotationHalf, float]) } ?? 0,
        ])
        var factors = [positions(T, source: source), headSize(c)] + windowFactors(c, kind)
        if lsh { factors.append(ModelFootprint.rounds(c)) }
        if lsh, let plan { factors.append(buckets(c, plan)) }
        return SizeTerm("\(kind == .lsh ? "LSH" : "local") attention scratch", bytes: perWorker.flatMap { Checked.product([$0, workers]) }, factors: factors)
    }

    static func windowFactors(_ c: ReformerConfig, _ kind: AttentionKind) -> [SizeFactor] {
        kind == .lsh
            ? [SizeFactor("lsh_attn_chunk_length", c.lshChunkLength, "positions", typical: 64),
               SizeFactor("lsh_num_chunks_before", c.lshChunksBefore, "chunks", typical: 1),
               SizeFactor("lsh_num_chunks_after", c.lshChunksAfter, "chunks", typical: 1)]
            : [SizeFactor("local_attn_chunk_length", c.localChunkLength, "positions", typical: 64),
               SizeFactor("local_num_chunks_before", c.localChunksBefore, "chunks", typical: 1),
               SizeFactor("local_num_chunks_after", c.localChunksAfter, "chunks", typical: 1)]
    }

    /// The decoding cache for `length` positions (IncrementalDecoder): every layer's projections
    /// [length, A] twice, LSH layers' normalised keys, buckets and sort order per head and round,
    /// bucket sizes per head, round and bucket, and each LSH layer's own rotations.
    public static func decodeCache(_ c: ReformerConfig, plan: BucketPlan?, length N: Int, source: String = "--tokens") -> Footprint {
        let A = Checked.product([c.headCount, c.headSize]), lshLayers = c.attentionLayers.filter { $0 == .lsh }.count
        let length = positions(N, source: source)
        var terms = [SizeTerm("decoding cache", bytes: Checked.sum([
            A.flatMap { Checked.product([c.layerCount, N, $0, float, 2]) },
            A.flatMap { Checked.product([lshLayers, N, $0, float]) },
            Checked.product([lshLayers, c.headCount, c.hashRounds, N, int32, 2]),
        ]), factors: [length, heads(c), headSize(c), layers(c), rounds(c)])]
        if let plan, lshLayers > 0 {
            terms.append(SizeTerm("bucket sizes", bytes: Checked.product([lshLayers, c.headCount, c.hashRounds, plan.bucketCount, MemoryLayout<Int>.stride]),
                                  factors: [buckets(c, plan), rounds(c), heads(c), layers(c)]))
            var r = rotations(c, plan: plan, copies: lshLayers)
            r.factors.append(layers(c))
            terms.append(r)
        }
        return Footprint(terms)
    }
}

extension ReformerConfig {
    /// The most layers a config may list (published Reformers have 6 to 12).
    public static let maxLayers = 10_000

    /// The sizes the engine's integer types must hold (called by `validate`): token ids and
    /// positions are 32-bit, bucket ids fit 2^24 per round, every parameter count fits Int, and
    /// the layer list is of a size a model can have.
    /// Messages name the field and, where it helps, the memory the value implies.
    func checkSizes(file: String) throws(ReformerError) {
        let limit32 = Int(Int32.max)
        // Each layer is a dozen named tensors of bookkeeping before any weight: bound the count so
        // a long list in a small file cannot allocate gigabytes of names.
        if layerCount > ReformerConfig.maxLayers {
            throw ReformerError(file: file, field: "attn_layers", "has \(layerCount) layers, more than \(ReformerConfig.maxLayers)")
        }
        if vocabSize > limit32 {
            let embeddings = Checked.product([vocabSize, hiddenSize, 3 * ModelFootprint.float])
            throw ReformerError(file: file, field: "vocab_size",
                                "is \(vocabSize), more than \(limit32) (token ids are 32-bit); it would need \(ByteCount.format(embeddings)) of embedding and LM-head parameters")
        }
        for (name, value) in [("max_position_embeddings", maxPositionEmbeddings), ("lsh_attn_chunk_length", lshChunkLength),
                              ("local_attn_chunk_length", localChunkLength)] where value > limit32 {
            throw ReformerError(file: file, field: name, "is \(value), more than \(limit32) (positions are 32-bit)")
        }
        for (kind, chunk, before, after) in [("lsh", lshChunkLength, lshChunksBefore, lshChunksAfter),
                                             ("local", localChunkLength, localChunksBefore, localChunksAfter)]
        where Checked.product([chunk, Checked.sum([before, 1, after]) ?? -1]) == nil {
            let field = before >= after ? "\(kind)_num_chunks_before" : "\(kind)_num_chunks_after"
            throw ReformerError(file: file, field: field, "is \(max(before, after)): a window of that many \(chunk)-position chunks exceeds 64-bit sizes")
        }
        if axialPositionEmbeddings, Checked.product(axialShape) == nil {
            throw ReformerError(file: file, field: "axial_pos_shape", "\(axialShape) multiplies to more than \(Int.max) positions")
        }
        if case .count(let n) = buckets, n > 1 << 24 {
            let oneLayer = ModelFootprint.rotations(self, plan: BucketPlan(factors: [n]), copies: 1)
            throw ReformerError(file: file, field: "num_buckets",
                                "is \(n), more than 2^24 buckets (one layer's rotations alone would need \(ByteCount.format(oneLayer.bytes)))")
        }
        let parameters = ModelFootprint.parameters(self)
        if parameters.total == nil { throw parameters.refusal(configFile: file) }
    }
}
