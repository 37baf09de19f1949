// CopyTask: the synthetic duplication task of the Reformer paper, §2.1 / Table 2 (EXPERIMENTS.md §1):
// every sequence is `0 w 0 w` with w drawn uniformly from the symbols 1…127, and only the second copy
// of w is scored, so a model must look back |w| + 1 positions to be right.

/// The duplication task `0 w 0 w`: batches, a fixed evaluation set and masked accuracy.
///
/// Layout of one row of length 2·|w| + 2 (|w| = 3 here):
///
/// ```
/// position  0  1   2   3   4  5   6   7
/// token     0  19  113 72  0  19  113 72
/// label     ·  ·   ·   ·   ·  19  113 72     (· = −100, ignored)
/// ```
///
/// The engine's causal loss scores logits[t] against labels[t + 1], so giving the second copy's
/// positions their own token as label makes exactly the |w| predictions of the second copy count
/// (the prediction of w₁ is made at the second separator, which is itself not a target) — the
/// authors' `sequence_copy_inputs` weights, with symbols 1…127 as in the paper.
///
/// ```swift
/// let task = try CopyTask(wordLength: 31)                      // DUP-Q: length 64
/// var rng = DataStream.copyTraining.generator(seed: 0)
/// let batch = task.sample(batch: 32, rng: &rng)                // ForwardRequest, labels set
/// let evaluation = task.evaluationSet(count: 256, seed: 0, batchSize: 32)
/// let result = try model.forward(evaluation[0])
/// let (correct, total) = CopyTask.accuracy(logits: result.logits, request: evaluation[0], vocab: 128)
/// ```
public struct CopyTask: Sendable, Equatable {
    /// The token between and before the two copies.
    public static let separator: Int32 = 0
    /// The symbols of w (the paper's N = 127).
    public static let symbols: ClosedRange<Int32> = 1...127
    /// Separator + symbols: the model's vocab_size must be at least this.
    public static let vocabSize = 128
    /// Accuracy of guessing: one symbol in 127.
    public static let chanceAccuracy = 1.0 / 127.0
    /// Label value the loss ignores.
    public static let ignoredLabel: Int64 = -100

    /// |w|; DUP-Q uses 31 (length 64), DUP-S 63 (length 128), the paper 511 (length 1024).
    public let wordLength: Int

    public init(wordLength: Int) throws(ReformerError) {
        guard wordLength >= 1 else {
            throw ReformerError(file: "copy task", field: "word_length", "is \(wordLength), expected at least 1")
        }
        self.wordLength = wordLength
    }

    /// Tokens per sequence: 2·|w| + 2.
    public var length: Int { 2 * wordLength + 2 }

    /// Positions whose label is scored: the second copy of w, |w| + 2 ..< 2·|w| + 2.
    public var scoredPositions: Range<Int> { (wordLength + 2)..<length }

    /// `batch` fresh rows, drawn from `rng`. tokens and labels are [batch, length], row-major.
    public func sample(batch: Int, rng: inout SplitMix64) -> ForwardRequest {
        precondition(batch >= 0, "batch is a count of rows")
        let T = length
        let n = wordLength
        var tokens = [Int32](repeating: Self.separator, count: batch * T)
        var labels = [Int64](repeating: Self.ignoredLabel, count: batch * T)
        let symbolCount = Int(Self.symbols.upperBound - Self.symbols.lowerBound) + 1
        for b in 0..<batch {
            let row = b * T
            for i in 0..<n {
                let symbol = Self.symbols.lowerBound + Int32(rng.nextInt(below: symbolCount))
                tokens[row + 1 + i] = symbol
                tokens[row + n + 2 + i] = symbol
                labels[row + n + 2 + i] = Int64(symbol)
            }
        }
        return ForwardRequest(batch: batch, length: T, tokens: tokens, labels: labels)
    }

    /// The fixed evaluation set: `count` rows from the `copyEvaluation` stream of `seed`, cut into
    /// requests of at most `batchSize` rows (all in one when nil). The rows do not depend on
    /// `batchSize`, and never coincide with the `copyTraining` stream of the same seed.
    public func evaluationSet(count: Int = 256, seed: UInt64, batchSize: Int? = nil) -> [ForwardRequest] {
        precondition(count >= 0 && (batchSize ?? 1) >= 1, "count ≥ 0 and batchSize ≥ 1")
        var rng = DataStream.copyEvaluation.generator(seed: seed)
        let size = batchSize ?? max(count, 1)
        var requests: [ForwardRequest] = []
        var remaining = count
        while remaining > 0 {
            let rows = min(size, remaining)
            requests.append(sample(batch: rows, rng: &rng))
            remaining -= rows
        }
        return requests
    }

    /// Masked accuracy: for every position j with a label, argmax(logits[j − 1]) == labels[j]
    /// (first index wins ties). `logits` is [batch, length, vocab] from a causal model. With
    /// `sample`'s labels this counts exactly |w| predictions per row.
    public static func accuracy(logits: [Float], request: ForwardRequest, vocab: Int) -> (correct: Int, total: Int) {
        let (B, T, V) = (request.batch, request.length, vocab)
        precondition(V >= 1 && logits.count == B * T * V, "logits must be [batch, length, vocab]")
        guard let labels = request.labels else { return (0, 0) }
        var correct = 0
        var total = 0
        logits.withUnsafeBufferPointer { l in
            for b in 0..<B {
                for j in 1..<max(T, 1) {
                    let target = labels[b * T + j]
                    if target == ignoredLabel { continue }
                    let row = (b * T + j - 1) * V
                    var best = 0
                    for v in 1..<V where l[row + v] > l[row + best] { best = v }
                    total += 1
                    if Int64(best) == target { correct += 1 }
                }
            }
        }
        return (correct, total)
    }
}
