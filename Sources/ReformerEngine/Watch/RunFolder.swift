// RunFolder: what a folder given to `watch` is and where its pieces are (INTEROP.md §4): an HF Trainer
// output folder (checkpoint-<step>/ folders, runs/*/events.out.tfevents.*), one of our own checkpoint
// folders (trainer_state.json of ours, live events in `<folder>.tb/`), or a single HF model folder.
// Also reads a trainer_state.json of either kind into the progress it records.

import Foundation
import ReformerTelemetry

/// A watched folder.
///
/// ```swift
/// let run = RunFolder(path: "out")
/// if let kind = run.detect() {
///     for c in run.checkpoints(kind) { … }     // newest first
///     let files = run.eventFiles(kind)          // oldest first
/// }
/// ```
public struct RunFolder: Sendable {
    public enum Kind: Sendable, Equatable {
        case hfOutput, ownRun, modelFolder

        /// For the status line.
        public var label: String {
            switch self {
            case .hfOutput: "HF Trainer"
            case .ownRun: "reformer-tui"
            case .modelFolder: "model folder"
            }
        }
    }

    /// A checkpoint folder in the run.
    public struct Checkpoint: Sendable, Equatable {
        public var name: String
        public var path: String
        /// From the name (HF) — nil for our folder and a model folder (their step is in the state file).
        public var step: Int?
    }

    public let path: String

    public init(path: String) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.path = p
    }

    /// `<folder>.tb`, where our runs write their events.
    public var eventDirectory: String { TrainingEventLog.directory(forCheckpoint: path) }

    var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    /// What the folder is now; nil while there is nothing to recognise.
    public func detect() -> Kind? {
        let fm = FileManager.default
        let ownEvents = !Self.eventFiles(in: eventDirectory, depth: 0).isEmpty
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              let names = try? fm.contentsOfDirectory(atPath: path) else {
            return ownEvents ? .ownRun : nil
        }
        if names.contains(where: { CheckpointCompleteness.step(ofCheckpointName: $0) != nil && Self.isDirectory(path + "/" + $0) }) {
            return .hfOutput
        }
        if names.contains("trainer_state.json"), let data = fm.contents(atPath: path + "/trainer_state.json"),
           case .object(let o)? = try? JSONValue.parse(data, file: path) {
            if o["formatVersion"] != nil { return .ownRun }
            if o["global_step"] != nil { return .hfOutput }
        }
        if ownEvents { return .ownRun }
        if !eventFiles(.hfOutput).isEmpty { return .hfOutput }
        if names.contains("config.json") { return .modelFolder }
        return nil
    }

    /// While `detect` is nil: what is missing.
    public func waitingReason() -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "no such folder yet" }
        guard isDirectory.boolValue else { return "is a file, not a folder" }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.isEmpty ? "the folder is empty" : "no checkpoint-<step> folders, trainer_state.json, TensorBoard events or config.json yet"
    }

    /// Candidate checkpoints, newest (highest step) first.
    public func checkpoints(_ kind: Kind) -> [Checkpoint] {
        switch kind {
        case .ownRun, .modelFolder:
            return FileManager.default.fileExists(atPath: path) ? [Checkpoint(name: name, path: path, step: nil)] : []
        case .hfOutput:
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.compactMap { n -> Checkpoint? in
                guard let step = CheckpointCompleteness.step(ofCheckpointName: n), Self.isDirectory(path + "/" + n) else { return nil }
                return Checkpoint(name: n, path: path + "/" + n, step: step)
            }.sorted { ($0.step ?? 0, $0.name) > ($1.step ?? 0, $1.name) }
        }
    }

    /// The run's event files, oldest first (by the time in their names): HF — anywhere up to three
    /// levels below the folder except inside checkpoints (default `runs/<date>_<host>/`); ours — `<folder>.tb/`.
    public func eventFiles(_ kind: Kind) -> [String] {
        let files: [String]
        switch kind {
        case .ownRun: files = Self.eventFiles(in: eventDirectory, depth: 0)
        case .hfOutput: files = Self.eventFiles(in: path, depth: 3)
        case .modelFolder: files = []
        }
        return files.sorted { (Self.createdTime($0), $0) < (Self.createdTime($1), $1) }
    }

    static func eventFiles(in directory: String, depth: Int) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var out: [String] = []
        for n in names.sorted() {
            let p = directory + "/" + n
            if EventFile.isEventFileName(n) {
                out.append(p)
            } else if depth > 0, !n.hasPrefix("."), CheckpointCompleteness.step(ofCheckpointName: n) == nil, isDirectory(p) {
                out += eventFiles(in: p, depth: depth - 1)
            }
        }
        return out
    }

    /// The seconds field of `events.out.tfevents.<seconds>.<host>…` (0 when absent).
    static func createdTime(_ path: String) -> Double {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let fields = name.split(separator: ".")
        return fields.count > 3 ? Double(fields[3]) ?? 0 : 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }
}

/// What a trainer_state.json records about a run's progress, of HF's kind or ours.
public struct TrainerProgress: Sendable, Equatable {
    public var step = 0
    public var maxSteps: Int?
    public var epoch: Double?
    /// The final `train_runtime` summary was logged.
    public var finished = false
    /// Logged values as TensorBoard tags (`train/loss`, `eval/loss`, …).
    public var points: [(tag: String, step: Int, value: Double)] = []

    public static func == (a: TrainerProgress, b: TrainerProgress) -> Bool {
        a.step == b.step && a.maxSteps == b.maxSteps && a.epoch == b.epoch && a.finished == b.finished
            && a.points.map(\.tag) == b.points.map(\.tag) && a.points.map(\.step) == b.points.map(\.step)
            && a.points.map(\.value) == b.points.map(\.value)
    }

    /// Reads `path`; nil while it does not parse (it is re-read until it does).
    public static func load(_ path: String) -> TrainerProgress? {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty,
              case .object(let o)? = try? JSONValue.parse(data, file: path) else { return nil }
        if o["formatVersion"] != nil {
            guard let own = try? TrainerState.load(path: path) else { return nil }
            return TrainerProgress(own: own)
        }
        return TrainerProgress(hf: o)
    }

    /// HF's TrainerState: global_step, max_steps, epoch, log_history.
    init?(hf o: [String: JSONValue]) {
        guard case .number(let step)? = o["global_step"], step >= 0, step < 1e15 else { return nil }
        self.step = Int(step)
        if case .number(let m)? = o["max_steps"], m > 0, m < 1e15 { maxSteps = Int(m) }
        if case .number(let e)? = o["epoch"] { epoch = e }
        guard case .array(let history)? = o["log_history"] else { return }
        let tags = ["loss": "train/loss", "grad_norm": "train/grad_norm", "learning_rate": "train/learning_rate",
                    "epoch": "train/epoch", "eval_loss": "eval/loss", "eval_accuracy": "eval/accuracy"]
        for case .object(let entry) in history {
            guard case .number(let s)? = entry["step"], s >= 0, s < 1e15 else { continue }
            if entry["train_runtime"] != nil { finished = true }
            for (key, tag) in tags {
                if case .number(let v)? = entry[key] { points.append((tag, Int(s), v)) }
            }
        }
    }

    /// Our TrainerState: step, totalSteps, history and evaluations.
    init(own s: TrainerState) {
        step = s.step
        maxSteps = s.totalSteps > 0 ? s.totalSteps : nil
        let metric = s.task == .copy ? "accuracy" : "bits_per_byte"
        for p in s.history {
            points.append(("train/loss", p.step, Double(p.loss)))
            points.append(("train/\(metric)", p.step, Double(p.metric)))
        }
        for e in s.evaluations {
            points.append(("eval/loss", e.step, Double(e.loss)))
            points.append(("eval/\(metric)", e.step, Double(e.metric)))
        }
    }
}
