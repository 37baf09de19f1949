// SentencePieceModel: the fields of a SentencePiece `ModelProto` file (`spiece.model`,
// `tokenizer.model`) that encoding and decoding need, read with ProtobufReader (field numbers from
// google/sentencepiece src/sentencepiece_model.proto; INTEROP.md §3). Absent fields take the proto's
// defaults; a repeated singular field keeps the last value and a repeated submessage merges, as
// protobuf parsers do. Unknown fields (trainer settings, self-test data) are skipped.

/// One parsed SentencePiece model file, not yet checked for consistency (SentencePieceProcessor does that).
///
/// ```swift
/// let model = try SentencePieceModel(contentsOf: "spiece.model")
/// print(model.algorithm, model.pieces.count, model.normalizer.name)   // bpe 320 nmt_nfkc
/// ```
public struct SentencePieceModel: Sendable {
    /// `ModelProto.SentencePiece.Type`.
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `TrainerSpec.ModelType`; WORD (3) and CHAR (4) models are refused when read.
    public enum Algorithm: Int, Sendable {
        case unigram = 1, bpe = 2
    }

    public struct Piece: Sendable, Equatable {
        /// The piece's UTF-8 bytes as stored (`▁the` is E2 96 81 74 68 65).
        public var bytes: [UInt8]
        public var score: Float
        public var type: PieceType

        /// The piece as text (invalid UTF-8 shown as U+FFFD), e.g. `▁the`, `<unk>`, `<0x0A>`.
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// `NormalizerSpec` (also the type of `denormalizer_spec`).
    public struct NormalizerSpec: Sendable, Equatable {
        public var name = ""
        /// 4-byte little-endian trie size, darts-clone double array, NUL-terminated replacements.
        public var precompiledCharsmap: [UInt8] = []
        public var addDummyPrefix = true
        public var removeExtraWhitespaces = true
        public var escapeWhitespaces = true
    }

    /// Where the bytes came from, for messages.
    public let file: String
    public private(set) var pieces: [Piece] = []
    public private(set) var algorithm = Algorithm.unigram
    public private(set) var byteFallback = false
    /// `trainer_spec.treat_whitespace_as_suffix`: the dummy `▁` goes after the text instead of before.
    public private(set) var treatWhitespaceAsSuffix = false
    /// Special ids as the trainer recorded them (`pad` is -1 when there is none). Encoding never adds them.
    public private(set) var unkID = 0, bosID = 1, eosID = 2, padID = -1
    /// What `<unk>` decodes to: `trainer_spec.unk_surface`, " ⁇ " by default.
    public private(set) var unknownSurface = Array(" \u{2047} ".utf8)
    public private(set) var normalizer = NormalizerSpec()
    /// Present only when the file has a `denormalizer_spec` (applied to decoded text).
    public private(set) var denormalizer: NormalizerSpec?

    /// Reads and parses `path` in one read.
    public init(contentsOf path: String) throws(ReformerError) {
        try self.init(bytes: AtomicFile.readContents(of: path), file: path)
    }

    /// Parses `bytes`; `file` names the source in errors.
    public init(bytes: [UInt8], file: String = "<memory>") throws(ReformerError) {
        self.file = file
        guard !bytes.isEmpty else { throw ReformerError(file: file, "is empty, expected a SentencePiece model (protobuf ModelProto)") }
        var r = ProtobufReader(bytes: bytes, file: file)
        var algorithmSeen: Int?
        while let field = try r.nextField(in: "ModelProto") {
            switch field.number {
            case 1:
                let path = "pieces[\(pieces.count)]"
                var sub = try r.message(field, path: path)
                pieces.append(try Self.readPiece(&sub, path: path))
            case 2:
                var sub = try r.message(field, path: "trainer_spec")
                try readTrainerSpec(&sub, algorithm: &algorithmSeen)
            case 3:
                var sub = try r.message(field, path: "normalizer_spec")
                try Self.readNormalizerSpec(&sub, into: &normalizer, path: "normalizer_spec")
            case 5:
                var sub = try r.message(field, path: "denormalizer_spec")
                var spec = denormalizer ?? NormalizerSpec()
                try Self.readNormalizerSpec(&sub, into: &spec, path: "denormalizer_spec")
                denormalizer = spec
            default:
                try r.skip(field, path: "ModelProto field \(field.number)")
            }
        }
        if let a = algorithmSeen {
            guard let known = Algorithm(rawValue: a) else {
                let name = a == 3 ? "WORD" : "CHAR"
                throw ReformerError(file: file, field: "trainer_spec.model_type", "is \(a) (\(name)), expected 1 (UNIGRAM) or 2 (BPE)")
            }
            algorithm = known
        }
        guard !pieces.isEmpty else { throw ReformerError(file: file, field: "pieces", "is empty, expected the vocabulary") }
    }

    private static func readPiece(_ r: inout ProtobufReader, path: String) throws(ReformerError) -> Piece {
        var piece = Piece(bytes: [], score: 0, type: .normal)
        while let field = try r.nextField(in: path) {
            switch field.number {
            case 1: piece.bytes = try r.data(field, path: path + ".piece")
            case 2:
                piece.score = try r.float(field, path: path + ".score")
                guard !piece.score.isNaN else { throw ReformerError(file: r.file, field: path + ".score", "is NaN, expected a number") }
            case 3:
                let t = try r.enumeration(field, path: path + ".type", known: 1...6)
                piece.type = PieceType(rawValue: t) ?? .normal
            default: try r.skip(field, path: path)
            }
        }
        return piece
    }

    private mutating func readTrainerSpec(_ r: inout ProtobufReader, algorithm: inout Int?) throws(ReformerError) {
        let p = "trainer_spec"
        while let field = try r.nextField(in: p) {
            switch field.number {
            case 3: algorithm = try r.enumeration(field, path: p + ".model_type", known: 1...4)
            case 24: treatWhitespaceAsSuffix = try r.bool(field, path: p + ".treat_whitespace_as_suffix")
            case 35: byteFallback = try r.bool(field, path: p + ".byte_fallback")
            case 40: unkID = try r.int32(field, path: p + ".unk_id")
            case 41: bosID = try r.int32(field, path: p + ".bos_id")
            case 42: eosID = try r.int32(field, path: p + ".eos_id")
            case 43: padID = try r.int32(field, path: p + ".pad_id")
            case 44: unknownSurface = try r.data(field, path: p + ".unk_surface")
            default: try r.skip(field, path: p)
            }
        }
    }

    private static func readNormalizerSpec(_ r: inout ProtobufReader, into spec: inout NormalizerSpec, path p: String) throws(ReformerError) {
        while let field = try r.nextField(in: p) {
            switch field.number {
            case 1: spec.name = String(decoding: try r.data(field, path: p + ".name"), as: UTF8.self)
            case 2: spec.precompiledCharsmap = try r.data(field, path: p + ".precompiled_charsmap")
            case 3: spec.addDummyPrefix = try r.bool(field, path: p + ".add_dummy_prefix")
            case 4: spec.removeExtraWhitespaces = try r.bool(field, path: p + ".remove_extra_whitespaces")
            case 5: spec.escapeWhitespaces = try r.bool(field, path: p + ".escape_whitespaces")
            default: try r.skip(field, path: p)
            }
        }
    }
}
