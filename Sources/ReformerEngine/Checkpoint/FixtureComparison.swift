// FixtureComparison: compares tensors produced by `inspect` with an expected set (a HF fixture) at
// the fixture README's gates — hidden/logits |Δ| ≤ 2e-5 + 1e-5·|e|, loss |Δ| ≤ 1e-5, integer
// tensors exactly, gradients max|Δ| ≤ 1e-4·max|e| (all-zero expected: max|got| ≤ 1e-7).

public struct TensorComparison: Sendable {
    public let name: String
    public let passed: Bool
    /// Largest |got − expected| (or the number of differing entries for integer tensors).
    public let maxAbsDifference: Double
    public let detail: String
}

public enum FixtureComparison {
    /// Inputs and randomness a fixture carries that are not outputs to compare.
    static func isInput(_ name: String) -> Bool {
        ["input_ids", "attention_mask", "labels"].contains(name) || name.hasSuffix(".rotations")
    }

    /// Every output tensor of `expected` checked against `got` (missing ones fail).
    public static func compare(expected: SafeTensorsFile, got: SafeTensorsFile, includeGradients: Bool = true) throws(ReformerError) -> [TensorComparison] {
        var results: [TensorComparison] = []
        for name in expected.names where !isInput(name) {
            if name.hasPrefix("grad.") && !includeGradients { continue }
            guard let ge = got.info(name), let ee = expected.info(name) else {
                results.append(TensorComparison(name: name, passed: false, maxAbsDifference: .infinity, detail: "missing"))
                continue
            }
            guard ge.shape == ee.shape else {
                results.append(TensorComparison(name: name, passed: false, maxAbsDifference: .infinity,
                                                detail: "shape \(ge.shape), expected \(ee.shape)"))
                continue
            }
            if name.hasSuffix(".buckets") || name.hasSuffix(".sorted_idx") || ee.dtype == .i64 || ee.dtype == .i32 {
                let a = try got.int64s(name), e = try expected.int64s(name)
                var wrong = 0
                var first = -1
                for i in 0..<e.count where a[i] != e[i] { wrong += 1; if first < 0 { first = i } }
                results.append(TensorComparison(
                    name: name, passed: wrong == 0, maxAbsDifference: Double(wrong),
                    detail: wrong == 0 ? "exact" : "\(wrong) of \(e.count) differ, first at \(first): \(a[first]) vs \(e[first])"))
                continue
            }
            let a = try got.floats(name), e = try expected.floats(name)
            var worst = 0.0, maxExpected = 0.0, maxGot = 0.0
            var violations = 0
            for i in 0..<e.count {
                let d = abs(Double(a[i]) - Double(e[i]))
                worst = d.isNaN ? .infinity : max(worst, d)
                maxExpected = max(maxExpected, abs(Double(e[i])))
                maxGot = max(maxGot, abs(Double(a[i])))
                if name != "loss" && !name.hasPrefix("grad.") && !(d <= 2e-5 + 1e-5 * abs(Double(e[i]))) { violations += 1 }
            }
            let passed: Bool
            let detail: String
            if name == "loss" {
                passed = worst <= 1e-5
                detail = "gate 1e-5"
            } else if name.hasPrefix("grad.") {
                if maxExpected == 0 {
                    passed = maxGot <= 1e-7
                    detail = "expected all zero; max|got| \(maxGot)"
                } else {
                    passed = worst <= 1e-4 * maxExpected
                    detail = "relative \(worst / maxExpected) (gate 1e-4)"
                }
            } else {
                passed = violations == 0
                detail = violations == 0 ? "within 2e-5 + 1e-5·|e|" : "\(violations) of \(e.count) outside 2e-5 + 1e-5·|e|"
            }
            results.append(TensorComparison(name: name, passed: passed, maxAbsDifference: worst, detail: detail))
        }
        return results
    }
}
