// TokenStreamDecoder: decodes ids one at a time, for printing a continuation as it is generated.
// The pieces it returns concatenate to exactly `Tokenizer.decode` of the same ids (one exception:
// a SentencePiece denormalizer, rare, is applied to each piece's text rather than the whole). Bytes
// are held back until their UTF-8 character is complete; an id outside the vocabulary shows as U+FFFD.
// The text is what the ids spell, control characters included: making it safe for a terminal is the
// caller's business (sample's StreamPrinter shows them as U+FFFD).

/// Incremental decoding for one sequence.
///
/// ```swift
/// var stream = tokenizer.streamDecoder()
/// for id in generated { print(stream.push(id), terminator: "") }
/// print(stream.finish())
/// ```
public struct TokenStreamDecoder: Sendable {
    private enum State: Sendable {
        /// Byte kinds: ids below `offset` are skipped; bytes of an incomplete character wait.
        case bytes(offset: Int, pending: [UInt8])
        case sentencePiece(SentencePieceDecoder)
    }

    private var state: State
    private let denormalizer: SentencePieceNormalizer?
    private let vocabSize: Int

    init(_ tokenizer: Tokenizer) {
        vocabSize = tokenizer.vocabSize
        switch tokenizer {
        case .bytes: state = .bytes(offset: 0, pending: []); denormalizer = nil
        case .bytesPlusTwo: state = .bytes(offset: 2, pending: []); denormalizer = nil
        case .sentencePiece(let sp): state = .sentencePiece(SentencePieceDecoder(processor: sp)); denormalizer = sp.denormalizer
        }
    }

    /// The text that `id` completes (often one piece; empty while a character is incomplete).
    public mutating func push(_ id: Int) -> String {
        var output: [UInt8] = []
        switch state {
        case .bytes(let offset, var pending):
            if id >= offset && id < vocabSize {
                pending.append(UInt8(id - offset))
                UTF8Sequences.drain(&pending, into: &output, final: false)
            } else if id < 0 || id >= vocabSize {
                UTF8Sequences.drain(&pending, into: &output, final: true)
                output += UTF8Sequences.replacementCharacter
            }
            state = .bytes(offset: offset, pending: pending)
        case .sentencePiece(var decoder):
            output = id >= 0 && id < vocabSize ? decoder.push(id) : decoder.pushInvalid()
            state = .sentencePiece(decoder)
        }
        return text(output)
    }

    /// Whatever is still held back (an incomplete character becomes U+FFFD per byte).
    public mutating func finish() -> String {
        var output: [UInt8] = []
        switch state {
        case .bytes(let offset, var pending):
            UTF8Sequences.drain(&pending, into: &output, final: true)
            state = .bytes(offset: offset, pending: pending)
        case .sentencePiece(var decoder):
            output = decoder.finish()
            state = .sentencePiece(decoder)
        }
        return text(output)
    }

    private func text(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        return String(decoding: denormalizer.map { $0.normalize(bytes) } ?? bytes, as: UTF8.self)
    }
}
