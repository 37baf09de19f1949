// LayerNorm over the last axis (REFORMER_SPEC §4): biased variance, eps inside the root
// (HF default 1e-12). Forward can keep mean and 1/σ per row for the backward pass.

enum LayerNorm {
    /// y[r, :] = (x[r, :] − μ_r) / sqrt(σ²_r + eps) · γ + β for `rows` rows of width `n`.
    /// Row statistics are accumulated in Double; `mean`/`rstd` ([rows]) receive them if given.
    static func forward(
        input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
        rows: Int, width n: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        eps: Float, mean: UnsafeMutablePointer<Float>? = nil, rstd: UnsafeMutablePointer<Float>? = nil
    ) {
        for r in 0..<rows {
            let xr = x + r * n, yr = y + r * n
            var s = 0.0
            for j in 0..<n { s += Double(xr[j]) }
            let mu = s / Double(n)
            var v = 0.0
            for j in 0..<n { let d = Double(xr[j]) - mu; v += d * d }
            let variance = v / Double(n)
            let inv = Float(1.0 / (variance + Double(eps)).squareRoot())
            let m = Float(mu)
            for j in 0..<n { yr[j] = (xr[j] - m) * inv * weight[j] + bias[j] }
            mean?[r] = m
            rstd?[r] = inv
        }
    }

    /// Backward of `forward` for rows of width n, given the forward's input, mean and rstd:
    ///   x̂ = (x − μ)·rstd,  dγ += Σ_r dy·x̂,  dβ += Σ_r dy,
    ///   dx = rstd · (dy·γ − mean(dy·γ) − x̂ · mean(dy·γ·x̂))   (added into `dInput`).
    static func backward(
        input x: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>, dInput dx: UnsafeMutablePointer<Float>,
        rows: Int, width n: Int, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let xr = x + r * n, dyr = dy + r * n, dxr = dx + r * n
            let m = mean[r], inv = rstd[r]
            var sumG = 0.0, sumGX = 0.0
            for j in 0..<n {
                let xh = (xr[j] - m) * inv
                let g = dyr[j] * weight[j]
                sumG += Double(g)
                sumGX += Double(g * xh)
                dWeight[j] += dyr[j] * xh
                dBias[j] += dyr[j]
            }
            let meanG = Float(sumG / Double(n)), meanGX = Float(sumGX / Double(n))
            for j in 0..<n {
                let xh = (xr[j] - m) * inv
                dxr[j] += inv * (dyr[j] * weight[j] - meanG - xh * meanGX)
            }
        }
    }
}
