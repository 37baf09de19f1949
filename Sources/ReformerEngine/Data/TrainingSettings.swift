// TrainingSettings: a preset's train.json — which task, how long, the optimizer and schedule, how
// often to evaluate, checkpoint and log. Read like config.json: absent keys take the defaults below,
// unknown keys are ignored, a present key of the wrong type or value fails naming the field.

import Foundation

/// The training half of a preset (`train.json`); the model half is a HF `config.json`.
///
/// Keys are snake_case like config.json's. Nested task settings live under `copy` or `text`:
///
/// ```json
/// { "task": "copy", "steps": 2000, "batch_size": 32, "learning_rate": 0.001,
///   "copy": { "word_length": 31 } }
/// ```
///
/// ```swift
/// let settings = try TrainingSettings.decode(data, file: "assets/presets/copy/train.json")
/// settings.task == .copy && settings.copy.wordLength == 31
/// ```
public struct TrainingSettings: Codable, Sendable, Equatable {
    /// Which data a run trains on.
    public enum TaskKind: String, Codable, Sendable, CaseIterable {
        case copy, text
    }

    /// `copy` section.
    public struct CopySettings: Sendable, Equatable {
        /// |w|; the sequence is 2·|w| + 2 tokens.
        public var wordLength = 31
        public init() {}
    }

    /// `text` section.
    public struct TextSettings: Sendable, Equatable {
        /// Default corpus, relative to the preset's folder (absolute paths are kept); nil = none.
        public var data: String? = nil
        /// Last fraction of the file held out for validation.
        public var validationFraction = 0.05
        /// Window length in tokens; nil = the model's max_position_embeddings.
        public var length: Int? = nil
        public init() {}
    }

    public var task: TaskKind
    /// Optimizer updates in the run.
    public var steps = 1000
    public var batchSize = 8
    /// Peak learning rate (after warmup).
    public var learningRate = 1e-3
    /// Linear warmup updates before the peak.
    public var warmupSteps = 0
    public var schedule = LearningRateSchedule.constant
    /// Floor of the cosine schedule.
    public var minLearningRate = 0.0
    /// Adam moments' decay rates and the denominator's epsilon.
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var epsilon = 1e-8
    /// Decoupled weight decay (AdamW); 0 = plain Adam.
    public var weightDecay = 0.0
    /// Global gradient-norm clip; nil = no clipping.
    public var clipNorm: Double? = nil
    /// Evaluate every this many steps (0 = only at the end).
    public var evalEvery = 100
    /// Text: validation windows per evaluation.
    public var evalBatches = 4
    /// Copy: sequences in the fixed evaluation set.
    public var evalSequences = 256
    /// Save a checkpoint every this many steps (0 = only at the end).
    public var checkpointEvery = 0
    /// Seconds between log lines.
    public var logEverySeconds = 1.0
    /// One seed for the run: initialisation and, through `DataStream`, data and evaluation set.
    public var seed: UInt64 = 0
    public var copy = CopySettings()
    public var text = TextSettings()

    public init(task: TaskKind) { self.task = task }

    /// Reads train.json at `path`.
    public static func load(path: String) throws(ReformerError) -> TrainingSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ReformerError(file: path, exists ? "cannot be read" : "does not exist, expected a train.json")
        }
        return try decode(data, file: path)
    }

    /// Decodes and validates train.json; `file` names the source in errors.
    public static func decode(_ data: Data, file: String = "train.json") throws(ReformerError) -> TrainingSettings {
        try read(JSONValue.parse(data, file: file), file: file)
    }

    static func read(_ json: JSONValue, file: String) throws(ReformerError) -> TrainingSettings {
        guard case .object(let object) = json else {
            throw ReformerError(file: file, "expected a JSON object at the top level")
        }
        let r = SettingsReader(object: object, file: file, prefix: "")
        guard let taskName = try r.string("task") else {
            throw ReformerError(file: file, field: "task", "is missing, expected \"copy\" or \"text\"")
        }
        guard let task = TaskKind(rawValue: taskName) else {
            throw ReformerError(file: file, field: "task", "is \"\(taskName)\", expected \"copy\" or \"text\"")
        }
        var s = TrainingSettings(task: task)
        s.steps = try r.int("steps") ?? s.steps
        s.batchSize = try r.int("batch_size") ?? s.batchSize
        s.learningRate = try r.double("learning_rate") ?? s.learningRate
        s.warmupSteps = try r.int("warmup_steps") ?? s.warmupSteps
        if let name = try r.string("schedule") {
            guard let schedule = LearningRateSchedule(rawValue: name) else {
                throw ReformerError(file: file, field: "schedule", "is \"\(name)\", expected \"constant\" or \"cosine\"")
            }
            s.schedule = schedule
        }
        s.minLearningRate = try r.double("min_learning_rate") ?? s.minLearningRate
        s.beta1 = try r.double("beta1") ?? s.beta1
        s.beta2 = try r.double("beta2") ?? s.beta2
        s.epsilon = try r.double("epsilon") ?? s.epsilon
        s.weightDecay = try r.double("weight_decay") ?? s.weightDecay
        s.clipNorm = try r.double("clip_norm", allowNull: true)
        s.evalEvery = try r.int("eval_every") ?? s.evalEvery
        s.evalBatches = try r.int("eval_batches") ?? s.evalBatches
        s.evalSequences = try r.int("eval_sequences") ?? s.evalSequences
        s.checkpointEvery = try r.int("checkpoint_every") ?? s.checkpointEvery
        s.logEverySeconds = try r.double("log_every_seconds") ?? s.logEverySeconds
        if let seed = try r.int("seed") {
            guard seed >= 0 else { throw ReformerError(file: file, field: "seed", "is \(seed), expected 0 or more") }
            s.seed = UInt64(seed)
        }
        if let c = try r.section("copy") {
            s.copy.wordLength = try c.int("word_length") ?? s.copy.wordLength
        }
        if let t = try r.section("text") {
            s.text.data = try t.string("data", allowNull: true)
            s.text.validationFraction = try t.double("validation_fraction") ?? s.text.validationFraction
            s.text.length = try t.int("length", allowNull: true)
        }
        try s.validate(file: file)
        return s
    }

    /// Checks every value is usable; messages name the train.json field.
    public func validate(file: String = "train.json") throws(ReformerError) {
        func fail(_ field: String, _ detail: String) -> ReformerError { ReformerError(file: file, field: field, detail) }
        for (field, value) in [("steps", steps), ("batch_size", batchSize), ("eval_batches", evalBatches),
                               ("eval_sequences", evalSequences), ("copy.word_length", copy.wordLength)]
        where value < 1 {
            throw fail(field, "is \(value), expected at least 1")
        }
        for (field, value) in [("warmup_steps", warmupSteps), ("eval_every", evalEvery), ("checkpoint_every", checkpointEvery)]
        where value < 0 {
            throw fail(field, "is \(value), expected 0 or more")
        }
        if let length = text.length, length < 1 { throw fail("text.length", "is \(length), expected at least 1") }
        if !(learningRate > 0) || !learningRate.isFinite { throw fail("learning_rate", "is \(learningRate), expected a positive number") }
        if !(minLearningRate >= 0) || minLearningRate > learningRate {
            throw fail("min_learning_rate", "is \(minLearningRate), expected a number in [0, learning_rate]")
        }
        for (field, value) in [("beta1", beta1), ("beta2", beta2)] where !(value >= 0 && value < 1) {
            throw fail(field, "is \(value), expected a number in [0, 1)")
        }
        if !(epsilon > 0) || !epsilon.isFinite { throw fail("epsilon", "is \(epsilon), expected a positive number") }
        if !(weightDecay >= 0) || !weightDecay.isFinite { throw fail("weight_decay", "is \(weightDecay), expected 0 or a positive number") }
        if let clip = clipNorm, !(clip > 0) || !clip.isFinite {
            throw fail("clip_norm", "is \(clip), expected a positive number or null")
        }
        if !(logEverySeconds > 0) || !logEverySeconds.isFinite {
            throw fail("log_every_seconds", "is \(logEverySeconds), expected a positive number")
        }
        let fraction = text.validationFraction
        if !(fraction >= 0 && fraction < 1) { throw fail("text.validation_fraction", "is \(fraction), expected a number in [0, 1)") }
    }

    /// train.json as written by `jsonValue().serialized()`; `decode` reads it back unchanged.
    public func jsonValue() -> JSONValue {
        func n(_ x: Int) -> JSONValue { .number(Double(x)) }
        var text: [String: JSONValue] = [
            "validation_fraction": .number(self.text.validationFraction),
            "data": self.text.data.map(JSONValue.string) ?? .null,
            "length": self.text.length.map(n) ?? .null,
        ]
        if self.text == TextSettings() { text = [:] }
        var o: [String: JSONValue] = [
            "task": .string(task.rawValue), "steps": n(steps), "batch_size": n(batchSize),
            "learning_rate": .number(learningRate), "warmup_steps": n(warmupSteps),
            "schedule": .string(schedule.rawValue), "min_learning_rate": .number(minLearningRate),
            "beta1": .number(beta1), "beta2": .number(beta2), "epsilon": .number(epsilon),
            "weight_decay": .number(weightDecay), "clip_norm": clipNorm.map(JSONValue.number) ?? .null,
            "eval_every": n(evalEvery), "eval_batches": n(evalBatches), "eval_sequences": n(evalSequences),
            "checkpoint_every": n(checkpointEvery), "log_every_seconds": .number(logEverySeconds),
            "seed": .number(Double(seed)), "copy": .object(["word_length": n(copy.wordLength)]),
        ]
        if !text.isEmpty { o["text"] = .object(text) }
        return .object(o)
    }

    /// Codable goes through the same reader, so a JSONDecoder gets the same checks and messages.
    public init(from decoder: Decoder) throws {
        self = try Self.read(JSONValue(from: decoder), file: "train.json")
    }

    public func encode(to encoder: Encoder) throws {
        try jsonValue().encode(to: encoder)
    }
}

/// Typed access to one object of train.json; `prefix` ("text.") makes nested fields read as a path.
private struct SettingsReader {
    let object: [String: JSONValue]
    let file: String
    let prefix: String

    private func wrong(_ key: String, _ v: JSONValue, _ expected: String) -> ReformerError {
        ReformerError(file: file, field: prefix + key, "is \(v.typeName), expected \(expected)")
    }

    func int(_ key: String, allowNull: Bool = false) throws(ReformerError) -> Int? {
        guard let v = object[key] else { return nil }
        switch v {
        case .null where allowNull: return nil
        case .number(let d) where d == d.rounded() && abs(d) <= 9_007_199_254_740_992: return Int(d)
        case .number(let d): throw ReformerError(file: file, field: prefix + key, "is \(d), expected an integer")
        default: throw wrong(key, v, "an integer")
        }
    }

    func double(_ key: String, allowNull: Bool = false) throws(ReformerError) -> Double? {
        guard let v = object[key] else { return nil }
        switch v {
        case .null where allowNull: return nil
        case .number(let d): return d
        default: throw wrong(key, v, allowNull ? "a number or null" : "a number")
        }
    }

    func string(_ key: String, allowNull: Bool = false) throws(ReformerError) -> String? {
        guard let v = object[key] else { return nil }
        switch v {
        case .null where allowNull: return nil
        case .string(let s): return s
        default: throw wrong(key, v, "a string")
        }
    }

    func section(_ key: String) throws(ReformerError) -> SettingsReader? {
        guard let v = object[key] else { return nil }
        guard case .object(let o) = v else { throw wrong(key, v, "an object") }
        return SettingsReader(object: o, file: file, prefix: prefix + key + ".")
    }
}
