// DoubleArrayTrie: reads the darts-clone double array that SentencePiece's precompiled charsmap
// stores (darts-clone 0.32 `DoubleArrayUnit`, as vendored by google/sentencepiece). Each 32-bit
// little-endian unit packs: bit 31 leaf flag (a leaf's low 31 bits are the value), bit 8 "has a leaf
// child", bits 0–7 (with bit 31) the label, bits 10–31 an offset shifted left by 8 when bit 9 is
// set. A child of node n for byte b sits at n ^ offset(n) ^ b and must carry label b; a node's value
// sits in the leaf at n ^ offset(n). Validated on load by walking every reachable node, so a broken
// blob fails once, with the file named, instead of misbehaving on some input.

struct DoubleArrayTrie: Sendable {
    private let units: [UInt32]

    /// A match: `length` bytes of the key matched, `value` is what the trie stores for them.
    struct Match {
        let length: Int
        let value: Int
    }

    /// `units` are the array's units; `valueLimit` bounds every stored value (exclusive).
    /// Throws, naming `file` and `field`, when a reachable unit lies outside the array or a value
    /// is not below `valueLimit`.
    init(units: [UInt32], valueLimit: Int, file: String, field: String) throws(ReformerError) {
        guard !units.isEmpty else { throw ReformerError(file: file, field: field, "double array has no units, expected at least the root") }
        self.units = units
        try validate(valueLimit: valueLimit, file: file, field: field)
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

    /// The longest key that is a prefix of `key[start..<end]`, if any.
    func longestPrefix(_ key: [UInt8], from start: Int, to end: Int) -> Match? {
        var best: Match?
        prefixMatches(key, from: start, to: end) { best = $0 }
        return best
    }

    /// Walks every node reachable from the root (each once: darts-clone shares suffix subtrees).
    /// A node's children all lie in the 256-unit block holding `node ^ offset(node)`.
    private func validate(valueLimit: Int, file: String, field: String) throws(ReformerError) {
        var visited = [Bool](repeating: false, count: units.count)
        var stack = [0]
        visited[0] = true
        while let node = stack.popLast() {
            let base = node ^ Self.offset(units[node])
            for byte in 0..<256 {
                let child = base ^ byte
                guard child < units.count else { continue }
                let unit = units[child]
                guard Self.label(unit) == UInt32(byte) else { continue }
                if Self.hasLeaf(unit) {
                    let leaf = child ^ Self.offset(unit)
                    guard leaf < units.count else {
                        throw ReformerError(file: file, field: field, "double array leaf \(leaf) lies past its \(units.count) units")
                    }
                    let value = Int(units[leaf] & 0x7FFF_FFFF)
                    guard value < valueLimit else {
                        throw ReformerError(file: file, field: field, "double array value \(value) points past the replacement strings (\(valueLimit) bytes)")
                    }
                }
                if !visited[child] {
                    visited[child] = true
                    stack.append(child)
                }
            }
        }
    }
}
