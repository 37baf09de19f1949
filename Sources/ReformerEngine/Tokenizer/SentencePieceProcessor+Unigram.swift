// SentencePieceProcessor+Unigram: Viterbi segmentation of a unigram model as google/sentencepiece
// src/unigram_model.cc `EncodeOptimized` (its default encoder) computes it: over byte positions, the
// best path ending at each position, extended by every vocabulary piece starting at a character
// boundary (UNUSED pieces skipped, a USER_DEFINED piece scoring length × max score − 0.1) and, when
// no piece covers exactly the next character, by an unknown node scoring min score − 10. Ties keep
// the earlier candidate. Path scores are summed, compared and kept in double from float piece
// scores: on a 1 MB text that is what the sentencepiece 0.2.3 package's results match (keeping them
// in float, as the C++ source snapshot we read does, diverges after ~100k pieces, where near-equal
// paths round differently).

extension SentencePieceProcessor {
    /// The penalty below the lowest piece score for an unknown character (`kUnkPenalty`).
    static let unknownPenalty: Float = 10

    /// Pieces of `text` (normalized, non-empty) with their ids, in order.
    func encodeUnigram(_ text: [UInt8]) -> [(piece: ArraySlice<UInt8>, id: Int)] {
        struct Best {
            var id = -1
            var score: Double = 0
            var start = -1
        }
        let size = text.count
        let unknownScore = minimumScore - Self.unknownPenalty
        var best = [Best](repeating: Best(), count: size + 1)
        var start = 0
        while start < size {
            let base = best[start].score
            let characterLength = min(UTF8Sequences.leadLength(text[start]), size - start)
            var coversCharacter = false
            var node = 0
            var end = start
            while end < size, let next = vocabulary.child(node, text[end]) {
                node = next
                end += 1
                guard let id = vocabulary.value(node), model.pieces[id].type != .unused else { continue }
                let length = end - start
                let score = model.pieces[id].type == .userDefined ? Double(Float(length) * maximumScore) - 0.1 : Double(model.pieces[id].score)
                let candidate = score + base
                if best[end].start == -1 || candidate > best[end].score {
                    best[end] = Best(id: id, score: candidate, start: start)
                }
                if length == characterLength { coversCharacter = true }
            }
            if !coversCharacter {
                let end = start + characterLength
                let candidate = Double(unknownScore) + base
                if best[end].start == -1 || candidate > best[end].score {
                    best[end] = Best(id: unknownID, score: candidate, start: start)
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
