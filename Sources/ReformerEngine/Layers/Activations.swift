// Feed-forward activations by HF name (REFORMER_SPEC §10): relu, exact (erf) gelu, the tanh
// approximation (gelu_new / gelu_pytorch_tanh) and silu/swish, in place over a buffer.

import Foundation

enum Activations {
    static func apply(_ kind: Activation, _ x: UnsafeMutablePointer<Float>, count: Int) {
        switch kind {
        case .relu:
            for i in 0..<count { x[i] = max(x[i], 0) }
        case .gelu:
            let invSqrt2: Float = 0.70710678118654752
            for i in 0..<count { let v = x[i]; x[i] = v * 0.5 * (1 + erff(v * invSqrt2)) }
        case .geluNew, .geluPytorchTanh:
            let c: Float = 0.7978845608028654  // sqrt(2/π)
            for i in 0..<count {
                let v = x[i]
                x[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
            }
        case .silu, .swish:
            for i in 0..<count { let v = x[i]; x[i] = v / (1 + expf(-v)) }
        }
    }

    /// dx[i] *= act′(pre[i]) — `grad` holds ∂L/∂act(pre) on entry, ∂L/∂pre on return.
    static func backward(_ kind: Activation, preActivation pre: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, count: Int) {
        switch kind {
        case .relu:
            for i in 0..<count where !(pre[i] > 0) { grad[i] = 0 }
        case .gelu:
            let invSqrt2: Float = 0.70710678118654752
            let invSqrt2Pi: Float = 0.3989422804014327
            for i in 0..<count {
                let v = pre[i]
                let cdf = 0.5 * (1 + erff(v * invSqrt2))
                let pdf = invSqrt2Pi * expf(-0.5 * v * v)
                grad[i] *= cdf + v * pdf
            }
        case .geluNew, .geluPytorchTanh:
            let c: Float = 0.7978845608028654
            for i in 0..<count {
                let v = pre[i]
                let inner = c * (v + 0.044715 * v * v * v)
                let th = tanhf(inner)
                let dInner = c * (1 + 3 * 0.044715 * v * v)
                grad[i] *= 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * dInner
            }
        case .silu, .swish:
            for i in 0..<count {
                let v = pre[i]
                let sg = 1 / (1 + expf(-v))
                grad[i] *= sg * (1 + v * (1 - sg))
            }
        }
    }
}
