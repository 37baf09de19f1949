// SentencePieceNormalizer: text → normalized text, following the sentencepiece 0.2.3 package's
// src/normalizer.cc `Normalize`: at each position a user-defined symbol passes unchanged, else the
// longest precompiled-charsmap rule applies, else the character stays as it is (an invalid UTF-8 byte
// becomes U+FFFD); then leading, trailing and repeated spaces go (remove_extra_whitespaces), the
// dummy `▁` is added (before the text, or after it with treat_whitespace_as_suffix), and spaces
// become `▁` U+2581 (escape_whitespaces). Empty or all-space input normalizes to nothing.

struct SentencePieceNormalizer: Sendable {
    let spec: SentencePieceModel.NormalizerSpec
    let treatWhitespaceAsSuffix: Bool
    /// User-defined symbols, matched before the charsmap (empty for a denormalizer).
    let userSymbols: PieceTrie
    private let trie: DoubleArrayTrie?
    /// The NUL-terminated replacement strings the trie's values point into.
    private let replacements: [UInt8]

    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]
    /// sentencepiece takes the longest of at most this many nested rule matches (`kMaxTrieResultsSize`)
    /// and user-defined symbol matches (`PrefixMatcher`'s 64).
    static let maxRuleMatches = 32, maxUserSymbolMatches = 64

    /// Decodes `spec.precompiledCharsmap` (4-byte little-endian trie size, trie units, replacements);
    /// `file` and `field` name it in errors.
    init(spec: SentencePieceModel.NormalizerSpec, treatWhitespaceAsSuffix: Bool, userSymbols: PieceTrie,
         file: String, field: String) throws(ReformerError) {
        self.spec = spec
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        self.userSymbols = userSymbols
        let blob = spec.precompiledCharsmap
        guard !blob.isEmpty else {
            trie = nil
            replacements = []
            return
        }
        guard blob.count > 4 else {
            throw ReformerError(file: file, field: field, "is \(blob.count) bytes, expected a 4-byte trie size and the trie")
        }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize < blob.count - 4 else {
            throw ReformerError(file: file, field: field, "trie size \(trieSize) runs past the \(blob.count - 4) bytes after it, expected the trie and then the replacement strings")
        }
        guard trieSize >= 1024, trieSize % 1024 == 0 else {
            throw ReformerError(file: file, field: field, "trie size \(trieSize) is not a positive multiple of 1024 bytes")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for i in units.indices {
            let b = 4 + 4 * i
            units[i] = UInt32(blob[b]) | UInt32(blob[b + 1]) << 8 | UInt32(blob[b + 2]) << 16 | UInt32(blob[b + 3]) << 24
        }
        replacements = Array(blob[(4 + trieSize)...])
        guard replacements.last == 0 else {
            throw ReformerError(file: file, field: field, "replacement strings do not end with a NUL byte")
        }
        trie = try DoubleArrayTrie(units: units, valueLimit: replacements.count, file: file, field: field)
    }

    /// The normalization of the character(s) at `input[position]` and how many input bytes they take.
    func prefix(_ input: [UInt8], at position: Int) -> (bytes: ArraySlice<UInt8>, consumed: Int) {
        if let user = userSymbols.longestPrefix(input, from: position, to: input.count, maxMatches: Self.maxUserSymbolMatches) {
            return (input[position..<(position + user.length)], user.length)
        }
        if let trie, let match = trie.longestPrefix(input, from: position, to: input.count, maxMatches: Self.maxRuleMatches),
           match.value < replacements.count {
            let tail = replacements[match.value...]
            let stop = tail.firstIndex(of: 0) ?? replacements.count
            return (replacements[match.value..<stop], match.length)
        }
        if let n = UTF8Sequences.validLength(input, at: position, end: input.count) {
            return (input[position..<(position + n)], n)
        }
        return (UTF8Sequences.replacementCharacter[...], 1)
    }

    func normalize(_ text: [UInt8]) -> [UInt8] {
        guard !text.isEmpty else { return [] }
        var position = 0
        let space = UInt8(ascii: " ")
        if spec.removeExtraWhitespaces {
            while position < text.count {
                let p = prefix(text, at: position)
                guard p.bytes.elementsEqual([space]) else { break }
                position += p.consumed
            }
        }
        guard position < text.count else { return [] }
        let whitespace = spec.escapeWhitespaces ? Self.spaceSymbol : [space]
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3)
        if !treatWhitespaceAsSuffix && spec.addDummyPrefix { output += whitespace }
        var previousIsSpace = spec.removeExtraWhitespaces
        while position < text.count {
            let p = prefix(text, at: position)
            var piece = p.bytes
            if previousIsSpace {
                while piece.first == space { piece = piece.dropFirst() }
            }
            if let last = piece.last {
                for byte in piece {
                    if byte == space && spec.escapeWhitespaces { output += Self.spaceSymbol } else { output.append(byte) }
                }
                previousIsSpace = last == space
            }
            position += p.consumed
            if !spec.removeExtraWhitespaces { previousIsSpace = false }
        }
        if spec.removeExtraWhitespaces {
            while output.count >= whitespace.count, output.suffix(whitespace.count).elementsEqual(whitespace) {
                output.removeLast(whitespace.count)
            }
        }
        if treatWhitespaceAsSuffix && spec.addDummyPrefix { output += whitespace }
        return output
    }
}
