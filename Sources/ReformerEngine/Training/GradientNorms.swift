// GradientNorms: the global L2 norm of a gradient ParameterSet, torch's clip_grad_norm_ rule
// (coef = max_norm / (total_norm + 1e-6), clamped to 1), per-layer norms for telemetry, and a
// non-finite check. Sums of squares accumulate in Double over each tensor (padding is not read).

/// The L2 norm of one group of tensors: `"embeddings"`, `"layers.<i>"` or `"head"`.
public struct GradientNormGroup: Sendable, Equatable {
    public let name: String
    public let norm: Float
}

/// What `GradientNorms.clip` measured and did.
public struct GradientClipResult: Sendable, Equatable {
    /// Global L2 norm before clipping.
    public let norm: Float
    /// The factor every gradient was multiplied by: min(1, maxNorm / (norm + 1e-6)); 1 when the
    /// norm is within bounds or not finite.
    public let coefficient: Float
    public var clipped: Bool { coefficient < 1 }
}

/// The first non-finite value found: tensor (engine name), flat index inside it, value.
public struct NonFiniteValue: Sendable, Equatable {
    public let name: String
    public let index: Int
    public let value: Float
}

/// Norms, clipping and finiteness of a gradient ParameterSet.
///
/// ```swift
/// let result = GradientNorms.clip(gradients, maxNorm: 1)   // in place, torch semantics
/// let perLayer = GradientNorms.groupNorms(gradients)       // [embeddings, layers.0, …, head]
/// if let bad = GradientNorms.firstNonFinite(gradients) { print(bad.name) }
/// ```
public enum GradientNorms {
    /// Added to the norm before dividing, as `torch.nn.utils.clip_grad_norm_` does.
    public static let clipEpsilon: Float = 1e-6

    /// Global L2 norm over every tensor of `set`; +inf or NaN when a value is not finite.
    public static func globalNorm(_ set: ParameterSet) -> Float {
        var total = 0.0
        for entry in set.layout.entries { total += sumOfSquares(set.storage.pointer + entry.offset, count: entry.count) }
        return Float(total.squareRoot())
    }

    /// L2 norm per group, in order: `embeddings`, `layers.0` … `layers.<n−1>`, `head`
    /// (final norm and LM head). Groups follow the engine names' prefixes.
    public static func groupNorms(_ set: ParameterSet) -> [GradientNormGroup] {
        var names: [String] = []
        var sums: [String: Double] = [:]
        for entry in set.layout.entries {
            let group = groupName(forEngineName: entry.name)
            if sums[group] == nil { names.append(group) }
            sums[group, default: 0] += sumOfSquares(set.storage.pointer + entry.offset, count: entry.count)
        }
        return names.map { GradientNormGroup(name: $0, norm: Float(sums[$0]!.squareRoot())) }
    }

    /// `layers.3.attention.value` → `layers.3`; `embeddings.word` → `embeddings`; anything
    /// else (`finalNorm.*`, `lmHead.*`) → `head`.
    public static func groupName(forEngineName name: String) -> String {
        if name.hasPrefix("embeddings.") { return "embeddings" }
        let parts = name.split(separator: ".", maxSplits: 2)
        if parts.count == 3, parts[0] == "layers", Int(parts[1]) != nil { return "layers.\(parts[1])" }
        return "head"
    }

    /// torch's clipping factor in Float32: min(1, maxNorm / (norm + 1e-6)); 1 for a non-finite norm.
    public static func clipCoefficient(norm: Float, maxNorm: Float) -> Float {
        guard norm.isFinite else { return 1 }
        return min(1, maxNorm / (norm + clipEpsilon))
    }

    /// Measures the global norm and, when it exceeds `maxNorm`, scales every gradient in place so
    /// the norm becomes maxNorm·norm/(norm + 1e-6) ≈ maxNorm. A non-finite norm leaves the
    /// gradients as they are (torch would multiply them all by NaN); callers check `norm.isFinite`.
    @discardableResult
    public static func clip(_ set: ParameterSet, maxNorm: Float) -> GradientClipResult {
        let norm = globalNorm(set)
        let coefficient = clipCoefficient(norm: norm, maxNorm: maxNorm)
        if coefficient < 1 { scale(set, by: coefficient) }
        return GradientClipResult(norm: norm, coefficient: coefficient)
    }

    /// Multiplies the whole arena by `factor` (alignment padding is zero and stays zero).
    public static func scale(_ set: ParameterSet, by factor: Float) {
        let p = set.storage.pointer, n = set.storage.count
        let f8 = SIMD8<Float>(repeating: factor)
        var i = 0
        while i + 8 <= n {
            let raw = UnsafeMutableRawPointer(p + i)
            raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self) * f8, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            p[i] *= factor
            i += 1
        }
    }

    /// The first NaN or ±inf in `set`, in layout order, or nil when every value is finite.
    public static func firstNonFinite(_ set: ParameterSet) -> NonFiniteValue? {
        for entry in set.layout.entries {
            let values = UnsafeBufferPointer(start: set.storage.pointer + entry.offset, count: entry.count)
            // A finite sum of squares proves every value finite; only a failing tensor is searched.
            if sumOfSquares(values.baseAddress!, count: entry.count).isFinite { continue }
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                return NonFiniteValue(name: entry.name, index: index, value: values[index])
            }
        }
        return nil
    }

    /// Σ x² over `count` Floats, each widened to Double before squaring (so no overflow or
    /// cancellation at Float range), eight lanes at a time. Lane order differs from a plain loop
    /// only by Double rounding.
    static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var acc = SIMD8<Double>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            let d = SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            acc += d * d
            i += 8
        }
        var total = acc.sum()
        while i < count {
            let d = Double(x[i])
            total += d * d
            i += 1
        }
        return total
    }
}
