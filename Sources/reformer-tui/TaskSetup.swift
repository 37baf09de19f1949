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

    /// How a text file becomes token ids for training.
    enum TextTokenizer {
        /// Token id = byte value: fresh byte-level models (vocab_size ≥ 256).
        case bytes
        /// The tokenizer that goes with the checkpoint folder (`TextTokens.load`): fine-tuning, and
        /// resuming or evaluating a fine-tuned run (the folder keeps a copy of the tokenizer files).
        case checkpoint(String)
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
        tokenizer: TextTokenizer = .bytes
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

    /// The one place a text file becomes training token ids: its bytes, or the checkpoint's tokenizer.
    static func textCorpus(
        path: String, tokenizer: TextTokenizer, config: ReformerConfig, validationFraction: Double
    ) throws(ReformerError) -> TextCorpus {
        switch tokenizer {
        case .bytes:
            if config.vocabSize < TextCorpus.vocabSize {
                throw ReformerError(file: "config", field: "vocab_size", "is \(config.vocabSize), expected at least 256 for byte-level text")
            }
            return try TextCorpus(path: path, validationFraction: validationFraction)
        case .checkpoint(let folder):
            let text = try TextTokens.load(file: path, model: folder, config: config)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            return try TextCorpus(tokens: text.tokens, name: path, byteCount: bytes ?? text.tokens.count * text.bytesPerToken,
                                  byteLevel: text.bytesPerToken == 1, validationFraction: validationFraction)
        }
    }
}
