// `reformer-tui train`: headless training with progress lines, periodic evaluation and atomic
// checkpoints; Ctrl-C/SIGTERM save and exit 0, --resume continues bit for bit. The run holds
// `<checkpoint>.lock` while it lives, so a second writer into the same folder refuses. `--from DIR`
// fine-tunes a checkpoint (its weights and config, fresh optimizer) into another folder.

import ArgumentParser
import CTermGuard
import Dispatch
import Foundation
import ReformerEngine
import ReformerTUI
import ReformerTelemetry

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a Reformer on the copy task or a text file: the live dashboard on a terminal, progress lines otherwise (--headless); --from fine-tunes a checkpoint.")

    @Option(name: .long, help: "copy or text.")
    var task: TrainingSettings.TaskKind = .copy

    @Option(name: .long, help: "Text file to train on (text task; default: the preset's).")
    var data: String?

    @Option(name: .long, help: "Preset folder name in assets/presets (default: the task's).")
    var preset: String?

    @Option(name: .long, help: "A HF config.json for the model instead of the preset's.")
    var config: String?

    @Option(name: .long, help: "Fine-tune this checkpoint folder: its weights and config.json (any supported weights format), a fresh optimizer; text is tokenized with its tokenizer. The run is saved elsewhere (--checkpoint).")
    var from: String?

    @Option(name: .long, help: "Text: tokens per training window (default: the preset's; with --from at most the model's positions).")
    var length: Int?

    @Option(name: .long, help: "Optimizer updates (default: the preset's).")
    var steps: Int?

    @Option(name: .long, help: "Seed of initialisation, data and rotations (default: the preset's).")
    var seed: UInt64?

    @Option(name: .long, help: "Hash rounds to train with (default: the model's).")
    var hashes: Int?

    @Flag(name: .long, help: "Train with full attention (the paper's \"Full\" model; saved as an HF config whose LSH chunk covers the sequence).")
    var fullAttention = false

    @Option(name: .long, help: "Checkpoint folder (default: runs/<task>-seed<S>).")
    var checkpoint: String?

    @Flag(name: .long, help: "Continue the run saved in the checkpoint folder.")
    var resume = false

    @Flag(name: .long, help: "No dashboard: progress lines on stdout (also chosen by itself without a terminal).")
    var headless = false

    @Flag(name: .long, help: "Dashboard without colours (also when NO_COLOR is set).")
    var mono = false

    @Flag(name: .long, help: .hidden)
    var freshSeed = false

    @Option(name: .long, help: "Log every N steps instead of every few seconds (0: time-based).")
    var logEvery = 0

    @OptionGroup var memory: MemoryOption

    @OptionGroup var tokenizerOption: TokenizerOption

    @Option(name: .long, help: "Save a checkpoint every N steps (default: the preset's; 0: only at the end).")
    var checkpointEvery: Int?

    func validate() throws {
        if hashes != nil && fullAttention { throw ValidationError("give --hashes or --full-attention, not both") }
        if let h = hashes, h < 1 { throw ValidationError("--hashes must be at least 1") }
        if let s = steps, s < 0 { throw ValidationError("--steps must not be negative") }
        if logEvery < 0 { throw ValidationError("--log-every must not be negative") }
        if let n = checkpointEvery, n < 0 { throw ValidationError("--checkpoint-every must not be negative") }
        if resume && (hashes != nil || fullAttention || config != nil || length != nil) {
            throw ValidationError("--resume continues the saved model; --hashes, --full-attention, --config and --length cannot change it")
        }
        if from != nil && (config != nil || fullAttention) {
            throw ValidationError("--from takes the architecture from the checkpoint's config.json; it does not go with --config or --full-attention")
        }
        if let n = length, n < 1 { throw ValidationError("--length must be at least 1") }
        if length != nil && task != .text { throw ValidationError("--length sets the text task's window; the copy task's length is its preset's") }
    }

    func run() throws {
        memory.apply()
        var code: Int32 = 0
        try runReporting { code = try train() }
        if code != 0 { throw ExitCode(code) }
    }

    private func train() throws -> Int32 {
        let out = FileHandle.standardOutput
        func say(_ line: String) { out.write(Data((line + "\n").utf8)) }
        let chosen = try TaskSetup.preset(task: task, named: preset)
        var settings = chosen.training
        if let steps { settings.steps = steps }
        if let checkpointEvery { settings.checkpointEvery = checkpointEvery }
        if let seed { settings.seed = seed } else if freshSeed { settings.seed = UInt64(UInt32.random(in: 1...UInt32.max)) }
        var modelConfig = chosen.config
        if let config {
            modelConfig = try ReformerConfig.load(path: config)
            settings.text.length = nil   // windows follow the given model's max_position_embeddings
        }
        // Fine-tuning: the checkpoint's weights and architecture; windows the preset's length, at most
        // the positions the model covers.
        var start: ReformerModel? = nil
        if let from, !resume {
            let loaded = try HFCheckpoint.load(directory: from)
            modelConfig = loaded.config
            var covered = modelConfig.maxPositionEmbeddings
            if modelConfig.axialPositionEmbeddings { covered = min(covered, modelConfig.axialShape.reduce(1, *)) }
            settings.text.length = min(settings.text.length ?? covered, covered)
            start = loaded
        }
        if let length { settings.text.length = length }
        // The command line's overrides are checked like train.json (resuming reads them back that way).
        if !resume { try settings.validate(file: "\(chosen.name) preset's train.json with the command line's options") }
        if let hashes { modelConfig.hashRounds = hashes }
        let directory = checkpoint ?? (from.map { "runs/\(task.rawValue)-from-\(Self.folderName($0))-seed\(settings.seed)" }
                                       ?? "runs/\(task.rawValue)-seed\(settings.seed)")
        if let from, Self.samePath(from, directory) {
            throw ReformerError(file: "--checkpoint", "\(directory) is the --from folder; fine-tuning writes its run to another folder (give --checkpoint)")
        }
        var dataFile = data ?? chosen.dataPath
        // One writer per checkpoint folder, for the whole run (the kernel drops the lock on any death);
        // taken before the saved run is read, so a second writer refuses before touching anything.
        let lock = try CheckpointLock.acquire(for: directory)
        defer { lock.release() }
        // Text is encoded once, with the run's tokenizer: the --from folder's, a resumed run's own
        // (its folder keeps the tokenizer files), or by vocabulary (bytes, bytes + 2) or --tokenizer.
        var tokenizerFolder = from
        if resume {
            guard FileManager.default.fileExists(atPath: directory + "/trainer_state.json") else {
                throw ReformerError(file: directory, "holds no checkpoint to resume (no trainer_state.json)")
            }
            // The saved run decides the model and its training settings (only --steps may extend it).
            modelConfig = try ReformerConfig.load(path: directory + "/config.json")
            let saved = try TrainerState.load(path: directory + "/trainer_state.json")
            settings = try TrainingSettings.decode(saved.settings.serialized(), file: directory + "/trainer_state.json (settings)")
            if let steps { settings.steps = steps }
            if let checkpointEvery { settings.checkpointEvery = checkpointEvery }
            if data == nil, let file = saved.dataFile { dataFile = file }
            if let seed, seed != saved.seed {
                throw ReformerError(file: "--seed", "is \(seed), but the run in \(directory) was started with seed \(saved.seed)")
            }
            switch (from, saved.fineTunedFrom) {
            case (let given?, let origin?) where !Self.samePath(given, origin):
                throw ReformerError(file: "--from", "is \(given), but the run in \(directory) was fine-tuned from \(origin)")
            case (let given?, nil):
                throw ReformerError(file: "--from", "is \(given), but the run in \(directory) is not a fine-tuning run")
            default: break
            }
            tokenizerFolder = directory
        }
        let tokenizer: Tokenizer = task == .text
            ? try TaskSetup.textTokenizer(directory: tokenizerFolder, override: tokenizerOption.tokenizer, config: modelConfig) : .bytes
        let taskData = try TaskSetup.data(task: task, settings: settings, config: modelConfig, dataFile: dataFile, tokenizer: tokenizer)
        let companions = task == .text ? try TaskSetup.companionFiles(tokenizer: tokenizer, from: tokenizerFolder) : [:]
        let trainer: Trainer
        if resume {
            trainer = try Trainer(resuming: directory, settings: settings, data: taskData)
            trainer.companionFiles = companions
        } else {
            if FileManager.default.fileExists(atPath: directory + "/trainer_state.json") {
                throw ReformerError(file: directory, "already holds a checkpoint; pass --resume to continue it or --checkpoint to start elsewhere")
            }
            // A save swaps in a whole new folder: whatever else is there would be deleted.
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw ReformerError(file: directory, "is a file, expected a checkpoint folder (--checkpoint)") }
                if !((try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty ?? false) {
                    throw ReformerError(file: directory, "is a folder with other files, not a checkpoint; saving would replace them, so choose another --checkpoint")
                }
            }
            if let start, let from {
                var model = start
                if hashes != nil {
                    model = ReformerModel(config: modelConfig, parameters: start.parameters)
                    model.configSource = start.configSource
                }
                trainer = try Trainer(fineTuning: model, from: from, settings: settings, data: taskData, preset: chosen.name, dataFile: dataFile)
                trainer.companionFiles = companions
            } else {
                trainer = try Trainer(config: modelConfig, settings: settings, data: taskData, preset: chosen.name,
                                      fullAttention: fullAttention, dataFile: dataFile)
                trainer.companionFiles = companions
            }
        }
        // Live metrics for TensorBoard and `reformer-tui watch`, beside the checkpoint folder.
        trainer.eventLog = try TrainingEventLog(checkpointDirectory: directory, trainer: trainer)
        if !headless && TerminalSession.canUseTerminal {
            return try dashboard(trainer: trainer, directory: directory, tokenizer: tokenizer)
        }
        let c = trainer.model.config
        let attention = trainer.state.fullAttention ? "full attention" : "LSH \(c.hashRounds) hash\(c.hashRounds == 1 ? "" : "es")"
        say("train: \(task.rawValue) (preset \(chosen.name)), \(c.layerCount) layer(s) \(c.attentionLayers.map(\.rawValue).joined(separator: "/")), hidden \(c.hiddenSize), \(attention), \(trainer.model.parameters.scalarCount) parameters, seed \(settings.seed)")
        if let origin = trainer.state.fineTunedFrom {
            say("fine-tuning: from \(origin) (its weights and config, a fresh optimizer), windows of \(trainer.sequenceLength) tokens")
        }
        if c.hasDropout {
            say(String(format: "dropout: hidden %g, local attention %g, LSH attention %g (training steps only)",
                       c.hiddenDropout, c.localAttentionDropout, c.lshAttentionDropout))
        }
        say("checkpoint: \(directory)\(resume ? " (resuming at step \(trainer.state.step))" : "")")
        _ = tg_install_headless()

        let metric = taskData.metricName
        var lastLog = Date.distantPast
        var intervalTokens = 0
        var intervalSeconds = 0.0
        var lastSavedStep = resume ? trainer.state.step : -1
        while !trainer.isFinished {
            if tg_quit_signal() != 0 {
                try trainer.save(to: directory)
                say("interrupted at step \(trainer.state.step): checkpoint saved in \(directory) (continue with --resume)")
                return 0
            }
            let r = try trainer.step()
            intervalTokens += r.tokens
            intervalSeconds += r.seconds
            let first = r.step == 1 || (resume && r.step == lastSavedStep + 1)
            let last = trainer.isFinished
            let due = logEvery > 0 ? r.step % logEvery == 0 : Date().timeIntervalSince(lastLog) >= settings.logEverySeconds
            if first || last || due {
                let tps = intervalSeconds > 0 ? Double(intervalTokens) / intervalSeconds : 0
                say(String(format: "step %d/%d loss %.4f %@ %.3f tok/s %.0f mem %.1fMiB",
                           r.step, trainer.state.totalSteps, r.loss, metric, r.metric, tps, Double(r.peakBytes) / 1_048_576))
                trainer.eventLog?.flush()
                lastLog = Date()
                intervalTokens = 0
                intervalSeconds = 0
            }
            if settings.evalEvery > 0 && r.step % settings.evalEvery == 0 && !last {
                let e = try trainer.evaluate()
                say(String(format: "eval step %d loss %.4f %@ %.4f (%@)", r.step, e.loss, metric, e.metric, hashLabel(e.hashes)))
            }
            if settings.checkpointEvery > 0 && r.step % settings.checkpointEvery == 0 && !last {
                try trainer.save(to: directory)
                lastSavedStep = r.step
            }
        }
        let e = try trainer.evaluate()
        try trainer.save(to: directory)
        let s = trainer.state
        if let failure = trainer.eventLog?.failure { FileHandle.standardError.write(Data("warning: TensorBoard events: \(failure)\n".utf8)) }
        say(String(format: "eval step %d loss %.4f %@ %.4f (%@)", s.step, e.loss, metric, e.metric, hashLabel(e.hashes)))
        say(String(format: "done: %d steps, %.1f min of training, %d tokens; final %@ %.4f, loss %.4f; checkpoint %@",
                   s.step, s.elapsedSeconds / 60, s.tokensSeen, metric == "acc" ? "accuracy" : metric == "bpt" ? "bits/token" : "bits/byte", e.metric, e.loss, directory))
        return 0
    }
}

extension TrainCommand {
    /// The live dashboard: the engine trains on a worker thread, the UI renders its snapshots.
    private func dashboard(trainer: Trainer, directory: String, tokenizer: Tokenizer) throws -> Int32 {
        let store = SnapshotStore(), commands = CommandQueue()
        let logPath = directory.hasSuffix("/") ? String(directory.dropLast()) + ".log" : directory + ".log"
        try? FileManager.default.createDirectory(atPath: CheckpointFolderPath.parent(of: logPath), withIntermediateDirectories: true)
        // While the UI is up, stderr is the log file (the backend redirects it); progress lines go there.
        let session = TrainingSession(trainer: trainer, checkpointDirectory: directory, store: store, commands: commands) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        session.tokenizer = tokenizer
        let worker = DispatchQueue(label: "reformer-tui.engine", qos: .utility)
        do {
            _ = try TerminalSession.runDashboard(
                store: store, commands: commands, mono: mono, logPath: logPath,
                onStart: { worker.async { session.run() } },
                workerFinished: { session.done.load(ordering: .acquiring) })
        } catch {
            // The backend could not take the terminal, so the worker never started.
            throw ReformerError(file: "terminal", "cannot start the dashboard (\(error)); use --headless")
        }
        let last = store.current()
        if let failure = last.failure {
            FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
        }
        print("reformer-tui: step \(last.step)/\(last.totalSteps), checkpoint in \(directory) (continue with: reformer-tui train --task \(task.rawValue) --checkpoint \(directory) --resume); log \(logPath)")
        return session.exitStatus.load(ordering: .relaxed)
    }
}

extension TrainCommand {
    /// The last component of a folder path ("models/crime/" → "crime").
    static func folderName(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
    }

    /// Whether two paths name the same folder (symbolic links resolved, "." and ".." removed).
    static func samePath(_ a: String, _ b: String) -> Bool {
        func canonical(_ p: String) -> String { URL(fileURLWithPath: p).resolvingSymlinksInPath().standardizedFileURL.path }
        return canonical(a) == canonical(b)
    }
}

/// Path helpers without Foundation's NSString path APIs.
enum CheckpointFolderPath {
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

func hashLabel(_ hashes: Int) -> String { hashes == 0 ? "full attention" : "\(hashes) hash\(hashes == 1 ? "" : "es")" }

extension TrainingSettings.TaskKind: ExpressibleByArgument {}
