// SentencePieceProcessor: a checked SentencePiece vocabulary and the encode pipeline of the
// sentencepiece 0.2.3 package (src/sentencepiece_processor.cc `EncodeOptimized`, what its Python
// `encode` runs): normalize → BPE or unigram segmentation → unknown pieces (a run of them merged into
// one id, or spelled as `<0xNN>` byte pieces with byte_fallback). No BOS or EOS is added. The
// vocabulary checks follow model_interface.cc `InitializePieces`; decoding is in SentencePieceDecoder.

/// A SentencePiece model ready to encode and decode.
///
/// ```swift
/// let sp = try SentencePieceProcessor(contentsOf: "spiece.model")
/// let ids = sp.encode(Array("Hello world".utf8))   // ids, no BOS/EOS
/// let text = try sp.decode(ids)                     // "Hello world"
/// ```
public struct SentencePieceProcessor: Sendable {
    public let model: SentencePieceModel
    /// The pieces as the processor uses them: with byte_fallback a `"\0"` piece counts as UNUSED
    /// (sentencepiece's workaround for converted models).
    let pieces: [SentencePieceModel.Piece]
    /// The UNKNOWN piece, or nil (allowed with byte_fallback, where unknown text becomes bytes).
    public let unknownID: Int?
    let normalizer: SentencePieceNormalizer
    let denormalizer: SentencePieceNormalizer?
    /// NORMAL, USER_DEFINED and UNUSED pieces → id (`pieces_`); what segmentation may produce.
    let vocabulary: PieceTrie
    /// With byte_fallback: the id of `<0xNN>` for every byte.
    let byteIDs: [Int]
    /// Unigram: the lowest NORMAL score.
    let minimumScore: Float

    /// sentencepiece refuses pieces this long (`kMaxPieceSize`).
    static let maxPieceBytes = 8000

    public var pieceCount: Int { pieces.count }

    /// The UNKNOWN id, or -1 when there is none (as sentencepiece's `unk_id_`).
    var unknownIndex: Int { unknownID ?? -1 }

    public init(contentsOf path: String) throws(ReformerError) {
        try self.init(model: SentencePieceModel(contentsOf: path))
    }

    /// Checks the vocabulary as sentencepiece does: pieces non-empty, shorter than 8,000 bytes,
    /// without NUL and unique (BPE: across all types; unigram: among NORMAL/USER_DEFINED/UNUSED and
    /// among the rest), one UNKNOWN (none only with byte_fallback), byte pieces only with
    /// byte_fallback and then all 256, finite scores for unigram, a valid precompiled charsmap.
    public init(model: SentencePieceModel) throws(ReformerError) {
        self.model = model
        let file = model.file
        var pieces = model.pieces
        if model.byteFallback {
            for i in pieces.indices where pieces[i].bytes == [0] { pieces[i].type = .unused }
        }
        var vocabulary = PieceTrie()
        var normalKeys = Set<[UInt8]>(), reservedKeys = Set<[UInt8]>()
        var userSymbols = PieceTrie()
        var unknown: Int?
        var byteIDs = [Int](repeating: -1, count: 256)
        var minimum = Float.greatestFiniteMagnitude
        if let long = pieces.firstIndex(where: { $0.bytes.count >= Self.maxPieceBytes }) {
            throw ReformerError(file: file, field: "pieces[\(long)].piece", "is \(pieces[long].bytes.count) bytes, expected fewer than \(Self.maxPieceBytes)")
        }
        for (id, piece) in pieces.enumerated() {
            let field = "pieces[\(id)]"
            guard !piece.bytes.isEmpty else { throw ReformerError(file: file, field: field + ".piece", "is empty, expected a non-empty piece") }
            if piece.bytes == [0] && piece.type == .unused { continue }
            guard !piece.bytes.contains(0) else {
                throw ReformerError(file: file, field: field + ".piece", "contains a NUL byte, expected none")
            }
            let segmentable = piece.type == .normal || piece.type == .userDefined || piece.type == .unused
            let inserted = segmentable || model.algorithm == .bpe ? normalKeys.insert(piece.bytes).inserted : reservedKeys.insert(piece.bytes).inserted
            guard inserted else { throw ReformerError(file: file, field: field + ".piece", "\"\(piece.text)\" is already defined") }
            if segmentable { vocabulary.insert(piece.bytes, value: id) }
            switch piece.type {
            case .normal: minimum = min(minimum, piece.score)
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
        if unknown == nil && !model.byteFallback {
            throw ReformerError(file: file, field: "pieces", "have no UNKNOWN piece, expected one (e.g. <unk>)")
        }
        if model.byteFallback, let missing = byteIDs.firstIndex(of: -1) {
            throw ReformerError(file: file, field: "pieces", "lack the byte piece <0x\(Self.hex(missing))> although trainer_spec.byte_fallback is true, expected all 256")
        }
        if model.algorithm == .unigram, let bad = pieces.firstIndex(where: { !$0.score.isFinite }) {
            throw ReformerError(file: file, field: "pieces[\(bad)].score", "is \(pieces[bad].score), expected a finite score (unigram)")
        }
        self.pieces = pieces
        self.vocabulary = vocabulary
        self.unknownID = unknown
        self.byteIDs = byteIDs
        minimumScore = minimum
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
            if id >= 0 && pieces[id].type == .control {
                ids.append(id)
                previousUnknown = false
                continue
            }
            let isUnknown = id < 0 || pieces[id].type == .unknown
            if isUnknown && model.byteFallback {
                ids += piece.map { byteIDs[Int($0)] }
            } else if !(isUnknown && previousUnknown) {
                ids.append(id)
            }
            previousUnknown = isUnknown
        }
        return ids
    }

    /// The byte a `<0xNN>` piece stands for (upper-case hex, as sentencepiece writes and requires).
    static func byteValue(_ piece: [UInt8]) -> Int? {
        guard piece.count == 6, piece.starts(with: Array("<0x".utf8)), piece[5] == UInt8(ascii: ">") else { return nil }
        let text = String(decoding: piece[3..<5], as: UTF8.self)
        guard let value = Int(text, radix: 16), (0...255).contains(value), hex(value) == text else { return nil }   // "<0x-1>" parses as -1
        return value
    }

    static func hex(_ byte: Int) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}
