// OptimizerTests: AdamW against the formula evaluated in Double, decoupled weight decay, the
// learning-rate schedule at chosen steps, gradient norms and clipping, non-finite detection, and
// optimizer.safetensors (bit-exact round trip, resumed steps equal uninterrupted ones, named errors).

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

/// Two layers (one local, one LSH) of a model small enough that every tensor has a padding tail.
private func tinyLayout() -> ParameterLayout {
    var c = ReformerConfig()
    c.attentionLayers = [.local, .lsh]
    c.vocabSize = 5
    c.hiddenSize = 4
    c.headCount = 1
    c.headSize = 4
    c.feedForwardSize = 6
    c.axialShape = [2, 2]
    c.axialDims = [2, 2]
    c.maxPositionEmbeddings = 4
    return ParameterLayout(config: c)
}

/// Gaussian values (σ = `scale`) in every tensor; padding stays as it was (zero).
private func fill(_ set: ParameterSet, seed: UInt64, scale: Float = 1) {
    var rng = SplitMix64(seed: seed)
    for (slot, entry) in set.layout.entries.enumerated() {
        set.set(slot, rng.gaussians(entry.count).map { $0 * scale })
    }
}

/// Every tensor's values in layout order, padding left out.
private func flat(_ set: ParameterSet) -> [Float] {
    set.layout.entries.indices.flatMap { set.values($0) }
}

/// Bit-for-bit equality of two arenas; a failure names the first differing tensor and element.
private func expectSameBits(_ got: ParameterSet, _ expected: ParameterSet, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let a = got.storage.toArray(), b = expected.storage.toArray()
    guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return }
    let entry = got.layout.entries.last { $0.offset <= i }
    let place = entry.map { "\($0.name)[\(i - $0.offset)]" } ?? "arena[\(i)]"
    Issue.record("\(what): first difference at \(place): \(a[i]) vs \(b[i])", sourceLocation: sourceLocation)
}

private func isFrozen(_ layout: ParameterLayout) -> [Bool] {
    layout.entries.flatMap { Array(repeating: $0.name == "lmHead.legacyBias", count: $0.count) }
}

private func temporaryPath(_ name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("optimizer-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

private func expectClose(_ got: [Float], _ expected: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if let mismatch = Approx.check(got, expected, atol: 1e-7, rtol: 1e-6) {
        Issue.record("\(what): \(mismatch)", sourceLocation: sourceLocation)
    }
}

@Suite struct AdamWTests {
    /// AdamW as the paper writes it, in Double: p·(1 − lr·wd), m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ),
    /// p −= lr·m̂/(√v̂ + ε). Three steps with fresh gradients and a warmup-varying rate.
    @Test(arguments: [Float(0.9), 0.3])
    func threeStepsMatchTheFormulaInDouble(beta1: Float) throws {
        let layout = tinyLayout()
        let settings = AdamWSettings(learningRate: 0.02, beta1: beta1, beta2: 0.98, epsilon: 1e-9, weightDecay: 0.1, warmupSteps: 2)
        let optimizer = try AdamW(layout: layout, settings: settings)
        let parameters = ParameterSet(layout: layout, category: .parameters)
        let gradients = ParameterSet(layout: layout, category: .gradients)
        fill(parameters, seed: 1)

        let frozen = isFrozen(layout)
        var p = flat(parameters).map(Double.init)
        var m = [Double](repeating: 0, count: p.count), v = m
        let (b1, b2, eps, wd) = (Double(beta1), Double(settings.beta2), Double(settings.epsilon), Double(settings.weightDecay))
        for t in 1...3 {
            fill(gradients, seed: 100 + UInt64(t), scale: 0.5)
            let g = flat(gradients).map(Double.init)
            let lr = Double(LearningRate.at(step: t - 1, settings: settings))
            for i in p.indices where !frozen[i] {
                p[i] *= 1 - lr * wd
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(b1, Double(t))), vHat = v[i] / (1 - pow(b2, Double(t)))
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
            let report = optimizer.step(parameters: parameters, gradients: gradients)
            #expect(report.step == t && !report.skipped && !report.clipped)
            #expect(report.learningRate == Float(lr))
            expectClose(flat(optimizer.firstMoment), m, "m after step \(t)")
            expectClose(flat(optimizer.secondMoment), v, "v after step \(t)")
            expectClose(flat(parameters), p, "parameters after step \(t)")
        }
        #expect(optimizer.stepCount == 3)
    }

    @Test func weightDecayIsDecoupledAndSkipsTheLegacyBias() throws {
        let layout = tinyLayout()
        let settings = AdamWSettings(learningRate: 0.05, weightDecay: 0.5)
        let optimizer = try AdamW(layout: layout, settings: settings)
        let parameters = ParameterSet(layout: layout, category: .parameters)
        fill(parameters, seed: 2)
        let before = parameters.copy()
        let legacy = layout.lmLegacyBias
        // Zero gradients except on the legacy bias: only decay can move the others.
        let gradients = ParameterSet(layout: layout, category: .gradients)
        gradients.set(legacy, Array(repeating: 3, count: layout.entries[legacy].count))

        optimizer.step(parameters: parameters, gradients: gradients)

        let factor = Float(1 - 0.05 * 0.5)
        for slot in layout.entries.indices where slot != legacy {
            #expect(parameters.values(slot) == before.values(slot).map { $0 * factor }, "\(layout.entries[slot].name)")
        }
        #expect(parameters.values(legacy) == before.values(legacy), "the legacy bias must stay untouched")
        // Decoupled: decay never enters the moments (L2-regularised Adam would put wd·p into m and v).
        #expect(optimizer.firstMoment.storage.toArray().allSatisfy { $0 == 0 })
        #expect(optimizer.secondMoment.storage.toArray().allSatisfy { $0 == 0 })
    }

    @Test func paddingStaysZeroAndMomentsAreCountedAsOptimizerMemory() throws {
        let layout = tinyLayout()
        let ledger = MemoryLedger()
        let optimizer = try AdamW(layout: layout, settings: AdamWSettings(learningRate: 0.1, weightDecay: 0.2), ledger: ledger)
        #expect(ledger.totals.liveBytes[.optimizer] == 2 * layout.totalCount * MemoryLayout<Float>.stride)
        let parameters = ParameterSet(layout: layout, category: .parameters)
        let gradients = ParameterSet(layout: layout, category: .gradients)
        fill(parameters, seed: 3)
        var padding = Set(0..<layout.totalCount)
        for entry in layout.entries { padding.subtract(entry.offset..<(entry.offset + entry.count)) }
        #expect(!padding.isEmpty, "the tiny layout should have alignment gaps")
        for step in 0..<3 {
            fill(gradients, seed: 30 + UInt64(step))
            optimizer.step(parameters: parameters, gradients: gradients)
        }
        for set in [parameters, optimizer.firstMoment, optimizer.secondMoment] {
            #expect(padding.allSatisfy { set.storage[$0] == 0 }, "padding must stay exactly zero")
        }
    }

    /// The SIMD body and the scalar element update give the same bits, in both lerp branches.
    @Test(arguments: [Float(0.9), 0.2])
    func vectorisedUpdateEqualsElementTwin(beta1: Float) {
        let settings = AdamWSettings(learningRate: 0.01, beta1: beta1, weightDecay: 0.3)
        let k = AdamW.UpdateConstants(settings: settings, learningRate: 0.01, step: 4)
        var rng = SplitMix64(seed: 7)
        let n = 64
        var p = rng.gaussians(n), m = rng.gaussians(n).map { $0 * 0.1 }, v = rng.gaussians(n).map { $0 * $0 * 0.01 }
        let g = rng.gaussians(n)
        var (p2, m2, v2) = (p, m, v)
        AdamW.update(&p, g, &m, &v, count: n, k)
        for i in 0..<n { AdamW.updateElement(&p2[i], g[i], &m2[i], &v2[i], k) }
        #expect(p.map(\.bitPattern) == p2.map(\.bitPattern))
        #expect(m.map(\.bitPattern) == m2.map(\.bitPattern))
        #expect(v.map(\.bitPattern) == v2.map(\.bitPattern))
    }

    @Test func clippingInsideStepIsReported() throws {
        let layout = tinyLayout()
        let optimizer = try AdamW(layout: layout, settings: AdamWSettings(clipNorm: 0.5))
        let parameters = ParameterSet(layout: layout, category: .parameters)
        let gradients = ParameterSet(layout: layout, category: .gradients)
        fill(gradients, seed: 4)
        let norm = GradientNorms.globalNorm(gradients)
        let report = optimizer.step(parameters: parameters, gradients: gradients)
        #expect(report.clipped && report.gradientNorm == norm)
        #expect(abs(GradientNorms.globalNorm(gradients) - 0.5) < 1e-6)
    }

    @Test func nonFiniteGradientsSkipTheUpdate() throws {
        let layout = tinyLayout()
        let optimizer = try AdamW(layout: layout, settings: AdamWSettings(weightDecay: 0.1, clipNorm: 1))
        let parameters = ParameterSet(layout: layout, category: .parameters)
        let gradients = ParameterSet(layout: layout, category: .gradients)
        fill(parameters, seed: 5)
        fill(gradients, seed: 6)
        optimizer.step(parameters: parameters, gradients: gradients)
        let (p, m, v) = (parameters.copy(), optimizer.firstMoment.copy(), optimizer.secondMoment.copy())
        gradients.pointer(layout.layers[1].value)[3] = .nan
        let report = optimizer.step(parameters: parameters, gradients: gradients)
        #expect(report.skipped && report.step == 1 && optimizer.stepCount == 1)
        expectSameBits(parameters, p, "parameters after a skipped step")
        expectSameBits(optimizer.firstMoment, m, "m after a skipped step")
        expectSameBits(optimizer.secondMoment, v, "v after a skipped step")
    }
}

@Suite struct LearningRateTests {
    @Test(arguments: [(0, 2e-4), (1, 4e-4), (3, 8e-4), (4, 1e-3), (5, 1e-3), (1000, 1e-3)])
    func warmupThenConstant(step: Int, expected: Double) {
        let settings = AdamWSettings(learningRate: 1e-3, warmupSteps: 4)
        #expect(abs(Double(LearningRate.at(step: step, settings: settings)) - expected) <= 1e-9)
    }

    /// Peak 1e-3, floor 1e-4, warmup 2, total 12: the cosine spans steps 2…12 (10 steps).
    @Test(arguments: [
        (0, 1e-3 / 3), (1, 2e-3 / 3), (2, 1e-3),
        (4, 9.140576474687264e-4),  // 1e-4 + 9e-4·½(1 + cos 0.2π)
        (7, 5.5e-4),                // half way: 1e-4 + 9e-4·½
        (11, 1.2202456766718e-4),   // 1e-4 + 9e-4·½(1 + cos 0.9π)
        (12, 1e-4), (40, 1e-4),
    ])
    func warmupThenCosine(step: Int, expected: Double) {
        let settings = AdamWSettings(learningRate: 1e-3, warmupSteps: 2, schedule: .cosine, totalSteps: 12, minLearningRate: 1e-4)
        let got = Double(LearningRate.at(step: step, settings: settings))
        #expect(abs(got - expected) <= 1e-6 * expected, "step \(step): \(got) vs \(expected)")
    }

    @Test func noWarmupStartsAtThePeak() {
        #expect(LearningRate.at(step: 0, settings: AdamWSettings(learningRate: 3e-4)) == 3e-4)
        let cosine = AdamWSettings(learningRate: 3e-4, schedule: .cosine, totalSteps: 10)
        #expect(LearningRate.at(step: 0, settings: cosine) == 3e-4)
        #expect(LearningRate.at(step: 10, settings: cosine) == 0)
    }
}

@Suite struct GradientNormTests {
    /// 3 in the embeddings, 4 in layer 0, 12 in the head: norms 3, 4, 0, 12 and 13 overall.
    func knownGradients() -> ParameterSet {
        let layout = tinyLayout()
        let set = ParameterSet(layout: layout, category: .gradients)
        set.pointer(layout.word)[5] = 3
        set.pointer(layout.layers[0].ff1Weight)[2] = -4
        set.pointer(layout.lmWeight)[7] = 12
        return set
    }

    @Test func globalAndGroupNormsEqualHandValues() {
        let set = knownGradients()
        #expect(GradientNorms.globalNorm(set) == 13)
        let groups = GradientNorms.groupNorms(set)
        #expect(groups.map(\.name) == ["embeddings", "layers.0", "layers.1", "head"])
        #expect(groups.map(\.norm) == [3, 4, 0, 12])
        #expect(GradientNorms.groupName(forEngineName: "layers.12.attention.value") == "layers.12")
        #expect(GradientNorms.groupName(forEngineName: "finalNorm.bias") == "head")
    }

    @Test func clippingScalesToTheClipNorm() {
        let set = knownGradients()
        let result = GradientNorms.clip(set, maxNorm: 1)
        #expect(result.norm == 13 && result.clipped)
        #expect(result.coefficient == Float(1) / (Float(13) + 1e-6))
        #expect(abs(GradientNorms.globalNorm(set) - 1) <= 1e-6)
        #expect(abs(set.pointer(set.layout.word)[5] - 3.0 / 13) <= 1e-6)
    }

    @Test func normsWithinTheClipAreLeftAlone() {
        let set = knownGradients()
        let before = set.copy()
        let result = GradientNorms.clip(set, maxNorm: 20)
        #expect(!result.clipped && result.coefficient == 1)
        expectSameBits(set, before, "gradients within the clip")
    }

    /// The eight-lane Double sum against a plain loop, over lengths with and without a tail.
    @Test(arguments: [1, 7, 8, 37, 1000])
    func vectorisedSumOfSquaresEqualsPlainLoop(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        let x = rng.gaussians(count)
        let plain = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        let fast = x.withUnsafeBufferPointer { GradientNorms.sumOfSquares($0.baseAddress!, count: count) }
        #expect(abs(fast - plain) <= 1e-12 * plain)
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteValuesAreFound(bad: Float) {
        let set = knownGradients()
        #expect(GradientNorms.firstNonFinite(set) == nil)
        set.pointer(set.layout.layers[1].output)[9] = bad
        let found = GradientNorms.firstNonFinite(set)
        #expect(found?.name == "layers.1.attention.output" && found?.index == 9)
        #expect(!GradientNorms.globalNorm(set).isFinite)
        let before = set.copy()
        #expect(!GradientNorms.clip(set, maxNorm: 1).clipped)
        expectSameBits(set, before, "a non-finite norm must not scale the gradients")
    }
}

@Suite struct AdamWSettingsTests {
    static let nonsense: [(String, AdamWSettings)] = {
        func with(_ change: (inout AdamWSettings) -> Void) -> AdamWSettings {
            var settings = AdamWSettings()
            change(&settings)
            return settings
        }
        return [
            ("learningRate", with { $0.learningRate = -1e-3 }),
            ("beta1", with { $0.beta1 = 1 }),
            ("beta2", with { $0.beta2 = -0.1 }),
            ("epsilon", with { $0.epsilon = 0 }),
            ("weightDecay", with { $0.weightDecay = .nan }),
            ("weightDecay", with { $0.weightDecay = 2000 }),
            ("warmupSteps", with { $0.warmupSteps = -1 }),
            ("totalSteps", with { $0.totalSteps = -1 }),
            ("minLearningRate", with { $0.minLearningRate = 1 }),
            ("clipNorm", with { $0.clipNorm = 0 }),
        ]
    }()

    @Test(arguments: nonsense)
    func nonsenseIsNamed(field: String, settings: AdamWSettings) throws {
        try AdamWSettings().validate()
        expectError(["train.json", field]) { try settings.validate(source: "train.json") }
        expectError([field]) { _ = try AdamW(layout: tinyLayout(), settings: settings) }
    }

    @Test func codableRoundTripDefaultsAndUnknownKeys() throws {
        let settings = AdamWSettings(learningRate: 3e-4, warmupSteps: 10, schedule: .cosine, totalSteps: 100, clipNorm: 1)
        let json = try JSONEncoder().encode(settings)
        #expect(String(decoding: json, as: UTF8.self).contains("\"schedule\":\"cosine\""))
        #expect(try JSONDecoder().decode(AdamWSettings.self, from: json) == settings)
        let partial = try JSONDecoder().decode(AdamWSettings.self, from: Data(#"{"learningRate": 0.01}"#.utf8))
        #expect(partial == AdamWSettings(learningRate: 0.01))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AdamWSettings.self, from: Data(#"{"learning_rate": 0.01}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AdamWSettings.self, from: Data(#"{"schedule": "linear"}"#.utf8))
        }
    }
}

@Suite struct AdamWPersistenceTests {
    let layout = tinyLayout()
    let settings = AdamWSettings(learningRate: 0.01, weightDecay: 0.05, warmupSteps: 2, schedule: .cosine, totalSteps: 20, clipNorm: 2)

    func gradients(step: Int) -> ParameterSet {
        let g = ParameterSet(layout: layout, category: .gradients)
        fill(g, seed: 500 + UInt64(step))
        return g
    }

    /// Three steps, then an optimizer.safetensors for it.
    func trained() throws -> (AdamW, ParameterSet, String) {
        let optimizer = try AdamW(layout: layout, settings: settings)
        let parameters = ParameterSet(layout: layout, category: .parameters)
        fill(parameters, seed: 9)
        for step in 0..<3 { optimizer.step(parameters: parameters, gradients: gradients(step: step)) }
        let path = try temporaryPath("optimizer.safetensors")
        try optimizer.save(to: path, metadata: ["run": "test"])
        return (optimizer, parameters, path)
    }

    @Test func roundTripIsBitExactAndResumingEqualsNotStopping() throws {
        let (optimizer, parameters, path) = try trained()
        let file = try SafeTensorsFile(contentsOf: path)
        #expect(file.metadata == ["step": "3", "run": "test"])
        #expect(file.names.count == 2 * layout.entries.count)
        #expect(file.contains("exp_avg_sq.lm_head.decoder.weight"))

        let resumed = try AdamW.load(path: path, layout: layout, settings: settings)
        #expect(resumed.stepCount == 3)
        expectSameBits(resumed.firstMoment, optimizer.firstMoment, "m after load")
        expectSameBits(resumed.secondMoment, optimizer.secondMoment, "v after load")

        let resumedParameters = parameters.copy()
        for step in 3..<5 {
            optimizer.step(parameters: parameters, gradients: gradients(step: step))
            resumed.step(parameters: resumedParameters, gradients: gradients(step: step))
        }
        expectSameBits(resumedParameters, parameters, "parameters two steps after resuming")
        expectSameBits(resumed.firstMoment, optimizer.firstMoment, "m two steps after resuming")
        expectSameBits(resumed.secondMoment, optimizer.secondMoment, "v two steps after resuming")
        #expect(resumed.stepCount == 5)
    }

    /// Rewrites the saved file with `edit` applied to its tensors and metadata.
    func rewritten(_ path: String, _ edit: (inout [String: ([Float], [Int])], inout [String: String]) -> Void) throws -> String {
        let file = try SafeTensorsFile(contentsOf: path)
        var tensors: [String: ([Float], [Int])] = [:]
        for name in file.names { tensors[name] = (try file.floats(name), file.info(name)!.shape) }
        var metadata = file.metadata
        edit(&tensors, &metadata)
        var writer = SafeTensorsWriter()
        writer.metadata = metadata
        for (name, (values, shape)) in tensors { try writer.add(name, floats: values, shape: shape) }
        let out = try temporaryPath("edited.safetensors")
        try writer.write(to: out)
        return out
    }

    @Test func loadErrorsNameTheFileAndTensor() throws {
        let (_, _, path) = try trained()
        let name = "exp_avg.reformer.encoder.layers.1.attention.self_attention.value.weight"
        let missing = try rewritten(path) { tensors, _ in tensors[name] = nil }
        expectError(["edited.safetensors", name, "missing", "[4, 4]"]) {
            _ = try AdamW.load(path: missing, layout: layout, settings: settings)
        }
        let misshapen = try rewritten(path) { tensors, _ in tensors[name]!.1 = [2, 8] }
        expectError(["edited.safetensors", name, "[2, 8]", "expected [4, 4]"]) {
            _ = try AdamW.load(path: misshapen, layout: layout, settings: settings)
        }
        let negative = try rewritten(path) { tensors, _ in tensors["exp_avg_sq.lm_head.bias"]!.0[2] = -1 }
        expectError(["exp_avg_sq.lm_head.bias", "element 2", "≥ 0"]) {
            _ = try AdamW.load(path: negative, layout: layout, settings: settings)
        }
        let extra = try rewritten(path) { tensors, _ in tensors["exp_avg.stray"] = ([1], [1]) }
        expectError(["exp_avg.stray", "not a moment"]) { _ = try AdamW.load(path: extra, layout: layout, settings: settings) }
        let noStep = try rewritten(path) { _, metadata in metadata["step"] = nil }
        expectError(["edited.safetensors", "step", "missing"]) {
            _ = try AdamW.load(path: noStep, layout: layout, settings: settings)
        }
        expectError(["/nonexistent/optimizer.safetensors"]) {
            _ = try AdamW.load(path: "/nonexistent/optimizer.safetensors", layout: layout, settings: settings)
        }
    }
}
