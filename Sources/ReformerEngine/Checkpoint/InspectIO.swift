// InspectIO: the fixture format of shared/fixtures/hf as inputs (input_ids, attention_mask, labels,
// lsh.layer{i}.rotations) and outputs (hidden.*, logits, loss, lsh.layer{i}.*) of a forward pass.

public enum InspectIO {
    public static func readRequest(path: String, config: ReformerConfig) throws(ReformerError) -> ForwardRequest {
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

    public static func write(_ r: ForwardResult, request: ForwardRequest, config c: ReformerConfig, into w: inout SafeTensorsWriter) throws(ReformerError) {
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

    /// `grad.<HF name>` for every checkpoint parameter.
    public static func writeGradients(_ gradients: ParameterSet, into w: inout SafeTensorsWriter) throws(ReformerError) {
        for (slot, e) in gradients.layout.entries.enumerated() {
            try w.add("grad." + e.hfName, floats: gradients.values(slot), shape: e.shape)
        }
    }

    /// Gradients of the loss for `request` with the rotations the forward `result` used, so both
    /// describe the same function even when the rotations are drawn at random.
    public static func gradients(model: ReformerModel, request: ForwardRequest, result: ForwardResult) throws(ReformerError) -> ParameterSet {
        var r = request
        r.captureHidden = false
        for trace in result.lshLayers where r.rotations[trace.layer] == nil { r.rotations[trace.layer] = trace.rotations }
        let grads = ParameterSet(layout: model.parameters.layout, category: .gradients)
        let out = try model.lossAndGradients(r, gradients: grads)
        guard let loss = out.loss, loss.isFinite else {
            throw ReformerError(file: "labels", "give a loss of \(out.loss.map { "\($0)" } ?? "nothing") (not finite); no gradients")
        }
        return grads
    }
}
