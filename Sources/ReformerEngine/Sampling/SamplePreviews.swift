// SamplePreviews: what the Samples panel shows, for the dashboard's own run and for `watch` — a copy
// sequence's second half as the model predicts it (argmax, one forward), and a text continuation
// streamed token by token with the decoding cache.

import ReformerTelemetry

public enum SamplePreviews {
    /// The model's prediction of `tokens[split...]` from one forward over `tokens` (a `0 w 0 w` row:
    /// split = |w| + 2), each wrong symbol marked by the panel against the expected copy.
    public static func copy(model: ReformerModel, tokens: [Int32], split: Int, fullAttention: Bool, step: Int) -> SamplePreview? {
        let T = tokens.count
        guard split >= 1, split < T else { return nil }
        var request = ForwardRequest(batch: 1, length: T, tokens: tokens)
        request.fullAttention = fullAttention
        guard let out = try? model.forward(request) else { return nil }
        let V = model.config.vocabSize
        guard out.logits.count >= T * V else { return nil }
        var p = SamplePreview()
        p.kind = .copy
        p.step = step
        p.prompt = Array(tokens[0..<split])
        p.expected = Array(tokens[split..<T])
        p.predicted = (split..<T).map { j in
            let row = out.logits[((j - 1) * V)..<(j * V)]
            var best = row.startIndex
            for i in row.indices where row[i] > row[best] { best = i }
            return Int32(best - row.startIndex)
        }
        return p
    }

    /// Tokens as text: with `tokenizer`, its decoding; else byte ids (minus `byteOffset`) decoded as
    /// UTF-8, ids outside the bytes as "⟨id⟩".
    public static func decode(_ tokens: [Int32], byteOffset: Int, tokenizer: Tokenizer? = nil) -> String {
        if let tokenizer, let text = try? tokenizer.decode(tokens.map { Int($0) }) { return text }
        var bytes: [UInt8] = []
        var out = ""
        for t in tokens {
            let b = Int(t) - byteOffset
            if b >= 0 && b < 256 {
                bytes.append(UInt8(b))
            } else {
                out += String(decoding: bytes, as: UTF8.self) + "⟨\(t)⟩"
                bytes = []
            }
        }
        return out + String(decoding: bytes, as: UTF8.self)
    }

    /// Generates `count` tokens after `prompt` (temperature 0.8, top-k 40, the decoding cache), giving
    /// the decoded continuation so far to `onText` after every token; stops early when `shouldStop`
    /// says so. Runs on the calling thread.
    public static func streamText(model: ReformerModel, prompt: [Int32], count: Int = 160, seed: UInt64, byteOffset: Int,
                                  tokenizer: Tokenizer? = nil, onText: (String) -> Void, shouldStop: () -> Bool) {
        var rng = SplitMix64(seed: seed)
        var generated: [Int32] = []
        _ = try? Generator.generateCached(
            model: model, prompt: prompt, count: count, settings: SamplingSettings(temperature: 0.8, topK: 40), rng: &rng
        ) { token in
            generated.append(token)
            let text = decode(generated, byteOffset: byteOffset, tokenizer: tokenizer)
            onText(text)
            return !shouldStop()
        }
    }
}
