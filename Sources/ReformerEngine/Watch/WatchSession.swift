// WatchSession: `reformer-tui watch DIR`'s worker. A poller follows the run another process writes —
// its event files record by record (else the newest readable trainer_state.json), and its checkpoints
// through the completeness rules — while a second worker loads the newest complete checkpoint, runs
// the probe forward and answers the panels' questions (probes, traces, samples). Neither is the UI
// thread: the poller publishes EngineSnapshots, the UI sends SessionCommands, as for training.

import Foundation
import ReformerTelemetry
import Synchronization

/// How `watch` looks at a run.
public struct WatchOptions: Sendable {
    /// The bytes of `--probe-text` / `--probe-file`; nil: the run's own data or `0 w 0 w`.
    public var probeText: [UInt8]?
    /// Which flag gave `probeText`, for the status line.
    public var probeName = "--probe-text"
    /// The layer the panels open on (0-based; nil: the first LSH layer).
    public var layer: Int?
    /// Seconds between looks at the folder.
    public var every = 1.0
    /// A checkpoint folder must be unchanged this long to be complete.
    public var quietSeconds = 1.0
    /// A running run with no new log for this long is "silent for N min".
    public var silentAfter = 60.0

    public init() {}
}

/// Follows a run folder on background threads and publishes what the dashboard shows.
///
/// ```swift
/// let session = WatchSession(directory: "out", options: WatchOptions(), store: store, commands: commands)
/// DispatchQueue(label: "watch").async { session.run() }   // until `.quit`
/// ```
public final class WatchSession: @unchecked Sendable {
    public let folder: RunFolder
    let options: WatchOptions
    let store: SnapshotStore
    let commands: CommandQueue
    /// Set once `run` has returned.
    public let done = Atomic<Bool>(false)

    /// What the model worker publishes: written only inside `models`' blocks, read by the poller.
    struct Panels: Sendable {
        var shown: String?
        var shownSignature: String?
        var shownStep: Int?
        var loading: String?
        var failure: String?
        var probe: AttentionProbe?
        var memory = MemoryReport()
        var summary = ""
        var probeDescription = ""
        var probeKind = ProbeSequence.Kind.ids
        var hashTrace: HashTrace?
        var tracing = false
        var sample: SamplePreview?
        var message: String?
        /// (name, signature) of the last load that failed: not retried until the folder changes.
        var failed: [String: String] = [:]
    }

    let panels = Locked(Panels())
    private let models = DispatchQueue(label: "reformer-tui.watch.model", qos: .utility)
    /// The loaded checkpoint: touched only inside `models`' blocks.
    private var view: CheckpointView?
    private var selection: ProbeSelection?
    private let quitting = Atomic<Bool>(false)

    // Poller state (the thread running `run`, or a test calling `poll`).
    var kind: RunFolder.Kind?
    var tails: [String: EventFileTail] = [:]
    private var sources: [String: Int] = [:]
    var curves = RunCurves()
    /// Modification time of the event file that brought the newest records.
    var lastLogWritten: Double?
    var progress: TrainerProgress?
    private var progressKey: String?
    var progressModified: Double?
    /// The newest complete checkpoint seen: its name on screen, folder and newest file's time.
    var newestComplete: (name: String, path: String, modified: Double)?
    /// The newest checkpoint being written (normal), or why it stays unreadable (trouble).
    var writing: String?
    var stuck: String?
    var trouble: (text: String, at: Double)?
    /// A load is queued or running on the model worker (set by the poller, cleared by the worker).
    private let loadInFlight = Atomic<Bool>(false)

    public init(directory: String, options: WatchOptions, store: SnapshotStore, commands: CommandQueue) {
        folder = RunFolder(path: directory)
        self.options = options
        self.store = store
        self.commands = commands
    }

    /// Polls and publishes until `.quit`; returns at once then (a checkpoint still loading is abandoned).
    public func run() {
        var nextPoll = Date.distantPast
        var lastPublish = Date.distantPast
        while true {
            var changed = false
            for command in commands.drain() {
                if command == .quit {
                    quitting.store(true, ordering: .relaxed)
                    publish()
                    done.store(true, ordering: .releasing)
                    return
                }
                handle(command)
                changed = true
            }
            let now = Date()
            if now >= nextPoll {
                poll(now: now.timeIntervalSince1970)
                nextPoll = now.addingTimeInterval(options.every)
                changed = true
            }
            // Ages and streamed samples move on their own: at least 4 frames a second.
            if changed || now.timeIntervalSince(lastPublish) >= 0.25 {
                publish()
                lastPublish = now
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    func publish() { store.publish(snapshot(now: Date().timeIntervalSince1970)) }

    /// Runs queued model work to the end (tests: a `poll` followed by this sees the load's result).
    public func waitForModelWork() { models.sync {} }

    // MARK: - Commands

    func handle(_ command: SessionCommand) {
        switch command {
        case .selectProbe(let layer, let head, let round, let chunk):
            let wanted = ProbeSelection(layer: layer, head: head, round: round, chunk: chunk)
            models.async { [self] in
                selection = wanted
                guard let view else { return }
                let probe = view.attentionProbe(wanted)
                panels.withLock { $0.probe = probe }
            }
        case .explore(let layer, let head):
            panels.withLock { $0.tracing = true }
            models.async { [self] in
                defer { panels.withLock { $0.tracing = false } }
                guard let view else {
                    panels.withLock { $0.message = "explorer: no checkpoint loaded yet" }
                    return
                }
                do {
                    let trace = try view.trace(layer: layer, head: head)
                    panels.withLock {
                        $0.hashTrace = trace
                        $0.message = "explorer: \(view.name), layer \(layer + 1) head \(head + 1) on the probe"
                    }
                } catch {
                    panels.withLock { $0.message = "explorer: \(error)" }
                }
            }
        case .closeExplorer:
            models.async { [self] in panels.withLock { $0.hashTrace = nil } }
        case .sample:
            models.async { [self] in sample() }
        default:
            break   // pause, step, checkpoint, evaluation rounds: the run is not ours to steer
        }
    }

    /// `s`: a copy probe's predicted second half, or a continuation of a text probe streamed in.
    private func sample() {
        guard let view else {
            panels.withLock { $0.message = "sample: no checkpoint loaded yet" }
            return
        }
        if let copy = view.copySample() {
            panels.withLock { $0.sample = copy }
            return
        }
        let prompt = view.textPrompt
        let offset = view.byteOffset ?? 0
        var p = SamplePreview()
        p.kind = .text
        p.step = view.step ?? 0
        let tokenizer = view.tokenizer
        p.text = SamplePreviews.decode(prompt, byteOffset: offset, tokenizer: tokenizer)
        p.inProgress = true
        panels.withLock { $0.sample = p }
        SamplePreviews.streamText(model: view.model, prompt: prompt, seed: ProbeSequence.seed ^ UInt64(view.step ?? 0), byteOffset: offset,
                                  tokenizer: tokenizer, onText: { text in panels.withLock { $0.sample?.continuation = text } },
                                  shouldStop: { quitting.load(ordering: .relaxed) })
        panels.withLock { $0.sample?.inProgress = false }
    }

    // MARK: - Polling

    /// One look at the folder: what it is, new event records, the trainer state, checkpoint completeness
    /// (queuing a load of the newest complete one that is not shown yet).
    public func poll(now: Double) {
        kind = folder.detect()
        guard let kind else { return }
        readEvents(kind)
        readProgress(kind, now: now)
        lookAtCheckpoints(kind, now: now)
    }

    private func readEvents(_ kind: RunFolder.Kind) {
        for path in folder.eventFiles(kind) {
            if sources[path] == nil { sources[path] = sources.count }
            var tail = tails[path] ?? EventFileTail(path: path)
            let result = tail.poll()
            tails[path] = tail
            for event in result.events { curves.add(event, source: sources[path] ?? 0) }
            // When the newest log was written, by the file's clock: right for a replay or a copy
            // (rsync keeps mtimes), where the events' own wall times may be from another day.
            if !result.events.isEmpty, let a = try? FileManager.default.attributesOfItem(atPath: path),
               let modified = (a[.modificationDate] as? Date)?.timeIntervalSince1970 {
                lastLogWritten = max(lastLogWritten ?? modified, modified)
            }
            if let issue = result.issues.last { report(issue) }
        }
    }

    private func report(_ text: String) { trouble = (text, Date().timeIntervalSince1970) }

    /// The newest trainer_state.json that parses (re-read when it changes, until it parses).
    private func readProgress(_ kind: RunFolder.Kind, now: Double) {
        let candidates: [String]
        switch kind {
        case .hfOutput: candidates = folder.checkpoints(kind).map { $0.path + "/trainer_state.json" } + [folder.path + "/trainer_state.json"]
        case .ownRun: candidates = [folder.path + "/trainer_state.json"]
        case .modelFolder: candidates = []
        }
        for path in candidates {
            guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { continue }
            let key = "\(path):\((a[.size] as? NSNumber)?.intValue ?? 0):\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
            if key == progressKey { return }
            guard let p = TrainerProgress.load(path) else { continue }   // half-written: an older one, and again next poll
            if let current = progress, current.step > p.step, progressKey != nil { return }
            progress = p
            progressKey = key
            progressModified = (a[.modificationDate] as? Date)?.timeIntervalSince1970
            return
        }
    }

    private func lookAtCheckpoints(_ kind: RunFolder.Kind, now: Double) {
        let completenessKind: CheckpointCompleteness.Kind = kind == .hfOutput ? .hfCheckpoint : kind == .ownRun ? .ownRun : .modelFolder
        let state = panels.withLock { $0 }
        writing = nil
        stuck = nil
        // The last complete one stays the newest while a newer save is under way (ours rewrite one folder).
        if let n = newestComplete, !FileManager.default.fileExists(atPath: n.path) { newestComplete = nil }
        var first = true, foundComplete = false
        for candidate in folder.checkpoints(kind) {
            defer { first = false }
            if let shownStep = state.shownStep, let step = candidate.step, step < shownStep { break }
            guard let facts = CheckpointCompleteness.facts(ofFolder: candidate.path, name: candidate.name, kind: completenessKind) else { continue }
            let modified = facts.lastChange ?? now
            switch CheckpointCompleteness.verdict(facts, kind: completenessKind, now: now, quietSeconds: options.quietSeconds) {
            case .incomplete(let why):
                if first {
                    // Still being written is normal; a quiet folder that stays incomplete is trouble.
                    if now - modified >= options.quietSeconds + 2 { stuck = "\(why); showing \(state.shown ?? "no checkpoint yet")" } else { writing = why }
                }
            case .unusable(let why):
                if first { stuck = "\(why); showing \(state.shown ?? "no checkpoint yet")" }
            case .complete(let step, let weights):
                // Our folder keeps its name from save to save: the step tells them apart on screen.
                var named = candidate
                if kind == .ownRun, let step { named.name = "\(candidate.name) (step \(step))" }
                if !foundComplete { newestComplete = (named.name, candidate.path, modified) }
                foundComplete = true
                let signature = facts.entries.sorted { $0.name < $1.name }.map { "\($0.name):\($0.size):\($0.modified)" }.joined(separator: "|")
                if state.shown == named.name && state.shownSignature == signature { return }
                if state.failed[named.name] == signature { continue }   // tried as it is: an older one
                queueLoad(named, weights: weights, step: step ?? candidate.step, signature: signature, kind: kind)
                return
            }
        }
    }

    private func queueLoad(_ c: RunFolder.Checkpoint, weights: CheckpointCompleteness.Weights, step: Int?, signature: String, kind: RunFolder.Kind) {
        guard !loadInFlight.load(ordering: .acquiring) else { return }
        loadInFlight.store(true, ordering: .releasing)
        panels.withLock { $0.loading = c.name }
        let options = self.options
        models.async { [self] in
            defer {
                panels.withLock { $0.loading = nil }
                loadInFlight.store(false, ordering: .releasing)
            }
            guard !quitting.load(ordering: .relaxed) else { return }
            let own = kind == .ownRun ? try? TrainerState.load(path: c.path + "/trainer_state.json") : nil
            do {
                let loaded = try CheckpointView.load(folder: c.path, name: c.name, weights: weights, step: step,
                                                     probeText: options.probeText, probeName: options.probeName, ownRun: own,
                                                     layer: options.layer)
                let wanted = selection ?? ProbeSelection(layer: options.layer ?? loaded.defaultLayer)
                let probe = loaded.attentionProbe(wanted)
                view = loaded
                let layers = loaded.model.config.layerCount
                let note = options.layer.flatMap { $0 >= layers ? "--layer \($0 + 1): \(c.name) has \(layers) layer\(layers == 1 ? "" : "s"); showing layer \(layers)" : nil }
                panels.withLock {
                    $0.shown = c.name
                    $0.shownSignature = signature
                    $0.shownStep = step
                    $0.failure = nil
                    $0.probe = probe
                    $0.memory = loaded.memory
                    $0.summary = loaded.summary
                    $0.probeDescription = loaded.probe.description + (loaded.probe.note.map { " (\($0))" } ?? "")
                    $0.probeKind = loaded.probe.kind
                    $0.message = note
                }
            } catch {
                let gone = !FileManager.default.fileExists(atPath: c.path)
                // Paths inside the watched folder are shown relative to it: the line has to fit.
                let why = gone ? "\(c.name) vanished while being read (rotated away)"
                    : "\(error)".replacingOccurrences(of: folder.path + "/", with: "")
                panels.withLock {
                    $0.failed[c.name] = signature
                    $0.failure = "\(why); showing \($0.shown ?? "no checkpoint yet")"
                }
            }
        }
    }
}
