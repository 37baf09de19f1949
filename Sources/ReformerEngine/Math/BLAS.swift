// BLAS: the only file that imports the BLAS library (OpenBLAS's CBLAS on Linux, Accelerate on macOS).
// Row-major sgemm with named transposes; everything else in the engine calls these wrappers.

#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Whether an operand of a matrix product is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

public enum BLAS {
    /// C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C, all row-major.
    /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
    @inline(__always)
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS would only scale C; do it here so callers need no special case.
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Y[rows, outFeatures] = X[rows, inFeatures] · Wᵀ (+ bias), W stored torch-style as [out, in].
    public static func linear(
        input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
        weight: UnsafePointer<Float>, outFeatures: Int, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        if let bias, !accumulate {
            for r in 0..<rows {
                (output + r * outFeatures).update(from: bias, count: outFeatures)
            }
        }
        gemm(
            .none, .transposed, m: rows, n: outFeatures, k: inFeatures,
            a: input, lda: inFeatures, b: weight, ldb: inFeatures,
            beta: (bias != nil || accumulate) ? 1 : 0, c: output, ldc: outFeatures)
        if let bias, accumulate {
            for r in 0..<rows {
                let row = output + r * outFeatures
                for j in 0..<outFeatures { row[j] += bias[j] }
            }
        }
    }

    /// Number of threads BLAS uses for one large product.
    public static var threadCount: Int {
        get {
            #if canImport(Accelerate)
            return 1
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(max(1, newValue)))
            #endif
        }
    }
}
