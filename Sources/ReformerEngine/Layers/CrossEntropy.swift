// CrossEntropy: mean over counted targets of logsumexp(logits) − logits[target] (REFORMER_SPEC §11).
// Causal LM: position t is scored against labels[t+1] (the last position against nothing);
// masked LM: against labels[t]. −100 is ignored.

import Foundation

enum CrossEntropy {
    static let ignoreIndex: Int64 = -100

    /// Target of position t in row b, or nil when not scored.
    @inline(__always)
    static func target(labels: UnsafePointer<Int64>, row b: Int, position t: Int, length T: Int, causal: Bool) -> Int? {
        let s = causal ? t + 1 : t
        if s >= T { return nil }
        let y = labels[b * T + s]
        return y == ignoreIndex ? nil : Int(y)
    }

    /// Mean loss and number of counted targets. `logits` is [B, T, V]; `labels` is [B, T].
    static func loss(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int64>, batch B: Int, length T: Int,
        vocab V: Int, causal: Bool
    ) -> (loss: Float, counted: Int) {
        var total = 0.0
        var counted = 0
        for b in 0..<B {
            for t in 0..<T {
                guard let y = target(labels: labels, row: b, position: t, length: T, causal: causal) else { continue }
                let row = logits + (b * T + t) * V
                var m = -Float.infinity
                for v in 0..<V { m = max(m, row[v]) }
                var s = 0.0
                for v in 0..<V { s += exp(Double(row[v] - m)) }
                total += Double(m) + log(s) - Double(row[y])
                counted += 1
            }
        }
        return (counted > 0 ? Float(total / Double(counted)) : .nan, counted)
    }

    /// Mean loss, and in place of the logits ∂loss/∂logits = (softmax − onehot(target)) / N at
    /// counted positions and 0 elsewhere (spec §13.2).
    static func lossAndGradient(
        logitsInGradientOut g: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int64>, batch B: Int, length T: Int,
        vocab V: Int, causal: Bool
    ) -> (loss: Float, counted: Int) {
        let (loss, counted) = loss(logits: g, labels: labels, batch: B, length: T, vocab: V, causal: causal)
        let scale = counted > 0 ? 1 / Float(counted) : 0
        for b in 0..<B {
            gradient(logitsInGradientOut: g + b * T * V, labels: labels, row: b, positions: 0..<T,
                     length: T, vocab: V, causal: causal, scale: scale)
        }
        return (loss, counted)
    }

    /// ∂loss/∂logits in place for positions `positions` of batch row `b`: `g` holds those rows'
    /// logits [n, V]; counted positions become (softmax − onehot(target)) · scale, the others 0.
    /// With scale = 1/N over the whole batch this is `lossAndGradient`'s gradient, one block at a time.
    static func gradient(
        logitsInGradientOut g: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int64>, row b: Int, positions: Range<Int>,
        length T: Int, vocab V: Int, causal: Bool, scale: Float
    ) {
        for (i, t) in positions.enumerated() {
            let row = g + i * V
            guard let y = target(labels: labels, row: b, position: t, length: T, causal: causal) else {
                row.update(repeating: 0, count: V)
                continue
            }
            var m = -Float.infinity
            for v in 0..<V { m = max(m, row[v]) }
            var s = 0.0
            for v in 0..<V { s += exp(Double(row[v] - m)) }
            let lse = Double(m) + log(s)
            for v in 0..<V { row[v] = Float(exp(Double(row[v]) - lse)) * scale }
            row[y] -= scale
        }
    }
}
