// TrainerTests: a run saved and resumed continues bit for bit; a failing checkpoint write leaves the
// previous checkpoint intact; the saved folder is an HF model folder this engine loads back; an HF
// Trainer's trainer_state.json is recognised as not ours.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

func tinyCopyRun(steps: Int) throws -> (ReformerConfig, TrainingSettings, TaskData) {
    var c = ReformerConfig()
    c.architecture = "ReformerModelWithLMHead"; c.isDecoder = true
    c.attentionLayers = [.lsh]; c.vocabSize = 128; c.hiddenSize = 16; c.headCount = 2; c.headSize = 8
    c.feedForwardSize = 16; c.axialPositionEmbeddings = false; c.maxPositionEmbeddings = 16
    c.lshChunkLength = 4; c.hashRounds = 2; c.buckets = .count(4); c.initializerRange = 0.02
    var s = TrainingSettings(task: .copy)
    s.steps = steps; s.batchSize = 4; s.learningRate = 1e-2; s.warmupSteps = 2; s.beta2 = 0.98; s.epsilon = 1e-9
    s.evalSequences = 8; s.seed = 5
    s.copy.wordLength = 7
    let task = try CopyTask(wordLength: 7)
    return (c, s, .copy(task, evaluation: task.evaluationSet(count: 8, seed: 5, batchSize: 4)))
}

func temporaryFolder(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("reformer-\(name)-\(UUID().uuidString)").path
}

/// A run of `settings.steps` steps straight, and the same run made by `start` saved after `split`
/// steps (`beforeSave` runs first) and resumed from the folder: the losses and the weights must be
/// identical. Returns both trainers and the straight losses; the caller removes `folder`.
@discardableResult
func expectResumeIsBitExact(
    split: Int, settings s: TrainingSettings, data: TaskData, folder dir: String,
    beforeSave: (Trainer) throws -> Void = { _ in }, start: () throws -> Trainer,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> (straight: Trainer, resumed: Trainer, losses: [Float]) {
    let straight = try start()
    var lossesStraight: [Float] = []
    for _ in 0..<s.steps { lossesStraight.append(try straight.step().loss) }
    let first = try start()
    var losses: [Float] = []
    for _ in 0..<split { losses.append(try first.step().loss) }
    try beforeSave(first)
    try first.save(to: dir)
    let second = try Trainer(resuming: dir, settings: s, data: data)
    #expect(second.state.step == split, sourceLocation: sourceLocation)
    for _ in split..<s.steps { losses.append(try second.step().loss) }
    #expect(losses == lossesStraight, sourceLocation: sourceLocation)
    #expect(second.model.parameters.storage.toArray() == straight.model.parameters.storage.toArray(), sourceLocation: sourceLocation)
    #expect(second.optimizer.firstMoment.storage.toArray() == straight.optimizer.firstMoment.storage.toArray(), sourceLocation: sourceLocation)
    return (straight, second, lossesStraight)
}

@Suite struct TrainerTests {
    @Test func resumeContinuesBitForBit() throws {
        let (c, s, data) = try tinyCopyRun(steps: 6)
        let dir = temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Evaluation before the save must not disturb training.
        let run = try expectResumeIsBitExact(split: 3, settings: s, data: data, folder: dir, beforeSave: { _ = try $0.evaluate() }) {
            try Trainer(config: c, settings: s, data: data, preset: "test", fullAttention: false)
        }
        #expect(run.losses.last! < run.losses.first!)
    }

    @Test func failedSaveKeepsThePreviousCheckpoint() throws {
        let (c, s, data) = try tinyCopyRun(steps: 4)
        let trainer = try Trainer(config: c, settings: s, data: data, preset: "test", fullAttention: false)
        _ = try trainer.step()
        let dir = temporaryFolder("atomic")
        try trainer.save(to: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
        _ = try trainer.step()
        #expect(throws: ReformerError.self) {
            try CheckpointFolder.replace(dir) { (staging: String) throws(ReformerError) in
                try AtomicFile.write([1, 2, 3], to: staging + "/model.safetensors")
                throw ReformerError(file: staging, "simulated full disk")
            }
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
        #expect(before == after)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (dir as NSString).deletingLastPathComponent)
            .filter { $0.contains((dir as NSString).lastPathComponent + ".saving") }
        #expect(leftovers.isEmpty)
        let state = try TrainerState.load(path: dir + "/trainer_state.json")
        #expect(state.step == 1)
        // And a normal save replaces it whole.
        try trainer.save(to: dir)
        #expect(try TrainerState.load(path: dir + "/trainer_state.json").step == 2)
        let reloaded = try HFCheckpoint.load(directory: dir)
        #expect(reloaded.parameters.storage.toArray() == trainer.model.parameters.storage.toArray())
    }

    @Test func fullAttentionRunIsSavedAsAnUnhashedHFConfig() throws {
        let (c, s, data) = try tinyCopyRun(steps: 1)
        let trainer = try Trainer(config: c, settings: s, data: data, preset: "test", fullAttention: true)
        #expect(trainer.model.config.lshChunkLength >= 16)
        let r = try trainer.evaluate(record: false)
        #expect(r.hashes == 0)
        let hashed = try trainer.evaluate(hashes: 2, record: false)
        #expect(hashed.hashes == 2, "a full-attention model can still be evaluated with hashing")
    }

    @Test func resumeErrorsNameTheProblem() throws {
        let (_, s, data) = try tinyCopyRun(steps: 1)
        let dir = temporaryFolder("none")
        expectError(["holds no checkpoint"]) { _ = try Trainer(resuming: dir, settings: s, data: data) }
    }

    @Test func hfTrainerStateIsNotTakenForARun() throws {
        // A checkpoint-N of HF's Trainer (what scripts/train_hf.py writes) holds its own trainer_state.json.
        let dir = temporaryFolder("hf-state")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let hf = #"{"best_metric": null, "epoch": 1.0, "global_step": 3, "log_history": [{"loss": 4.8, "step": 1}], "max_steps": 3}"#
        try AtomicFile.write(Array(hf.utf8), to: dir + "/trainer_state.json")
        #expect(try TrainerState.loadOwn(directory: dir) == nil)
        expectError(["trainer_state.json", "HF Trainer's state", "train_hf.py"]) { _ = try TrainerState.load(path: dir + "/trainer_state.json") }
        let (_, s, data) = try tinyCopyRun(steps: 1)
        expectError(["HF Trainer's state"]) { _ = try Trainer(resuming: dir, settings: s, data: data) }

        // Ours loads through both; a broken file of ours still fails loudly.
        let (c, _, _) = try tinyCopyRun(steps: 1)
        let trainer = try Trainer(config: c, settings: s, data: data, preset: "test", fullAttention: false)
        _ = try trainer.step()
        try trainer.save(to: dir)
        #expect(try TrainerState.loadOwn(directory: dir)?.step == 1)
        try AtomicFile.write(Array(#"{"global_step": 3}"#.utf8), to: dir + "/trainer_state.json")
        expectError(["not a valid trainer state"]) { _ = try TrainerState.loadOwn(directory: dir) }
        #expect(try TrainerState.loadOwn(directory: dir + "/absent") == nil)
    }

    @Test func untrainableConfigsAreRefused() throws {
        var (c, s, data) = try tinyCopyRun(steps: 1)
        c.maxPositionEmbeddings = 8
        expectError(["max_position_embeddings", "16 tokens"]) {
            _ = try Trainer(config: c, settings: s, data: data, preset: "t", fullAttention: false)
        }
        c.maxPositionEmbeddings = 16
        c.lshChunkLength = 6
        expectError(["multiple of 6"]) { _ = try Trainer(config: c, settings: s, data: data, preset: "t", fullAttention: false) }
        s.learningRate = -1
        c.lshChunkLength = 4
        expectError(["learningRate"]) { _ = try Trainer(config: c, settings: s, data: data, preset: "t", fullAttention: false) }
    }
}
