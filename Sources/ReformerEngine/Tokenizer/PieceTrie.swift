// PieceTrie: a byte trie from piece bytes to ids, for SentencePiece's vocabulary lookups (exact
// match for BPE merges, every prefix for the unigram lattice, the longest prefix for user-defined
// symbols). One dictionary of transitions keyed by (node, byte) keeps it compact.

struct PieceTrie: Sendable {
    /// (node << 8 | byte) → child node.
    private var transitions: [Int: Int] = [:]
    /// Per node: the id stored there, or -1.
    private var values: [Int] = [-1]

    var isEmpty: Bool { values.count == 1 }

    /// Stores `value` for `key` (non-empty), replacing an earlier value.
    mutating func insert<C: Collection<UInt8>>(_ key: C, value: Int) {
        var node = 0
        for byte in key {
            let edge = node << 8 | Int(byte)
            if let next = transitions[edge] {
                node = next
            } else {
                values.append(-1)
                transitions[edge] = values.count - 1
                node = values.count - 1
            }
        }
        values[node] = value
    }

    /// The node reached from `node` by `byte`, if any (the root is node 0).
    func child(_ node: Int, _ byte: UInt8) -> Int? { transitions[node << 8 | Int(byte)] }

    /// The value stored at `node`, if any.
    func value(_ node: Int) -> Int? { values[node] >= 0 ? values[node] : nil }

    /// The value stored for exactly `key[range]`.
    func exact(_ key: [UInt8], _ range: Range<Int>) -> Int? {
        var node = 0
        for i in range {
            guard let next = child(node, key[i]) else { return nil }
            node = next
        }
        return value(node)
    }

    /// The longest of the first `maxMatches` stored keys that are prefixes of `key[start..<end]`.
    func longestPrefix(_ key: [UInt8], from start: Int, to end: Int, maxMatches: Int) -> (length: Int, value: Int)? {
        var node = 0
        var best: (length: Int, value: Int)?
        var matches = 0
        var i = start
        while i < end, matches < maxMatches, let next = child(node, key[i]) {
            node = next
            i += 1
            if let v = value(node) {
                best = (i - start, v)
                matches += 1
            }
        }
        return best
    }
}
