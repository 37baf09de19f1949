// TrainingSession: the engine's side of the dashboard. It owns the Trainer on one worker thread:
// drain commands → step (capturing probes from the step's own forward) → evaluate / checkpoint when
// due → publish an immutable EngineSnapshot (newest wins, ≤ 30 per second). The UI only reads
// snapshots and sends SessionCommands.

import Foundation
import ReformerTelemetry
import Synchronization

public final class TrainingSession: @unchecked Sendable {
    let trainer: Trainer
    let directory: String
    let store: SnapshotStore
    let commands: CommandQueue
    /// Set once the worker has stopped (after its final checkpoint); the UI waits for it to quit.
    public let done = Atomic<Bool>(false)
    /// Exit status the CLI should use (0 unless the run failed).
    public let exitStatus = Atomic<Int32>(0)

    private var runState = EngineSnapshot.RunState.starting
    private var failure: String?
    private var message: String?
    private var selection = ProbeSelection()
    private var evalHashes: Int
    private var lastCapture: ProbeCapture?
    private var sample: SamplePreview?
    private var lastSave: Date?
    private var savedStep = -1
    private var tokensPerSecond = 0.0
    private var lastPublish = Date.distantPast
    private var stepSeconds = 0.0
    private let started = Date()
    private var peakBytes = 0
    private var lastActivationBytes = 0, lastAttentionBytes = 0
    private var sampleRNG: SplitMix64
    /// Text samples stream in from a generation queue; the worker publishes what has arrived.
    let streamed = Locked<SamplePreview?>(nil)
    let sampling = Locked(false)
    private var hashTrace: HashTrace?
    private var tracing = false
    private var resumeAfterExplorer = false
    private let log: (String) -> Void
    /// Return from `run` as soon as the trainer has finished (after its final checkpoint) instead of
    /// staying up until `.quit` — the experiment runner trains one model after another this way.
    public var finishWhenDone = false
    /// Adds to every snapshot before it is published (the experiment runner's grid and ETAs).
    public var decorate: ((inout EngineSnapshot) -> Void)?
    /// How the text task's ids read as text (samples, explorer labels); nil: ids are bytes.
    public var tokenizer: Tokenizer?
    /// `run` returned because `.quit` arrived (after saving the checkpoint).
    public private(set) var quitReceived = false

    /// `log` receives the same progress lines headless training prints (the CLI sends them to the
    /// log file while the UI is up).
    public init(trainer: Trainer, checkpointDirectory: String, store: SnapshotStore, commands: CommandQueue, log: @escaping (String) -> Void = { _ in }) {
        self.trainer = trainer
        self.directory = checkpointDirectory
        self.store = store
        self.commands = commands
        self.log = log
        evalHashes = trainer.state.fullAttention ? 0 : trainer.model.config.hashRounds
        sampleRNG = SplitMix64(seed: trainer.state.seed ^ 0x5A3B_1E00)
    }

    /// The worker loop; returns when the user quits (after the checkpoint is written).
    public func run() {
        runState = trainer.isFinished ? .finished : .running
        publish(force: true)
        var pendingSteps = 0
        while true {
            var quit = false
            for command in commands.drain() {
                switch command {
                case .pause: if runState == .running { runState = .paused }
                case .resume: if runState == .paused { runState = .running }
                case .togglePause:
                    if runState == .running { runState = .paused } else if runState == .paused { runState = .running }
                case .stepOnce: if runState == .paused { pendingSteps += 1 }
                case .sample: makeSample(streaming: true)
                case .checkpoint: saveCheckpoint()
                case .changeEvalHashes(let delta):
                    evalHashes = min(16, max(0, evalHashes + delta))
                    evaluate(note: "evaluation with \(evalHashes == 0 ? "full attention" : "\(evalHashes) hash round\(evalHashes == 1 ? "" : "s")")")
                case .selectProbe(let layer, let head, let round, let chunk):
                    selection = ProbeSelection(layer: layer, head: head, round: round, chunk: chunk)
                case .explore(let layer, let head):
                    if hashTrace == nil { resumeAfterExplorer = runState == .running }
                    if runState == .running { runState = .paused }
                    explore(layer: layer, head: head)
                case .closeExplorer:
                    hashTrace = nil
                    if resumeAfterExplorer && runState == .paused { runState = .running }
                    resumeAfterExplorer = false
                case .quit: quit = true
                }
                publish(force: true)
            }
            if quit { break }
            if finishWhenDone && trainer.isFinished {
                done.store(true, ordering: .releasing)
                return
            }
            let shouldStep = (runState == .running) || (runState == .paused && pendingSteps > 0)
            if !shouldStep || trainer.isFinished {
                if pendingSteps > 0 && trainer.isFinished { pendingSteps = 0 }
                Thread.sleep(forTimeInterval: 0.02)
                publish(force: false)
                continue
            }
            if runState == .paused { pendingSteps -= 1 }
            do {
                try step()
            } catch {
                runState = .failed
                failure = "\(error)"
                exitStatus.store(1, ordering: .relaxed)
                log("error: \(error)")
                publish(force: true)
                // Stay up (the UI shows the failure) until the user quits; keep the last checkpoint.
                while !commands.drain().contains(.quit) { Thread.sleep(forTimeInterval: 0.05) }
                done.store(true, ordering: .releasing)
                return
            }
        }
        quitReceived = true
        runState = .stopping
        publish(force: true)
        saveCheckpoint()
        publish(force: true)
        done.store(true, ordering: .releasing)
    }

    private func step() throws(ReformerError) {
        let c = trainer.model.config
        let perLayer = trainer.sequenceLength * c.allHeadSize * 3 * 4
        let layers: Set<Int> = perLayer * c.layerCount <= 32 << 20 ? Set(0..<c.layerCount) : [selection.layer]
        let capture = ProbeCapture(layers: layers)
        let r = try trainer.step(probe: capture)
        lastCapture = capture
        stepSeconds = r.seconds
        peakBytes = r.peakBytes
        let tps = Double(r.tokens) / max(r.seconds, 1e-9)
        tokensPerSecond = tokensPerSecond == 0 ? tps : 0.9 * tokensPerSecond + 0.1 * tps
        let s = trainer.settings
        if r.step == 1 || r.step % 50 == 0 || trainer.isFinished {
            trainer.eventLog?.flush()
            log(String(format: "step %d/%d loss %.4f %@ %.3f tok/s %.0f mem %.1fMiB", r.step, trainer.state.totalSteps,
                       r.loss, trainer.data.metricName, r.metric, tokensPerSecond, Double(r.peakBytes) / 1_048_576))
        }
        if s.evalEvery > 0 && r.step % s.evalEvery == 0 || trainer.isFinished { evaluate(note: nil) }
        if s.checkpointEvery > 0 && r.step % s.checkpointEvery == 0 || trainer.isFinished { saveCheckpoint() }
        if trainer.isFinished {
            runState = .finished
            message = finishWhenDone ? "finished \(r.step) steps" : "finished \(r.step) steps — press q to quit"
            log("done: \(r.step) steps; checkpoint \(directory)")
        }
        publish(force: trainer.isFinished)
    }

    /// The explorer's trace of `layer`/`head` on the current batch: from the last step's capture when
    /// it holds that layer, else from a forward of the last batch with the current weights.
    private func explore(layer: Int, head: Int) {
        let c = trainer.model.config
        tracing = true
        publish(force: true)
        defer { tracing = false }
        var capture = lastCapture
        if capture?.captured[layer] == nil, var batch = trainer.lastBatch {
            let view = ReformerModel(config: c, parameters: trainer.model.parameters, seed: 0)
            view.rotationGenerator = SplitMix64(seed: trainer.state.seed ^ UInt64(trainer.state.step))
            let fresh = ProbeCapture(layers: [layer])
            batch.probe = fresh
            batch.labels = nil
            if (try? view.forward(batch)) != nil { capture = fresh }
        }
        guard let capture else { message = "explorer: no batch yet — take a step first (n)"; return }
        do {
            var trace = try HashTracer.trace(capture, config: c, layer: layer, head: head, byteTokens: trainer.data.kind == .text,
                labels: trainer.data.kind == .text ? tokenizer?.pieces(for: capture.tokens.map { Int($0) }) : nil)
            trace.layerCount = c.layerCount
            hashTrace = trace
            message = "explorer: layer \(layer + 1) head \(head + 1) on the current batch (training paused)"
        } catch {
            message = "explorer: \(error)"
        }
    }

    private func evaluate(note: String?) {
        do {
            let e = try trainer.evaluate(hashes: evalHashes == 0 ? nil : evalHashes, fullAttention: evalHashes == 0)
            log(String(format: "eval step %d loss %.4f %@ %.4f (%@)", trainer.state.step, e.loss, trainer.data.metricName, e.metric,
                       e.hashes == 0 ? "full attention" : "\(e.hashes) hashes"))
            if let note { message = String(format: "%@: %@ %.4f", note, trainer.data.metricName, e.metric) }
            if case .copy = trainer.data { makeSample(streaming: false) }
        } catch {
            message = "evaluation failed: \(error)"
        }
    }

    private func saveCheckpoint() {
        guard savedStep != trainer.state.step || lastSave == nil else { message = "checkpoint already current (step \(savedStep))"; return }
        do {
            try trainer.save(to: directory)
            lastSave = Date()
            savedStep = trainer.state.step
            message = "checkpoint saved to \(directory) (step \(savedStep))"
        } catch {
            message = "checkpoint failed: \(error) — the previous one is kept"
            log("error: \(error)")
        }
    }

    /// Copy: the first evaluation sequence with the model's predictions; text: a continuation of the
    /// first validation window's opening, streamed token by token.
    private func makeSample(streaming: Bool) {
        let model = trainer.model
        var c = model.config
        if evalHashes > 0 { c.hashRounds = evalHashes }
        let view = ReformerModel(config: c, parameters: model.parameters, seed: 0)
        view.rotationGenerator = sampleRNG
        switch trainer.data {
        case .copy(let task, let evaluation):
            guard let first = evaluation.first,
                  let p = SamplePreviews.copy(model: view, tokens: Array(first.tokens.prefix(task.length)), split: task.wordLength + 2,
                                              fullAttention: evalHashes == 0, step: trainer.state.step) else { return }
            sample = p
        case .text(_, _, let validation):
            guard let window = validation.first, !sampling.withLock({ $0 }) else { return }
            let prompt = Array(window.tokens.prefix(min(64, window.tokens.count)))
            var p = SamplePreview()
            p.kind = .text
            p.step = trainer.state.step
            p.text = Self.decode(prompt, tokenizer)
            p.inProgress = true
            sample = p
            streamed.withLock { $0 = p }
            // Training pauses only for this copy of the weights; the continuation is generated (with
            // the decoding cache) on another queue and streams into the Samples panel.
            let copy = ReformerModel(config: c, parameters: model.parameters.copy(category: .other), seed: 0)
            copy.rotationGenerator = sampleRNG
            let seed = sampleRNG.next()
            sampling.withLock { $0 = true }
            let box = UnsafeSendable((copy, prompt, self))
            let tokenizer = self.tokenizer
            DispatchQueue.global(qos: .utility).async {
                let (model, prompt, session) = box.value
                SamplePreviews.streamText(model: model, prompt: prompt, seed: seed, byteOffset: 0, tokenizer: tokenizer,
                                          onText: { text in session.streamed.withLock { $0?.continuation = text } },
                                          shouldStop: { session.commands.contains(.quit) })
                session.streamed.withLock { $0?.inProgress = false }
                session.sampling.withLock { $0 = false }
            }
        }
        sampleRNG = SplitMix64(seed: sampleRNG.next())
    }

    static func decode(_ tokens: [Int32], _ tokenizer: Tokenizer?) -> String {
        SamplePreviews.decode(tokens, byteOffset: 0, tokenizer: tokenizer)
    }

    // MARK: - Snapshots

    /// At most this often (plus on every state change): ~12 frames a second look live, and each
    /// frame the UI draws is CPU the two training threads do not get.
    static let publishInterval = 1.0 / 12

    private func publish(force: Bool) {
        let now = Date()
        if !force && now.timeIntervalSince(lastPublish) < Self.publishInterval { return }
        lastPublish = now
        store.publish(snapshot())
    }

    /// The snapshot the worker would publish now (for benchmarks and tests; call on the worker's thread
    /// or while it is not running).
    public func currentSnapshot() -> EngineSnapshot { snapshot() }

    /// One training step as the worker does it (probe capture, evaluation and checkpoint when due),
    /// without publishing — for benchmarks of the dashboard's cost.
    public func stepForBenchmark() throws(ReformerError) { try step() }

    func snapshot() -> EngineSnapshot {
        let t = trainer, c = t.model.config, state = t.state
        var s = EngineSnapshot()
        s.runState = runState
        s.failure = failure
        s.message = message
        s.task = state.task.rawValue
        s.modelSummary = Self.modelSummary(c, parameters: t.model.parameters.scalarCount, length: t.sequenceLength)
        s.step = state.step
        s.totalSteps = state.totalSteps
        s.tokensPerSecond = tokensPerSecond
        s.elapsedSeconds = state.elapsedSeconds
        s.checkpointPath = directory
        s.checkpointAgeSeconds = lastSave.map { Date().timeIntervalSince($0) }
        s.metricName = t.data.metricName
        s.trainHashes = state.fullAttention ? 0 : c.hashRounds
        s.evalHashes = evalHashes
        s.trainLoss = Self.downsample(state.history.map { CurvePoint(step: $0.step, value: Double($0.loss)) })
        s.trainMetric = Self.downsample(state.history.map { CurvePoint(step: $0.step, value: Double($0.metric)) })
        s.validationLoss = state.evaluations.map { CurvePoint(step: $0.step, value: Double($0.loss)) }
        s.validationMetric = state.evaluations.map { CurvePoint(step: $0.step, value: Double($0.metric)) }
        if let capture = lastCapture { s.probe = ProbeComputer.probe(capture, config: c, selection: selection) }
        s.memory = memoryReport()
        s.sample = trainer.data.kind == .text ? streamed.withLock { $0 } : sample
        s.hashTrace = hashTrace
        s.tracing = tracing
        decorate?(&s)
        return s
    }

    func memoryReport() -> MemoryReport {
        let t = trainer, c = t.model.config
        let totals = MemoryLedger.current.totals
        var m = MemoryReport()
        m.parametersBytes = totals.liveBytes[.parameters] ?? 0
        m.gradientsBytes = totals.liveBytes[.gradients] ?? 0
        m.optimizerBytes = totals.liveBytes[.optimizer] ?? 0
        m.activationsBytes = totals.peakBytes[.activations] ?? 0
        m.attentionBytes = totals.peakBytes[.attention] ?? 0
        m.peakBytes = peakBytes
        m.processRSSBytes = Self.residentBytes()
        m.setStandardTransformer(config: c, batch: t.settings.batchSize, length: t.sequenceLength)
        return m
    }

    public static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func downsample(_ points: [CurvePoint], maximum: Int = 800) -> [CurvePoint] {
        guard points.count > maximum else { return points }
        let stride = Double(points.count) / Double(maximum)
        return (0..<maximum).map { points[min(points.count - 1, Int(Double($0) * stride))] } + [points[points.count - 1]]
    }

    /// "1 LSH layer, hidden 64, 4 heads, 50,048 params, T=64" for the status line.
    public static func modelSummary(_ c: ReformerConfig, parameters: Int, length: Int) -> String {
        let kinds = Set(c.attentionLayers).count == 1
            ? "\(c.layerCount) \(c.attentionLayers[0] == .lsh ? "LSH" : "local") layer\(c.layerCount == 1 ? "" : "s")"
            : "\(c.layerCount) layers local/LSH"
        return "\(kinds), hidden \(c.hiddenSize), \(c.headCount) heads, \(grouped(parameters)) params, T=\(length)"
    }

    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
        return String(out.reversed())
    }
}
