// WatchSession+Snapshot: what the dashboard shows of a watched run, composed from the poller's state
// (curves, trainer state, checkpoint ages, trouble) and the model worker's panels (probe, memory,
// trace, sample): the run's state, curves by tag, and the WatchStatus for the status line.

import ReformerTelemetry

extension WatchSession {
    /// The snapshot to publish at `now` (seconds since 1970; tests pass their own).
    func snapshot(now: Double) -> EngineSnapshot {
        let p = panels.withLock { $0 }
        var s = EngineSnapshot()
        var w = WatchStatus()
        w.directory = folder.path
        w.source = kind?.label ?? ""
        let fromEvents = !tails.isEmpty && curves.maxStep > 0
        var steps = RunCurves()
        if fromEvents {
            steps = curves
        } else if let progress {
            for point in progress.points { steps.add(tag: point.tag, step: point.step, value: point.value, source: 0) }
        }
        func curve(_ tag: String) -> [CurvePoint] { TrainingSession.downsample(steps.series[tag] ?? []) }
        s.trainLoss = curve("train/loss")
        s.validationLoss = curve("eval/loss")
        s.learningRate = curve("train/learning_rate")
        s.gradientNorm = curve("train/grad_norm")
        if steps.series["train/accuracy"] != nil || steps.series["eval/accuracy"] != nil {
            s.metricName = "acc"
            s.trainMetric = curve("train/accuracy")
            s.validationMetric = curve("eval/accuracy")
        } else if steps.series["train/bits_per_byte"] != nil || steps.series["eval/bits_per_byte"] != nil {
            s.metricName = "bpb"
            s.trainMetric = curve("train/bits_per_byte")
            s.validationMetric = curve("eval/bits_per_byte")
        } else {
            s.metricName = ""
        }
        s.step = max(steps.maxStep, progress?.step ?? 0, p.shownStep ?? 0)
        s.totalSteps = curves.maxStepsFromArgs ?? progress?.maxSteps ?? 0
        w.epoch = steps.series["train/epoch"]?.last?.value ?? progress?.epoch
        w.stepsPerSecond = fromEvents ? curves.stepsPerSecond : nil
        let lastLog = fromEvents ? lastLogWritten ?? curves.lastWallTime : progressModified
        w.lastLogAgeSeconds = lastLog.map { max(0, now - $0) }
        w.newestCheckpoint = newestComplete?.name
        w.newestCheckpointAgeSeconds = newestComplete.map { max(0, now - $0.modified) }
        w.shownCheckpoint = p.shown
        w.loading = p.loading
        w.probe = p.probeDescription

        let finished = (s.totalSteps > 0 && s.step >= s.totalSteps) || curves.finalSummaryLogged || progress?.finished == true
        switch kind {
        case nil:
            w.state = .waiting
            w.waitingFor = folder.waitingReason()
            s.runState = .starting
        case .modelFolder?:
            w.state = .running
            s.runState = .running
        default:
            if finished {
                w.state = .finished
                s.runState = .finished
            } else if let age = w.lastLogAgeSeconds, age >= options.silentAfter {
                w.state = .silent(minutes: max(1, Int(age / 60)))
                s.runState = .running
            } else {
                w.state = .running
                s.runState = .running
            }
        }
        // A failed load until a later one succeeds; a stuck checkpoint while it is; event-file trouble a minute.
        if let stuck {
            w.trouble = stuck   // the newest checkpoint: newer than any that failed to load
        } else if let failure = p.failure {
            w.trouble = failure
        } else if let t = trouble, now - t.at < 60 {
            w.trouble = t.text
        }
        s.watch = w
        s.task = {
            if case .text(let offset) = p.probeKind, offset == 0 { return "text" }
            return "copy"
        }()
        s.modelSummary = p.summary
        s.checkpointPath = folder.path
        s.checkpointAgeSeconds = w.newestCheckpointAgeSeconds
        s.probe = p.probe
        s.memory = p.memory
        s.sample = p.sample
        s.hashTrace = p.hashTrace
        s.tracing = p.tracing
        var notes: [String] = []
        if let m = p.message { notes.append(m) }
        if let loading = p.loading { notes.append("loading \(loading)…") }
        if let writing { notes.append(writing) }
        if kind == nil { notes.append("waiting for \(folder.path): \(w.waitingFor)") }
        s.message = notes.isEmpty ? nil : notes.joined(separator: " · ")
        return s
    }
}
