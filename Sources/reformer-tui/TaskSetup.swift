// TaskSetup: turns command-line choices (task, preset, config, data) into a preset and task data,
// shared by `train` and `eval`.

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

    /// The task's data: copy sequences (fresh stream + fixed evaluation set) or text windows.
    static func data(
        task: TrainingSettings.TaskKind, settings: TrainingSettings, config: ReformerConfig, dataFile: String?
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
            if config.vocabSize < TextCorpus.vocabSize {
                throw ReformerError(file: "config", field: "vocab_size", "is \(config.vocabSize), expected at least 256 for byte-level text")
            }
            let corpus = try TextCorpus(path: path, validationFraction: settings.text.validationFraction)
            let length = settings.text.length ?? config.maxPositionEmbeddings
            try corpus.checkWindows(length: length)
            let validation = corpus.validationWindows(length: length, maxWindows: max(1, settings.evalBatches))
            return .text(corpus, length: length, validation: validation)
        }
    }
}
