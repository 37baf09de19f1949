// HFCheckpoint: a HuggingFace Reformer checkpoint folder (config.json + weights: model.safetensors,
// pytorch_model.bin or a shard index, see CheckpointWeights) ↔ a ReformerModel. Every parameter the
// config implies must be present with its exact shape — checked on the headers before any storage is
// allocated, as is the memory the parameters need; the
// LM-head bias follows spec §2.3 (decoder.bias when present, else the 4.x lm_head.bias).

import Foundation

public enum HFCheckpoint {
    /// Loads `directory/config.json` and the folder's weights (`CheckpointWeights.open`).
    public static func load(directory: String, seed: UInt64 = 0) throws(ReformerError) -> ReformerModel {
        var isDir: ObjCBool = false
        let expected = "expected a checkpoint folder with config.json and its weights (\(CheckpointWeights.fileNameList))"
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw ReformerError(file: directory, "does not exist, \(expected)")
        }
        guard isDir.boolValue else {
            throw ReformerError(file: directory, "is a file, \(expected)")
        }
        let config = try ReformerConfig.load(path: directory + "/config.json")
        let weights = try CheckpointWeights.open(directory: directory)
        let parameters = try loadParameters(weights, config: config)
        let model = ReformerModel(config: config, parameters: parameters, seed: seed)
        model.configSource = directory + "/config.json"
        return model
    }

    /// Fills a ParameterSet from `file`, checking presence and shapes of every tensor (and the memory
    /// they need) before the storage is allocated. Tensors the config does not use (HF's attention
    /// mask buffers, for example) are ignored.
    public static func loadParameters(_ file: some TensorSource, config: ReformerConfig) throws(ReformerError) -> ParameterSet {
        let layout = ParameterLayout(config: config)
        try checkBeforeAllocating(file, layout: layout, config: config)
        let P = ParameterSet(layout: layout, category: .parameters)
        for slot in layout.entries.indices {
            let source = sourceName(slot, layout: layout, file: file)   // present with its shape: checked above
            let values = try file.floats(source)
            guard values.allSatisfy({ $0.isFinite }) else {
                throw ReformerError(file: file.path(of: source), field: source, "contains NaN or infinite values")
            }
            P.set(slot, values)
        }
        return P
    }

    /// Before any parameter storage exists: every tensor the config implies is in the file with
    /// its shape (the header alone is read), and the parameters fit in the memory the process may
    /// use (MemoryBudget), judged for the config.json beside the weights.
    static func checkBeforeAllocating(_ file: some TensorSource, layout: ParameterLayout, config: ReformerConfig) throws(ReformerError) {
        for (slot, e) in layout.entries.enumerated() {
            let source = sourceName(slot, layout: layout, file: file)
            guard let info = file.info(source) else {
                throw ReformerError(file: file.path, field: e.hfName, "is missing, expected a tensor of shape \(e.shape) for this config")
            }
            guard info.shape == e.shape else {
                throw ReformerError(file: file.path(of: source), field: source, "has shape \(info.shape), expected \(e.shape) for this config")
            }
        }
        let folder = file.path.lastIndex(of: "/").map { String(file.path[..<$0]) + "/" } ?? ""
        try MemoryBudget.require(ModelFootprint.parameters(config), configFile: folder + "config.json")
    }

    /// The file's key for the tensor in `slot`: the LM-head bias follows spec §2.3 (decoder.bias
    /// when present, else the 4.x lm_head.bias, and the other way round for the legacy copy).
    static func sourceName(_ slot: Int, layout: ParameterLayout, file: some TensorSource) -> String {
        let name = layout.entries[slot].hfName
        if slot == layout.lmBias && !file.contains(name) { return "lm_head.bias" }
        if slot == layout.lmLegacyBias && !file.contains(name) { return "lm_head.decoder.bias" }
        return name
    }

    /// Writes `model` as a HF checkpoint folder (config.json + model.safetensors), atomically per file.
    public static func save(_ model: ReformerModel, directory: String, metadata: [String: String] = [:]) throws(ReformerError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReformerError(file: directory, "cannot be created (\(error.localizedDescription))")
        }
        var config = model.config
        if case .automatic = config.buckets, let plan = model.bucketPlan { config.buckets = plan.spec }
        var writer = SafeTensorsWriter()
        writer.metadata = metadata.merging(["format": "pt"]) { a, _ in a }
        for (slot, e) in model.parameters.layout.entries.enumerated() {
            try writer.add(e.hfName, floats: model.parameters.values(slot), shape: e.shape)
        }
        try writer.write(to: directory + "/model.safetensors")
        try AtomicFile.write([UInt8](config.jsonData()), to: directory + "/config.json")
    }
}
