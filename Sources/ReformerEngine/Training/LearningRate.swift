// LearningRate: the learning-rate schedule — linear warmup, then constant or cosine decay to a floor
// (Loshchilov & Hutter, SGDR, ICLR 2017, without restarts). Pure functions of (step, settings).

import Foundation

/// What the learning rate does after warmup. Codable as `"constant"` / `"cosine"`.
public enum LearningRateSchedule: String, Codable, Sendable, CaseIterable {
    /// Stays at the peak `learningRate`.
    case constant
    /// Half a cosine from the peak at `warmupSteps` down to `minLearningRate` at `totalSteps`.
    case cosine
}

/// The learning rate for one update.
///
/// `step` is the number of updates already done (0 for the first update). With W = `warmupSteps`,
/// peak = `learningRate`, floor = `minLearningRate`, T = `totalSteps`:
///
/// ```
/// step < W            lr = peak · (step + 1) / (W + 1)        first update peak/(W+1), never 0
/// step ≥ W, constant  lr = peak
/// step ≥ W, cosine    lr = floor + (peak − floor) · ½ · (1 + cos(π · (step − W) / (T − W)))
/// step ≥ T, cosine    lr = floor
/// ```
///
/// So the ramp reaches the peak exactly at `step == W` (the (W+1)-th update), where both post-warmup
/// formulas start, and the first update is never wasted with a zero rate (HF's
/// `get_linear_schedule_with_warmup` gives 0 at its step 0). Computed in Double, rounded once.
///
/// ```swift
/// var settings = AdamWSettings()
/// settings.warmupSteps = 3
/// LearningRate.at(step: 0, settings: settings)  // 0.00025 (peak 1e-3 · 1/4)
/// LearningRate.at(step: 3, settings: settings)  // 0.001
/// ```
public enum LearningRate {
    public static func at(step: Int, settings: AdamWSettings) -> Float {
        precondition(step >= 0, "step counts updates already done and cannot be negative")
        let peak = Double(settings.learningRate)
        let warmup = settings.warmupSteps
        if step < warmup { return Float(peak * Double(step + 1) / Double(warmup + 1)) }
        switch settings.schedule {
        case .constant:
            return settings.learningRate
        case .cosine:
            let floor = Double(settings.minLearningRate)
            // A run no longer than its warmup never leaves the ramp (step < W above), so T > W here.
            guard step < settings.totalSteps else { return settings.minLearningRate }
            let progress = Double(step - warmup) / Double(settings.totalSteps - warmup)
            return Float(floor + (peak - floor) * 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
