// `reformer-tui explore`: step through one LSH layer's hashing on your own input — vectors, hashing,
// sorting, chunking, attention, merging rounds — on a checkpoint or a freshly initialised model.

import ArgumentParser
import Foundation
import ReformerEngine
import ReformerTUI
import ReformerTelemetry

struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Walk one LSH layer's hashing stage by stage on a sequence (needs a terminal).")

    @Option(name: .long, help: "Checkpoint folder (default: a freshly initialised model of the task's preset).")
    var model: String?

    @Option(name: .long, help: "Explore this text, encoded with the checkpoint's tokenizer (positions labelled with its pieces).")
    var text: String?

    @Option(name: .long, help: "Explore the start of this file (as many tokens as the model has positions).")
    var file: String?

    @Option(name: .long, help: "copy: explore a 0 w 0 w example of the copy task.")
    var task: TrainingSettings.TaskKind?

    @Option(name: .long, help: "Layer (1-based; default: the first LSH layer).")
    var layer: Int?

    @Option(name: .long, help: "Head (1-based).")
    var head = 1

    @Option(name: .long, help: "Seed of the fresh model, the copy example and the rotations.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Recall of full attention's top-k keys, k.")
    var recallK = 8

    @OptionGroup var tokenizerOption: TokenizerOption

    @Flag(name: .long, help: "No colours.")
    var mono = false

    @OptionGroup var memory: MemoryOption

    func validate() throws {
        let sources = [text != nil, file != nil, task != nil].filter { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of --text, --file or --task copy") }
        if task == .text { throw ValidationError("--task text: use --text or --file to choose the text") }
        if recallK < 1 { throw ValidationError("--recall-k must be at least 1") }
        if head < 1 { throw ValidationError("--head counts from 1") }
        if let layer, layer < 1 { throw ValidationError("--layer counts from 1") }
    }

    func run() throws {
        memory.apply()
        try runReporting {
            guard TerminalSession.canUseTerminal else {
                FileHandle.standardError.write(Data("error: explore needs a terminal (stdout and stdin a tty, TERM set and not dumb)\n".utf8))
                throw ExitCode(2)
            }
            let (trace, title) = try buildTrace()
            try ExplorerSession.run(trace: trace, title: title, mono: mono)
        }
    }

    /// The model, the sequence and the trace.
    func buildTrace() throws -> (HashTrace, String) {
        let isCopy = task == .copy
        let reformer: ReformerModel
        var name: String
        if let model {
            reformer = try HFCheckpoint.load(directory: model, seed: seed)
            name = model
        } else {
            let preset = try TaskPreset.named(isCopy ? "copy" : "text")
            reformer = try ReformerModel.initialized(config: preset.config, seed: seed)
            name = "fresh \(preset.name) model (seed \(seed))"
        }
        reformer.rotationGenerator = SplitMix64(seed: seed ^ 0xE4D1_0E5E)
        let c = reformer.config
        var tokens: [Int32]
        var labels: [String]? = nil
        if isCopy {
            let settings = try TaskPreset.named("copy").training
            let copy = try CopyTask(wordLength: settings.copy.wordLength)
            guard copy.length <= c.maxPositionEmbeddings, c.vocabSize >= CopyTask.vocabSize else {
                throw ReformerError(file: model ?? "model", "cannot hold a copy example (length \(copy.length), vocab 128)")
            }
            var rng = DataStream.copyEvaluation.generator(seed: seed)
            tokens = copy.sample(batch: 1, rng: &rng).tokens
        } else {
            let bytes: [UInt8]
            if let text {
                bytes = Array(text.utf8)
                guard !bytes.isEmpty else { throw ReformerError(file: "--text", "is empty, expected some text") }
            } else {
                bytes = try TextCorpus.readFile(file!)
            }
            let tokenizer: Tokenizer
            if let model {
                tokenizer = try tokenizerOption.require(directory: model, config: c)
            } else {
                tokenizer = try tokenizerOption.tokenizer.map { (f: String) throws(ReformerError) -> Tokenizer in
                    let t = try Tokenizer.sentencePiece(file: f)
                    try t.check(fits: c.vocabSize, model: name)
                    return t
                } ?? .bytes
            }
            let ids = try tokenizer.encode(bytes: bytes, source: text != nil ? "--text" : file!).prefix(c.maxPositionEmbeddings)
            guard !ids.isEmpty else { throw ReformerError(file: text != nil ? "--text" : file!, "encodes to no tokens, expected some text") }
            tokens = ids.map { Int32($0) }
            labels = tokenizer.pieces(for: Array(ids))
        }
        let lshLayers = c.attentionLayers.indices.filter { c.attentionLayers[$0] == .lsh }
        let chosen = (layer.map { $0 - 1 }) ?? lshLayers.first ?? 0
        guard chosen < c.layerCount else { throw ReformerError(file: "--layer", "is \(chosen + 1), the model has \(c.layerCount) layers") }
        guard head - 1 < c.headCount else { throw ReformerError(file: "--head", "is \(head), the model has \(c.headCount) heads") }
        var request = ForwardRequest(batch: 1, length: tokens.count, tokens: tokens)
        let capture = ProbeCapture(layers: [chosen])
        request.probe = capture
        _ = try reformer.forward(request)
        let trace = try HashTracer.trace(capture, config: c, layer: chosen, head: head - 1, recallK: recallK, byteTokens: !isCopy, labels: labels)
        name += " · layer \(chosen + 1)/\(c.layerCount) (\(c.attentionLayers[chosen].rawValue)) · head \(head)/\(c.headCount)"
        return (trace, name)
    }
}
