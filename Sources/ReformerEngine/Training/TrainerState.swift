// TrainerState: everything besides weights and moments that a run needs to continue exactly —
// step, generator states, the settings in force, the data identity, and the metric history.
// Saved as trainer_state.json next to the HF model files.

import Foundation

/// One logged training step.
public struct TrainingPoint: Codable, Sendable, Equatable {
    public var step: Int
    public var loss: Float
    /// Copy: accuracy of the training batch; text: bits per byte (or token) of the training batch.
    public var metric: Float
}

/// One evaluation on the task's validation set.
public struct EvaluationPoint: Codable, Sendable, Equatable {
    public var step: Int
    public var loss: Float
    /// Copy: accuracy; text: bits per byte (or token).
    public var metric: Float
    /// Hash rounds used (0 = full attention).
    public var hashes: Int
}

public struct TrainerState: Codable, Sendable, Equatable {
    public var formatVersion = 1
    public var task: TrainingSettings.TaskKind
    public var preset: String
    /// Optimizer updates done.
    public var step = 0
    public var totalSteps: Int
    public var seed: UInt64
    /// SplitMix64 states as hex strings (JSON numbers cannot hold 64 bits).
    public var dataGenerator: String
    public var rotationGenerator: String
    public var fullAttention: Bool
    /// LSH chunk length to use when a full-attention model is evaluated with hashing.
    public var hashingChunkLength: Int
    public var dataFile: String?
    public var dataBytes: Int?
    /// The checkpoint folder a fine-tuning run (`train --from`) started from; nil for a fresh run.
    public var fineTunedFrom: String? = nil
    public var settings: JSONValue
    public var elapsedSeconds = 0.0
    public var tokensSeen = 0
    public var history: [TrainingPoint] = []
    public var evaluations: [EvaluationPoint] = []

    static func hex(_ x: UInt64) -> String { String(x, radix: 16) }

    static func generator(_ hex: String, field: String, file: String) throws(ReformerError) -> SplitMix64 {
        guard let v = UInt64(hex, radix: 16) else {
            throw ReformerError(file: file, field: field, "is \"\(hex)\", expected a hexadecimal generator state")
        }
        return SplitMix64(seed: v)
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8]((try? encoder.encode(self)) ?? Data())
    }

    public static func load(path: String) throws(ReformerError) -> TrainerState {
        let bytes = try AtomicFile.readContents(of: path)
        if isHFTrainerState(bytes) {
            throw ReformerError(file: path, "is HF Trainer's state (global_step, log_history), not a reformer-tui run; the folder's weights load here, its run continues with scripts/train_hf.py --from")
        }
        return try decode(bytes, path: path)
    }

    /// The run saved in `directory`, or nil when its trainer_state.json is absent or is HF Trainer's
    /// (a `checkpoint-N` of transformers' Trainer, e.g. one `scripts/train_hf.py` wrote, holds a
    /// file of the same name); a file of ours that does not decode still fails.
    public static func loadOwn(directory: String) throws(ReformerError) -> TrainerState? {
        let path = directory + "/trainer_state.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes = try AtomicFile.readContents(of: path)
        return isHFTrainerState(bytes) ? nil : try decode(bytes, path: path)
    }

    /// HF Trainer writes `global_step` and `log_history` and never our `formatVersion`.
    static func isHFTrainerState(_ bytes: [UInt8]) -> Bool {
        guard case .object(let keys)? = try? JSONValue.parse(Data(bytes), file: "") else { return false }
        return keys["formatVersion"] == nil && keys["global_step"] != nil && keys["log_history"] != nil
    }

    private static func decode(_ bytes: [UInt8], path: String) throws(ReformerError) -> TrainerState {
        do {
            let s = try JSONDecoder().decode(TrainerState.self, from: Data(bytes))
            guard s.formatVersion == 1 else {
                throw ReformerError(file: path, field: "formatVersion", "is \(s.formatVersion), expected 1")
            }
            guard s.step >= 0, s.totalSteps >= 0 else {
                throw ReformerError(file: path, field: "step", "is \(s.step) of \(s.totalSteps), expected non-negative counts")
            }
            return s
        } catch let e as ReformerError {
            throw e
        } catch {
            throw ReformerError(file: path, "is not a valid trainer state (\(JSONValue.describe(error)))")
        }
    }
}
