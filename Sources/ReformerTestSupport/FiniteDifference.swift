// FiniteDifference: central differences for gradient checks. The engine computes in Float32; the
// objective J(x) = Σ wᵢ·outᵢ is accumulated in Double so the difference quotient is limited by the
// function's float rounding (≈1e-7 relative), not by the sum.

public enum FiniteDifference {
    /// J = Σ weights[i] · values[i], in Double.
    public static func objective(_ values: [Float], _ weights: [Float]) -> Double {
        var s = 0.0
        for i in 0..<values.count { s += Double(values[i]) * Double(weights[i]) }
        return s
    }

    /// Central difference of `f` at `x` along coordinate i: (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h.
    public static func partial(_ x: [Float], _ i: Int, step h: Float, _ f: ([Float]) -> Double) -> Double {
        var plus = x, minus = x
        plus[i] += h
        minus[i] -= h
        return (f(plus) - f(minus)) / (Double(plus[i]) - Double(minus[i]))
    }

    /// Worst |analytic − numeric| / (|numeric| + floor) over `indices`, with the index.
    public static func check(
        _ x: [Float], analytic: [Float], indices: [Int], step h: Float = 1e-2, floor: Double = 1e-2,
        _ f: ([Float]) -> Double
    ) -> (worst: Double, index: Int, analytic: Double, numeric: Double) {
        var worst = (0.0, -1, 0.0, 0.0)
        for i in indices {
            let n = partial(x, i, step: h, f)
            let a = Double(analytic[i])
            let e = abs(a - n) / (abs(n) + floor)
            if e > worst.0 { worst = (e, i, a, n) }
        }
        return worst
    }
}
