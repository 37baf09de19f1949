// FileScoring: a causal model scored on a whole token sequence (a file, tokenized) in consecutive
// windows of N tokens — what `eval --data FILE [--length N]` prints. No train/validation split: every
// window [kN, (k+1)N) is one forward, and every token but each window's first is predicted, so a file
// of exactly N tokens is one window with N − 1 predictions. A last window shorter than N is scored at
// its own length; one of a single token predicts nothing and is skipped.

/// The windows and totals of one scoring pass.
public struct FileScore: Sendable, Equatable {
    /// Mean next-token cross-entropy in nats over every prediction.
    public let loss: Double
    /// Tokens predicted (the sum over windows of length − 1).
    public let predictions: Int
    public let windows: Int
    /// The window length N.
    public let length: Int
    /// Hash rounds the LSH layers used (0 = full attention, or every LSH chunk covers the window).
    public let hashes: Int

    /// Bits per predicted token: loss / ln 2. For byte vocabularies this is bits per byte.
    public var bitsPerToken: Double { loss / 0.693_147_180_559_945_3 }
}

public enum FileScoring {
    /// The window length to use: `requested`, or the model's maximum positions, capped by the
    /// sequence (a file shorter than the model's context is one window). Throws, naming `--length`,
    /// for a length below 2 or beyond the model's positions, and for a sequence too short to score.
    public static func windowLength(requested: Int?, tokens: Int, config: ReformerConfig, source: String) throws(ReformerError) -> Int {
        guard tokens >= 2 else {
            throw ReformerError(file: source, "holds \(tokens) token\(tokens == 1 ? "" : "s"), expected at least 2 to predict one")
        }
        if let n = requested {
            guard n >= 2 else { throw ReformerError(file: "--length", "is \(n), expected at least 2 tokens per window") }
            guard n <= config.maxPositionEmbeddings else {
                throw ReformerError(file: "--length", "is \(n), beyond the model's max_position_embeddings \(config.maxPositionEmbeddings)")
            }
            return min(n, tokens)
        }
        return min(config.maxPositionEmbeddings, tokens)
    }

    /// Scores `tokens` in consecutive windows of `length`, averaging the loss over `hashSeeds` draws
    /// of the rotations (the same draws for every window). `progress(window, windows)` is called
    /// before each forward. The model must be causal (`is_decoder`).
    public static func score(
        model: ReformerModel, tokens: [Int32], length: Int, hashes: Int? = nil, fullAttention: Bool = false,
        hashSeeds: Int = 1, seed: UInt64 = 0xE7A1, progress: (Int, Int) -> Void = { _, _ in }
    ) throws(ReformerError) -> FileScore {
        guard model.config.isDecoder else {
            throw ReformerError(
                file: model.configSource, field: "is_decoder",
                "is false; scoring a file is next-token prediction, expected a causal (decoder) model")
        }
        guard length >= 2 else { throw ReformerError(file: "--length", "is \(length), expected at least 2") }
        var c = model.config
        if let hashes { c.hashRounds = hashes }
        let starts = stride(from: 0, to: tokens.count, by: length).filter { tokens.count - $0 >= 2 }
        let draws = fullAttention ? 1 : max(1, hashSeeds)
        var lossSum = 0.0, predictions = 0
        for draw in 0..<draws {
            let view = ReformerModel(config: c, parameters: model.parameters, seed: 0)
            view.configSource = model.configSource
            view.rotationGenerator = SplitMix64(seed: seed ^ (0xF11E_0000 &+ UInt64(draw) &* 0x9E37_79B9))
            var drawLoss = 0.0, drawPredictions = 0
            for (index, start) in starts.enumerated() {
                progress(draw * starts.count + index, draws * starts.count)
                let window = Array(tokens[start..<min(start + length, tokens.count)])
                var request = ForwardRequest(batch: 1, length: window.count, tokens: window, labels: window.map { Int64($0) })
                request.fullAttention = fullAttention
                let out = try view.forward(request)
                guard let loss = out.loss, out.countedTargets > 0 else { continue }
                drawLoss += Double(loss) * Double(out.countedTargets)
                drawPredictions += out.countedTargets
            }
            lossSum += drawPredictions > 0 ? drawLoss / Double(drawPredictions) : .nan
            predictions = drawPredictions
        }
        let usedHashes = fullAttention || c.lshChunkLength >= length || !c.attentionLayers.contains(.lsh) ? 0 : c.hashRounds
        return FileScore(
            loss: lossSum / Double(draws), predictions: predictions, windows: starts.count, length: length, hashes: usedHashes)
    }
}
