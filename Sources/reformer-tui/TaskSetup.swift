// TaskSetup: turns command-line choices (task, preset, config, data) into a preset and task data,
// shared by `train` and `eval`; text becomes token ids as bytes or with a checkpoint's tokenizer.

import Foundation
import ReformerEngine

enum TaskSetup {
    /// The preset for `task` (or the named one), checked to be for that task.
    static func preset(task: TrainingSettings.TaskKind, named name: String?) throws(ReformerError) -> TaskPreset {
        let preset = try TaskPreset.named(name ?? task.rawValue)
        guard preset.training.task == task else {
            throw ReformerError(file: "--preset", "\(preset.name) is a \(preset.training.task.rawValue) preset, but --task is \(task.rawValue)")
        }
        return preset
    }

    /// Tokenizer files a checkpoint folder may hold; a fine-tuning run copies those present into its
    /// own checkpoint so that it tokenizes (and later evaluates) text the same way.
    static let tokenizerFiles = ["spiece.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]

    /// The tokenizer files of `folder` that exist, read whole (each checked to be a regular file of at most 64 MiB).
    static func tokenizerFiles(in folder: String) throws(ReformerError) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in tokenizerFiles {
            let path = folder + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard !isDirectory.boolValue, let size, size <= 64 << 20 else {
                throw ReformerError(file: path, "is not a tokenizer file of at most 64 MiB (a folder, unreadable or too large)")
            }
            files[name] = try AtomicFile.readContents(of: path)
        }
        return files
    }

    /// The task's data: copy sequences (fresh stream + fixed evaluation set) or text windows.
    static func data(
        task: TrainingSettings.TaskKind, settings: TrainingSettings, config: ReformerConfig, dataFile: String?,
        tokenizer: Tokenizer = .bytes
    ) throws(ReformerError) -> TaskData {
        switch task {
        case .copy:
            let copy = try CopyTask(wordLength: settings.copy.wordLength)
            if copy.length > config.maxPositionEmbeddings || config.vocabSize < CopyTask.vocabSize {
                throw ReformerError(file: "config", "cannot run the copy task (length \(copy.length), vocab \(CopyTask.vocabSize)): max_position_embeddings \(config.maxPositionEmbeddings), vocab_size \(config.vocabSize)")
            }
            let evaluation = copy.evaluationSet(count: settings.evalSequences, seed: settings.seed, batchSize: settings.batchSize)
            return .copy(copy, evaluation: evaluation)
        case .text:
            guard let path = dataFile else {
                throw ReformerError(file: "--data", "is required for the text task (a file to train on)")
            }
            let corpus = try textCorpus(path: path, tokenizer: tokenizer, config: config, validationFraction: settings.text.validationFraction)
            let length = settings.text.length ?? config.maxPositionEmbeddings
            try corpus.checkWindows(length: length)
            let validation = corpus.validationWindows(length: length, maxWindows: max(1, settings.evalBatches))
            return .text(corpus, length: length, validation: validation)
        }
    }

    /// The one place a text file becomes training token ids: read whole, encoded once with
    /// `tokenizer` (bytes: the byte values, exactly as before tokenizers existed).
    static func textCorpus(
        path: String, tokenizer: Tokenizer, config: ReformerConfig, validationFraction: Double
    ) throws(ReformerError) -> TextCorpus {
        try tokenizer.check(fits: config.vocabSize, model: "config")
        if case .bytes = tokenizer { return try TextCorpus(path: path, validationFraction: validationFraction) }
        let (ids, byteCount) = try tokens(file: path, tokenizer: tokenizer)
        return try TextCorpus(tokens: ids, name: path, byteCount: byteCount,
                              byteLevel: tokenizer.isByteLevel, validationFraction: validationFraction)
    }

    /// `file` read whole (byte for byte) and encoded with `tokenizer`, with its size in bytes.
    static func tokens(file: String, tokenizer: Tokenizer) throws(ReformerError) -> (ids: [Int32], byteCount: Int) {
        let bytes = try TextCorpus.readFile(file)
        return (try tokenizer.encode(bytes: bytes, source: file).map { Int32($0) }, bytes.count)
    }

    /// The tokenizer of a run's text: `override` (a SentencePiece file) if given, else the checkpoint
    /// folder's (`directory`: its spiece.model, or bytes / bytes + 2 by vocabulary), else — a fresh
    /// model — bytes for 256 and bytes + 2 for 258 ids; any other vocabulary needs `--tokenizer`.
    static func textTokenizer(directory: String?, override: String?, config: ReformerConfig) throws(ReformerError) -> Tokenizer {
        if let directory, let t = try Tokenizer.forCheckpoint(directory: directory, vocabSize: config.vocabSize, override: override) {
            return t
        }
        if let override {
            let t = try Tokenizer.sentencePiece(file: override)
            try t.check(fits: config.vocabSize, model: "config")
            return t
        }
        switch config.vocabSize {
        case 256: return .bytes
        case 258: return .bytesPlusTwo
        default:
            throw Tokenizer.missing(vocabSize: config.vocabSize, directory: directory ?? "config", hint: "pass --tokenizer FILE (a SentencePiece model)")
        }
    }

    /// The files to keep beside a text run's weights so the folder stays an HF model folder that
    /// tokenizes the same way: the tokenizer files of `folder` (fine-tuning, resuming), or the given
    /// SentencePiece model as spiece.model.
    static func companionFiles(tokenizer: Tokenizer, from folder: String?) throws(ReformerError) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        if let folder { files = try tokenizerFiles(in: folder) }
        if let file = tokenizer.file { files["spiece.model"] = try AtomicFile.readContents(of: file) }
        return files
    }
}
