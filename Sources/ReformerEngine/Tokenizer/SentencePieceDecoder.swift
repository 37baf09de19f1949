// SentencePieceDecoder: ids → text, one id at a time, with the rules of the sentencepiece 0.2.3
// package (src/sentencepiece_processor.cc `DecodeOptimized`, what its Python `decode` runs): control
// pieces vanish, an UNKNOWN piece becomes unk_surface (" ⁇ "), runs of `<0xNN>` byte pieces are
// reassembled as UTF-8 (an invalid byte becomes U+FFFD), `▁` becomes a space, and while nothing has
// been produced the leading `▁` of a piece (the dummy prefix) is dropped — once, or with
// remove_extra_whitespaces every time until text appears.

struct SentencePieceDecoder: Sendable {
    let processor: SentencePieceProcessor
    /// Byte pieces not yet turned into characters (an incomplete UTF-8 sequence).
    private var pendingBytes: [UInt8] = []
    /// `is_bos_ws`: still at the beginning, where a leading `▁` is the dummy prefix.
    private var atBeginning = true
    /// Whether any text has been produced.
    private var producedText = false

    init(processor: SentencePieceProcessor) { self.processor = processor }

    /// The text `id` (a valid piece index) adds; byte pieces may hold text back until their
    /// character is complete.
    mutating func push(_ id: Int) -> [UInt8] {
        let piece = processor.pieces[id]
        if piece.type == .byte, let byte = SentencePieceProcessor.byteValue(piece.bytes) {
            pendingBytes.append(UInt8(byte))
            return drainBytes(final: false)
        }
        var output = drainBytes(final: true)
        if producedText { atBeginning = false }
        if piece.type == .control { return output }
        var body = piece.bytes[...]
        var droppedPrefix = false
        let spec = processor.model.normalizer
        if atBeginning && (spec.addDummyPrefix || spec.removeExtraWhitespaces), body.starts(with: SentencePieceNormalizer.spaceSymbol) {
            body = body.dropFirst(3)
            droppedPrefix = !spec.removeExtraWhitespaces
        }
        output += piece.type == .unknown ? processor.model.unknownSurface : Self.unescape(body)
        if !output.isEmpty { producedText = true }
        if droppedPrefix || producedText { atBeginning = false }
        return output
    }

    /// An id outside the vocabulary (only while streaming): settles pending bytes, then U+FFFD.
    mutating func pushInvalid() -> [UInt8] {
        var output = drainBytes(final: true)
        output += UTF8Sequences.replacementCharacter
        producedText = true
        atBeginning = false
        return output
    }

    /// Settles the bytes still pending (each incomplete sequence byte becomes U+FFFD).
    mutating func finish() -> [UInt8] { drainBytes(final: true) }

    private mutating func drainBytes(final: Bool) -> [UInt8] {
        var output: [UInt8] = []
        UTF8Sequences.drain(&pendingBytes, into: &output, final: final)
        if !output.isEmpty { producedText = true }
        return output
    }

    /// `▁` → space.
    static func unescape(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == 0xE2, bytes.endIndex - i >= 3, bytes[i + 1] == 0x96, bytes[i + 2] == 0x81 {
                output.append(UInt8(ascii: " "))
                i += 3
            } else {
                output.append(bytes[i])
                i += 1
            }
        }
        return output
    }
}

extension SentencePieceProcessor {
    /// Text for `ids` exactly as sentencepiece's `decode` gives it (denormalizer included); an id
    /// outside `0..<pieceCount` is an error naming it.
    public func decode(_ ids: [Int]) throws(ReformerError) -> String {
        if let bad = ids.first(where: { $0 < 0 || $0 >= pieceCount }) {
            throw ReformerError(file: model.file, "token id \(bad) is outside the vocabulary 0..<\(pieceCount)")
        }
        var decoder = SentencePieceDecoder(processor: self)
        var bytes: [UInt8] = []
        for id in ids { bytes += decoder.push(id) }
        bytes += decoder.finish()
        if let denormalizer { bytes = denormalizer.normalize(bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
