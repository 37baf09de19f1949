// ProbeSequence: the sequence `watch` runs a checkpoint's forward on to show its LSH buckets and
// attention (issue 15 §4): the given text or file, tokenized for the checkpoint; for our own runs
// without one, the training data's validation window (copy: the first evaluation sequence); else a
// seeded id sequence in [2, vocab) shaped like the copy task, `0 w 0 w`.

import Foundation

/// A probe and what it is.
///
/// ```swift
/// let probe = ProbeSequence.make(text: nil, checkpoint: "out/checkpoint-40", config: model.config, ownRun: nil)
/// probe.tokens        // 0 w 0 w, cut to the model's maximum positions
/// probe.description   // "seeded 0 w 0 w, 32 tokens"
/// ```
public struct ProbeSequence: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bytes of text; token = byte + offset (0, or 2 for HF's enwik8-style 258-token vocabulary).
        case text(byteOffset: Int)
        /// `0 w 0 w`: the second copy starts at `wordLength + 2`.
        case copy(wordLength: Int)
        /// Token ids from a tokenizer that is not bytes.
        case ids
    }

    public var tokens: [Int32]
    public var kind: Kind
    /// For the status line: what the probe is.
    public var description: String
    /// Why the given text could not be used, if it could not.
    public var note: String?

    /// The longest probe: one forward of the largest checkpoints stays a matter of seconds.
    public static let maximumLength = 4096
    /// Seed of the `0 w 0 w` probe (the same sequence for every checkpoint of a run).
    public static let seed: UInt64 = 0x9A7C_0015

    /// The probe text as token ids for the checkpoint in `folder` — the one place a checkpoint's
    /// tokenizer is applied (`Tokenizer.forCheckpoint`: its spiece.model, else bytes for 256 ids and
    /// bytes + 2 for 258). nil: no usable tokenizer for this vocabulary, or text it cannot encode.
    public static func tokenize(_ bytes: [UInt8], checkpoint folder: String, config: ReformerConfig) -> (tokens: [Int32], kind: Kind)? {
        guard let tokenizer = try? Tokenizer.forCheckpoint(directory: folder, vocabSize: config.vocabSize),
              let ids = try? tokenizer.encode(bytes: bytes) else { return nil }
        switch tokenizer {
        case .bytes: return (ids.map { Int32($0) }, .text(byteOffset: 0))
        case .bytesPlusTwo: return (ids.map { Int32($0) }, .text(byteOffset: 2))
        case .sentencePiece: return ids.isEmpty ? nil : (ids.map { Int32($0) }, .ids)
        }
    }

    /// Positions a probe may use: the model's maximum, on its chunk grid, at most `maximumLength`.
    public static func lengthLimit(_ c: ReformerConfig) -> Int {
        var limit = min(c.maxPositionEmbeddings, maximumLength)
        if c.axialPositionEmbeddings { limit = min(limit, c.axialShape.reduce(1, *)) }
        if limit > c.shortLengthBound && c.paddingMultiple > 1 { limit -= limit % c.paddingMultiple }
        return max(1, limit)
    }

    /// The probe for a checkpoint: `text` if given and tokenizable, our run's validation window, or `0 w 0 w`.
    /// - Parameters:
    ///   - text: the bytes of `--probe-text` / `--probe-file` (nil: none given); `textName` says which.
    ///   - ownRun: our trainer_state.json when the checkpoint is one of our runs (its data and seed).
    public static func make(text: [UInt8]?, textName: String = "--probe-text", checkpoint folder: String,
                            config c: ReformerConfig, ownRun: TrainerState?) -> ProbeSequence {
        let limit = lengthLimit(c)
        var note: String?
        if let text, !text.isEmpty {
            if let (tokens, kind) = tokenize(text, checkpoint: folder, config: c) {
                let cut = Array(tokens.prefix(limit))
                return ProbeSequence(tokens: cut, kind: kind, description: "\(textName), \(cut.count) tokens" + (tokens.count > limit ? " (cut to \(limit))" : ""))
            }
            note = "no tokenizer for vocab_size \(c.vocabSize): \(textName) not used"
        }
        if let own = ownRun, var probe = validationWindow(own, folder: folder, config: c, limit: limit) {
            probe.note = note
            return probe
        }
        let (tokens, word) = seededCopy(vocab: c.vocabSize, length: limit, seed: seed)
        return ProbeSequence(tokens: tokens, kind: .copy(wordLength: word),
                             description: "seeded 0 w 0 w, \(tokens.count) tokens", note: note)
    }

    /// `0 w 0 w` with w drawn from [2, vocab) (all of [0, vocab) for a vocabulary of 2 or less),
    /// 2·|w| + 2 ≤ `length` tokens.
    public static func seededCopy(vocab: Int, length: Int, seed: UInt64) -> (tokens: [Int32], wordLength: Int) {
        let word = max(0, (length - 2) / 2)
        var rng = SplitMix64(seed: seed)
        let low = vocab > 2 ? 2 : 0, span = max(1, vocab - low)
        let w = (0..<word).map { _ in Int32(low + Int(rng.next() % UInt64(span))) }
        guard length >= 2 else { return (Array(repeating: 0, count: max(0, length)), 0) }
        return ([0] + w + [0] + w, word)
    }

    /// Our run's own held-out data: copy — the first evaluation sequence; text — the first validation
    /// window of its data file (found as recorded, or beside the checkpoint folder's parent).
    static func validationWindow(_ s: TrainerState, folder: String, config c: ReformerConfig, limit: Int) -> ProbeSequence? {
        guard let settings = try? TrainingSettings.decode(s.settings.serialized(), file: "trainer_state.json") else { return nil }
        switch s.task {
        case .copy:
            guard let task = try? CopyTask(wordLength: settings.copy.wordLength), task.length <= limit,
                  c.vocabSize >= CopyTask.vocabSize,
                  let first = task.evaluationSet(count: 1, seed: settings.seed).first else { return nil }
            return ProbeSequence(tokens: Array(first.tokens.prefix(task.length)), kind: .copy(wordLength: task.wordLength),
                                 description: "the run's first evaluation sequence, \(task.length) tokens")
        case .text:
            guard let file = s.dataFile, c.vocabSize >= 256 else { return nil }
            let parent = folder.split(separator: "/").dropLast().joined(separator: "/")
            let candidates = [file, (folder.hasPrefix("/") ? "/" : "") + parent + "/" + file]
            guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
                  let corpus = try? TextCorpus(path: path, validationFraction: settings.text.validationFraction) else { return nil }
            let length = min(limit, settings.text.length ?? c.maxPositionEmbeddings)
            guard let window = corpus.validationWindows(length: length, maxWindows: 1).first else { return nil }
            return ProbeSequence(tokens: window.tokens, kind: .text(byteOffset: 0),
                                 description: "the run's first validation window of \(file), \(window.tokens.count) tokens")
        }
    }
}
