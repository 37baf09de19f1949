// Approx: comparisons for tests that say where they fail (first offending index and values).

public struct Mismatch: CustomStringConvertible {
    public let index: Int
    public let got: Double
    public let expected: Double
    public let maxAbs: Double
    public var description: String { "first mismatch at \(index): got \(got), expected \(expected) (max |diff| \(maxAbs))" }
}

public enum Approx {
    /// Elementwise |got − expected| ≤ atol + rtol·|expected|; nil when every element passes.
    public static func check<G: BinaryFloatingPoint, E: BinaryFloatingPoint>(
        _ got: [G], _ expected: [E], atol: Double, rtol: Double = 0
    ) -> Mismatch? {
        guard got.count == expected.count else {
            return Mismatch(index: -1, got: Double(got.count), expected: Double(expected.count), maxAbs: .infinity)
        }
        var first: (Int, Double, Double)? = nil
        var worst = 0.0
        for i in 0..<got.count {
            let g = Double(got[i]), e = Double(expected[i])
            let d = abs(g - e)
            if !(d <= atol + rtol * abs(e)) && first == nil { first = (i, g, e) }
            if d > worst || d.isNaN { worst = d.isNaN ? .nan : d }
        }
        guard let f = first else { return nil }
        return Mismatch(index: f.0, got: f.1, expected: f.2, maxAbs: worst)
    }

    public static func maxAbsDifference<G: BinaryFloatingPoint, E: BinaryFloatingPoint>(_ a: [G], _ b: [E]) -> Double {
        precondition(a.count == b.count)
        var m = 0.0
        for i in 0..<a.count { m = max(m, abs(Double(a[i]) - Double(b[i]))) }
        return m
    }
}
