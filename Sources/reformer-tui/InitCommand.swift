// `reformer-tui init`: write a freshly initialised checkpoint folder (HF format) from a preset or a
// config.json, for inspecting, benchmarking or training from scratch.

import ArgumentParser
import Foundation
import ReformerEngine

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a freshly initialised HF-format checkpoint (config.json + model.safetensors).")

    @Option(name: .long, help: "A named preset (\(Presets.names.joined(separator: ", "))).")
    var preset: String?

    @Option(name: .long, help: "Sequence length the preset is shaped for.")
    var length = 4096

    @Option(name: .long, help: "A HF config.json to initialise instead of a preset.")
    var config: String?

    @Option(name: .long, help: "Seed of the initial weights.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Checkpoint folder to write.")
    var out: String

    func validate() throws {
        if (preset == nil) == (config == nil) {
            throw ValidationError("give exactly one of --preset or --config")
        }
    }

    func run() throws {
        try runReporting {
            let cfg: ReformerConfig
            if let preset { cfg = try Presets.config(named: preset, length: length) }
            else { cfg = try ReformerConfig.load(path: config!) }
            let model = try ReformerModel.initialized(config: cfg, seed: seed, configFile: config ?? "--preset \(preset ?? "")")
            try HFCheckpoint.save(model, directory: out)
            print("init: \(model.parameters.scalarCount) parameters, \(cfg.layerCount) layers \(cfg.attentionLayers.map(\.rawValue)) → \(out)")
        }
    }
}
