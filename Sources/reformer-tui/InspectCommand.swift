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
        lsh.layer{i}.rotations/.buckets/.sorted_idx; with --grads also grad.<name> for every \
        checkpoint parameter.
        """
    )

    @Option(name: .long, help: "Checkpoint folder: config.json and model.safetensors, pytorch_model.bin or a shard index.")
    var model: String

    @Option(name: .long, help: "Input tensors (safetensors).")
    var inputs: String

    @Option(name: .long, help: "Where to write the output tensors (safetensors).")
    var out: String

    @Flag(name: .long, help: "Evaluate every LSH layer with full shared-QK attention instead of hashing.")
    var fullAttention = false

    @Flag(name: .long, help: "Also write grad.<parameter> (gradient of the loss; IN must hold labels).")
    var grads = false

    @Option(name: .long, help: "Seed of the rotations when neither IN nor the config's hash_seed gives them.")
    var seed: UInt64 = 0

    @OptionGroup var memory: MemoryOption

    func run() throws {
        memory.apply()
        try runReporting {
            let started = Date()
            let model = try HFCheckpoint.load(directory: self.model, seed: seed)
            var request = try InspectIO.readRequest(path: inputs, config: model.config)
            request.fullAttention = fullAttention
            let result = try model.forward(request)
            var w = SafeTensorsWriter()
            w.metadata = ["producer": "reformer-tui inspect"]
            try InspectIO.write(result, request: request, config: model.config, into: &w)
            if grads {
                guard request.labels != nil else {
                    throw ReformerError(file: inputs, field: "labels", "is missing, expected labels [batch, length] for --grads")
                }
                try InspectIO.writeGradients(try InspectIO.gradients(model: model, request: request, result: result), into: &w)
            }
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
