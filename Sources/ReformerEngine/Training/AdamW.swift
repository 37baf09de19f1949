// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019), operation for operation
// as torch.optim.AdamW's single-tensor path (the one torch uses for CPU tensors). The moments are
// ParameterSets with the parameters' layout; `save`/`load` keep them in optimizer.safetensors.

import Foundation

/// Hyperparameters of AdamW and its learning-rate schedule. Codable with these property names as
/// keys; a missing key takes its default, an unknown key is an error (a typo would otherwise
/// silently train with a default).
///
/// ```swift
/// var settings = AdamWSettings(learningRate: 3e-4, warmupSteps: 100, schedule: .cosine, totalSteps: 5000)
/// settings.clipNorm = 1
/// try settings.validate()
/// ```
public struct AdamWSettings: Codable, Sendable, Equatable {
    /// Peak learning rate (reached after warmup).
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    /// Added to √v̂; must be positive (see `validate`).
    public var epsilon: Float
    /// Decoupled decay: every update first multiplies each parameter by 1 − lr·weightDecay.
    public var weightDecay: Float
    public var warmupSteps: Int
    public var schedule: LearningRateSchedule
    /// Where the cosine schedule reaches `minLearningRate`; ignored by `constant`.
    public var totalSteps: Int
    /// Floor of the cosine schedule.
    public var minLearningRate: Float
    /// Global gradient-norm clipping threshold (torch `clip_grad_norm_`); nil = no clipping.
    public var clipNorm: Float?

    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.98, epsilon: Float = 1e-9,
        weightDecay: Float = 0, warmupSteps: Int = 0, schedule: LearningRateSchedule = .constant,
        totalSteps: Int = 0, minLearningRate: Float = 0, clipNorm: Float? = nil
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.warmupSteps = warmupSteps
        self.schedule = schedule
        self.totalSteps = totalSteps
        self.minLearningRate = minLearningRate
        self.clipNorm = clipNorm
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case learningRate, beta1, beta2, epsilon, weightDecay, warmupSteps, schedule, totalSteps
        case minLearningRate, clipNorm
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        for key in try decoder.container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [key],
                debugDescription: "unknown AdamW setting \"\(key.stringValue)\", expected one of "
                    + CodingKeys.allCases.map(\.stringValue).joined(separator: ", ")))
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AdamWSettings()
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? d.beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? d.beta2
        epsilon = try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? d.epsilon
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? d.weightDecay
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? d.schedule
        totalSteps = try c.decodeIfPresent(Int.self, forKey: .totalSteps) ?? d.totalSteps
        minLearningRate = try c.decodeIfPresent(Float.self, forKey: .minLearningRate) ?? d.minLearningRate
        clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm)
    }

    /// Throws a one-line error naming the first nonsensical field; `source` names where the
    /// settings came from (a file, "command line").
    public func validate(source: String = "AdamW settings") throws(ReformerError) {
        func fail(_ field: String, _ detail: String) -> ReformerError {
            ReformerError(file: source, field: field, detail)
        }
        guard learningRate.isFinite, learningRate >= 0 else {
            throw fail("learningRate", "is \(learningRate), expected a finite value ≥ 0")
        }
        for (field, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw fail(field, "is \(beta), expected a value in [0, 1)")
        }
        // Zero would make 0/0 = NaN for every parameter whose gradient and moments are zero.
        guard epsilon.isFinite, epsilon > 0 else { throw fail("epsilon", "is \(epsilon), expected a finite value > 0") }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw fail("weightDecay", "is \(weightDecay), expected a finite value ≥ 0")
        }
        guard Double(learningRate) * Double(weightDecay) < 1 else {
            throw fail(
                "weightDecay",
                "learningRate · weightDecay = \(Double(learningRate) * Double(weightDecay)) would zero or flip "
                    + "every weight each step, expected a product < 1")
        }
        guard warmupSteps >= 0 else { throw fail("warmupSteps", "is \(warmupSteps), expected ≥ 0") }
        guard totalSteps >= 0 else { throw fail("totalSteps", "is \(totalSteps), expected ≥ 0") }
        // A cosine run no longer than its warmup (a short `--steps`) simply never leaves the warmup.
        guard minLearningRate.isFinite, minLearningRate >= 0, minLearningRate <= learningRate else {
            throw fail("minLearningRate", "is \(minLearningRate), expected a value in [0, learningRate = \(learningRate)]")
        }
        if let clip = clipNorm, !(clip.isFinite && clip > 0) {
            throw fail("clipNorm", "is \(clip), expected a finite value > 0 (or absent for no clipping)")
        }
    }
}

/// What one `AdamW.step` did.
public struct AdamWStepReport: Sendable, Equatable {
    /// Updates done after this call (unchanged when `skipped`).
    public let step: Int
    /// The rate this update used (from `LearningRate.at(step:settings:)`).
    public let learningRate: Float
    /// Global L2 gradient norm before clipping.
    public let gradientNorm: Float
    /// Whether clipping scaled the gradients down.
    public let clipped: Bool
    /// A gradient was NaN or ±inf: parameters, moments and step count were left untouched.
    public let skipped: Bool
}

/// AdamW with moments m (`exp_avg`) and v (`exp_avg_sq`) laid out like the parameters.
///
/// One `step`, for every parameter element p with gradient g, at update t (1-based), with
/// lr = `LearningRate.at(step: t − 1)`, in torch's order (`torch/optim/adamw.py`, single-tensor):
///
/// ```
/// p ← p · (1 − lr·wd)                         param.mul_(1 - lr * weight_decay)
/// m ← m + (1−β1)·(g − m)                      exp_avg.lerp_(grad, 1 - beta1)   (= β1·m + (1−β1)·g)
/// v ← v·β2 + ((1−β2)·g)·g                     exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
/// denom ← √v / √(1 − β2ᵗ) + ε                 (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
/// p ← p + (−lr / (1 − β1ᵗ)) · m / denom       param.addcdiv_(exp_avg, denom, value=-step_size)
/// ```
///
/// Element work is Float32; the per-step scalars (1 − lr·wd, 1 − β1, 1 − β2, the bias corrections,
/// the step size) are computed in Double and rounded to Float once, as torch does with its Python
/// floats. When 1 − β1 ≥ 0.5 the lerp uses torch's other branch, g − (g − m)·β1. No fused
/// multiply-add is used; torch's vectorised lerp fuses one, so the last bit of m may differ from it.
///
/// The loop runs over the whole arena, alignment padding included: padding holds zeros in
/// parameters, gradients and moments, and with g = m = v = p = 0 every line above keeps 0 (ε > 0 is
/// enforced so 0/denom is never 0/0). `lmHead.legacyBias` (HF's unused `lm_head.bias`) is skipped
/// explicitly: its gradient is zero, but weight decay would still shrink it.
///
/// Non-finite gradients skip the whole update (torch would write NaN into every moment for good).
/// Not thread-safe: one owner at a time (the training session's thread), like the ParameterSets.
///
/// ```swift
/// let optimizer = try AdamW(layout: parameters.layout, settings: settings)
/// let report = optimizer.step(parameters: parameters, gradients: gradients)
/// try optimizer.save(to: "run/optimizer.safetensors", metadata: [:])
/// let resumed = try AdamW.load(path: "run/optimizer.safetensors", layout: parameters.layout, settings: settings)
/// ```
public final class AdamW: @unchecked Sendable {
    /// Engine names of parameters AdamW never changes.
    public static let frozenEngineNames: Set<String> = ["lmHead.legacyBias"]

    public let settings: AdamWSettings
    public let layout: ParameterLayout
    /// Updates done so far; the next update is number `stepCount + 1` for the bias corrections.
    public private(set) var stepCount = 0
    /// First moment m, torch `exp_avg`. Category `.optimizer`.
    public let firstMoment: ParameterSet
    /// Second moment v, torch `exp_avg_sq`. Category `.optimizer`.
    public let secondMoment: ParameterSet
    /// Arena ranges the update loop covers: everything except the frozen tensors' elements.
    let updateRanges: [Range<Int>]

    /// Zero moments for parameters laid out by `layout`; throws if `settings` do not validate.
    public init(layout: ParameterLayout, settings: AdamWSettings, ledger: MemoryLedger = .current) throws(ReformerError) {
        try settings.validate()
        self.settings = settings
        self.layout = layout
        self.firstMoment = ParameterSet(layout: layout, category: .optimizer, ledger: ledger)
        self.secondMoment = ParameterSet(layout: layout, category: .optimizer, ledger: ledger)
        let frozen = layout.entries.filter { Self.frozenEngineNames.contains($0.name) }.sorted { $0.offset < $1.offset }
        var ranges: [Range<Int>] = []
        var start = 0
        for entry in frozen {
            if entry.offset > start { ranges.append(start..<entry.offset) }
            start = entry.offset + entry.count
        }
        if layout.totalCount > start { ranges.append(start..<layout.totalCount) }
        self.updateRanges = ranges
    }

    /// One AdamW update of `parameters` in place: clip `gradients` in place when `clipNorm` is set,
    /// then the update above. Both sets must have this optimizer's layout.
    @discardableResult
    public func step(parameters: ParameterSet, gradients: ParameterSet) -> AdamWStepReport {
        precondition(
            parameters.layout.totalCount == layout.totalCount && gradients.layout.totalCount == layout.totalCount
                && parameters.layout.entries.count == layout.entries.count
                && gradients.layout.entries.count == layout.entries.count,
            "AdamW.step: parameters and gradients must have the optimizer's layout")
        let learningRate = LearningRate.at(step: stepCount, settings: settings)
        let norm: Float
        var clipped = false
        if let maxNorm = settings.clipNorm {
            let result = GradientNorms.clip(gradients, maxNorm: maxNorm)
            norm = result.norm
            clipped = result.clipped
        } else {
            norm = GradientNorms.globalNorm(gradients)
        }
        guard norm.isFinite else {
            return AdamWStepReport(
                step: stepCount, learningRate: learningRate, gradientNorm: norm, clipped: false, skipped: true)
        }

        stepCount += 1
        let constants = UpdateConstants(settings: settings, learningRate: learningRate, step: stepCount)
        for range in updateRanges {
            Self.update(
                parameters.storage.pointer + range.lowerBound, gradients.storage.pointer + range.lowerBound,
                firstMoment.storage.pointer + range.lowerBound, secondMoment.storage.pointer + range.lowerBound,
                count: range.count, constants)
        }
        return AdamWStepReport(
            step: stepCount, learningRate: learningRate, gradientNorm: norm, clipped: clipped, skipped: false)
    }

    /// The per-update scalars, each computed in Double and rounded to Float once.
    struct UpdateConstants {
        let decay: Float               // 1 − lr·wd
        let lerpWeight: Float          // 1 − β1
        let lerpFromGradient: Bool     // torch's lerp branch for weight ≥ 0.5
        let beta2: Float
        let oneMinusBeta2: Float
        let biasCorrection2Root: Float // √(1 − β2ᵗ)
        let negativeStepSize: Float    // −lr / (1 − β1ᵗ)
        let epsilon: Float

        init(settings s: AdamWSettings, learningRate: Float, step t: Int) {
            let lr = Double(learningRate), t = Double(t)
            decay = Float(1 - lr * Double(s.weightDecay))
            lerpWeight = Float(1 - Double(s.beta1))
            lerpFromGradient = !(abs(lerpWeight) < 0.5)
            beta2 = s.beta2
            oneMinusBeta2 = Float(1 - Double(s.beta2))
            biasCorrection2Root = Float((1 - pow(Double(s.beta2), t)).squareRoot())
            negativeStepSize = Float(-(lr / (1 - pow(Double(s.beta1), t))))
            epsilon = s.epsilon
        }
    }

    /// The update over `count` consecutive elements: SIMD8 body, scalar tail (`updateElement`,
    /// its plain twin, gives the same bits: no fused operations, same order).
    static func update(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
        count: Int, _ k: UpdateConstants
    ) {
        typealias F8 = SIMD8<Float>
        let decay = F8(repeating: k.decay), beta2 = F8(repeating: k.beta2)
        let oneMinusBeta2 = F8(repeating: k.oneMinusBeta2), root2 = F8(repeating: k.biasCorrection2Root)
        let step = F8(repeating: k.negativeStepSize), epsilon = F8(repeating: k.epsilon)
        // lerp(m, g, w) = base + coefficient·(g − m): (m, w) for w < 0.5, else (g, w − 1) = g − (g − m)(1 − w).
        let coefficient = F8(repeating: k.lerpFromGradient ? k.lerpWeight - 1 : k.lerpWeight)
        var i = 0
        while i + 8 <= count {
            let pr = UnsafeMutableRawPointer(p + i), mr = UnsafeMutableRawPointer(m + i)
            let vr = UnsafeMutableRawPointer(v + i)
            let g8 = UnsafeRawPointer(g + i).loadUnaligned(as: F8.self)
            var p8 = pr.loadUnaligned(as: F8.self), m8 = mr.loadUnaligned(as: F8.self)
            var v8 = vr.loadUnaligned(as: F8.self)
            p8 = p8 * decay
            m8 = (k.lerpFromGradient ? g8 : m8) + coefficient * (g8 - m8)
            v8 = v8 * beta2 + (oneMinusBeta2 * g8) * g8
            let denominator = v8.squareRoot() / root2 + epsilon
            p8 = p8 + (step * m8) / denominator
            pr.storeBytes(of: p8, as: F8.self)
            mr.storeBytes(of: m8, as: F8.self)
            vr.storeBytes(of: v8, as: F8.self)
            i += 8
        }
        while i < count {
            updateElement(&p[i], g[i], &m[i], &v[i], k)
            i += 1
        }
    }

    /// One element of the update, written line for line from torch's formulas.
    @inline(__always)
    static func updateElement(_ p: inout Float, _ g: Float, _ m: inout Float, _ v: inout Float, _ k: UpdateConstants) {
        p = p * k.decay
        m = k.lerpFromGradient ? g - (g - m) * (1 - k.lerpWeight) : m + k.lerpWeight * (g - m)
        v = v * k.beta2 + (k.oneMinusBeta2 * g) * g
        let denominator = v.squareRoot() / k.biasCorrection2Root + k.epsilon
        p = p + (k.negativeStepSize * m) / denominator
    }
}

// MARK: - Persistence (optimizer.safetensors)

extension AdamW {
    /// Tensor-name prefixes of the moments in optimizer.safetensors, followed by the HF name.
    public static let firstMomentPrefix = "exp_avg.", secondMomentPrefix = "exp_avg_sq."

    /// Writes `exp_avg.<hf name>` and `exp_avg_sq.<hf name>` (F32, the parameter's shape) for every
    /// parameter, and `step` (updates done) plus `metadata` in the header, atomically.
    /// `metadata` may not contain `step`.
    public func save(to path: String, metadata: [String: String] = [:]) throws(ReformerError) {
        guard metadata["step"] == nil else {
            throw ReformerError(file: path, field: "__metadata__.step", "is written by AdamW, expected it absent from metadata")
        }
        var writer = SafeTensorsWriter()
        writer.metadata = metadata
        writer.metadata["step"] = String(stepCount)
        for (slot, entry) in layout.entries.enumerated() {
            try writer.add(Self.firstMomentPrefix + entry.hfName, floats: firstMoment.values(slot), shape: entry.shape)
            try writer.add(Self.secondMomentPrefix + entry.hfName, floats: secondMoment.values(slot), shape: entry.shape)
        }
        try writer.write(to: path)
    }

    /// An optimizer resumed from a file `save` wrote: every moment of `layout` present as F32 with the
    /// parameter's shape, finite (v also ≥ 0), no other tensors, `step` a non-negative integer.
    /// Values are restored bit for bit.
    public static func load(
        path: String, layout: ParameterLayout, settings: AdamWSettings, ledger: MemoryLedger = .current
    ) throws(ReformerError) -> AdamW {
        let file = try SafeTensorsFile(contentsOf: path)
        guard let text = file.metadata["step"], let step = Int(text), step >= 0 else {
            let found = file.metadata["step"].map { "is \"\($0)\"" } ?? "is missing"
            throw ReformerError(file: path, field: "__metadata__.step", "\(found), expected a non-negative integer")
        }
        let optimizer = try AdamW(layout: layout, settings: settings, ledger: ledger)
        var expected = Set<String>()
        for (slot, entry) in layout.entries.enumerated() {
            for (prefix, target) in [(firstMomentPrefix, optimizer.firstMoment), (secondMomentPrefix, optimizer.secondMoment)] {
                let name = prefix + entry.hfName
                expected.insert(name)
                func fail(_ detail: String) -> ReformerError { ReformerError(file: path, field: name, detail) }
                guard let info = file.info(name) else {
                    throw fail("missing, expected the optimizer moment of \(entry.name) with shape \(entry.shape)")
                }
                guard info.dtype == .f32 else {
                    throw fail("dtype is \(info.dtype.rawValue), expected F32 (moments are stored exactly)")
                }
                guard info.shape == entry.shape else {
                    throw fail("shape is \(info.shape), expected \(entry.shape) like parameter \(entry.name)")
                }
                let values = try file.floats(name)
                let secondMoment = prefix == secondMomentPrefix
                if let index = values.firstIndex(where: { !$0.isFinite || (secondMoment && $0 < 0) }) {
                    throw fail(
                        "element \(index) is \(values[index]), expected a finite value"
                            + (secondMoment ? " ≥ 0 (a second moment)" : ""))
                }
                target.set(slot, values)
            }
        }
        if let extra = file.names.first(where: { !expected.contains($0) }) {
            throw ReformerError(
                file: path, field: extra, "is not a moment of this model's parameters, expected only exp_avg.* and exp_avg_sq.*")
        }
        optimizer.stepCount = step
        return optimizer
    }
}
