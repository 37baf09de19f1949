// SentencePieceProcessor+Unigram: Viterbi segmentation of a unigram model as the sentencepiece 0.2.3
// package computes it (src/unigram_model.cc `EncodeOptimized`): over byte positions, the best path
// ending at each position, extended by every vocabulary piece starting at a character boundary
// (UNUSED pieces skipped, a USER_DEFINED piece of n bytes scoring 0.1·(n − 1)) and, when no piece
// covers exactly the next character, by an unknown node scoring min score − 10. Ties keep the
// earlier candidate. Scores are float sums, re-based to 0 whenever the running score passes ±1e5
// (the reference subtracts it from every reached position ahead), which decides near-ties on long
// texts exactly as the package does.

extension SentencePieceProcessor {
    /// The penalty below the lowest piece score for an unknown character (`kUnkPenalty`).
    static let unknownPenalty: Float = 10
    /// Running scores beyond ± this are re-based (`kScoreResetThreshold`).
    static let scoreResetThreshold: Float = 100_000

    /// Pieces of `text` (normalized, non-empty) with their ids, in order.
    func encodeUnigram(_ text: [UInt8]) -> [(piece: ArraySlice<UInt8>, id: Int)] {
        struct Best {
            var id = -1
            var score: Float = 0
            var start = -1
        }
        let size = text.count
        let unknownScore = minimumScore - Self.unknownPenalty
        var best = [Best](repeating: Best(), count: size + 1)
        var frontier = 0
        var start = 0
        while start < size {
            var base = best[start].score
            if base < -Self.scoreResetThreshold || base > Self.scoreResetThreshold {
                if frontier >= start {
                    for i in start...frontier where i == start || best[i].start != -1 { best[i].score -= base }
                }
                base = 0
            }
            let characterLength = min(UTF8Sequences.leadLength(text[start]), size - start)
            var coversCharacter = false
            var node = 0
            var end = start
            while end < size, let next = vocabulary.child(node, text[end]) {
                node = next
                end += 1
                guard let id = vocabulary.value(node), pieces[id].type != .unused else { continue }
                frontier = max(frontier, end)
                let length = end - start
                let score = pieces[id].type == .userDefined ? Float(0.1 * Double(length - 1)) : pieces[id].score
                let candidate = score + base
                if best[end].start == -1 || candidate > best[end].score {
                    best[end] = Best(id: id, score: candidate, start: start)
                }
                if length == characterLength { coversCharacter = true }
            }
            if !coversCharacter {
                let end = start + characterLength
                frontier = max(frontier, end)
                let candidate = unknownScore + base
                if best[end].start == -1 || candidate > best[end].score {
                    best[end] = Best(id: unknownIndex, score: candidate, start: start)
                }
            }
            start += characterLength
        }
        var output: [(piece: ArraySlice<UInt8>, id: Int)] = []
        var end = size
        while end > 0 {
            let node = best[end]
            guard node.start >= 0, node.start < end else { break }
            output.append((text[node.start..<end], node.id))
            end = node.start
        }
        return output.reversed()
    }
}
