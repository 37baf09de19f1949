// BenchAnalysis: the arithmetic behind the benchmark verdicts, kept apart from any timing so it can
// be tested on given numbers — the SPEED-S criteria (a)–(d) of EXPERIMENTS.md §2.2 and the MEM-S
// slopes (MiB per added layer) of §3.5.

import Foundation

public enum BenchStatistics {
    /// Least-squares slope of y against x (NaN with fewer than two distinct x).
    public static func slope(x: [Double], y: [Double]) -> Double {
        precondition(x.count == y.count, "slope needs as many y as x")
        let n = Double(x.count)
        guard x.count >= 2 else { return .nan }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx) }
        return sxx > 0 ? sxy / sxx : .nan
    }

    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// SPEED-S (EXPERIMENTS.md §2.2): tokens per step fixed, seconds per step of full attention and of
/// LSH with h hashes at each length. Reproduced if
///  (a) full time rises monotonically, and by ≥ 1.6× per doubling over the last two doublings;
///  (b) each LSH line stays within a factor 2 over the whole range;
///  (c) at every length LSH-1 < LSH-2 < LSH-4 < LSH-8;
///  (d) each LSH-h crosses full attention inside the range, the crossover length growing with h.
public enum SpeedCriteria {
    public struct Verdict: Sendable, Equatable {
        /// "a" … "d".
        public let id: String
        public let pass: Bool
        /// The numbers that decided it.
        public let detail: String
    }

    /// Where LSH-h becomes faster than full attention.
    public enum Crossover: Sendable, Equatable {
        /// Between two measured lengths: the length where the log-log lines meet.
        case at(Double)
        /// Already faster at the shortest length.
        case belowRange
        /// Never faster in the range.
        case aboveRange
    }

    public static let minimumGrowthPerDoubling = 1.6
    public static let maximumLSHSpread = 2.0

    /// Growth of `seconds` per doubling of length from index i−1 to i.
    public static func growthPerDoubling(lengths: [Int], seconds: [Double], at i: Int) -> Double {
        let doublings = log2(Double(lengths[i]) / Double(lengths[i - 1]))
        return pow(seconds[i] / seconds[i - 1], 1 / doublings)
    }

    public static func crossover(lengths: [Int], full: [Double], lsh: [Double]) -> Crossover {
        let gap = zip(lsh, full).map { log($0 / $1) }   // > 0: LSH slower
        guard let first = gap.firstIndex(where: { $0 < 0 }) else { return .aboveRange }
        if first == 0 { return .belowRange }
        let a = log(Double(lengths[first - 1])), b = log(Double(lengths[first]))
        let g0 = gap[first - 1], g1 = gap[first]
        return .at(exp(a + (b - a) * g0 / (g0 - g1)))
    }

    /// `lengths` ascending; `full[i]` and every `lsh[h][i]` are seconds per step at `lengths[i]`.
    public static func evaluate(lengths: [Int], full: [Double], lsh: [Int: [Double]]) -> [Verdict] {
        precondition(full.count == lengths.count && lsh.values.allSatisfy { $0.count == lengths.count },
                     "one time per length")
        let hashes = lsh.keys.sorted()
        func s(_ x: Double) -> String { String(format: x < 0.1 ? "%.4f" : "%.3f", x) }
        func f(_ x: Double) -> String { String(format: "%.2f", x) }
        var verdicts: [Verdict] = []

        // (a)
        do {
            let fall = (1..<max(1, lengths.count)).first { full[$0] <= full[$0 - 1] }
            var detail = "full " + full.map(s).joined(separator: " → ") + " s"
            var pass = fall == nil
            if let i = fall { detail += "; not rising from \(lengths[i - 1]) to \(lengths[i])" }
            if lengths.count >= 3 {
                let n = lengths.count
                let g = [growthPerDoubling(lengths: lengths, seconds: full, at: n - 2),
                         growthPerDoubling(lengths: lengths, seconds: full, at: n - 1)]
                pass = pass && g.allSatisfy { $0 >= minimumGrowthPerDoubling }
                detail += "; last two doublings ×\(f(g[0])) (\(lengths[n - 3])→\(lengths[n - 2])), ×\(f(g[1])) (\(lengths[n - 2])→\(lengths[n - 1])), need ≥ \(f(minimumGrowthPerDoubling)) each"
            } else {
                pass = false
                detail += "; needs at least 3 lengths"
            }
            verdicts.append(Verdict(id: "a", pass: pass, detail: detail))
        }
        // (b)
        do {
            var parts: [String] = []
            var pass = !hashes.isEmpty
            for h in hashes {
                let xs = lsh[h]!
                let spread = xs.max()! / xs.min()!
                if !(spread <= maximumLSHSpread) { pass = false }
                parts.append("LSH-\(h) ×\(f(spread)) (\(s(xs.min()!))–\(s(xs.max()!)) s)")
            }
            verdicts.append(Verdict(id: "b", pass: pass, detail: "max/min over the range: " + parts.joined(separator: ", ") + "; need ≤ \(f(maximumLSHSpread))"))
        }
        // (c)
        do {
            var broken: [String] = []
            for (i, L) in lengths.enumerated() {
                for (a, b) in zip(hashes, hashes.dropFirst()) where !(lsh[a]![i] < lsh[b]![i]) {
                    broken.append("at \(L): LSH-\(a) \(s(lsh[a]![i])) ≥ LSH-\(b) \(s(lsh[b]![i])) s")
                }
            }
            let order = hashes.map { "LSH-\($0)" }.joined(separator: " < ")
            let detail = broken.isEmpty
                ? "\(order) at all \(lengths.count) lengths"
                : "\(order) broken \(broken.count)×: " + broken.prefix(3).joined(separator: "; ") + (broken.count > 3 ? "; …" : "")
            verdicts.append(Verdict(id: "c", pass: broken.isEmpty && hashes.count >= 2, detail: detail))
        }
        // (d)
        do {
            var pass = !hashes.isEmpty
            var parts: [String] = []
            var previous = 0.0
            for h in hashes {
                switch crossover(lengths: lengths, full: full, lsh: lsh[h]!) {
                case .at(let L):
                    parts.append("LSH-\(h) ≈ \(Int(L.rounded()))")
                    if !(L > previous) { pass = false }
                    previous = L
                case .belowRange:
                    parts.append("LSH-\(h) below \(lengths[0]) (already faster there)")
                    pass = false
                case .aboveRange:
                    parts.append("LSH-\(h) above \(lengths.last ?? 0) (never faster)")
                    pass = false
                }
            }
            verdicts.append(Verdict(id: "d", pass: pass, detail: "crossover with full attention: " + parts.joined(separator: ", ") + "; need each inside the range, growing with hashes"))
        }
        return verdicts
    }
}
