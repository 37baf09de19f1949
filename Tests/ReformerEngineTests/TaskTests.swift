// TaskTests: the copy task's `0 w 0 w` layout and scored positions (counted against the engine's own
// causal shift), seeded text windows and splits, presets read from assets/ (and their built-in copies),
// and train.json errors that name the field.

import Foundation
import Testing
@testable import ReformerEngine

/// The repository's root, from this file's place in it.
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
private let presetsRoot = "\(repositoryRoot)/assets/presets"
private let shippedText = "\(repositoryRoot)/assets/text/commonplace.txt"

/// Rows of a [batch, length] array.
private func rows<T>(_ values: [T], length: Int) -> [ArraySlice<T>] {
    stride(from: 0, to: values.count, by: length).map { values[$0..<($0 + length)] }
}

@Suite struct CopyTaskTests {
    @Test(arguments: [1, 3, 31])
    func layoutIsZeroWZeroWWithTheSecondCopyScored(wordLength n: Int) throws {
        let task = try CopyTask(wordLength: n)
        var rng = DataStream.copyTraining.generator(seed: 7)
        let r = task.sample(batch: 5, rng: &rng)
        #expect(r.batch == 5 && r.length == 2 * n + 2 && r.tokens.count == 5 * (2 * n + 2))
        let labels = try #require(r.labels)
        for (tokens, labels) in zip(rows(r.tokens, length: r.length), rows(labels, length: r.length)) {
            let t = Array(tokens), y = Array(labels)
            #expect(t[0] == 0 && t[n + 1] == 0, "separators at 0 and |w|+1: \(t)")
            #expect(t[1...n] == t[(n + 2)...], "second copy equals the first: \(t)")
            #expect(t[1...n].allSatisfy { (1...127).contains($0) }, "symbols in 1…127: \(t)")
            let scored = y.indices.filter { y[$0] != -100 }
            #expect(scored == Array((n + 2)..<(2 * n + 2)), "scored positions are the second copy")
            #expect(scored.allSatisfy { y[$0] == Int64(t[$0]) })
        }
        // Count with the engine's own causal shift: logits[t] is scored against labels[t + 1].
        var predictions: [Int] = []
        labels.withUnsafeBufferPointer { l in
            for t in 0..<r.length
            where CrossEntropy.target(labels: l.baseAddress!, row: 0, position: t, length: r.length, causal: true) != nil {
                predictions.append(t)
            }
        }
        #expect(predictions == Array((n + 1)..<(2 * n + 1)), "|w| predictions, the first made at the second separator")
    }

    @Test func symbolsCoverTheWholeRange() throws {
        var rng = DataStream.copyTraining.generator(seed: 0)
        let r = try CopyTask(wordLength: 31).sample(batch: 64, rng: &rng)
        let symbols = r.tokens.filter { $0 != 0 }
        #expect(symbols.min() == 1 && symbols.max() == 127)
    }

    @Test func sameSeedSameBatchesOtherSeedOthers() throws {
        let task = try CopyTask(wordLength: 31)
        var a = DataStream.copyTraining.generator(seed: 3)
        var b = DataStream.copyTraining.generator(seed: 3)
        var c = DataStream.copyTraining.generator(seed: 4)
        let first = task.sample(batch: 4, rng: &a)
        #expect(first.tokens == task.sample(batch: 4, rng: &b).tokens)
        #expect(first.tokens != task.sample(batch: 4, rng: &c).tokens)
        #expect(first.tokens != task.sample(batch: 4, rng: &a).tokens, "the stream moves on")
    }

    @Test func evaluationSetIsFixedAndNotInTheTrainingStream() throws {
        let task = try CopyTask(wordLength: 31)
        let whole = task.evaluationSet(count: 256, seed: 0)
        let batched = task.evaluationSet(count: 256, seed: 0, batchSize: 100)
        #expect(whole.count == 1 && whole[0].batch == 256)
        #expect(batched.map(\.batch) == [100, 100, 56])
        #expect(batched.flatMap(\.tokens) == whole[0].tokens, "rows do not depend on the batch size")
        #expect(task.evaluationSet(count: 256, seed: 0)[0].tokens == whole[0].tokens)
        #expect(task.evaluationSet(count: 256, seed: 1)[0].tokens != whole[0].tokens)
        var training = DataStream.copyTraining.generator(seed: 0)
        let trainingRows = Set(rows(task.sample(batch: 256, rng: &training).tokens, length: task.length).map(Array.init))
        let evaluationRows = Set(rows(whole[0].tokens, length: task.length).map(Array.init))
        let shared = trainingRows.intersection(evaluationRows).count
        #expect(shared == 0, "\(shared) of 256 evaluation rows also appear in the first 256 training rows")
    }

    @Test func accuracyTakesTheArgmaxOfThePreviousPosition() throws {
        // |w| = 2, vocab 4 (symbols 1…3 for the hand-made case): rows `0 a b 0 a b`.
        let tokens: [Int32] = [0, 1, 2, 0, 1, 2, 0, 3, 3, 0, 3, 3]
        let labels: [Int64] = [-100, -100, -100, -100, 1, 2, -100, -100, -100, -100, 3, 3]
        let request = ForwardRequest(batch: 2, length: 6, tokens: tokens, labels: labels)
        let V = 4
        var logits = [Float](repeating: 0, count: 2 * 6 * V)
        func set(_ b: Int, _ t: Int, _ values: [Float]) {
            for v in 0..<V { logits[(b * 6 + t) * V + v] = values[v] }
        }
        set(0, 3, [0, 5, 0, 0])      // predicts 1 at the separator: right
        set(0, 4, [0, 0, 1, 1])      // tie 2/3: the first index, 2, wins: right
        set(1, 3, [0, 0, 0, 9])      // right
        set(1, 4, [0, 9, 0, 0])      // wrong (1 ≠ 3)
        set(0, 5, [0, 0, 0, 0])      // the last position predicts nothing: never read
        let (correct, total) = CopyTask.accuracy(logits: logits, request: request, vocab: V)
        #expect(total == 4 && correct == 3)
    }

    @Test func forwardCountsExactlyTheScoredTargets() throws {
        let preset = try TaskPreset.load(directory: "\(presetsRoot)/copy")
        let model = try ReformerModel.initialized(config: preset.config, seed: 0)
        let task = try #require(preset.copyTask)
        let request = task.evaluationSet(count: 3, seed: 0)[0]
        let result = try model.forward(request)
        #expect(result.countedTargets == 3 * 31)
        let (_, total) = CopyTask.accuracy(logits: result.logits, request: request, vocab: preset.config.vocabSize)
        #expect(total == 3 * 31)
    }

    @Test func emptyWordIsRefused() {
        expectError(["word_length", "is 0"]) { _ = try CopyTask(wordLength: 0) }
    }
}

@Suite struct TextCorpusTests {
    /// 1000 seeded random bytes: every 16-byte window is unique, so a window's start can be found.
    private func randomBytes(_ count: Int = 1000) -> [UInt8] {
        var rng = SplitMix64(seed: 11)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    @Test func splitIsTheLastFraction() throws {
        let bytes = randomBytes()
        let corpus = try TextCorpus(bytes: bytes, name: "random", validationFraction: 0.05)
        #expect(corpus.trainingCount == 950 && corpus.validationCount == 50)
        let none = try TextCorpus(bytes: bytes, name: "random", validationFraction: 0)
        #expect(none.trainingCount == 1000 && none.validationCount == 0)
        expectError(["random", "validation_fraction", "1.0"]) {
            _ = try TextCorpus(bytes: bytes, name: "random", validationFraction: 1)
        }
    }

    @Test func trainingWindowsAreSeededSlicesOfTheTrainingSplit() throws {
        let bytes = randomBytes()
        let corpus = try TextCorpus(bytes: bytes, name: "random", validationFraction: 0.2)
        var rng = DataStream.textTraining.generator(seed: 1)
        var starts: Set<Int> = []
        for _ in 0..<20 {
            let r = try corpus.trainingBatch(batch: 3, length: 16, rng: &rng)
            #expect(r.batch == 3 && r.length == 16 && r.tokens.count == 48)
            #expect(r.labels == r.tokens.map(Int64.init))
            for row in rows(r.tokens, length: 16) {
                let start = try #require((0...(800 - 16)).first { s in
                    zip(bytes[s..<(s + 16)], row).allSatisfy { Int32($0) == $1 }
                }, "every window lies inside the training split")
                starts.insert(start)
            }
        }
        #expect(starts.count > 40, "offsets vary: \(starts.count) distinct of 60")
        var a = DataStream.textTraining.generator(seed: 5)
        var b = DataStream.textTraining.generator(seed: 5)
        var c = DataStream.textTraining.generator(seed: 6)
        let first = try corpus.trainingBatch(batch: 2, length: 32, rng: &a)
        let again = try corpus.trainingBatch(batch: 2, length: 32, rng: &b)
        let other = try corpus.trainingBatch(batch: 2, length: 32, rng: &c)
        #expect(first.tokens == again.tokens && first.tokens != other.tokens)
    }

    @Test func validationWindowsAreFixedAndDisjoint() throws {
        let bytes = randomBytes()
        let corpus = try TextCorpus(bytes: bytes, name: "random", validationFraction: 0.1)  // bytes 900..<1000
        let all = corpus.validationWindows(length: 20, maxWindows: 10)
        #expect(all.count == 5)
        #expect(all.flatMap(\.tokens) == bytes[900...].map(Int32.init), "aligned, non-overlapping, in order")
        #expect(all.allSatisfy { $0.batch == 1 && $0.labels == $0.tokens.map(Int64.init) })
        let two = corpus.validationWindows(length: 20, maxWindows: 2)
        #expect(two.map(\.tokens) == [all[0].tokens, all[2].tokens], "evenly spaced when capped")
        #expect(corpus.validationWindows(length: 20, maxWindows: 2).map(\.tokens) == two.map(\.tokens))
        #expect(corpus.validationWindows(length: 101, maxWindows: 2).isEmpty)
    }

    @Test func tooShortSplitNamesTheSplitItsSizeAndTheWindow() throws {
        let corpus = try TextCorpus(bytes: randomBytes(), name: "tiny.txt", validationFraction: 0.1)
        var rng = DataStream.textTraining.generator(seed: 0)
        expectError(["tiny.txt", "training split has 900 bytes", "window of 1024"]) {
            _ = try corpus.trainingBatch(batch: 1, length: 1024, rng: &rng)
        }
        expectError(["tiny.txt", "validation split has 100 bytes", "window of 128"]) {
            try corpus.checkWindows(length: 128)
        }
        try corpus.checkWindows(length: 100)
    }

    @Test func missingEmptyAndFolderPathsAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("task-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = "\(folder)/empty.txt"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        expectError([empty, "is empty"]) { _ = try TextCorpus(path: empty) }
        expectError(["\(folder)/missing.txt", "does not exist"]) { _ = try TextCorpus(path: "\(folder)/missing.txt") }
        expectError([folder, "is a folder"]) { _ = try TextCorpus(path: folder) }
    }

    @Test func bitsPerByteIsNatsOverLn2() {
        #expect(abs(TextCorpus.bitsPerByte(loss: Float(log(2.0))) - 1) < 1e-6)
        #expect(abs(TextCorpus.bitsPerByte(loss: Float(log(256.0))) - 8) < 1e-5, "uniform over bytes = 8 bits")
    }

    @Test func shippedTextFeedsTheTextPreset() throws {
        let preset = try TaskPreset.load(directory: "\(presetsRoot)/text")
        let path = try #require(preset.dataPath)
        #expect(path == shippedText)
        let corpus = try TextCorpus(path: path, validationFraction: preset.training.text.validationFraction)
        #expect((100_000...300_000).contains(corpus.byteCount) && corpus.tokens.count == corpus.byteCount)
        #expect(String(bytes: corpus.tokens.map { UInt8($0) }, encoding: .utf8) != nil, "UTF-8 text")
        let windows = corpus.validationWindows(length: preset.sequenceLength, maxWindows: preset.training.evalBatches)
        #expect(windows.count == preset.training.evalBatches, "enough validation text for every evaluation window")
    }
}

@Suite struct TaskPresetTests {
    @Test func copyPresetIsDUPQWithFourHashes() throws {
        let p = try TaskPreset.load(directory: "\(presetsRoot)/copy")
        let c = p.config
        #expect(p.name == "copy" && p.training.task == .copy && p.sequenceLength == 64)
        #expect(c.attentionLayers == [.lsh] && c.hiddenSize == 64 && c.feedForwardSize == 64)
        #expect(c.headCount == 4 && c.headSize == 16 && c.vocabSize == 128 && !c.axialPositionEmbeddings)
        #expect(c.maxPositionEmbeddings == 64 && c.lshChunkLength == 8 && c.lshChunksBefore == 1 && c.lshChunksAfter == 0)
        #expect(c.buckets == .count(16) && c.hashRounds == 4 && c.hashSeed == nil && c.initializerRange == 0.02)
        #expect(c.hiddenDropout == 0 && c.lshAttentionDropout == 0 && c.localAttentionDropout == 0)
        #expect(c.isDecoder && c.causalLoss && c.activation == .relu)
        let t = p.training
        #expect(t.copy.wordLength == 31 && t.batchSize == 32 && t.steps == 2000 && t.learningRate == 1e-3)
        #expect(t.beta1 == 0.9 && t.beta2 == 0.98 && t.epsilon == 1e-9 && t.warmupSteps == 200)
        #expect(t.schedule == .constant && t.evalEvery == 100 && t.evalSequences == 256)
        #expect(t.checkpointEvery == 200 && t.seed == 0 && t.clipNorm == nil)
        try c.validate()
        try t.validate()
    }

    @Test func textPresetIsSixAlternatingLayers() throws {
        let p = try TaskPreset.load(directory: "\(presetsRoot)/text")
        let c = p.config
        #expect(c.attentionLayers == [.local, .lsh, .local, .lsh, .local, .lsh])
        #expect(c.hiddenSize == 256 && c.headCount == 4 && c.headSize == 64 && c.feedForwardSize == 1024)
        #expect(c.vocabSize == 256 && c.axialPositionEmbeddings && c.axialShape == [64, 64] && c.axialDims == [64, 192])
        #expect(c.maxPositionEmbeddings == 4096 && c.lshChunkLength == 64 && c.localChunkLength == 64)
        #expect(c.hashRounds == 2 && c.buckets == .count(64))
        #expect(c.hiddenDropout == 0 && c.lshAttentionDropout == 0 && c.localAttentionDropout == 0)
        let t = p.training
        #expect(t.task == .text && t.batchSize == 1 && p.sequenceLength == 4096 && t.learningRate == 5e-4)
        #expect(t.warmupSteps == 100 && t.schedule == .cosine && t.steps == 2000 && t.evalEvery == 100)
        try c.validate()
    }

    @Test func namedFindsTheAssetsFolderFromTheTestBinary() throws {
        // From the executable alone: a current directory without assets/ must not matter.
        let search = TaskPreset.locateAssets(environment: [:], currentDirectory: "/nonexistent-directory")
        #expect(search.found.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            == URL(fileURLWithPath: "\(repositoryRoot)/assets").standardizedFileURL.path, "searched \(search.searched)")
        for name in TaskPreset.shippedNames {
            let p = try TaskPreset.named(name)
            let fromFiles = try TaskPreset.load(directory: "\(presetsRoot)/\(name)")
            #expect(p.directory != nil && p.config == fromFiles.config && p.training == fromFiles.training)
        }
        expectError(["no preset \"nope\"", "copy", "text"]) { _ = try TaskPreset.named("nope") }
        expectError(["not a preset name"]) { _ = try TaskPreset.named("../copy") }
    }

    @Test func environmentVariableIsTheOnlyCandidateWhenSet() throws {
        let search = TaskPreset.locateAssets(
            environment: [TaskPreset.assetsEnvironmentKey: "/nonexistent/assets"],
            executablePath: "\(repositoryRoot)/.build/debug/reformer-tui", currentDirectory: repositoryRoot)
        #expect(search.found == nil && search.searched == ["/nonexistent/assets"])
        let order = TaskPreset.locateAssets(environment: [:], executablePath: "/opt/x/.build/debug/tool", currentDirectory: "/srv/here")
        #expect(order.searched == ["/opt/x/assets", "/opt/assets", "/opt/x/.build/share/reformer-tui/assets", "/srv/here/assets"])
        let fromHere = TaskPreset.locateAssets(environment: [:], executablePath: nil, currentDirectory: repositoryRoot)
        #expect(fromHere.found == "\(repositoryRoot)/assets")
    }

    @Test(arguments: TaskPreset.shippedNames)
    func builtInCopiesEqualTheFilesByteForByte(name: String) throws {
        let files = try #require(EmbeddedPresets.files[name])
        let config = try #require(FileManager.default.contents(atPath: "\(presetsRoot)/\(name)/config.json"))
        let training = try #require(FileManager.default.contents(atPath: "\(presetsRoot)/\(name)/train.json"))
        #expect(Data(files.config.utf8) == config, "TaskPreset+Embedded.swift's \(name)/config.json differs from assets/ (run python3 scripts/embed_presets.py)")
        #expect(Data(files.training.utf8) == training, "TaskPreset+Embedded.swift's \(name)/train.json differs from assets/ (run python3 scripts/embed_presets.py)")
        let builtIn = try TaskPreset.named(name, search: (found: nil, searched: ["/nowhere"]))
        let fromFiles = try TaskPreset.load(directory: "\(presetsRoot)/\(name)")
        #expect(builtIn.directory == nil && builtIn.config == fromFiles.config && builtIn.training == fromFiles.training)
    }

    @Test func wrongTypesNameTheFieldUnknownKeysAreIgnored() throws {
        func settings(_ body: String) -> Data { Data("{\"task\": \"copy\", \(body)}".utf8) }
        let lenient = try TrainingSettings.decode(settings("\"a_future_key\": [1], \"steps\": 7"))
        #expect(lenient.steps == 7 && lenient.batchSize == TrainingSettings(task: .copy).batchSize)
        expectError(["train.json (batch_size)", "is a string", "expected an integer"]) {
            _ = try TrainingSettings.decode(settings("\"batch_size\": \"32\""))
        }
        expectError(["(text.validation_fraction)", "is a string"]) {
            _ = try TrainingSettings.decode(settings("\"text\": {\"validation_fraction\": \"0.1\"}"))
        }
        expectError(["(copy.word_length)", "is 2.5", "expected an integer"]) {
            _ = try TrainingSettings.decode(settings("\"copy\": {\"word_length\": 2.5}"))
        }
        expectError(["(schedule)", "\"linear\""]) { _ = try TrainingSettings.decode(settings("\"schedule\": \"linear\"")) }
        expectError(["(beta2)", "is 1.0"]) { _ = try TrainingSettings.decode(settings("\"beta2\": 1")) }
        expectError(["(task)", "is missing"]) { _ = try TrainingSettings.decode(Data("{\"steps\": 1}".utf8)) }
        // JSONDecoder goes through the same reader.
        #expect(throws: ReformerError.self) {
            _ = try JSONDecoder().decode(TrainingSettings.self, from: settings("\"seed\": true"))
        }
    }

    @Test func settingsRoundTripThroughJSON() throws {
        for name in TaskPreset.shippedNames {
            let t = try TaskPreset.load(directory: "\(presetsRoot)/\(name)").training
            #expect(try TrainingSettings.decode(t.jsonValue().serialized()) == t)
            #expect(try JSONDecoder().decode(TrainingSettings.self, from: JSONEncoder().encode(t)) == t)
        }
    }

    @Test func presetRefusesSequencesLongerThanItsPositions() throws {
        let config = try ReformerConfig.load(path: "\(presetsRoot)/copy/config.json")
        var training = try TrainingSettings.load(path: "\(presetsRoot)/copy/train.json")
        training.copy.wordLength = 40
        expectError(["copy.word_length", "82 tokens", "64 positions"]) {
            _ = try TaskPreset(name: "copy", directory: "/p", config: config, training: training)
        }
        training.copy.wordLength = 31
        var small = config
        small.vocabSize = 100
        expectError(["vocab_size ≥ 128", "has 100"]) {
            _ = try TaskPreset(name: "copy", directory: "/p", config: small, training: training)
        }
    }
}
