// FineTuneTests: `Trainer(fineTuning:)` starts a new run (step 0, zero moments) from a checkpoint's
// weights and architecture, trains on windows shorter than its axial grid, keeps companion files
// (tokenizer) in every save, and resumes bit for bit; a text corpus of tokenizer ids works like a
// byte corpus with its own ids, unit and metric.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

@Suite struct FineTuneTests {
    /// The tiny copy model with axial positions covering 32 positions: its 16-token copy windows
    /// are shorter than the grid, which a fresh run refuses and fine-tuning accepts.
    private func axialRun(steps: Int) throws -> (ReformerConfig, TrainingSettings, TaskData) {
        var (c, s, data) = try tinyCopyRun(steps: steps)
        c.axialPositionEmbeddings = true
        c.axialShape = [4, 8]
        c.axialDims = [8, 8]
        c.maxPositionEmbeddings = 32
        c.hiddenDropout = 0.1; c.lshAttentionDropout = 0.1
        return (c, s, data)
    }

    /// A model folder as a download would be: config.json and model.safetensors, nothing else.
    private func baseCheckpoint(_ name: String) throws -> String {
        let (c, _, _) = try axialRun(steps: 1)
        let dir = temporaryFolder(name)
        try HFCheckpoint.save(try ReformerModel.initialized(config: c, seed: 3), directory: dir)
        return dir
    }

    @Test func fineTuningStartsFromTheCheckpointsWeightsWithAFreshOptimizer() throws {
        let dir = try baseCheckpoint("finetune-base")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, s, data) = try axialRun(steps: 3)
        let loaded = try HFCheckpoint.load(directory: dir)
        let weights = loaded.parameters.storage.toArray()
        let trainer = try Trainer(fineTuning: loaded, from: dir, settings: s, data: data, preset: "test")
        #expect(trainer.state.step == 0 && trainer.state.fineTunedFrom == dir && trainer.optimizer.stepCount == 0)
        #expect(trainer.model.parameters.storage.toArray() == weights)
        #expect(trainer.optimizer.firstMoment.storage.toArray().allSatisfy { $0 == 0 })
        #expect(trainer.model.config == loaded.config)
        _ = try trainer.step()
        #expect(trainer.model.parameters.storage.toArray() != weights)

        // A fresh run on the same shape refuses windows shorter than the axial grid (HF's training rule).
        expectError(["axial_pos_shape", "exactly 16"]) {
            _ = try Trainer(config: loaded.config, settings: s, data: data, preset: "t", fullAttention: false)
        }
        // Fine-tuning still needs the grid to cover the windows.
        var small = loaded.config
        small.axialShape = [2, 4]
        let view = ReformerModel(config: small, parameters: try ReformerModel.initialized(config: small, seed: 1).parameters)
        expectError(["axial_pos_shape", "at least 16"]) {
            _ = try Trainer(fineTuning: view, from: dir, settings: s, data: data, preset: "t")
        }
    }

    @Test func fineTunedRunSavesCompanionFilesAndResumesBitForBit() throws {
        let dir = try baseCheckpoint("finetune-resume-base")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (_, s, data) = try axialRun(steps: 4)
        let tokenizer: [UInt8] = Array("a tokenizer model".utf8)
        let out = temporaryFolder("finetune-out")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var first: Trainer? = nil
        let run = try expectResumeIsBitExact(split: 2, settings: s, data: data, folder: out, beforeSave: {
            $0.companionFiles = ["spiece.model": tokenizer]
            first = $0
        }) {
            try Trainer(fineTuning: try HFCheckpoint.load(directory: dir), from: dir, settings: s, data: data, preset: "test")
        }
        #expect(FileManager.default.contents(atPath: out + "/spiece.model").map { [UInt8]($0) } == tokenizer)
        #expect(run.resumed.state.fineTunedFrom == dir)

        let saver = try #require(first)
        saver.companionFiles = ["../escape": tokenizer]
        expectError(["not a plain file name"]) { try saver.save(to: out) }
        #expect(FileManager.default.fileExists(atPath: out + "/spiece.model"), "a refused save leaves the checkpoint as it was")
    }
}

@Suite struct TokenCorpusTests {
    @Test func tokenizerIdsAreWindowedLikeBytes() throws {
        let ids = (0..<400).map { Int32(300 + $0 % 17) }
        let corpus = try TextCorpus(tokens: ids, name: "book.txt", byteCount: 1500, byteLevel: false, validationFraction: 0.25)
        #expect(corpus.trainingCount == 300 && corpus.validationCount == 100 && corpus.byteCount == 1500)
        #expect(corpus.metricName == "bpt")
        var rng = DataStream.textTraining.generator(seed: 1)
        let batch = try corpus.trainingBatch(batch: 2, length: 20, rng: &rng)
        #expect(batch.tokens.allSatisfy { $0 >= 300 } && batch.labels == batch.tokens.map(Int64.init))
        #expect(corpus.validationWindows(length: 50, maxWindows: 5).flatMap(\.tokens) == Array(ids[300...]))
        expectError(["book.txt", "validation split has 100 tokens", "window of 128"]) { try corpus.checkWindows(length: 128) }
        let bytes = try TextCorpus(bytes: Array("hello, world".utf8), name: "b", validationFraction: 0)
        #expect(bytes.byteLevel && bytes.metricName == "bpb" && bytes.tokens == Array("hello, world".utf8).map(Int32.init))
    }
}
