// CheckpointView: one checkpoint of a watched run, loaded, with one forward on its probe sequence
// whose attention inputs and buckets were captured — what the LSH buckets, attention chunk, memory
// and samples panels and the hashing explorer show. Built and used on the watch's model worker only.

import Foundation
import ReformerTelemetry

/// A loaded checkpoint and its probe forward.
///
/// ```swift
/// let view = try CheckpointView.load(folder: "out/checkpoint-40", name: "checkpoint-40",
///                                    weights: .safetensors("model.safetensors"), probeText: nil)
/// let probe = view.attentionProbe(ProbeSelection(layer: 0))   // the buckets panel's data
/// ```
public final class CheckpointView: @unchecked Sendable {
    public let name: String
    public let folder: String
    public let model: ReformerModel
    public let probe: ProbeSequence
    public private(set) var capture: ProbeCapture
    /// The probe forward's ledger beside a standard Transformer at the probe's length.
    public private(set) var memory: MemoryReport
    /// The step the checkpoint was saved at, when known.
    public let step: Int?
    /// The first LSH layer (0 when there is none): what the panels show unless told otherwise.
    public let defaultLayer: Int

    init(name: String, folder: String, model: ReformerModel, probe: ProbeSequence, capture: ProbeCapture, memory: MemoryReport, step: Int?) {
        self.name = name
        self.folder = folder
        self.model = model
        self.probe = probe
        self.capture = capture
        self.memory = memory
        self.step = step
        defaultLayer = model.config.attentionLayers.firstIndex(of: .lsh) ?? 0
    }

    /// The model in `folder` from the weights the completeness check found. Safetensors only for now;
    /// PyTorch .bin and sharded safetensors name themselves and what this build reads.
    public static func loadModel(folder: String, weights: CheckpointCompleteness.Weights) throws(ReformerError) -> ReformerModel {
        // Every weights format the completeness rules accept is one HFCheckpoint reads (CheckpointWeights).
        switch weights {
        case .safetensors, .shards, .pytorchBin: return try HFCheckpoint.load(directory: folder)
        }
    }

    /// Loads the checkpoint and runs the probe forward (seeded rotations: the same buckets every time).
    /// - Parameters:
    ///   - probeText: bytes of `--probe-text` / `--probe-file`; `probeName` names the source.
    ///   - ownRun: our trainer_state.json when the folder is one of our runs.
    public static func load(folder: String, name: String, weights: CheckpointCompleteness.Weights, step: Int? = nil,
                            probeText: [UInt8]?, probeName: String = "--probe-text", ownRun: TrainerState? = nil,
                            layer: Int? = nil) throws(ReformerError) -> CheckpointView {
        let model = try loadModel(folder: folder, weights: weights)
        let probe = ProbeSequence.make(text: probeText, textName: probeName, checkpoint: folder, config: model.config, ownRun: ownRun)
        let first = layer ?? model.config.attentionLayers.firstIndex(of: .lsh) ?? 0
        let (capture, memory) = try forward(model, probe.tokens, layers: captureLayers(model.config, length: probe.tokens.count, wanted: first))
        return CheckpointView(name: name, folder: folder, model: model, probe: probe, capture: capture, memory: memory, step: step)
    }

    /// Every layer when their captures fit in 32 MiB, else only `wanted`.
    static func captureLayers(_ c: ReformerConfig, length: Int, wanted: Int) -> Set<Int> {
        let perLayer = length * c.allHeadSize * 3 * 4
        return perLayer * c.layerCount <= 32 << 20 ? Set(0..<c.layerCount) : [min(max(0, wanted), c.layerCount - 1)]
    }

    static func rotations(_ c: ReformerConfig) -> SplitMix64 { SplitMix64(seed: ProbeSequence.seed ^ 0x5EED) }

    static func forward(_ model: ReformerModel, _ tokens: [Int32], layers: Set<Int>) throws(ReformerError) -> (ProbeCapture, MemoryReport) {
        let c = model.config
        model.rotationGenerator = rotations(c)
        let ledger = MemoryLedger.current
        ledger.resetPeaks()
        var request = ForwardRequest(batch: 1, length: tokens.count, tokens: tokens)
        let capture = ProbeCapture(layers: layers)
        request.probe = capture
        _ = try model.forward(request)
        let totals = ledger.totals
        var m = MemoryReport()
        // This model's own figures: the shared ledger also counts the checkpoint shown until now.
        m.parametersBytes = model.parameters.scalarCount * 4
        m.activationsBytes = totals.peakBytes[.activations] ?? 0
        m.attentionBytes = totals.peakBytes[.attention] ?? 0
        let others = max(0, (totals.liveBytes[.parameters] ?? 0) - m.parametersBytes)
        m.peakBytes = max(m.parametersBytes, totals.peakTotalBytes - others)
        m.processRSSBytes = TrainingSession.residentBytes()
        m.setStandardTransformer(config: c, batch: 1, length: tokens.count)
        return (capture, m)
    }

    /// The panels' probe for `selection`; a layer the capture lacks is captured by a new forward.
    public func attentionProbe(_ selection: ProbeSelection) -> AttentionProbe? {
        let layer = min(max(0, selection.layer), model.config.layerCount - 1)
        if capture.captured[layer] == nil, let (fresh, _) = try? Self.forward(model, probe.tokens, layers: [layer]) {
            capture = fresh
        }
        return ProbeComputer.probe(capture, config: model.config, selection: selection)
    }

    /// The hashing explorer's trace of `layer`/`head` on the probe.
    public func trace(layer: Int, head: Int) throws(ReformerError) -> HashTrace {
        if capture.captured[layer] == nil {
            (capture, _) = try Self.forward(model, probe.tokens, layers: [layer])
        }
        var isText = false
        if case .text = probe.kind { isText = true }
        var fromTokenizer = isText
        if case .ids = probe.kind { fromTokenizer = true }
        let labels = fromTokenizer ? tokenizer.map { t in t.pieces(for: capture.tokens.map { Int($0) }) } : nil
        var trace = try HashTracer.trace(capture, config: model.config, layer: layer, head: head, byteTokens: isText, labels: labels)
        trace.layerCount = model.config.layerCount
        return trace
    }

    /// "2 layers local/LSH, hidden 16, 2 heads, 5,856 params, T=32" for the status line.
    public var summary: String {
        TrainingSession.modelSummary(model.config, parameters: model.parameters.scalarCount, length: probe.tokens.count)
    }

    /// `s` on a copy-shaped probe: the model's second copy of w.
    public func copySample() -> SamplePreview? {
        guard case .copy(let word) = probe.kind else { return nil }
        model.rotationGenerator = Self.rotations(model.config)
        return SamplePreviews.copy(model: model, tokens: probe.tokens, split: word + 2, fullAttention: false, step: step ?? 0)
    }

    /// `s` on a text probe: its opening (at most 64 tokens) as the prompt of a continuation.
    public var textPrompt: [Int32] { Array(probe.tokens.prefix(min(64, max(1, probe.tokens.count - 1)))) }

    /// The checkpoint's text tokenizer (its spiece.model, or bytes by vocabulary); nil: none.
    public var tokenizer: Tokenizer? { try? Tokenizer.forCheckpoint(directory: folder, vocabSize: model.config.vocabSize) }

    /// The byte offset of a text probe's tokens (nil when the probe is not text).
    public var byteOffset: Int? {
        if case .text(let offset) = probe.kind { return offset }
        return nil
    }
}
