// `reformer-tui inspect`: run a checkpoint on stored inputs and write every intermediate tensor in
// the HF fixture format, to debug this engine against another implementation.

import ArgumentParser
import Foundation
import ReformerEngine

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Run a checkpoint on input_ids from a safetensors file and write hidden states, logits, loss and LSH buckets.",
        discussion: """
        IN must hold input_ids (I64 or I32, [batch, length]); attention_mask, labels and \
        lsh.layer{i}.rotations are used when present, anything else is ignored (a fixture's \
        expected.safetensors works as IN). OUT gets hidden.embeddings, hidden.layer{i}.y1/.y2, \
        hidden.final_norm, logits, loss (with labels) and, for LSH layers that hashed, \
        lsh.layer{i}.rotations/.buckets/.sorted_idx.
        """
    )

    @Option(name: .long, help: "Checkpoint folder (config.json + model.safetensors).")
    var model: String

    @Option(name: .long, help: "Input tensors (safetensors).")
    var inputs: String

    @Option(name: .long, help: "Where to write the output tensors (safetensors).")
    var out: String

    @Flag(name: .long, help: "Evaluate every LSH layer with full shared-QK attention instead of hashing.")
    var fullAttention = false

    @Option(name: .long, help: "Seed of the rotations when neither IN nor the config's hash_seed gives them.")
    var seed: UInt64 = 0

    func run() throws {
        try runReporting {
            let started = Date()
            let model = try HFCheckpoint.load(directory: self.model, seed: seed)
            let request = try InspectInputs.read(path: inputs, config: model.config)
            let result = try model.forward(request)
            var w = SafeTensorsWriter()
            w.metadata = ["producer": "reformer-tui inspect"]
            try InspectInputs.write(result, request: request, config: model.config, into: &w)
            try w.write(to: out)
            let seconds = Date().timeIntervalSince(started)
            var line = "inspect: batch \(request.batch), length \(request.length)"
            if result.paddedLength != request.length { line += " (padded to \(result.paddedLength))" }
            if let loss = result.loss { line += ", loss \(String(format: "%.6f", loss)) over \(result.countedTargets) targets" }
            line += ", \(result.lshLayers.count) LSH layer(s) hashed, \(String(format: "%.2f", seconds)) s → \(out)"
            print(line)
        }
    }
}

enum InspectInputs {
    static func read(path: String, config: ReformerConfig) throws(ReformerError) -> ForwardRequest {
        let file = try SafeTensorsFile(contentsOf: path)
        guard let info = file.info("input_ids") else {
            throw ReformerError(file: path, field: "input_ids", "is missing, expected an I64 or I32 tensor [batch, length]")
        }
        guard info.shape.count == 2, info.shape[0] > 0, info.shape[1] > 0 else {
            throw ReformerError(file: path, field: "input_ids", "has shape \(info.shape), expected [batch, length]")
        }
        let B = info.shape[0], T = info.shape[1]
        let ids = try file.int64s("input_ids")
        var tokens = [Int32](repeating: 0, count: ids.count)
        for (i, id) in ids.enumerated() {
            guard id >= 0, id < Int64(config.vocabSize) else {
                throw ReformerError(file: path, field: "input_ids",
                                    "token id \(id) at [\(i / T), \(i % T)] is outside the vocabulary 0..<\(config.vocabSize)")
            }
            tokens[i] = Int32(id)
        }
        var request = ForwardRequest(batch: B, length: T, tokens: tokens)
        if let m = file.info("attention_mask") {
            guard m.shape == info.shape else {
                throw ReformerError(file: path, field: "attention_mask", "has shape \(m.shape), expected \(info.shape) like input_ids")
            }
            request.attentionMask = try file.int64s("attention_mask").map { $0 != 0 ? 1 : 0 }
        }
        if let l = file.info("labels") {
            guard l.shape == info.shape else {
                throw ReformerError(file: path, field: "labels", "has shape \(l.shape), expected \(info.shape) like input_ids")
            }
            request.labels = try file.int64s("labels")
        }
        for i in 0..<config.layerCount where config.attentionLayers[i] == .lsh {
            let name = "lsh.layer\(i).rotations"
            if file.contains(name) { request.rotations[i] = try file.floats(name) }
        }
        request.captureHidden = true
        return request
    }

    static func write(_ r: ForwardResult, request: ForwardRequest, config c: ReformerConfig, into w: inout SafeTensorsWriter) throws(ReformerError) {
        for h in r.hidden { try w.add(h.name, floats: h.values, shape: h.shape) }
        try w.add("logits", floats: r.logits, shape: [request.batch, request.length, c.vocabSize])
        if let loss = r.loss { try w.add("loss", floats: [loss], shape: [1]) }
        let T = r.paddedLength
        for l in r.lshLayers {
            try w.add("lsh.layer\(l.layer).rotations", floats: l.rotations, shape: l.rotationShape)
            try w.add("lsh.layer\(l.layer).buckets", int64s: l.buckets.map(Int64.init), shape: [request.batch, c.headCount, c.hashRounds, T])
            try w.add("lsh.layer\(l.layer).sorted_idx", int64s: l.sortedIndices.map(Int64.init), shape: [request.batch, c.headCount, c.hashRounds * T])
        }
    }
}
