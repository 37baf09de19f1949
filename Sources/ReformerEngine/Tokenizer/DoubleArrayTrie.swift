// DoubleArrayTrie: reads the darts-clone double array that SentencePiece's precompiled charsmap
// stores (darts-clone 0.32 `DoubleArrayUnit`, as vendored by google/sentencepiece). Each 32-bit
// little-endian unit packs: bit 31 leaf flag (a leaf's low 31 bits are the value), bit 8 "has a leaf
// child", bits 0–7 (with bit 31) the label, bits 10–31 an offset shifted left by 8 when bit 9 is
// set. A child of node n for byte b sits at n ^ offset(n) ^ b and must carry label b; a node's value
// sits in the leaf at n ^ offset(n). Validated on load with the checks sentencepiece 0.2.3 runs
// (`DoubleArray::validate`: every non-leaf unit's child block and leaf lie inside the array, every
// value is below the limit), so lookups stay inside the array.

struct DoubleArrayTrie: Sendable {
    private let units: [UInt32]

    /// A match: `length` bytes of the key matched, `value` is what the trie stores for them.
    struct Match {
        let length: Int
        let value: Int
    }

    /// `units` are the array's units; `valueLimit` bounds every stored value (exclusive).
    /// Throws, naming `file` and `field`, when the array fails sentencepiece's validation.
    init(units: [UInt32], valueLimit: Int, file: String, field: String) throws(ReformerError) {
        self.units = units
        if let problem = validate(valueLimit: valueLimit) {
            throw ReformerError(file: file, field: field, "double array is invalid: \(problem)")
        }
    }

    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }

    private static func label(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) | 0xFF) }

    private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }

    /// Every key that is a prefix of `key[start..<end]`, shortest first (darts `commonPrefixSearch`).
    func prefixMatches(_ key: [UInt8], from start: Int, to end: Int, _ body: (Match) -> Void) {
        var node = Self.offset(units[0])
        var i = start
        while i < end {
            let byte = key[i]
            node ^= Int(byte)
            guard node < units.count else { return }
            let unit = units[node]
            guard Self.label(unit) == UInt32(byte) else { return }
            node ^= Self.offset(unit)
            i += 1
            if Self.hasLeaf(unit) {
                guard node < units.count else { return }
                body(Match(length: i - start, value: Int(units[node] & 0x7FFF_FFFF)))
            }
        }
    }

    /// The longest of the first `maxMatches` keys that are prefixes of `key[start..<end]`.
    func longestPrefix(_ key: [UInt8], from start: Int, to end: Int, maxMatches: Int) -> Match? {
        var best: Match?
        var count = 0
        prefixMatches(key, from: start, to: end) { match in
            count += 1
            if count <= maxMatches { best = match }
        }
        return best
    }

    /// What is wrong with the array, or nil.
    private func validate(valueLimit: Int) -> String? {
        guard let root = units.first else { return "it has no units" }
        let size = units.count
        guard Self.label(root) == 0, !Self.hasLeaf(root), Self.offset(root) != 0, Self.offset(root) | 0xFF < size else {
            return "the root unit 0x\(String(root, radix: 16)) is not a root with its children inside the \(size) units"
        }
        for i in 1..<size {
            let unit = units[i]
            if Self.label(unit) <= 0xFF {
                let base = i ^ Self.offset(unit)
                guard base | 0xFF < size else { return "unit \(i) points at children past the \(size) units" }
                if Self.hasLeaf(unit) && Self.label(units[base]) <= 0xFF { return "unit \(i) has a leaf at \(base) that is not a leaf" }
            } else if Int(unit & 0x7FFF_FFFF) >= valueLimit {
                return "leaf \(i) holds value \(unit & 0x7FFF_FFFF), past the \(valueLimit) bytes of replacement strings"
            }
        }
        return nil
    }
}
