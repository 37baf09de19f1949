// `reformer-tui eval`: a checkpoint on its task's validation set, with any number of hash rounds
// (or full attention), averaged over several rotation draws.

import ArgumentParser
import Foundation
import ReformerEngine

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the copy task's evaluation set or a text file's validation split.")

    @Option(name: .long, help: "Checkpoint folder.")
    var model: String

    @Option(name: .long, help: "copy or text.")
    var task: TrainingSettings.TaskKind = .copy

    @Option(name: .long, help: "Text file (text task; default: the one the run trained on, else the preset's).")
    var data: String?

    @Option(name: .long, help: "Preset whose evaluation settings to use (default: the task's).")
    var preset: String?

    @Option(name: .long, help: "Hash rounds at evaluation (default: the model's).")
    var hashes: Int?

    @Flag(name: .long, help: "Evaluate with full attention.")
    var fullAttention = false

    @Option(name: .long, help: "Average over this many independent draws of the rotations.")
    var hashSeeds = 1

    func validate() throws {
        if hashes != nil && fullAttention { throw ValidationError("give --hashes or --full-attention, not both") }
        if let h = hashes, h < 1 { throw ValidationError("--hashes must be at least 1") }
        if hashSeeds < 1 { throw ValidationError("--hash-seeds must be at least 1") }
    }

    func run() throws {
        try runReporting {
            let checkpoint = try HFCheckpoint.load(directory: model)
            let chosen = try TaskSetup.preset(task: task, named: preset)
            var settings = chosen.training
            var state: TrainerState? = nil
            if FileManager.default.fileExists(atPath: model + "/trainer_state.json") {
                state = try TrainerState.load(path: model + "/trainer_state.json")
                if let s = state { settings.seed = s.seed }
            }
            let taskData = try TaskSetup.data(
                task: task, settings: settings, config: checkpoint.config, dataFile: data ?? state?.dataFile ?? chosen.dataPath)
            let r = try Trainer.evaluate(
                model: checkpoint, data: taskData, hashes: hashes, fullAttention: fullAttention, hashSeeds: hashSeeds,
                seed: settings.seed ^ 0xE7A1, hashingChunkLength: state?.hashingChunkLength ?? chosen.config.lshChunkLength)
            print("eval: \(model), \(task.rawValue), \(hashLabel(r.hashes)), \(r.sequences) sequences, \(r.targets) scored targets\(fullAttention ? "" : ", \(hashSeeds) rotation draw(s)")")
            print(String(format: "loss %.4f", r.loss))
            if task == .copy { print(String(format: "accuracy %.4f", r.metric)) } else { print(String(format: "bits_per_byte %.4f", r.metric)) }
        }
    }
}
