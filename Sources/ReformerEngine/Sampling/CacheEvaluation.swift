// CacheEvaluation: how the decoding cache's semantics compare with the full forward — copy-task
// generation accuracy (greedy, cached or not) and teacher-forced loss through the cache.

import Foundation

public enum CacheEvaluation {
    /// Copy task: prompt `0 w 0`, generate |w| tokens greedily, count symbols equal to w.
    public static func copyGeneration(model: ReformerModel, task: CopyTask, sequences: [ForwardRequest], cached: Bool)
        throws(ReformerError) -> (correct: Int, total: Int)
    {
        var correct = 0, total = 0
        let split = task.wordLength + 2
        for request in sequences {
            for row in 0..<request.batch {
                let seq = Array(request.tokens[(row * request.length)..<((row + 1) * request.length)])
                var rng = SplitMix64(seed: 0)
                let greedy = SamplingSettings(temperature: 0)
                let produced = cached
                    ? try Generator.generateCached(model: model, prompt: Array(seq[0..<split]), count: task.wordLength, settings: greedy, rng: &rng)
                    : try Generator.generate(model: model, prompt: Array(seq[0..<split]), count: task.wordLength, settings: greedy, rng: &rng)
                for (i, t) in produced.enumerated() where t == seq[split + i] { correct += 1 }
                total += task.wordLength
            }
        }
        return (correct, total)
    }

    /// Mean cross-entropy (nats) of next-token prediction through the cache, teacher-forced: the
    /// first token is the prompt, each later token is fed with `step`. Same targets as the causal loss.
    /// `scoredFrom` skips targets before that position (copy: only the second copy of w).
    public static func teacherForcedLoss(model: ReformerModel, sequences: [ForwardRequest], scored: (Int) -> Bool = { _ in true })
        throws(ReformerError) -> (loss: Double, correct: Int, total: Int)
    {
        var total = 0.0, count = 0, correct = 0
        for request in sequences {
            for row in 0..<request.batch {
                let seq = Array(request.tokens[(row * request.length)..<((row + 1) * request.length)])
                let labels = request.labels.map { Array($0[(row * request.length)..<((row + 1) * request.length)]) }
                let decoder = try IncrementalDecoder(model: model, prompt: [seq[0]], capacity: seq.count)
                var logits = decoder.lastLogits
                for t in 1..<seq.count {
                    let target = Int(seq[t])
                    let counted = (labels.map { $0[t] != -100 } ?? true) && scored(t)
                    if counted {
                        let m = logits.max()!
                        let lse = Double(m) + log(logits.reduce(0.0) { $0 + exp(Double($1 - m)) })
                        total += lse - Double(logits[target])
                        var best = 0
                        for v in 1..<logits.count where logits[v] > logits[best] { best = v }
                        if best == target { correct += 1 }
                        count += 1
                    }
                    if t < seq.count - 1 { logits = try decoder.step(seq[t]) }
                }
            }
        }
        return (count > 0 ? total / Double(count) : .nan, correct, count)
    }
}
