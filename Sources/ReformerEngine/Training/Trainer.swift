// Trainer: one training run — model, gradients, AdamW and the task's data — stepped one batch at a
// time: zero → forward → loss → backward → clip → update. Evaluation uses its own generator, so
// evaluating never changes what training does next; save/resume continue a run bit for bit.
// Training steps honour the config's dropout with masks from (seed, step): only `step` drops.

import Foundation

/// What one step did.
public struct StepReport: Sendable {
    public var step: Int
    public var loss: Float
    /// Copy: batch accuracy; text: batch bits per byte (per token for tokenizer tokens).
    public var metric: Float
    public var learningRate: Float
    public var gradientNorm: Float
    public var seconds: Double
    public var tokens: Int
    /// Ledger peak of all engine memory during the step, bytes.
    public var peakBytes: Int
}

/// What one evaluation measured.
public struct EvaluationReport: Sendable {
    public var loss: Float
    /// Copy: accuracy; text: bits per byte (per token for tokenizer tokens).
    public var metric: Float
    public var hashes: Int
    public var sequences: Int
    public var targets: Int
}

/// The task's data, ready to draw from.
public enum TaskData: Sendable {
    case copy(CopyTask, evaluation: [ForwardRequest])
    case text(TextCorpus, length: Int, validation: [ForwardRequest])

    public var kind: TrainingSettings.TaskKind {
        if case .copy = self { return .copy }
        return .text
    }
    /// "acc" (copy), "bpb" (text in byte-level tokens) or "bpt" (text in a tokenizer's tokens).
    public var metricName: String {
        switch self {
        case .copy: return "acc"
        case .text(let corpus, _, _): return corpus.metricName
        }
    }
}

public final class Trainer: @unchecked Sendable {
    public private(set) var model: ReformerModel
    public let gradients: ParameterSet
    public let optimizer: AdamW
    public let data: TaskData
    public let settings: TrainingSettings
    public private(set) var state: TrainerState
    private var dataGenerator: SplitMix64
    /// The batch of the most recent step (the explorer traces it).
    public private(set) var lastBatch: ForwardRequest?
    /// Files written beside the model in every save, by plain file name (a fine-tuned checkpoint's
    /// tokenizer files, so the saved folder tokenizes text like the one it started from).
    public var companionFiles: [String: [UInt8]] = [:]
    /// Where steps and recorded evaluations also go as TensorBoard events (`<checkpoint>.tb/`); nil: nowhere.
    public var eventLog: TrainingEventLog?

    /// A fresh run: weights initialised from `settings.seed`.
    public convenience init(
        config: ReformerConfig, settings: TrainingSettings, data: TaskData, preset: String,
        fullAttention: Bool, dataFile: String? = nil
    ) throws(ReformerError) {
        var c = config
        let length = Trainer.sequenceLength(data)
        let hashingChunk = c.lshChunkLength
        if fullAttention { c.lshChunkLength = max(c.lshChunkLength, length) }   // HF's short path = full attention
        try Trainer.checkTrainable(c, length: length)
        try Trainer.checkMemory(c, batch: settings.batchSize, length: length, parameterCopies: 4)
        let model = try ReformerModel.initialized(config: c, seed: settings.seed)
        try self.init(starting: model, settings: settings, data: data, preset: preset, fullAttention: fullAttention,
                      hashingChunkLength: hashingChunk, dataFile: dataFile, fineTunedFrom: nil)
    }

    /// Fine-tuning: a new run (step 0, fresh optimizer moments) starting from the weights and
    /// architecture of `model`, loaded from the checkpoint folder `source`. Its windows may be
    /// shorter than the axial position grid (HF's trainer insists on exactly n₁·n₂ tokens; a real
    /// checkpoint's grid, e.g. 512×1024, is far too long to fine-tune on).
    public convenience init(
        fineTuning model: ReformerModel, from source: String, settings: TrainingSettings, data: TaskData, preset: String,
        dataFile: String? = nil
    ) throws(ReformerError) {
        try Trainer.checkTrainable(model.config, length: Trainer.sequenceLength(data), exactAxialShape: false, file: model.configSource)
        try Trainer.checkMemory(model.config, batch: settings.batchSize, length: Trainer.sequenceLength(data), parameterCopies: 3,
                                configFile: model.configSource)
        try self.init(starting: model, settings: settings, data: data, preset: preset, fullAttention: false,
                      hashingChunkLength: model.config.lshChunkLength, dataFile: dataFile, fineTunedFrom: source)
    }

    private init(
        starting model: ReformerModel, settings: TrainingSettings, data: TaskData, preset: String, fullAttention: Bool,
        hashingChunkLength hashingChunk: Int, dataFile: String?, fineTunedFrom source: String?
    ) throws(ReformerError) {
        self.model = model
        model.rotationGenerator = DataStream.rotations.generator(seed: settings.seed)
        gradients = ParameterSet(layout: model.parameters.layout, category: .gradients)
        optimizer = try AdamW(layout: model.parameters.layout, settings: try settings.adamW())
        self.data = data
        self.settings = settings
        dataGenerator = (data.kind == .copy ? DataStream.copyTraining : DataStream.textTraining).generator(seed: settings.seed)
        var bytes: Int? = nil
        if case .text(let corpus, _, _) = data { bytes = corpus.byteCount }
        state = TrainerState(
            task: data.kind, preset: preset, totalSteps: settings.steps, seed: settings.seed,
            dataGenerator: TrainerState.hex(dataGenerator.state),
            rotationGenerator: TrainerState.hex(model.rotationGenerator.state),
            fullAttention: fullAttention, hashingChunkLength: hashingChunk, dataFile: dataFile, dataBytes: bytes,
            settings: settings.jsonValue())
        state.fineTunedFrom = source
    }

    /// Continues the run saved in `directory` (config.json, model.safetensors, optimizer.safetensors,
    /// trainer_state.json); `data` must be the same task data.
    public init(resuming directory: String, settings: TrainingSettings, data: TaskData) throws(ReformerError) {
        let statePath = directory + "/trainer_state.json"
        guard FileManager.default.fileExists(atPath: statePath) else {
            throw ReformerError(file: directory, "holds no checkpoint to resume (no trainer_state.json)")
        }
        let saved = try TrainerState.load(path: statePath)
        guard saved.task == data.kind else {
            throw ReformerError(file: statePath, field: "task", "is \(saved.task.rawValue), but this run trains \(data.kind.rawValue)")
        }
        if case .text(let corpus, _, _) = data, let bytes = saved.dataBytes, bytes != corpus.byteCount {
            throw ReformerError(file: corpus.name, "has \(corpus.byteCount) bytes, but the checkpoint was trained on \(bytes) bytes (\(saved.dataFile ?? "?"))")
        }
        model = try HFCheckpoint.load(directory: directory)
        try Trainer.checkTrainable(model.config, length: Trainer.sequenceLength(data), exactAxialShape: saved.fineTunedFrom == nil,
                                   file: model.configSource)
        try Trainer.checkMemory(model.config, batch: settings.batchSize, length: Trainer.sequenceLength(data), parameterCopies: 3,
                                configFile: directory + "/config.json")
        model.rotationGenerator = try TrainerState.generator(saved.rotationGenerator, field: "rotationGenerator", file: statePath)
        gradients = ParameterSet(layout: model.parameters.layout, category: .gradients)
        optimizer = try AdamW.load(path: directory + "/optimizer.safetensors", layout: model.parameters.layout,
                                   settings: try settings.adamW())
        guard optimizer.stepCount == saved.step else {
            throw ReformerError(file: directory + "/optimizer.safetensors", field: "step",
                                "is \(optimizer.stepCount), but trainer_state.json says \(saved.step)")
        }
        self.data = data
        self.settings = settings
        dataGenerator = try TrainerState.generator(saved.dataGenerator, field: "dataGenerator", file: statePath)
        state = saved
        state.totalSteps = settings.steps
        state.settings = settings.jsonValue()
    }

    static func sequenceLength(_ data: TaskData) -> Int {
        switch data {
        case .copy(let task, _): return task.length
        case .text(_, let length, _): return length
        }
    }

    /// Training runs at exactly the model's chunk grid and axial shape (HF's training rules, §13.3);
    /// fine-tuning (`exactAxialShape` false) only needs the axial grid to cover the windows.
    static func checkTrainable(_ c: ReformerConfig, length: Int, exactAxialShape: Bool = true, file: String = "config") throws(ReformerError) {
        if length > c.maxPositionEmbeddings {
            throw ReformerError(file: file, field: "max_position_embeddings", "is \(c.maxPositionEmbeddings), but training windows have \(length) tokens")
        }
        if length > c.shortLengthBound && length % c.paddingMultiple != 0 {
            throw ReformerError(file: file, field: "lsh_attn_chunk_length",
                                "chunk lengths need a length multiple of \(c.paddingMultiple), but training windows have \(length) tokens")
        }
        let grid = c.axialShape.reduce(1, *)
        if c.axialPositionEmbeddings && (exactAxialShape ? grid != length : grid < length) {
            throw ReformerError(file: file, field: "axial_pos_shape",
                                "\(c.axialShape) covers \(grid) positions; training needs \(exactAxialShape ? "exactly" : "at least") \(length)")
        }
        try c.checkDropout(file: file)
        if !c.causalLoss {
            throw ReformerError(file: file, field: "architectures", "is \(c.architecture); training supports the causal LM (ReformerModelWithLMHead)")
        }
    }

    /// Refuses a run whose parameters, gradients, AdamW moments (`parameterCopies` of the layout
    /// still to allocate) and one training step's buffers cannot fit in memory, before any exists.
    static func checkMemory(
        _ c: ReformerConfig, batch: Int, length: Int, parameterCopies: Int, configFile: String = "config"
    ) throws(ReformerError) {
        var plan: BucketPlan? = nil
        if ModelFootprint.hashes(c, length: length, fullAttention: false) {
            plan = c.buckets.factorList.map(BucketPlan.init)
                ?? BucketPlan.automatic(length: length, chunkLength: c.lshChunkLength, maxPositions: c.maxPositionEmbeddings)
        }
        let what = parameterCopies > 3 ? "parameters, gradients and AdamW moments" : "gradients and AdamW moments"
        let state = ModelFootprint.parameters(c, copies: parameterCopies, what: what)
        let step = ModelFootprint.forward(c, plan: plan, batch: batch, length: length, inputLength: length, training: true,
                                          source: "train.json (batch_size × length)")
        try MemoryBudget.require(state + step, configFile: configFile)
    }

    public var isFinished: Bool { state.step >= state.totalSteps }

    /// Sequence length of the task's training windows.
    public var sequenceLength: Int { Trainer.sequenceLength(data) }

    /// One optimizer update on a fresh batch.
    public func step(probe: ProbeCapture? = nil) throws(ReformerError) -> StepReport {
        let started = Date()
        let ledger = MemoryLedger.current
        ledger.resetPeaks()
        var request: ForwardRequest
        switch data {
        case .copy(let task, _): request = task.sample(batch: settings.batchSize, rng: &dataGenerator)
        case .text(let corpus, let length, _): request = try corpus.trainingBatch(batch: settings.batchSize, length: length, rng: &dataGenerator)
        }
        // The step's dropout masks depend on the run's seed and this step's number only.
        if model.config.hasDropout { request.dropout = DropoutSeed(seed: state.seed, step: state.step + 1) }
        gradients.zero()
        lastBatch = request
        let result = try model.lossAndGradients(request, gradients: gradients, probe: probe)
        guard let loss = result.loss, loss.isFinite else {
            throw ReformerError(file: "training", "loss is \(result.loss.map { "\($0)" } ?? "missing") at step \(state.step + 1) (not finite); stopped, the last checkpoint is kept")
        }
        let update = optimizer.step(parameters: model.parameters, gradients: gradients)
        if update.skipped {
            throw ReformerError(file: "training", "gradient norm is \(update.gradientNorm) at step \(state.step + 1); stopped, the last checkpoint is kept")
        }
        let metric = Trainer.metric(data, loss: loss, logits: result.logits, request: request, vocab: model.config.vocabSize)
        let seconds = Date().timeIntervalSince(started)
        state.step += 1
        state.tokensSeen += request.batch * request.length
        state.elapsedSeconds += seconds
        state.dataGenerator = TrainerState.hex(dataGenerator.state)
        state.rotationGenerator = TrainerState.hex(model.rotationGenerator.state)
        state.history.append(TrainingPoint(step: state.step, loss: loss, metric: metric))
        let report = StepReport(
            step: state.step, loss: loss, metric: metric, learningRate: update.learningRate,
            gradientNorm: update.gradientNorm, seconds: seconds, tokens: request.batch * request.length,
            peakBytes: ledger.totals.peakTotalBytes)
        eventLog?.record(report)
        return report
    }

    static func metric(_ data: TaskData, loss: Float, logits: [Float], request: ForwardRequest, vocab: Int) -> Float {
        switch data {
        case .copy:
            let a = CopyTask.accuracy(logits: logits, request: request, vocab: vocab)
            return a.total > 0 ? Float(a.correct) / Float(a.total) : 0
        case .text:
            return TextCorpus.bitsPerByte(loss: loss)
        }
    }

    /// Evaluates on the validation set; records the result in the history when `record` is set.
    @discardableResult
    public func evaluate(hashes: Int? = nil, fullAttention: Bool = false, hashSeeds: Int = 1, record: Bool = true) throws(ReformerError) -> EvaluationReport {
        let report = try Trainer.evaluate(
            model: model, data: data, hashes: hashes, fullAttention: fullAttention, hashSeeds: hashSeeds,
            seed: state.seed &+ UInt64(state.step), hashingChunkLength: state.hashingChunkLength)
        if record {
            state.evaluations.append(EvaluationPoint(step: state.step, loss: report.loss, metric: report.metric, hashes: report.hashes))
            eventLog?.record(evaluation: report, step: state.step)
        }
        return report
    }

    /// Evaluation of any model on task data: `hashes` overrides the rounds (a model trained with full
    /// attention hashes with `hashingChunkLength`); `hashSeeds` averages over independent rotations.
    public static func evaluate(
        model: ReformerModel, data: TaskData, hashes: Int?, fullAttention: Bool, hashSeeds: Int, seed: UInt64,
        hashingChunkLength: Int? = nil
    ) throws(ReformerError) -> EvaluationReport {
        var c = model.config
        if let hashes {
            c.hashRounds = hashes
            let length = sequenceLength(data)
            if c.lshChunkLength >= length, let chunk = hashingChunkLength, chunk < length { c.lshChunkLength = chunk }
        }
        let draws = fullAttention ? 1 : max(1, hashSeeds)
        var totalLoss = 0.0, totalMetric = 0.0, targets = 0, sequences = 0
        for draw in 0..<draws {
            let view = ReformerModel(config: c, parameters: model.parameters, seed: 0)
            view.configSource = model.configSource
            view.rotationGenerator = SplitMix64(seed: seed ^ (0xE7A1_0000 &+ UInt64(draw) &* 0x9E37_79B9))
            var lossSum = 0.0, correct = 0, counted = 0, rows = 0
            let requests: [ForwardRequest]
            switch data {
            case .copy(_, let evaluation): requests = evaluation
            case .text(_, _, let validation): requests = validation
            }
            for var r in requests {
                r.fullAttention = fullAttention
                let out = try view.forward(r)
                guard let loss = out.loss else { continue }
                lossSum += Double(loss) * Double(out.countedTargets)
                counted += out.countedTargets
                rows += r.batch
                if case .copy = data {
                    correct += CopyTask.accuracy(logits: out.logits, request: r, vocab: c.vocabSize).correct
                }
            }
            let meanLoss = counted > 0 ? lossSum / Double(counted) : .nan
            totalLoss += meanLoss
            if case .copy = data {
                totalMetric += counted > 0 ? Double(correct) / Double(counted) : 0
            } else {
                totalMetric += Double(TextCorpus.bitsPerByte(loss: Float(meanLoss)))
            }
            targets = counted
            sequences = rows
        }
        return EvaluationReport(
            loss: Float(totalLoss / Double(draws)), metric: Float(totalMetric / Double(draws)),
            hashes: fullAttention || c.lshChunkLength >= sequenceLength(data) ? 0 : c.hashRounds,
            sequences: sequences, targets: targets)
    }

    /// Writes the run to `directory` atomically: an HF model folder plus optimizer and trainer state.
    public func save(to directory: String) throws(ReformerError) {
        eventLog?.flush()   // the curves reach the checkpoint's step before the checkpoint does
        let model = self.model, optimizer = self.optimizer, state = self.state, companions = companionFiles
        try CheckpointFolder.replace(directory) { (staging: String) throws(ReformerError) in
            try HFCheckpoint.save(model, directory: staging, metadata: ["step": "\(state.step)"])
            for (name, bytes) in companions.sorted(by: { $0.key < $1.key }) {
                guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                    throw ReformerError(file: directory, "companion file name \"\(name)\" is not a plain file name")
                }
                try AtomicFile.write(bytes, to: staging + "/" + name)
            }
            try optimizer.save(to: staging + "/optimizer.safetensors")
            try AtomicFile.write(state.encoded(), to: staging + "/trainer_state.json")
        }
    }
}

extension TrainingSettings {
    /// The optimizer half of the settings.
    public func adamW() throws(ReformerError) -> AdamWSettings {
        let s = AdamWSettings(
            learningRate: Float(learningRate), beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon),
            weightDecay: Float(weightDecay), warmupSteps: warmupSteps, schedule: schedule, totalSteps: steps,
            minLearningRate: Float(minLearningRate), clipNorm: clipNorm.map(Float.init))
        try s.validate(source: "train.json")
        return s
    }
}
