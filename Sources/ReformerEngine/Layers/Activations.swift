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
}
