// TextCorpus: a text as a language-modelling corpus of token ids — by default the file's bytes
// (token id = byte value, vocab 256), or the ids a checkpoint's tokenizer made of it — split into
// training and validation tokens, with seeded random training windows and fixed validation windows.
// The metric is bits per byte for byte-level tokens, as in the paper's enwik8 results (§5), and bits
// per token otherwise.

import Foundation

/// A token corpus: the first part trains, the last `validationFraction` validates.
///
/// The split is by position, not by random windows, so no validation token is ever inside a training
/// window: with n tokens and fraction f, validation is the last ⌊n·f⌋ tokens and training the rest.
///
/// ```swift
/// let corpus = try TextCorpus(path: "assets/text/commonplace.txt", validationFraction: 0.1)
/// var rng = DataStream.textTraining.generator(seed: 0)
/// let batch = try corpus.trainingBatch(batch: 1, length: 4096, rng: &rng)
/// for window in corpus.validationWindows(length: 4096, maxWindows: 3) {
///     let loss = try model.forward(window).loss!
///     print(TextCorpus.bitsPerByte(loss: loss))
/// }
/// ```
public struct TextCorpus: Sendable {
    /// Byte values are the token ids of a byte corpus.
    public static let vocabSize = 256

    /// Where the text came from (a path or a caller's name); used in error messages.
    public let name: String
    /// The whole text as token ids; [0, trainingCount) trains, [trainingCount, count) validates.
    public let tokens: [Int32]
    /// Size of the source text in bytes (a run's data identity on resume).
    public let byteCount: Int
    /// Every token is one byte of the text (plain bytes, or bytes shifted by an offset): the loss in
    /// bits is then bits per byte.
    public let byteLevel: Bool
    public let trainingCount: Int
    public var validationCount: Int { tokens.count - trainingCount }
    /// "bytes" or "tokens", for messages.
    private var unit: String { byteLevel ? "bytes" : "tokens" }

    /// Reads `path` as bytes. Fails, naming the path, when the file is missing, unreadable, a
    /// folder or empty, or when `validationFraction` is outside [0, 1).
    public init(path: String, validationFraction: Double = 0.05) throws(ReformerError) {
        try self.init(bytes: Self.readFile(path), name: path, validationFraction: validationFraction)
    }

    /// The bytes of a text file, or one line naming it: missing, a folder, unreadable or empty.
    public static func readFile(_ path: String) throws(ReformerError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReformerError(file: path, "does not exist, expected a text file")
        }
        if isDirectory.boolValue { throw ReformerError(file: path, "is a folder, expected a text file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReformerError(file: path, "cannot be read (check its permissions)")
        }
        guard !data.isEmpty else { throw ReformerError(file: path, "is empty, expected some text") }
        return [UInt8](data)
    }

    /// A corpus over `bytes` (token id = byte value); `name` stands for the source in error messages.
    public init(bytes: [UInt8], name: String, validationFraction: Double = 0.05) throws(ReformerError) {
        try self.init(tokens: bytes.map(Int32.init), name: name, byteCount: bytes.count, byteLevel: true,
                      validationFraction: validationFraction)
    }

    /// A corpus over token ids a tokenizer made of a text of `byteCount` bytes; `byteLevel` when each
    /// token is one byte of it.
    public init(tokens: [Int32], name: String, byteCount: Int, byteLevel: Bool, validationFraction: Double = 0.05) throws(ReformerError) {
        guard validationFraction.isFinite, validationFraction >= 0, validationFraction < 1 else {
            throw ReformerError(file: name, field: "validation_fraction", "is \(validationFraction), expected a number in [0, 1)")
        }
        guard !tokens.isEmpty else { throw ReformerError(file: name, "is empty, expected some text") }
        self.name = name
        self.tokens = tokens
        self.byteCount = byteCount
        self.byteLevel = byteLevel
        self.trainingCount = tokens.count - Int((Double(tokens.count) * validationFraction).rounded(.down))
    }

    /// Fails unless each split holds at least one window of `length` tokens.
    public func checkWindows(length: Int) throws(ReformerError) {
        try check(split: "training", count: trainingCount, length: length)
        try check(split: "validation", count: validationCount, length: length)
    }

    private func check(split: String, count: Int, length: Int) throws(ReformerError) {
        guard length >= 1 else { throw ReformerError(file: name, field: "length", "is \(length), expected at least 1") }
        guard count >= length else {
            throw ReformerError(file: name, "the \(split) split has \(count) \(unit), shorter than one window of \(length); use a longer text or a shorter window")
        }
    }

    /// `batch` windows of `length` tokens from the training split, each starting at a uniformly random
    /// offset drawn from `rng`; labels are the same values (the causal loss shifts by one inside the
    /// engine, so each window makes length − 1 predictions).
    public func trainingBatch(batch: Int, length: Int, rng: inout SplitMix64) throws(ReformerError) -> ForwardRequest {
        guard batch >= 1 else { throw ReformerError(file: name, field: "batch", "is \(batch), expected at least 1") }
        try check(split: "training", count: trainingCount, length: length)
        var tokens = [Int32]()
        tokens.reserveCapacity(batch * length)
        for _ in 0..<batch {
            let start = rng.nextInt(below: trainingCount - length + 1)
            tokens.append(contentsOf: self.tokens[start..<(start + length)])
        }
        return ForwardRequest(batch: batch, length: length, tokens: tokens, labels: tokens.map(Int64.init))
    }

    /// Up to `maxWindows` non-overlapping windows of `length` tokens from the validation split, one
    /// request each (batch 1). The split is cut into ⌊validationCount / length⌋ aligned windows and,
    /// when there are more than `maxWindows`, evenly spaced ones are taken — the same windows on
    /// every call. Empty when the split is shorter than one window (`checkWindows` says so loudly).
    public func validationWindows(length: Int, maxWindows: Int) -> [ForwardRequest] {
        guard length >= 1, maxWindows >= 1 else { return [] }
        let available = validationCount / length
        let count = min(available, maxWindows)
        return (0..<count).map { i in
            let start = trainingCount + (i * available / count) * length
            let tokens = Array(self.tokens[start..<(start + length)])
            return ForwardRequest(batch: 1, length: length, tokens: tokens, labels: tokens.map(Int64.init))
        }
    }

    /// Bits per byte from the engine's loss. The loss is the mean cross-entropy in nats over the
    /// predicted bytes (natural log); one byte is one token, so dividing by ln 2 gives bits per byte.
    public static func bitsPerByte(loss: Float) -> Float {
        Float(Double(loss) / log(2.0))
    }

    /// The training metric's name: bits per byte ("bpb") for byte-level tokens, else bits per token ("bpt").
    public var metricName: String { byteLevel ? "bpb" : "bpt" }
}
