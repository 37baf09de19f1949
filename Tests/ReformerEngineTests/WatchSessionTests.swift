// WatchSessionTests: `watch` on the recorded HF runs replayed operation by operation (a poll after
// each: no state breaks it, the step only grows, the newest complete checkpoint is shown, the run ends
// finished), on a missing folder, on checkpoints that cannot be read (the last good one stays, the
// status says why), on its trainer_state.json alone, and on one of our own runs; plus the curves'
// resume rule, the probe sequence and our TensorBoard log.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTelemetry
import ReformerTestSupport

@Suite struct WatchSessionTests {
    static func session(_ dir: String, _ configure: (inout WatchOptions) -> Void = { _ in }) -> WatchSession {
        var options = WatchOptions()
        options.quietSeconds = 0   // replays have no time between operations
        configure(&options)
        return WatchSession(directory: dir, options: options, store: SnapshotStore(), commands: CommandQueue())
    }

    static func look(_ s: WatchSession, at now: Double = Date().timeIntervalSince1970) -> EngineSnapshot {
        s.poll(now: now)
        s.waitForModelWork()
        return s.snapshot(now: now)
    }

    @Test(arguments: ["hf-single", "hf-torchrun"])
    func aRecordedRunReplayedStateByState(_ name: String) throws {
        let root = try makeTemporaryFolder("watch-\(name)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = root + "/run"
        let session = Self.session(run)
        var s = Self.look(session)
        #expect(s.watch?.state == .waiting && s.watch?.waitingFor == "no such folder yet")
        let blobs = try WatchFixture.blobs(name)
        var lastStep = 0, shown: [String] = []
        for op in try WatchFixture.operations(name) {
            try WatchFixture.apply(op, blobs: blobs, root: run)
            s = Self.look(session)
            #expect(s.step >= lastStep, "the step went back from \(lastStep) to \(s.step) after \(op.name) \(op.path)")
            lastStep = s.step
            if let name = s.watch?.shownCheckpoint, shown.last != name { shown.append(name) }
            if let trouble = s.watch?.trouble { Issue.record("trouble after \(op.name) \(op.path): \(trouble)") }
        }
        s = Self.look(session)
        #expect(s.watch?.source == "HF Trainer" && s.watch?.state == .finished && s.runState == .finished)
        #expect(s.step == 30 && s.totalSteps == 30)
        #expect(shown.last == "checkpoint-30" && shown.allSatisfy { ["checkpoint-10", "checkpoint-20", "checkpoint-30"].contains($0) })
        #expect(s.trainLoss.count == 15 && s.validationLoss.map(\.step) == [10, 20, 30])
        #expect(s.learningRate.count == 15 && s.gradientNorm.count == 15 && s.metricName.isEmpty)
        let probe = try #require(s.probe)
        #expect(probe.layerKinds == ["lsh", "local"] && probe.layer == 0 && !probe.buckets.isEmpty && probe.tokens.count == 32)
        #expect(s.watch?.probe == "seeded 0 w 0 w, 32 tokens")
        #expect(s.memory.parametersBytes > 0 && s.memory.sequenceLength == 32)
        #expect(s.watch?.newestCheckpoint == "checkpoint-30")
        #expect(abs((s.watch?.epoch ?? 0) - (name == "hf-single" ? 0.46875 : 0.9375)) < 1e-6)
    }

    @Test func aMissingFolderIsWaitedFor() throws {
        let root = try makeTemporaryFolder("watch-missing")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let session = Self.session(root + "/later")
        var s = Self.look(session)
        #expect(s.watch?.state == .waiting && s.runState == .starting && s.message?.contains("no such folder yet") == true)
        try FileManager.default.createDirectory(atPath: root + "/later", withIntermediateDirectories: false)
        s = Self.look(session)
        #expect(s.watch?.waitingFor == "the folder is empty")
    }

    @Test func theLastGoodCheckpointStaysWhenANewerOneCannotBeRead() throws {
        let run = try WatchFixture.replayed("hf-single")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let session = Self.session(run)
        var s = Self.look(session)
        #expect(s.watch?.shownCheckpoint == "checkpoint-30")
        // checkpoint-40: complete by the rules, but its tensors do not fit the config.
        let bad = run + "/checkpoint-40"
        try FileManager.default.copyItem(atPath: run + "/checkpoint-30", toPath: bad)
        var writer = SafeTensorsWriter()
        try writer.add("reformer.embeddings.word_embeddings.weight", floats: [1, 2], shape: [2])
        try Data(writer.serialized()).write(to: URL(fileURLWithPath: bad + "/model.safetensors"))
        try Self.setGlobalStep(40, in: bad)
        s = Self.look(session)
        #expect(s.watch?.shownCheckpoint == "checkpoint-30")
        #expect(s.watch?.trouble?.hasSuffix("showing checkpoint-30") == true)
        #expect(s.watch?.trouble?.contains("model.safetensors") == true)
        // checkpoint-50: a 0-byte model file that stays so.
        let empty = run + "/checkpoint-50"
        try FileManager.default.copyItem(atPath: run + "/checkpoint-30", toPath: empty)
        try Data().write(to: URL(fileURLWithPath: empty + "/model.safetensors"))
        try Self.setGlobalStep(50, in: empty)
        s = Self.look(session, at: Date().timeIntervalSince1970 + 10)
        #expect(s.watch?.shownCheckpoint == "checkpoint-30")
        #expect(s.watch?.trouble == "checkpoint-50/model.safetensors: 0 bytes, the header length is not written yet; showing checkpoint-30")
        // checkpoint-60: FSDP's sharded state, no full weights.
        let sharded = run + "/checkpoint-60"
        try FileManager.default.createDirectory(atPath: sharded + "/pytorch_model_fsdp_0", withIntermediateDirectories: true)
        try Data(try #require(FileManager.default.contents(atPath: run + "/checkpoint-30/trainer_state.json"))).write(to: URL(fileURLWithPath: sharded + "/trainer_state.json"))
        try Self.setGlobalStep(60, in: sharded)
        s = Self.look(session)
        #expect(s.watch?.trouble?.contains("holds no full weights") == true && s.watch?.shownCheckpoint == "checkpoint-30")
        let trouble = s.watch?.trouble ?? ""
        #expect(!trouble.lowercased().contains("fatal"))
    }

    static func setGlobalStep(_ step: Int, in folder: String) throws {
        let path = folder + "/trainer_state.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let changed = text.replacingOccurrences(of: "\"global_step\": 30", with: "\"global_step\": \(step)")
        #expect(changed != text)
        try changed.write(toFile: path, atomically: false, encoding: .utf8)
    }

    @Test func withoutEventFilesTheCurvesComeFromTrainerState() throws {
        let run = try WatchFixture.replayed("hf-single")
        defer { try? FileManager.default.removeItem(atPath: run) }
        try FileManager.default.removeItem(atPath: run + "/runs")
        let s = Self.look(Self.session(run))
        #expect(s.watch?.source == "HF Trainer" && s.step == 30 && s.totalSteps == 30)
        #expect(s.trainLoss.map(\.step) == Array(stride(from: 2, through: 30, by: 2)) && s.validationLoss.map(\.step) == [10, 20, 30])
        #expect(s.watch?.stepsPerSecond == nil && s.watch?.lastLogAgeSeconds != nil)
        #expect(s.watch?.state == .finished)   // global_step = max_steps
    }

    /// A tiny copy run of ours writing its events to `<dir>.tb` at every step.
    static func ownRun(_ dir: String, steps: Int) throws -> Trainer {
        let (c, settings, data) = try tinyCopyRun(steps: steps)
        let trainer = try Trainer(config: c, settings: settings, data: data, preset: "test", fullAttention: false)
        trainer.eventLog = try TrainingEventLog(checkpointDirectory: dir, trainer: trainer)
        trainer.eventLog?.minimumInterval = 0
        return trainer
    }

    @Test func ourOwnRunFromItsEventsAndCheckpoint() throws {
        let root = try makeTemporaryFolder("watch-own")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/copy-run"
        let trainer = try Self.ownRun(dir, steps: 4)
        let session = Self.session(dir)
        _ = try trainer.step()
        var s = Self.look(session)
        #expect(s.watch?.source == "reformer-tui" && s.step == 1 && s.totalSteps == 4)
        #expect(s.watch?.newestCheckpoint == nil && s.probe == nil)
        for _ in 0..<3 { _ = try trainer.step() }
        _ = try trainer.evaluate()
        try trainer.save(to: dir)
        s = Self.look(session)
        #expect(s.step == 4 && s.watch?.state == .finished && s.metricName == "acc")
        #expect(s.trainMetric.count == 4 && s.validationLoss.map(\.step) == [4] && s.gradientNorm.count == 4)
        #expect(s.watch?.shownCheckpoint == "copy-run (step 4)")
        #expect(s.watch?.probe == "the run's first evaluation sequence, 16 tokens")
        let probe = try #require(s.probe)
        #expect(probe.tokens.count == 16 && probe.tokens[0] == 0 && probe.tokens[8] == 0 && !probe.buckets.isEmpty)
    }

    @Test func aModelFolderIsReloadedWhenItChanges() throws {
        let root = try makeTemporaryFolder("watch-model")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/tiny"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: Fixtures.path("tiny-causal") + "/" + file, toPath: dir + "/" + file)
        }
        let session = Self.session(dir)
        let first = Self.look(session)
        #expect(first.watch?.source == "model folder" && first.watch?.shownCheckpoint == "tiny" && first.watch?.state == .running)
        let before = try #require(first.probe)
        #expect(before.layerKinds == ["local", "lsh"] && before.layer == 1)   // the first LSH layer
        // New weights in place (same config): shown again, different buckets or weights.
        let fresh = try ReformerModel.initialized(config: try ReformerConfig.load(path: dir + "/config.json"), seed: 99)
        try HFCheckpoint.save(fresh, directory: dir)
        let after = Self.look(session, at: Date().timeIntervalSince1970 + 5)
        #expect(after.watch?.shownCheckpoint == "tiny" && after.probe != before)
        #expect(after.watch?.trouble == nil)
    }

    @Test func aResumedOwnRunIsFollowedIntoItsNewEventFile() throws {
        let root = try makeTemporaryFolder("watch-resume")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/run"
        let (_, settings, data) = try tinyCopyRun(steps: 4)
        let first = try Self.ownRun(dir, steps: 4)
        for _ in 0..<4 { _ = try first.step() }
        try first.save(to: dir)
        let session = Self.session(dir)
        var s = Self.look(session)
        #expect(s.step == 4 && s.totalSteps == 4 && s.watch?.state == .finished)
        // `train --resume --steps 7`: a new process, a new event file, max_steps 7.
        var more = settings
        more.steps = 7
        let resumed = try Trainer(resuming: dir, settings: more, data: data)
        resumed.eventLog = try TrainingEventLog(checkpointDirectory: dir, trainer: resumed)
        resumed.eventLog?.minimumInterval = 0
        _ = try resumed.step()
        s = Self.look(session)
        #expect(s.step == 5 && s.totalSteps == 7 && s.watch?.state == .running)
        #expect(s.trainLoss.map(\.step) == [1, 2, 3, 4, 5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + ".tb").count == 2)
    }

    @Test func panelCommandsAreAnsweredOnTheModelWorker() throws {
        let run = try WatchFixture.replayed("hf-single")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let commands = CommandQueue()
        var options = WatchOptions()
        options.quietSeconds = 0
        let session = WatchSession(directory: run, options: options, store: SnapshotStore(), commands: commands)
        var s = Self.look(session)
        #expect(s.probe?.layer == 0)
        session.handle(.selectProbe(layer: 1, head: 1, round: 0, chunk: 2))
        session.handle(.explore(layer: 0, head: 1))
        session.handle(.sample)
        session.waitForModelWork()
        s = session.snapshot(now: Date().timeIntervalSince1970)
        #expect(s.probe?.layer == 1 && s.probe?.head == 1 && s.probe?.layerKinds[1] == "local")
        #expect(s.hashTrace?.layer == 0 && s.hashTrace?.head == 1 && !s.tracing)
        let sample = try #require(s.sample)
        #expect(sample.kind == .copy && sample.predicted.count == 15 && sample.expected.count == 15)
        session.handle(.closeExplorer)
        session.waitForModelWork()
        #expect(session.snapshot(now: Date().timeIntervalSince1970).hashTrace == nil)
    }

    @Test func aResumedRunsNewFileReplacesTheOrphanedSteps() {
        var curves = RunCurves()
        for step in 1...10 { curves.add(tag: "train/loss", step: step, value: Double(step), source: 0) }
        // Resumed from the checkpoint at step 6: the new file logs 7… again.
        curves.add(tag: "train/loss", step: 7, value: 70, source: 1)
        curves.add(tag: "train/loss", step: 8, value: 80, source: 1)
        #expect(curves.series["train/loss"]?.map(\.step) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(curves.series["train/loss"]?.last?.value == 80)
        // The same file logging a step again (an evaluation at a logged step) replaces the value.
        curves.add(tag: "train/loss", step: 8, value: 81, source: 1)
        #expect(curves.series["train/loss"]?.count == 8 && curves.series["train/loss"]?.last?.value == 81)
    }

    @Test func theProbeSequence() throws {
        let (copy, word) = ProbeSequence.seededCopy(vocab: 16, length: 32, seed: 3)
        #expect(copy.count == 32 && word == 15 && copy[0] == 0 && copy[16] == 0)
        #expect(Array(copy[1...15]) == Array(copy[17...31]) && copy[1...].allSatisfy { $0 == 0 || ($0 >= 2 && $0 < 16) })
        #expect(ProbeSequence.seededCopy(vocab: 16, length: 33, seed: 3).tokens.count == 32)
        var c = ReformerConfig()
        c.vocabSize = 258
        c.maxPositionEmbeddings = 8
        c.axialPositionEmbeddings = false
        let text = ProbeSequence.make(text: Array("hello, world".utf8), checkpoint: "m", config: c, ownRun: nil)
        #expect(text.tokens == Array("hello, w".utf8).map { Int32($0) + 2 } && text.kind == .text(byteOffset: 2))
        #expect(text.description == "--probe-text, 8 tokens (cut to 8)")
        c.vocabSize = 40
        let fallback = ProbeSequence.make(text: Array("hello".utf8), checkpoint: "m", config: c, ownRun: nil)
        #expect(fallback.kind == .copy(wordLength: 3) && fallback.note?.contains("no tokenizer for vocab_size 40") == true)
    }

    @Test func ourEventLogSaysMaxStepsAndWritesWhenDue() throws {
        let root = try makeTemporaryFolder("eventlog")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (c, settings, data) = try tinyCopyRun(steps: 5)
        let trainer = try Trainer(config: c, settings: settings, data: data, preset: "test", fullAttention: false)
        let log = try TrainingEventLog(checkpointDirectory: root + "/run/", trainer: trainer)
        #expect(log.writer.path.hasPrefix(root + "/run.tb/events.out.tfevents."))
        log.minimumInterval = 3600
        trainer.eventLog = log
        _ = try trainer.step()   // the first: written (nothing before it)
        _ = try trainer.step()   // not due
        var tail = EventFileTail(path: log.writer.path)
        var curves = RunCurves()
        for e in tail.poll().events { curves.add(e, source: 0) }
        #expect(curves.maxStepsFromArgs == 5 && curves.series["train/loss"]?.map(\.step) == [1])
        log.flush()
        _ = try trainer.evaluate()
        for e in tail.poll().events { curves.add(e, source: 0) }
        #expect(curves.series["train/loss"]?.map(\.step) == [1, 2] && curves.series["eval/accuracy"]?.map(\.step) == [2])
        #expect(Set(curves.series.keys) == ["train/loss", "train/learning_rate", "train/grad_norm", "train/accuracy", "eval/loss", "eval/accuracy"])
    }
}
