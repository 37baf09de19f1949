// Sampler and Generator: the next token from logits (temperature, top-k, top-p; temperature 0 =
// argmax), and an autoregressive loop that re-runs the full forward over the prefix for every new
// token (exact; the decoding cache is a later addition).

import Foundation

public struct SamplingSettings: Sendable, Equatable {
    public var temperature: Float = 1
    public var topK: Int? = nil
    public var topP: Float = 1
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float = 1) {
        self.temperature = temperature; self.topK = topK; self.topP = topP
    }
}

public enum Sampler {
    /// Index of the next token. Ties in argmax go to the first index.
    public static func pick(_ logits: ArraySlice<Float>, settings s: SamplingSettings, rng: inout SplitMix64) -> Int {
        let base = logits.startIndex
        if s.temperature <= 0 {
            var best = base
            for i in logits.indices where logits[i] > logits[best] { best = i }
            return best - base
        }
        var order = Array(0..<logits.count)
        let scaled = logits.map { Double($0) / Double(s.temperature) }
        order.sort { scaled[$0] > scaled[$1] || (scaled[$0] == scaled[$1] && $0 < $1) }
        if let k = s.topK, k > 0 { order = Array(order.prefix(k)) }
        let m = scaled[order[0]]
        var probs = order.map { exp(scaled[$0] - m) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if s.topP < 1 {
            var cumulative = 0.0
            var keep = 0
            for p in probs { cumulative += p; keep += 1; if cumulative >= Double(s.topP) { break } }
            order = Array(order.prefix(keep))
            probs = Array(probs.prefix(keep))
            let t = probs.reduce(0, +)
            probs = probs.map { $0 / t }
        }
        var u = rng.nextDouble()
        for (i, p) in probs.enumerated() {
            u -= p
            if u < 0 { return order[i] }
        }
        return order[order.count - 1]
    }
}

public enum Generator {
    /// Appends up to `count` tokens to `prompt`, calling `onToken` after each (return false to stop).
    /// Every token costs one forward over the whole prefix. Stops at the model's maximum length.
    @discardableResult
    public static func generate(
        model: ReformerModel, prompt: [Int32], count: Int, settings: SamplingSettings, rng: inout SplitMix64,
        onToken: (Int32) -> Bool = { _ in true }
    ) throws(ReformerError) -> [Int32] {
        var sequence = prompt
        var produced: [Int32] = []
        let V = model.config.vocabSize
        while produced.count < count && sequence.count < model.config.maxPositionEmbeddings {
            let out = try model.forward(ForwardRequest(batch: 1, length: sequence.count, tokens: sequence))
            let last = out.logits[((sequence.count - 1) * V)..<(sequence.count * V)]
            let next = Int32(Sampler.pick(last, settings: settings, rng: &rng))
            sequence.append(next)
            produced.append(next)
            if !onToken(next) { break }
        }
        return produced
    }
}
