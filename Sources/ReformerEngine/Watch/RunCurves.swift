// RunCurves: scalars from a run's event files (or its trainer_state.json) as curves per tag, in step
// order. A resumed run starts a new event file and logs again from its checkpoint's step: the points
// an older file holds from that step on are dropped, as TensorBoard purges orphaned steps. Also the
// pace (steps per second from the logs' wall times) and the text summaries (`args`).

import Foundation
import ReformerTelemetry

/// Curves of a watched run.
///
/// ```swift
/// var curves = RunCurves()
/// curves.add(event, source: 0)          // source: the event file's index, oldest first
/// curves.series["train/loss"]           // [CurvePoint] by step
/// curves.stepsPerSecond                  // from the last logs' wall times
/// ```
public struct RunCurves: Sendable {
    public private(set) var series: [String: [CurvePoint]] = [:]
    /// Per tag: which source wrote its points (parallel to `series`).
    private var origins: [String: [Int]] = [:]
    /// Text summaries by tag (the newest of each).
    public private(set) var texts: [String: String] = [:]
    /// (step, wall time) of events carrying a `train/` scalar, oldest first (the last 64).
    public private(set) var logTimes: [(step: Int, wall: Double)] = []
    /// Wall time of the newest event with a scalar.
    public private(set) var lastWallTime: Double?
    /// Points kept per tag before older ones are thinned (every other one).
    public var maximumPoints = 100_000

    public init() {}

    public var maxStep: Int { series.values.compactMap { $0.last?.step }.max() ?? 0 }

    /// Adds an event's scalars and texts.
    public mutating func add(_ event: TensorBoardEvent, source: Int) {
        let step = Int(clamping: event.step)
        for scalar in event.scalars { add(tag: scalar.tag, step: step, value: scalar.value, source: source) }
        for text in event.texts { texts[text.tag] = text.text }
        if !event.scalars.isEmpty {
            lastWallTime = max(lastWallTime ?? event.wallTime, event.wallTime)
            if event.scalars.contains(where: { $0.tag.hasPrefix("train/") }) {
                if let last = logTimes.last, last.step == step { logTimes.removeLast() }
                logTimes.append((step, event.wallTime))
                if logTimes.count > 64 { logTimes.removeFirst(logTimes.count - 64) }
            }
        }
    }

    /// Adds one point; a point at a step the tag already has replaces it.
    public mutating func add(tag: String, step: Int, value: Double, source: Int) {
        var points = series[tag] ?? []
        var from = origins[tag] ?? []
        if let lastSource = from.last, lastSource < source, let lastStep = points.last?.step, lastStep >= step {
            // A newer file restarting at `step` (a resume): the older file's points from there on are orphans.
            let keep = points.firstIndex { $0.step >= step } ?? points.count
            points.removeSubrange(keep...)
            from.removeSubrange(keep...)
        }
        let point = CurvePoint(step: step, value: value)
        if let last = points.last, last.step < step {
            points.append(point)
            from.append(source)
        } else {
            // Binary search for the step (logs normally arrive in order; this keeps them sorted if not).
            var lo = 0, hi = points.count
            while lo < hi { let mid = (lo + hi) / 2; if points[mid].step < step { lo = mid + 1 } else { hi = mid } }
            if lo < points.count && points[lo].step == step {
                points[lo] = point
                from[lo] = source
            } else {
                points.insert(point, at: lo)
                from.insert(source, at: lo)
            }
        }
        if points.count > maximumPoints {
            let last = points.count - 1
            let kept = points.indices.filter { $0 % 2 == 0 || $0 == last }
            points = kept.map { points[$0] }
            from = kept.map { from[$0] }
        }
        series[tag] = points
        origins[tag] = from
    }

    /// Steps per second over the last logs (nil until two logs with time between them).
    public var stepsPerSecond: Double? {
        guard let first = logTimes.first, let last = logTimes.last, last.step > first.step, last.wall > first.wall else { return nil }
        return Double(last.step - first.step) / (last.wall - first.wall)
    }

    /// `max_steps` from an `args` text summary (HF's TrainingArguments JSON, or ours); nil if absent or ≤ 0.
    public var maxStepsFromArgs: Int? {
        guard let text = texts["args/text_summary"] ?? texts["args"],
              case .object(let o)? = try? JSONValue.parse(Data(text.utf8), file: "args"),
              case .number(let m)? = o["max_steps"], m > 0, m < 1e15 else { return nil }
        return Int(m)
    }

    /// HF's final summary (`train_runtime`) was logged.
    public var finalSummaryLogged: Bool { series["train/train_runtime"] != nil }
}
