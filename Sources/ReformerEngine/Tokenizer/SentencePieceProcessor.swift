// SentencePieceProcessor: a checked SentencePiece vocabulary and the encode pipeline of
// google/sentencepiece src/sentencepiece_processor.cc: normalize → BPE or unigram segmentation →
// unknown pieces (consecutive ones merged into one id, or split into `<0xNN>` byte pieces with
// byte_fallback). No BOS or EOS is added. The vocabulary checks follow model_interface.cc
// `InitializePieces`; decoding lives in SentencePieceDecoder.

/// A SentencePiece model ready to encode and decode.
///
/// ```swift
/// let sp = try SentencePieceProcessor(contentsOf: "spiece.model")
/// let ids = sp.encode(Array("Hello world".utf8))   // ids, no BOS/EOS
/// let text = try sp.decode(ids)                     // "Hello world"
/// ```
public struct SentencePieceProcessor: Sendable {
    public let model: SentencePieceModel
    /// The index of the UNKNOWN piece (what unknown characters encode to).
    public let unknownID: Int
    let normalizer: SentencePieceNormalizer
    let denormalizer: SentencePieceNormalizer?
    /// NORMAL, USER_DEFINED and UNUSED pieces → id (`pieces_` in model_interface.cc).
    let vocabulary: PieceTrie
    /// CONTROL, UNKNOWN and BYTE pieces → id (`reserved_id_map_`), looked up first.
    let reserved: [[UInt8]: Int]
    /// With byte_fallback: the id of `<0xNN>` for every byte.
    let byteIDs: [Int]
    /// Unigram: the lowest and highest NORMAL scores (highest at least FLT_MIN, as sentencepiece starts it).
    let minimumScore: Float
    let maximumScore: Float

    public var pieceCount: Int { model.pieces.count }

    public init(contentsOf path: String) throws(ReformerError) {
        try self.init(model: SentencePieceModel(contentsOf: path))
    }

    /// Checks the vocabulary: non-empty unique pieces, exactly one UNKNOWN, byte pieces only with
    /// byte_fallback and then all 256 of them, a decodable precompiled charsmap.
    public init(model: SentencePieceModel) throws(ReformerError) {
        self.model = model
        let file = model.file
        var vocabulary = PieceTrie()
        var normalKeys = Set<[UInt8]>()
        var reserved: [[UInt8]: Int] = [:]
        var userSymbols = PieceTrie()
        var unknown: Int?
        var byteIDs = [Int](repeating: -1, count: 256)
        var minimum = Float.greatestFiniteMagnitude
        var maximum = Float.leastNormalMagnitude
        for (id, piece) in model.pieces.enumerated() {
            let field = "pieces[\(id)]"
            guard !piece.bytes.isEmpty else { throw ReformerError(file: file, field: field + ".piece", "is empty, expected a non-empty piece") }
            switch piece.type {
            case .normal, .userDefined, .unused:
                guard normalKeys.insert(piece.bytes).inserted else {
                    throw ReformerError(file: file, field: field + ".piece", "\"\(piece.text)\" is already defined")
                }
                vocabulary.insert(piece.bytes, value: id)
            case .unknown, .control, .byte:
                guard reserved[piece.bytes] == nil else {
                    throw ReformerError(file: file, field: field + ".piece", "\"\(piece.text)\" is already defined")
                }
                reserved[piece.bytes] = id
            }
            switch piece.type {
            case .normal:
                minimum = min(minimum, piece.score)
                maximum = max(maximum, piece.score)
            case .userDefined: userSymbols.insert(piece.bytes, value: id)
            case .unknown:
                if let first = unknown {
                    throw ReformerError(file: file, field: field + ".type", "is a second UNKNOWN piece (the first is \(first)), expected one")
                }
                unknown = id
            case .byte:
                guard model.byteFallback else {
                    throw ReformerError(file: file, field: field, "byte piece \"\(piece.text)\" is present although trainer_spec.byte_fallback is false")
                }
                guard let byte = Self.byteValue(piece.bytes) else {
                    throw ReformerError(file: file, field: field + ".piece", "\"\(piece.text)\" is a BYTE piece, expected the form <0xNN>")
                }
                byteIDs[byte] = id
            case .control, .unused: break
            }
        }
        guard let unknown else { throw ReformerError(file: file, field: "pieces", "have no UNKNOWN piece, expected one (e.g. <unk>)") }
        if model.byteFallback, let missing = byteIDs.firstIndex(of: -1) {
            throw ReformerError(file: file, field: "pieces", "lack the byte piece <0x\(Self.hex(missing))> although trainer_spec.byte_fallback is true, expected all 256")
        }
        self.vocabulary = vocabulary
        self.reserved = reserved
        self.unknownID = unknown
        self.byteIDs = byteIDs
        minimumScore = minimum
        maximumScore = maximum
        normalizer = try SentencePieceNormalizer(spec: model.normalizer, treatWhitespaceAsSuffix: model.treatWhitespaceAsSuffix,
                                                 userSymbols: userSymbols, file: file, field: "normalizer_spec.precompiled_charsmap")
        if let spec = model.denormalizer, !spec.precompiledCharsmap.isEmpty {
            denormalizer = try SentencePieceNormalizer(spec: spec, treatWhitespaceAsSuffix: false, userSymbols: PieceTrie(),
                                                       file: file, field: "denormalizer_spec.precompiled_charsmap")
        } else {
            denormalizer = nil
        }
    }

    /// The text the model segments: charsmap, whitespace rules, `▁` (sentencepiece's `normalize`).
    public func normalize(_ text: [UInt8]) -> [UInt8] { normalizer.normalize(text) }

    /// Token ids for `text` (UTF-8; an invalid byte is treated as U+FFFD, as sentencepiece does).
    public func encode(_ text: [UInt8]) -> [Int] {
        let normalized = normalizer.normalize(text)
        guard !normalized.isEmpty else { return [] }
        let segments = model.algorithm == .bpe ? encodeBPE(normalized) : encodeUnigram(normalized)
        var ids: [Int] = []
        ids.reserveCapacity(segments.count)
        var previousUnknown = false
        for (piece, id) in segments {
            let isUnknown = model.pieces[id].type == .unknown
            if isUnknown && model.byteFallback {
                ids += piece.map { byteIDs[Int($0)] }
            } else if !(isUnknown && previousUnknown) {
                ids.append(id)
            }
            previousUnknown = isUnknown
        }
        return ids
    }

    /// sentencepiece's `PieceToId`: reserved pieces first, then the vocabulary, else the UNKNOWN id.
    func id(of piece: some Collection<UInt8>) -> Int {
        let bytes = Array(piece)
        if let id = reserved[bytes] { return id }
        return vocabulary.exact(bytes, 0..<bytes.count) ?? unknownID
    }

    /// The byte a `<0xNN>` piece stands for (upper-case hex, as sentencepiece writes and requires).
    static func byteValue(_ piece: [UInt8]) -> Int? {
        guard piece.count == 6, piece.starts(with: Array("<0x".utf8)), piece[5] == UInt8(ascii: ">") else { return nil }
        let text = String(decoding: piece[3..<5], as: UTF8.self)
        guard let value = Int(text, radix: 16), hex(value) == text else { return nil }
        return value
    }

    static func hex(_ byte: Int) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}
