// CheckpointWeights: which file of a checkpoint folder holds the weights, in HF's order —
// model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json
// (transformers `modeling_utils`) — and ShardedTensors, the tensors of an index's shards as one source.

import Foundation

public enum CheckpointWeights {
    /// The weight files a folder may hold, in the order they are looked for.
    public static let fileNames = [
        "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
    ]

    /// "model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json".
    public static var fileNameList: String { fileNames.dropLast().joined(separator: ", ") + " or " + fileNames.last! }

    /// The tensors of the first weight file present in `directory`.
    ///
    /// ```swift
    /// let weights = try CheckpointWeights.open(directory: "google-reformer-enwik8")
    /// print(weights.path)  // google-reformer-enwik8/pytorch_model.bin
    /// ```
    public static func open(directory: String) throws(ReformerError) -> any TensorSource {
        let fm = FileManager.default
        guard let name = fileNames.first(where: { fm.fileExists(atPath: directory + "/" + $0) }) else {
            throw ReformerError(
                file: directory + "/model.safetensors",
                "does not exist, nor do \(fileNames.dropFirst().joined(separator: ", ")); expected one of them to hold the weights")
        }
        let path = directory + "/" + name
        switch name {
        case "model.safetensors": return try SafeTensorsFile(contentsOf: path)
        case "pytorch_model.bin": return try TorchCheckpoint(contentsOf: path)
        default: return try ShardedTensors(indexPath: path)
        }
    }
}

/// The shards listed in a `*.index.json` (`{"weight_map": {tensor: shard file}}`), as one source.
/// Shards are safetensors files for `model.safetensors.index.json`, torch checkpoints otherwise.
public struct ShardedTensors: TensorSource {
    /// The index file.
    public let path: String
    private let shards: [String: any TensorSource]
    /// Tensor name → shard file name.
    private let weightMap: [String: String]

    public init(indexPath: String) throws(ReformerError) {
        let bytes = try AtomicFile.readContents(of: indexPath)
        guard case .object(let document) = try JSONValue.parse(Data(bytes), file: indexPath) else {
            throw ReformerError(file: indexPath, "is not a JSON object, expected {\"weight_map\": {tensor: shard file}}")
        }
        guard case .object(let map) = document["weight_map"] else {
            throw ReformerError(file: indexPath, field: "weight_map", "is missing or not an object, expected {tensor: shard file}")
        }
        let directory = AtomicFile.directoryName(of: indexPath)
        let isSafetensors = indexPath.hasSuffix("model.safetensors.index.json")
        var weightMap: [String: String] = [:]
        var shards: [String: any TensorSource] = [:]
        for (tensor, value) in map.sorted(by: { $0.key < $1.key }) {
            guard case .string(let shard) = value else {
                throw ReformerError(
                    file: indexPath, field: "weight_map",
                    "\"\(tensor.forMessage)\" maps to \(value.typeName), expected a shard file name")
            }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw ReformerError(
                    file: indexPath, field: "weight_map",
                    "\"\(tensor.forMessage)\" maps to \"\(shard.forMessage)\", expected a file name in the same folder")
            }
            if shards[shard] == nil {
                let shardPath = directory + "/" + shard
                guard FileManager.default.fileExists(atPath: shardPath) else {
                    throw ReformerError(
                        file: indexPath, field: "weight_map",
                        "names shard \(shard.forMessage) (for \(tensor.forMessage)), but \(shardPath.forMessage) does not exist")
                }
                shards[shard] = isSafetensors ? try SafeTensorsFile(contentsOf: shardPath) : try TorchCheckpoint(contentsOf: shardPath)
            }
            guard shards[shard]?.contains(tensor) == true else {
                throw ReformerError(
                    file: indexPath, field: "weight_map",
                    "maps \(tensor.forMessage) to shard \(shard.forMessage), which holds no tensor of that name")
            }
            weightMap[tensor] = shard
        }
        self.path = indexPath
        self.shards = shards
        self.weightMap = weightMap
    }

    private func shard(of name: String) -> (any TensorSource)? { weightMap[name].flatMap { shards[$0] } }

    public func info(_ name: String) -> SafeTensorInfo? { shard(of: name)?.info(name) }

    public func floats(_ name: String) throws(ReformerError) -> [Float] {
        guard let shard = shard(of: name) else {
            throw ReformerError(file: path, field: name.forMessage, "is not in the index's weight_map")
        }
        return try shard.floats(name)
    }

    public func path(of name: String) -> String { shard(of: name)?.path ?? path }
}
