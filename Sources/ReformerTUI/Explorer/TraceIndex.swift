// TraceIndex: lookups the explorer's stages share over one HashTrace — slot of (round, position),
// chunk windows, a query's weights, round merging, the copy task's twins — every one bounds-checked,
// so a partial, inconsistent or empty trace renders instead of trapping. Spec §9.6–9.10.

import ReformerTelemetry

/// Read-only views of a HashTrace (built per frame; O(rounds · T)).
struct TraceIndex {
    let trace: HashTrace
    /// T: sequence length.
    let length: Int
    /// n_H (1 for local / unhashed layers).
    let rounds: Int
    /// C: slots per chunk.
    let chunkLength: Int
    /// N = n_H · T / C chunks over all rounds.
    let chunkCount: Int
    /// n_H · T sorted slots.
    let slotCount: Int
    /// The sequence is the copy task's `0 w 0 w`: position p ≥ T/2 has a twin p − T/2.
    let isCopy: Bool
    /// flat index round·T + position → slot (−1 when the trace does not say).
    private let slotOfFlat: [Int]

    init(_ t: HashTrace) {
        trace = t
        length = max(0, t.length)
        rounds = max(1, min(t.rounds, 64))
        chunkLength = max(0, t.chunkLength)
        slotCount = t.sortedIndices.count
        chunkCount = chunkLength > 0 ? max(0, min(t.chunkCount, slotCount / chunkLength)) : 0
        var flat = [Int](repeating: -1, count: rounds * length)
        for (k, i) in t.sortedIndices.enumerated() where i >= 0 && Int(i) < flat.count { flat[Int(i)] = k }
        slotOfFlat = flat
        let T = length
        if T >= 4, T % 2 == 0, t.tokens.count == T, t.tokens[0] == 0, t.tokens[T / 2] == 0 {
            isCopy = (0..<(T / 2)).allSatisfy { t.tokens[$0] == t.tokens[$0 + T / 2] }
        } else {
            isCopy = false
        }
    }

    var isEmpty: Bool { length == 0 }
    var isLocal: Bool { trace.layerKind == "local" }
    /// The forward hashed this layer: there are buckets to show.
    var hashed: Bool { !isLocal && trace.hashed && !trace.buckets.isEmpty }

    /// Where the explorer starts: the first symbol of the second copy (its twin is position 1), else the middle.
    var defaultPosition: Int {
        guard length > 0 else { return 0 }
        return isCopy ? min(length - 1, length / 2 + 1) : length / 2
    }

    // MARK: Positions and tokens

    /// The token's display label ("19", "a", "␣").
    func token(_ p: Int) -> String {
        if p >= 0, p < trace.tokenLabels.count { return trace.tokenLabels[p] }
        if p >= 0, p < trace.tokens.count { return String(trace.tokens[p]) }
        return "?"
    }

    /// The first copy's position with the same symbol (copy task, p in the second copy).
    func twin(of p: Int) -> Int? {
        isCopy && p >= length / 2 && p < length ? p - length / 2 : nil
    }

    // MARK: Buckets

    /// Bucket of `position` in `round` (the padding bucket is `bucketCount`).
    func bucket(round r: Int, position p: Int) -> Int? {
        guard r >= 0, r < trace.buckets.count, p >= 0, p < trace.buckets[r].count else { return nil }
        return Int(trace.buckets[r][p])
    }

    /// Buckets per round, padding bucket included.
    var bucketsPerRound: Int { max(1, trace.bucketCount + (trace.paddingBucket ? 1 : 0)) }

    func isPadding(bucket b: Int) -> Bool { trace.bucketCount > 0 && b >= trace.bucketCount }

    /// Of the pairs of positions that hold the same token, how many share a bucket in `round`
    /// (copy task: the twins (p, p + T/2) only).
    func sharedPairs(round r: Int) -> (shared: Int, total: Int) {
        guard hashed else { return (0, 0) }
        if isCopy {
            let half = length / 2
            var shared = 0
            for p in 0..<half {
                if let a = bucket(round: r, position: p), let b = bucket(round: r, position: p + half), a == b { shared += 1 }
            }
            return (shared, half)
        }
        // Group positions by token, then by bucket: pairs = Σ n(n−1)/2.
        var byToken: [Int32: [Int: Int]] = [:]
        for p in 0..<min(length, trace.tokens.count) {
            guard let b = bucket(round: r, position: p) else { continue }
            byToken[trace.tokens[p], default: [:]][b, default: 0] += 1
        }
        var shared = 0, total = 0
        for buckets in byToken.values {
            let n = buckets.values.reduce(0, +)
            total += n * (n - 1) / 2
            shared += buckets.values.reduce(0) { $0 + $1 * ($1 - 1) / 2 }
        }
        return (shared, total)
    }

    // MARK: Slots and chunks

    func slot(round r: Int, position p: Int) -> Int? {
        guard r >= 0, r < rounds, p >= 0, p < length else { return nil }
        let s = slotOfFlat[r * length + p]
        return s >= 0 ? s : nil
    }

    func position(ofSlot s: Int) -> Int? {
        guard s >= 0 else { return nil }
        if s < trace.slotPositions.count { return Int(trace.slotPositions[s]) }
        if s < trace.sortedIndices.count, length > 0 { return Int(trace.sortedIndices[s]) % length }
        return nil
    }

    func round(ofSlot s: Int) -> Int { length > 0 ? max(0, min(rounds - 1, s / length)) : 0 }
    func chunk(ofSlot s: Int) -> Int { chunkLength > 0 ? s / chunkLength : 0 }
    func round(ofChunk c: Int) -> Int { round(ofSlot: c * chunkLength) }
    /// Chunks per round when every chunk lies in one round (T a multiple of C), else nil.
    var chunksPerRound: Int? { chunkLength > 0 && length % chunkLength == 0 ? length / chunkLength : nil }

    /// Slots of chunk `c`.
    func slots(ofChunk c: Int) -> Range<Int> {
        guard c >= 0, c < chunkCount else { return 0..<0 }
        return (c * chunkLength)..<((c + 1) * chunkLength)
    }

    /// The chunks chunk `c` attends to, in window order: (c + j) mod N, j = −before … after.
    func window(ofChunk c: Int) -> [Int] {
        guard chunkCount > 0 else { return [] }
        let before = max(0, min(trace.chunksBefore, chunkCount)), after = max(0, min(trace.chunksAfter, chunkCount))
        return (-before...after).map { ((c + $0) % chunkCount + chunkCount) % chunkCount }
    }

    /// The window's key slots, in column order.
    func windowSlots(ofChunk c: Int) -> [Int] { window(ofChunk: c).flatMap { Array(slots(ofChunk: $0)) } }

    /// Row `row` of chunk `c`: weights over the window and why cells are masked (empty when missing).
    func weights(chunk c: Int, row: Int) -> [Float] {
        guard c >= 0, c < trace.chunkWeights.count, row >= 0, row < trace.chunkWeights[c].count else { return [] }
        return trace.chunkWeights[c][row]
    }

    func masks(chunk c: Int, row: Int) -> [AttentionProbe.MaskKind] {
        guard c >= 0, c < trace.chunkMasks.count, row >= 0, row < trace.chunkMasks[c].count else { return [] }
        return trace.chunkMasks[c][row]
    }

    /// One attended key: its position, weight (summed when the window holds the position twice) and count.
    struct Key: Equatable {
        var position: Int
        var weight: Float
        var copies: Int
    }

    /// The unmasked keys of slot `s`'s query, strongest first (ties: lower position).
    func keys(ofSlot s: Int) -> [Key] {
        let c = chunk(ofSlot: s), row = s - c * chunkLength
        guard c < chunkCount else { return [] }
        let w = weights(chunk: c, row: row), m = masks(chunk: c, row: row)
        var byPosition: [Int: Key] = [:]
        for (column, slot) in windowSlots(ofChunk: c).enumerated() where column < w.count {
            guard column >= m.count || m[column] == .none, w[column].isFinite, let p = position(ofSlot: slot) else { continue }
            byPosition[p, default: Key(position: p, weight: 0, copies: 0)].weight += w[column]
            byPosition[p]!.copies += 1
        }
        return byPosition.values.sorted { $0.weight > $1.weight || ($0.weight == $1.weight && $0.position < $1.position) }
    }

    // MARK: Rounds

    /// Merge weight of `round` for `position` (exp(ℓ_r − logsumexp_r ℓ)).
    func roundWeight(position p: Int, round r: Int) -> Float? {
        guard p >= 0, p < trace.roundWeights.count, r >= 0, r < trace.roundWeights[p].count else { return nil }
        return trace.roundWeights[p][r]
    }

    func logSumExp(slot s: Int) -> Float? {
        s >= 0 && s < trace.slotLogSumExp.count ? trace.slotLogSumExp[s] : nil
    }

    /// The merged attention of `position`: Σ_r weight_r · (round r's weights), per key position.
    func mergedKeys(position p: Int) -> [Key] {
        var byPosition: [Int: Key] = [:]
        for r in 0..<rounds {
            guard let s = slot(round: r, position: p) else { continue }
            let rw = rounds == 1 ? (roundWeight(position: p, round: r) ?? 1) : (roundWeight(position: p, round: r) ?? 0)
            for k in keys(ofSlot: s) {
                byPosition[k.position, default: Key(position: k.position, weight: 0, copies: 0)].weight += rw * k.weight
                byPosition[k.position]!.copies += 1
            }
        }
        return byPosition.values.sorted { $0.weight > $1.weight || ($0.weight == $1.weight && $0.position < $1.position) }
    }

    /// Full attention's top-k keys of `position` with their weights.
    func fullTop(position p: Int) -> [(position: Int, weight: Float)] {
        guard p >= 0, p < trace.fullTopKeys.count else { return [] }
        let weights = p < trace.fullTopWeights.count ? trace.fullTopWeights[p] : []
        return trace.fullTopKeys[p].enumerated().map { i, k in (Int(k), i < weights.count ? weights[i] : .nan) }
    }

    /// Positions round `r` let `position` attend to (unmasked window keys).
    func attended(position p: Int, round r: Int) -> Set<Int> {
        guard let s = slot(round: r, position: p) else { return [] }
        return Set(keys(ofSlot: s).map(\.position))
    }

    // MARK: Vectors

    /// Rotated projections of `position` in `round` [R/2] (empty when missing).
    func rotated(round r: Int, position p: Int) -> [Float] {
        guard r >= 0, r < trace.rotated.count, p >= 0, p < trace.rotated[r].count else { return [] }
        return trace.rotated[r][p]
    }

    func vector(_ p: Int) -> [Float] { p >= 0 && p < trace.vectors.count ? trace.vectors[p] : [] }
}
