// UTF8Sequences: UTF-8 character boundaries and validity exactly as SentencePiece judges them
// (google/sentencepiece src/util.h `OneCharLen`, util.cc `DecodeUTF8`, `IsValidDecodeUTF8`):
// overlong forms, surrogates and code points past U+10FFFF are invalid, and an invalid sequence
// counts as one byte. The byte tokenizers' decoder uses the same rules.

enum UTF8Sequences {
    /// U+FFFD REPLACEMENT CHARACTER.
    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// SentencePiece's character length from the lead byte alone (a stray continuation byte is 1).
    static func leadLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC0...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xFF: 4
        default: 1
        }
    }

    /// Bytes a valid sequence starting with `lead` needs: 1–4, or 0 when `lead` cannot start one.
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: 1
        case 0xC0...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF7: 4
        default: 0
        }
    }

    /// The length of the valid character at `bytes[start]` (within `..<end`), or nil when the bytes
    /// there are not a complete, valid UTF-8 character.
    static func validLength<C: RandomAccessCollection<UInt8>>(_ bytes: C, at start: C.Index, end: C.Index) -> Int? where C.Index == Int {
        let lead = bytes[start]
        let need = sequenceLength(lead)
        guard need > 0, end - start >= need else { return nil }
        if need == 1 { return 1 }
        var scalar = UInt32(lead) & (need == 2 ? 0x1F : need == 3 ? 0x0F : 0x07)
        for k in 1..<need {
            let byte = bytes[start + k]
            guard byte & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        let minimum: UInt32 = need == 2 ? 0x80 : need == 3 ? 0x800 : 0x10000
        guard scalar >= minimum, scalar < 0xD800 || (scalar >= 0xE000 && scalar <= 0x10FFFF) else { return nil }
        return need
    }

    /// The offset of the first byte that is not part of valid UTF-8 by these rules, or nil.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            guard let n = validLength(bytes, at: i, end: bytes.count) else { return i }
            i += n
        }
        return nil
    }

    /// Appends the valid characters at the front of `pending` to `output` and removes them; an
    /// invalid byte becomes U+FFFD. Bytes that may still become a valid character stay in
    /// `pending` unless `final`, which settles them (each then U+FFFD).
    static func drain(_ pending: inout [UInt8], into output: inout [UInt8], final: Bool) {
        var i = 0
        while i < pending.count {
            let need = sequenceLength(pending[i])
            if need > pending.count - i, !final, !definitelyInvalid(pending, from: i) { break }
            if let n = validLength(pending, at: i, end: pending.count) {
                output.append(contentsOf: pending[i..<(i + n)])
                i += n
            } else {
                output.append(contentsOf: replacementCharacter)
                i += 1
            }
        }
        pending.removeFirst(i)
    }

    /// True when the incomplete sequence at `bytes[start...]` can no longer become valid: a byte
    /// after the lead is not a continuation byte.
    private static func definitelyInvalid(_ bytes: [UInt8], from start: Int) -> Bool {
        guard sequenceLength(bytes[start]) > 0 else { return true }
        return bytes[(start + 1)...].contains { $0 & 0xC0 != 0x80 }
    }
}
