// Tokenizer: the one way text meets a model (issue 13; INTEROP.md §1, §3). Three kinds: bytes
// (vocabulary 256, id = byte), bytes + 2 (vocabulary 258, google/reformer-enwik8: id = byte + 2, ids
// 0 and 1 decode to nothing, as HF's enwik8 example skips them) and SentencePiece (BPE or unigram,
// from `spiece.model`). No BOS or EOS is ever added.
//
// For commands (sample, eval, train, explore, the dashboard):
//   guard let tokenizer = try Tokenizer.forCheckpoint(directory: dir, vocabSize: config.vocabSize,
//                                                     override: tokenizerOption) else {
//       throw Tokenizer.missing(vocabSize: config.vocabSize, directory: dir) }
//   let ids = tokenizer.encode(prompt)            // or try tokenizer.encode(bytes: fileBytes)
//   var stream = tokenizer.streamDecoder()        // sample: print(stream.push(id), terminator: "")
//   ... stream.finish() at the end; tokenizer.pieces(for: ids) labels positions (explore);
//   tokenizer.file is the SentencePiece file to copy into a trained checkpoint folder.

import Foundation

/// Text ↔ token ids for a model.
///
/// ```swift
/// let tokenizer = try Tokenizer.sentencePiece(file: "Tests/ReformerEngineTests/Fixtures/spm/bpe-nfkc.model")
/// let ids = tokenizer.encode("Hello world")            // [207, 170, 308, 149, 50]
/// let text = try tokenizer.decode(ids)                 // "Hello world"
/// let labels = tokenizer.pieces(for: ids)              // ["▁H", "ell", "o", "▁wor", "ld"]
/// ```
public enum Tokenizer: Sendable {
    /// id = byte; vocabulary 256.
    case bytes
    /// id = byte + 2; vocabulary 258 (google/reformer-enwik8, 0 = pad); ids 0 and 1 decode to nothing.
    case bytesPlusTwo
    case sentencePiece(SentencePieceProcessor)

    /// Names a checkpoint folder may give its SentencePiece model, in order of preference.
    public static let fileNames = ["spiece.model", "tokenizer.model"]

    /// Reads and checks a SentencePiece model file.
    public static func sentencePiece(file: String) throws(ReformerError) -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw ReformerError(file: file, "does not exist, expected a SentencePiece model (spiece.model)")
        }
        guard !isDirectory.boolValue else {
            throw ReformerError(file: file, "is a folder, expected a SentencePiece model file (spiece.model)")
        }
        return .sentencePiece(try SentencePieceProcessor(contentsOf: file))
    }

    /// The tokenizer for a checkpoint: `override` (a SentencePiece file) if given, else
    /// `spiece.model` or `tokenizer.model` in `directory`, else bytes for vocabulary 256 and
    /// bytes + 2 for 258; nil when none applies. A tokenizer with more pieces than `vocabSize` is
    /// an error.
    public static func forCheckpoint(directory: String, vocabSize: Int, override: String? = nil) throws(ReformerError) -> Tokenizer? {
        let file = override ?? fileNames.map { "\(directory)/\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
        guard let file else {
            switch vocabSize {
            case 256: return .bytes
            case 258: return .bytesPlusTwo
            default: return nil
            }
        }
        let tokenizer = try sentencePiece(file: file)
        try tokenizer.check(fits: vocabSize, model: directory)
        return tokenizer
    }

    /// The one-line error for a command that needs text but has no tokenizer.
    public static func missing(vocabSize: Int, directory: String, hint: String = "pass --tokenizer FILE or --prompt-ids") -> ReformerError {
        ReformerError(file: directory, "no text tokenizer for vocabulary \(vocabSize) (no spiece.model or tokenizer.model, and not 256 or 258 bytes); \(hint)")
    }

    /// Fails when the tokenizer can produce ids the model cannot take (`model` names it).
    public func check(fits modelVocabSize: Int, model: String) throws(ReformerError) {
        guard vocabSize <= modelVocabSize else {
            throw ReformerError(file: file ?? model, "has \(vocabSize) pieces, more than the vocabulary of \(modelVocabSize) in \(model)/config.json (vocab_size), expected at most \(modelVocabSize)")
        }
    }

    /// Ids this tokenizer produces and decodes: 0..<vocabSize.
    public var vocabSize: Int {
        switch self {
        case .bytes: 256
        case .bytesPlusTwo: 258
        case .sentencePiece(let sp): sp.pieceCount
        }
    }

    /// The SentencePiece file this tokenizer came from; nil for the byte kinds.
    public var file: String? {
        if case .sentencePiece(let sp) = self { return sp.model.file }
        return nil
    }

    /// One line for logs: "bytes", "bytes+2", "SentencePiece BPE, 320 pieces (dir/spiece.model)".
    public var summary: String {
        switch self {
        case .bytes: "bytes"
        case .bytesPlusTwo: "bytes+2"
        case .sentencePiece(let sp):
            "SentencePiece \(sp.model.algorithm == .bpe ? "BPE" : "unigram"), \(sp.pieceCount) pieces (\(sp.model.file))"
        }
    }

    /// Ids for `text`.
    public func encode(_ text: String) -> [Int] {
        switch self {
        case .bytes: text.utf8.map { Int($0) }
        case .bytesPlusTwo: text.utf8.map { Int($0) + 2 }
        case .sentencePiece(let sp): sp.encode(Array(text.utf8))
        }
    }

    /// Ids for raw bytes: any bytes for the byte kinds; valid UTF-8 for SentencePiece (else an error
    /// naming `source` and the offset of the first invalid byte).
    public func encode(bytes: [UInt8], source: String = "input") throws(ReformerError) -> [Int] {
        switch self {
        case .bytes: return bytes.map { Int($0) }
        case .bytesPlusTwo: return bytes.map { Int($0) + 2 }
        case .sentencePiece(let sp):
            if let i = UTF8Sequences.firstInvalidOffset(bytes) {
                throw ReformerError(file: source, "is not valid UTF-8 at byte \(i), expected UTF-8 text for the SentencePiece tokenizer")
            }
            return sp.encode(bytes)
        }
    }

    /// Text for `ids`; an id outside 0..<vocabSize is an error naming it.
    public func decode(_ ids: [Int]) throws(ReformerError) -> String {
        if case .sentencePiece(let sp) = self { return try sp.decode(ids) }
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabSize }) {
            throw ReformerError(file: summary, "token id \(bad) is outside the vocabulary 0..<\(vocabSize)")
        }
        var stream = streamDecoder()
        return ids.map { stream.push($0) }.joined() + stream.finish()
    }

    /// A display label per id: the piece for SentencePiece (`▁the`, `<unk>`, `<0x0A>`); for bytes the
    /// character when printable ASCII, `▁` for space, `\n` `\t` `\r`, else `<0xNN>`. Ids outside the
    /// vocabulary are labelled `<id N?>`.
    public func pieces(for ids: [Int]) -> [String] {
        ids.map { id in
            guard id >= 0, id < vocabSize else { return "<id \(id)?>" }
            switch self {
            case .sentencePiece(let sp): return sp.pieces[id].text
            case .bytes: return Self.byteLabel(UInt8(id))
            case .bytesPlusTwo: return id == 0 ? "<pad>" : id == 1 ? "<1>" : Self.byteLabel(UInt8(id - 2))
            }
        }
    }

    /// Decodes ids as they arrive (see TokenStreamDecoder).
    public func streamDecoder() -> TokenStreamDecoder { TokenStreamDecoder(self) }

    static func byteLabel(_ byte: UInt8) -> String {
        switch byte {
        case 0x20: "▁"
        case 0x0A: "\\n"
        case 0x09: "\\t"
        case 0x0D: "\\r"
        case 0x21...0x7E: String(UnicodeScalar(byte))
        default: "<0x\(SentencePieceProcessor.hex(Int(byte)))>"
        }
    }
}
