// TrainingEventLog: a run's live metrics as TensorBoard event files in `<checkpoint>.tb/`, beside the
// checkpoint folder (never inside it: that folder changes only by an atomic save), so TensorBoard and
// `reformer-tui watch` can follow the run between checkpoints. One new file per process start, like
// PyTorch's SummaryWriter; the first records say max_steps (an `args` text, as HF writes).

import Foundation

/// Appends training and evaluation scalars for a Trainer (`Trainer.eventLog`).
///
/// Tags: `train/loss`, `train/learning_rate`, `train/grad_norm`, `train/accuracy` (copy) or
/// `train/bits_per_byte` (text), and `eval/loss`, `eval/accuracy` or `eval/bits_per_byte`.
/// A step is written when `minimumInterval` has passed since the last write (so at least once a
/// second while steps are faster), and on `flush()` — which the training loops call at every
/// progress line and checkpoint.
///
/// ```swift
/// trainer.eventLog = try TrainingEventLog(checkpointDirectory: "runs/copy-seed0", trainer: trainer)
/// let r = try trainer.step()          // recorded; written when due
/// trainer.eventLog?.flush()           // the newest step is on disk
/// ```
public final class TrainingEventLog {
    /// `runs/copy-seed0` → `runs/copy-seed0.tb`.
    public static func directory(forCheckpoint checkpoint: String) -> String {
        var d = checkpoint
        while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
        return d + ".tb"
    }

    public let writer: EventFileWriter
    /// Seconds between written steps at most (while steps keep coming).
    public var minimumInterval = 0.25
    /// The first write error, if any (training goes on; the CLI reports it once).
    public private(set) var failure: String?
    private let metricTag: String
    private var pending: StepReport?
    private var lastWrite = Date.distantPast

    /// Opens a new event file for the run in `checkpointDirectory`'s `.tb` folder and records what the
    /// run is: task, preset, max_steps.
    public init(checkpointDirectory: String, trainer: Trainer) throws(ReformerError) {
        writer = try EventFileWriter(directory: Self.directory(forCheckpoint: checkpointDirectory))
        metricTag = trainer.data.kind == .copy ? "accuracy" : "bits_per_byte"
        let s = trainer.state
        let args: JSONValue = .object([
            "max_steps": .number(Double(s.totalSteps)), "task": .string(s.task.rawValue), "preset": .string(s.preset),
            "seed": .string(String(s.seed)), "checkpoint": .string(checkpointDirectory), "resumed_at_step": .number(Double(s.step)),
        ])
        try writer.append(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(s.step),
                                           texts: [.init(tag: "args/text_summary", text: String(decoding: args.serialized(), as: UTF8.self))]))
    }

    /// Notes a finished step; writes it when the interval has passed.
    public func record(_ r: StepReport) {
        pending = r
        if Date().timeIntervalSince(lastWrite) >= minimumInterval { flush() }
    }

    /// Writes an evaluation (and the step it belongs to, if still pending).
    public func record(evaluation e: EvaluationReport, step: Int) {
        flush()
        write(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(step),
                               scalars: [.init(tag: "eval/loss", value: Double(e.loss)), .init(tag: "eval/\(metricTag)", value: Double(e.metric))]))
    }

    /// Writes the newest recorded step if it is not on disk yet.
    public func flush() {
        guard let r = pending else { return }
        pending = nil
        lastWrite = Date()
        write(TensorBoardEvent(wallTime: lastWrite.timeIntervalSince1970, step: Int64(r.step), scalars: [
            .init(tag: "train/loss", value: Double(r.loss)), .init(tag: "train/learning_rate", value: Double(r.learningRate)),
            .init(tag: "train/grad_norm", value: Double(r.gradientNorm)), .init(tag: "train/\(metricTag)", value: Double(r.metric)),
        ]))
    }

    private func write(_ event: TensorBoardEvent) {
        guard failure == nil else { return }
        do { try writer.append(event) } catch { failure = error.message }
    }
}
