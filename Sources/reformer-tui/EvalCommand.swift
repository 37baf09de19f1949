// `reformer-tui eval`: a checkpoint on its task's validation set, or (`--data FILE`) on a whole file
// in consecutive windows, with any number of hash rounds (or full attention), averaged over several
// rotation draws.

import ArgumentParser
import Foundation
import ReformerEngine

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: on a whole file (--data), or on its task's evaluation set.",
        discussion: """
        With --data FILE the file is tokenized with the checkpoint's tokenizer and scored whole, in \
        consecutive windows of --length tokens (default: the model's max_position_embeddings, capped by \
        the file); every token but each window's first is predicted. It prints loss, and bits_per_byte \
        (byte vocabularies) or bits_per_token. Without --data: the task's evaluation set (copy) or the \
        validation split of the text the run trained on.
        """)

    @Option(name: .long, help: "Checkpoint folder: config.json and model.safetensors, pytorch_model.bin or a shard index.")
    var model: String

    @Option(name: .long, help: "copy or text (default: text with --data, else the task in the folder's trainer_state.json, else copy).")
    var task: TrainingSettings.TaskKind?

    @Option(name: .long, help: "Score this whole file (any checkpoint; no train/validation split).")
    var data: String?

    @OptionGroup var tokenizerOption: TokenizerOption

    @Option(name: .long, help: "With --data: tokens per window (default: the model's maximum positions, capped by the file).")
    var length: Int?

    @Option(name: .long, help: "Preset whose evaluation settings to use (default: the task's).")
    var preset: String?

    @Option(name: .long, help: "Hash rounds at evaluation (default: the model's).")
    var hashes: Int?

    @Flag(name: .long, help: "Evaluate with full attention.")
    var fullAttention = false

    @Option(name: .long, help: "Average over this many independent draws of the rotations.")
    var hashSeeds = 1

    @Flag(name: .long, help: "Copy: also generate each second copy greedily and report generation accuracy.")
    var generate = false

    @Flag(name: .long, help: "Also evaluate teacher-forced through the decoding cache (its semantics vs the full forward).")
    var cached = false

    @Flag(name: .long, help: "With --generate: generate without the decoding cache (full forward per token).")
    var noCache = false

    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if hashes != nil && fullAttention { throw ValidationError("give --hashes or --full-attention, not both") }
        if let h = hashes, h < 1 { throw ValidationError("--hashes must be at least 1") }
        if hashSeeds < 1 { throw ValidationError("--hash-seeds must be at least 1") }
        if length != nil && data == nil { throw ValidationError("--length applies to --data only") }
        if data != nil && task == .copy { throw ValidationError("--data scores a text file; it does not go with --task copy") }
        if data != nil && (generate || cached) { throw ValidationError("--generate and --cached apply to the task's evaluation set, not to --data") }
    }

    func run() throws {
        memory.apply()
        try runReporting {
            let checkpoint = try HFCheckpoint.load(directory: model)
            if let data {
                try scoreFile(checkpoint, data)
                return
            }
            // An HF Trainer checkpoint's trainer_state.json is not a run of ours: the preset's settings apply.
            let state = try TrainerState.loadOwn(directory: model)
            let task = self.task ?? state?.task ?? .copy
            let chosen = try TaskSetup.preset(task: task, named: preset)
            var settings = chosen.training
            if let saved = state {
                // The run's own settings (window length, evaluation set size, seed) when it was trained for this task.
                if saved.task == task {
                    settings = try TrainingSettings.decode(saved.settings.serialized(), file: model + "/trainer_state.json (settings)")
                }
                settings.seed = saved.seed
            }
            // The run's text, tokenized as it was trained: the folder's tokenizer (or --tokenizer).
            let tokenizer: Tokenizer = task == .text
                ? try TaskSetup.textTokenizer(directory: model, override: tokenizerOption.tokenizer, config: checkpoint.config) : .bytes
            let taskData = try TaskSetup.data(
                task: task, settings: settings, config: checkpoint.config, dataFile: state?.dataFile ?? chosen.dataPath,
                tokenizer: tokenizer)
            let r = try Trainer.evaluate(
                model: checkpoint, data: taskData, hashes: hashes, fullAttention: fullAttention, hashSeeds: hashSeeds,
                seed: settings.seed ^ 0xE7A1, hashingChunkLength: state?.hashingChunkLength ?? chosen.config.lshChunkLength)
            print("eval: \(model), \(task.rawValue), \(hashLabel(r.hashes)), \(r.sequences) sequences, \(r.targets) scored targets\(fullAttention ? "" : ", \(hashSeeds) rotation draw(s)")")
            print(String(format: "loss %.4f", r.loss))
            if task == .copy { print(String(format: "accuracy %.4f", r.metric)) }
            else { print(String(format: taskData.metricName == "bpt" ? "bits_per_token %.4f" : "bits_per_byte %.4f", r.metric)) }
            if generate, case .copy(let copyTask, let evaluation) = taskData {
                let g = try CacheEvaluation.copyGeneration(model: checkpoint, task: copyTask, sequences: evaluation, cached: !noCache)
                print(String(format: "generation_accuracy %.4f (%@, greedy, %d symbols)", Double(g.correct) / Double(max(1, g.total)),
                             noCache ? "no cache" : "cached", g.total))
            }
            if cached {
                let sequences: [ForwardRequest]
                var scored: (Int) -> Bool = { _ in true }
                switch taskData {
                case .copy(let copyTask, let evaluation):
                    sequences = evaluation
                    scored = { copyTask.scoredPositions.contains($0) }
                case .text(_, _, let validation): sequences = validation
                }
                let t = try CacheEvaluation.teacherForcedLoss(model: checkpoint, sequences: sequences, scored: scored)
                print(String(format: "cached_loss %.4f", t.loss))
                if task == .copy { print(String(format: "cached_accuracy %.4f", Double(t.correct) / Double(max(1, t.total)))) }
                else { print(String(format: taskData.metricName == "bpt" ? "cached_bits_per_token %.4f" : "cached_bits_per_byte %.4f", t.loss / log(2.0))) }
            }
        }
    }

    /// `--data FILE`: the whole file, tokenized, in consecutive windows of `--length` tokens.
    private func scoreFile(_ checkpoint: ReformerModel, _ path: String) throws(ReformerError) {
        let tokenizer = try tokenizerOption.require(directory: model, config: checkpoint.config)
        let tokens = try TaskSetup.tokens(file: path, tokenizer: tokenizer).ids
        let n = try FileScoring.windowLength(requested: length, tokens: tokens.count, config: checkpoint.config, source: path)
        let progress = ProgressLine(label: "eval \(path)")
        let score = try FileScoring.score(
            model: checkpoint, tokens: tokens, length: n, hashes: hashes, fullAttention: fullAttention,
            hashSeeds: hashSeeds, progress: { done, total in progress.update(done, total, unit: "windows") })
        progress.finish()
        print("eval: \(model), \(path), \(tokens.count) tokens (\(tokenizer.summary)), \(score.windows) window\(score.windows == 1 ? "" : "s") of \(n), \(score.predictions) predictions, \(hashLabel(score.hashes))\(fullAttention || score.hashes == 0 ? "" : ", \(hashSeeds) rotation draw(s)")")
        print(String(format: "loss %.4f", score.loss))
        if tokenizer.isByteLevel {
            print(String(format: "bits_per_byte %.4f", score.bitsPerToken))
        } else {
            print(String(format: "bits_per_token %.4f", score.bitsPerToken))
        }
    }
}
