// SentencePieceProcessor+BPE: BPE segmentation as the sentencepiece 0.2.3 package does it
// (src/bpe_model.cc, without dropout): split the normalized text into characters (a user-defined
// symbol is one frozen symbol), then repeatedly merge the adjacent pair whose concatenation is a
// NORMAL, USER_DEFINED or UNUSED piece with the highest score, leftmost on ties (scores ordered by
// their bit patterns, so −0 ranks below +0); an UNUSED piece that results is split back into the
// pair that formed it (at most 100 levels deep). Anything else maps to the UNKNOWN id.

extension SentencePieceProcessor {
    /// How deep UNUSED pieces are split back (`kMaxBpeResegmentDepth`).
    static let maxResegmentDepth = 100

    /// Pieces of `text` (normalized, non-empty) with their ids, in order.
    func encodeBPE(_ text: [UInt8]) -> [(piece: ArraySlice<UInt8>, id: Int)] {
        struct Symbol {
            var start: Int
            var length: Int
            var previous: Int
            var next: Int
            let frozen: Bool
        }
        var symbols: [Symbol] = []
        var position = 0
        while position < text.count {
            let user = normalizer.userSymbols.longestPrefix(text, from: position, to: text.count, maxMatches: SentencePieceNormalizer.maxUserSymbolMatches)
            let length = user?.length ?? min(UTF8Sequences.leadLength(text[position]), text.count - position)
            let next = position + length < text.count ? symbols.count + 1 : -1
            symbols.append(Symbol(start: position, length: length, previous: symbols.count - 1, next: next, frozen: user != nil))
            position += length
        }

        var agenda = MergeQueue()
        // Merged UNUSED piece → the two pieces it was last formed from (`rev_merge`).
        var splits: [[UInt8]: (ArraySlice<UInt8>, ArraySlice<UInt8>)] = [:]
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0, !symbols[left].frozen, !symbols[right].frozen else { return }
            let l = symbols[left], r = symbols[right]
            let range = l.start..<(l.start + l.length + r.length)
            guard let id = vocabulary.exact(text, range) else { return }
            agenda.push(MergeQueue.Candidate(score: pieces[id].score, left: left, right: right, length: range.count))
            if pieces[id].type == .unused {
                splits[Array(text[range])] = (text[l.start..<(l.start + l.length)], text[r.start..<(r.start + r.length)])
            }
        }
        for i in symbols.indices.dropFirst() { consider(i - 1, i) }

        while let top = agenda.pop() {
            let l = symbols[top.left], r = symbols[top.right]
            // Stale: one side was merged away or grew since this pair was queued.
            guard l.length > 0, r.length > 0, l.length + r.length == top.length else { continue }
            symbols[top.left].length += r.length
            symbols[top.left].next = r.next
            if r.next >= 0 { symbols[r.next].previous = top.left }
            symbols[top.right].length = 0
            consider(symbols[top.left].previous, top.left)
            consider(top.left, symbols[top.left].next)
        }

        var output: [(piece: ArraySlice<UInt8>, id: Int)] = []
        func resegment(_ piece: ArraySlice<UInt8>, depth: Int) {
            // Every piece here is a slice of `text`, so its indices address `text`.
            guard let id = vocabulary.exact(text, piece.indices) else {
                output.append((piece, unknownIndex))
                return
            }
            if depth > Self.maxResegmentDepth || pieces[id].type != .unused {
                output.append((piece, id))
            } else if let (left, right) = splits[Array(piece)] {
                resegment(left, depth: depth + 1)
                resegment(right, depth: depth + 1)
            } else {
                output.append((piece, unknownIndex))
            }
        }
        var index = 0
        while index >= 0, index < symbols.count {
            let s = symbols[index]
            resegment(text[s.start..<(s.start + s.length)], depth: 0)
            index = s.next
        }
        return output
    }
}

/// A binary max-heap of merge candidates: higher score first, then the smaller left index.
struct MergeQueue {
    struct Candidate {
        let score: Float
        let left: Int
        let right: Int
        /// Bytes of the merged piece, to recognise candidates made stale by other merges.
        let length: Int

        func precedes(_ other: Candidate) -> Bool {
            let a = Int32(bitPattern: score.bitPattern), b = Int32(bitPattern: other.score.bitPattern)
            if a == b { return left < other.left }
            if a < 0 && b < 0 { return a < b }   // both negative: the smaller pattern is the larger float
            if (a < 0) != (b < 0) { return b < 0 }
            return a > b
        }
    }

    private var heap: [Candidate] = []

    mutating func push(_ c: Candidate) {
        heap.append(c)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].precedes(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let a = 2 * i + 1, b = a + 1
                var best = i
                if a < heap.count, heap[a].precedes(heap[best]) { best = a }
                if b < heap.count, heap[b].precedes(heap[best]) { best = b }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}
