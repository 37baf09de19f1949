// Dropout: training-mode dropout at HF's sites (REFORMER_SPEC §13.3) with counter-based masks.
// Every keep/drop decision is a pure function of (run seed, step, site, layer, element index): the
// reversible backward replays a layer's masks by computing them again (nothing is stored), and the
// masks do not depend on threads, row chunks or anything else but seed, step, layer and position.
//
// HF's sites, all with p = hidden_dropout_prob except the attention weights:
//   word embeddings (before the positions are added), position embeddings (axial: whole (batch row,
//   p mod n₂) columns, HF's dropout2d; plain: element-wise), the attention output after W_o, the
//   first feed-forward dense before the activation, the second dense's output, and the final
//   LayerNorm's output before the LM head; attention weights exp(s − lse) after the softmax with
//   local_attention_probs_dropout_prob / lsh_attention_probs_dropout_prob (the lse itself and the
//   round weights are not dropped). Kept values are scaled by 1 / (1 − p).

/// Which training step a batch belongs to: its dropout masks derive from the run's seed and this
/// step only, so a resumed run draws the masks an uninterrupted one would have drawn.
public struct DropoutSeed: Sendable, Equatable {
    public var seed: UInt64
    public var step: Int

    public init(seed: UInt64, step: Int) {
        self.seed = seed
        self.step = step
    }
}

/// Where in the model a hidden_dropout_prob mask applies (part of every mask's key).
enum DropoutSite: UInt64, CaseIterable {
    case wordEmbedding = 1, positionEmbedding, attentionOutput, feedForwardHidden, feedForwardOutput, finalNorm
}

/// One mask: element `index` is kept (and scaled by 1 / (1 − p)) unless its 32 random bits fall below
/// p·2³², so the fraction dropped is p to within 2⁻³². Elements 2k and 2k + 1 take the two halves of
/// one 64-bit hash of (key, k), so a run of elements costs one hash per pair.
struct DropoutMask {
    let key: UInt64
    let threshold: UInt32
    let scale: Float

    /// nil when p is 0 (nothing to drop). p must be in [0, 1) (Trainer checks the config).
    init?(probability p: Float, key: UInt64) {
        guard p > 0 else { return nil }
        self.key = key
        self.threshold = UInt32(clamping: Int64((Double(p) * 4_294_967_296).rounded()))
        self.scale = Float(1 / (1 - Double(p)))
    }

    private init(key: UInt64, threshold: UInt32, scale: Float) {
        self.key = key
        self.threshold = threshold
        self.scale = scale
    }

    /// An independent mask for sub-stream `n` (an attention job: batch row · heads + head).
    func stream(_ n: Int) -> DropoutMask {
        DropoutMask(key: DropoutMask.mix(key ^ DropoutMask.mix(UInt64(n) &+ 0xA076_1D64_78BD_642F)), threshold: threshold, scale: scale)
    }

    /// SplitMix64's output function: a bijective 64-bit mix.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The 64 random bits of pair k (elements 2k and 2k + 1).
    @inline(__always)
    private func pairBits(_ k: Int) -> UInt64 {
        DropoutMask.mix(key &+ UInt64(bitPattern: Int64(k)) &* 0x9E37_79B9_7F4A_7C15)
    }

    @inline(__always)
    func keeps(_ index: Int) -> Bool {
        let bits = pairBits(index >> 1)
        return UInt32(truncatingIfNeeded: index & 1 == 0 ? bits : bits >> 32) >= threshold
    }

    /// 1 / (1 − p) for a kept element, 0 for a dropped one.
    @inline(__always)
    func factor(_ index: Int) -> Float { keeps(index) ? scale : 0 }

    /// x[i] ← x[i] · factor(first + i) for i in 0..<count: one hash per pair of elements, eight
    /// elements at a time (the same decisions and values as element by element).
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int, first: Int) {
        guard count > 0 else { return }
        var i = 0
        if first & 1 == 1 {
            x[0] = keeps(first) ? x[0] * scale : 0
            i = 1
        }
        let limit = SIMD8<UInt32>(repeating: threshold), zero = SIMD8<Float>(repeating: 0)
        while i + 8 <= count {
            let k = (first + i) >> 1
            let b0 = pairBits(k), b1 = pairBits(k + 1), b2 = pairBits(k + 2), b3 = pairBits(k + 3)
            // Lanes 2j, 2j + 1: the low and high halves of pair k + j, as in `keeps`.
            let bits = SIMD8<UInt32>(
                UInt32(truncatingIfNeeded: b0), UInt32(truncatingIfNeeded: b0 >> 32), UInt32(truncatingIfNeeded: b1), UInt32(truncatingIfNeeded: b1 >> 32),
                UInt32(truncatingIfNeeded: b2), UInt32(truncatingIfNeeded: b2 >> 32), UInt32(truncatingIfNeeded: b3), UInt32(truncatingIfNeeded: b3 >> 32))
            var v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) * scale
            v.replace(with: zero, where: bits .< limit)
            UnsafeMutableRawPointer(x + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            x[i] = keeps(first + i) ? x[i] * scale : 0
            i += 1
        }
    }
}

/// The masks of one training step for one model: built from the config's probabilities and the
/// step's seed; nil sites (p = 0) are skipped entirely, so a model without dropout computes exactly
/// what it computes in inference.
struct DropoutPlan {
    let hidden: Float
    let local: Float
    let lsh: Float
    let stepKey: UInt64

    /// nil when the config drops nothing.
    init?(config c: ReformerConfig, seed: DropoutSeed) {
        guard c.hasDropout else { return nil }
        hidden = c.hiddenDropout
        local = c.localAttentionDropout
        lsh = c.lshAttentionDropout
        var base = DataStream.dropout.generator(seed: seed.seed)
        stepKey = DropoutMask.mix(base.next() &+ UInt64(bitPattern: Int64(seed.step)) &* 0xD1B5_4A32_D192_ED03)
    }

    /// The mask of `site` in `layer` (0 for sites outside the layer stack), or nil when p is 0.
    func mask(_ site: DropoutSite, layer: Int = 0) -> DropoutMask? {
        DropoutMask(probability: hidden, key: key(tag: site.rawValue, layer: layer))
    }

    /// The attention-weight mask of `layer`, with the probability of its kind.
    func attentionWeights(layer: Int, kind: AttentionKind) -> DropoutMask? {
        DropoutMask(probability: kind == .local ? local : lsh, key: key(tag: Self.attentionWeightsTag, layer: layer))
    }

    /// Key tag of the attention weights (beside the `DropoutSite` raw values).
    static let attentionWeightsTag: UInt64 = 0x41

    private func key(tag: UInt64, layer: Int) -> UInt64 {
        DropoutMask.mix(stepKey ^ DropoutMask.mix(tag << 32 | UInt64(UInt32(truncatingIfNeeded: layer))))
    }
}

/// Dropout of one block of attention weights: weight (i, w) of the block is kept by
/// `mask.keeps((firstRow + i) · stride + w)` — rows are query slots (sorted order in chunked LSH,
/// positions otherwise) and `stride` the row length of the whole layout (window or sequence), so a
/// block sees the same decisions however the queries are grouped.
struct WeightDropout {
    let mask: DropoutMask
    let firstRow: Int
    let stride: Int

    @inline(__always)
    func index(row i: Int, key w: Int) -> Int { (firstRow + i) * stride + w }
}

extension ReformerConfig {
    /// Some dropout probability that training would apply is non-zero.
    public var hasDropout: Bool {
        hiddenDropout > 0 || (hasLocal && localAttentionDropout > 0) || (hasLSH && lshAttentionDropout > 0)
    }

    /// Training with dropout needs every probability in [0, 1); `file` names the config in the message.
    public func checkDropout(file: String) throws(ReformerError) {
        for (field, p) in [("hidden_dropout_prob", hiddenDropout), ("local_attention_probs_dropout_prob", localAttentionDropout),
                           ("lsh_attention_probs_dropout_prob", lshAttentionDropout)] where !(p >= 0 && p < 1) {
            throw ReformerError(file: file, field: field, "is \(p), expected a probability in [0, 1) to train with dropout")
        }
    }
}
