// Initialization: a fresh model the way HF's ReformerPreTrainedModel initialises one — linear and
// embedding weights N(0, initializer_range), axial factors N(0, axial_norm_std), LayerNorm γ = 1,
// β = 0, biases 0 — drawn from the engine's seeded generator, once the parameters are known to fit.

extension ReformerModel {
    /// `configFile` names the config in error messages.
    public static func initialized(config: ReformerConfig, seed: UInt64, configFile: String = "config") throws(ReformerError) -> ReformerModel {
        try config.validate(file: configFile)
        try MemoryBudget.require(ModelFootprint.parameters(config), configFile: configFile)
        let layout = ParameterLayout(config: config)
        let P = ParameterSet(layout: layout, category: .parameters)
        var rng = SplitMix64(seed: seed)
        for (slot, e) in layout.entries.enumerated() {
            let isNorm = e.name.hasSuffix("norm.weight") || e.name.hasSuffix("Norm.weight")
            let isBias = e.name.hasSuffix("bias") || e.name.hasSuffix("Bias")
            let p = P.pointer(slot)
            if isNorm {
                p.update(repeating: 1, count: e.count)
            } else if isBias {
                p.update(repeating: 0, count: e.count)
            } else {
                let std = e.name.hasPrefix("embeddings.axial") ? config.axialNormStd : config.initializerRange
                for i in 0..<e.count { p[i] = Float(rng.nextGaussian()) * std }
            }
        }
        return ReformerModel(config: config, parameters: P, seed: seed)
    }
}
