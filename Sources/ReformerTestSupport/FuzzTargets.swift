// FuzzTargets: one entry point per parser of outside data, fed arbitrary bytes. The libFuzzer
// harnesses (Fuzz/, built by scripts/fuzz.sh) and the corpus replay test (FuzzCorpusTests) call the
// same functions, so a crash found by fuzzing stays a regression test without libFuzzer. Each entry
// either returns or throws ReformerError; anything else (a trap, a sanitizer report) is a bug.

import Foundation
import ReformerEngine
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum FuzzTargets {
    /// The targets by name (the folder names of the committed corpus, Tests/Fuzz/<name>).
    public static let all: [String: @Sendable ([UInt8]) throws(ReformerError) -> Void] = [
        "safetensors": safetensors,
        "config": config,
        "torch": torch,
        "sentencepiece": sentencePiece,
        "events": events,
    ]

    /// A safetensors file: header, then every tensor's values (bounded by the file's own length).
    public static func safetensors(_ bytes: [UInt8]) throws(ReformerError) {
        let file = try SafeTensorsFile(bytes: bytes, path: "fuzz.safetensors")
        try readAll(file)
    }

    /// A config.json, then the checkpoint path that follows it: parameter layout, the memory check
    /// and the shape comparison against a small fixed weights file, before any storage exists.
    public static func config(_ bytes: [UInt8]) throws(ReformerError) {
        let config = try ReformerConfig.decode(Data(bytes), file: "config.json")
        _ = try HFCheckpoint.loadParameters(configWeights, config: config)
    }

    /// A pytorch_model.bin (zip or legacy pickle), read from a private temporary file, then every
    /// tensor's values.
    public static func torch(_ bytes: [UInt8]) throws(ReformerError) {
        let path = scratchFile
        try write(bytes, to: path)
        let file = try TorchCheckpoint(contentsOf: path, allowMapping: true)
        try readAll(file)
    }

    /// A SentencePiece model (protobuf), its processor (tries, normalizer), then encoding and decoding
    /// a fixed text and every id.
    public static func sentencePiece(_ bytes: [UInt8]) throws(ReformerError) {
        let model = try SentencePieceModel(bytes: bytes, file: "fuzz.model")
        let processor = try SentencePieceProcessor(model: model)
        let tokenizer = Tokenizer.sentencePiece(processor)
        let ids = try tokenizer.encode(bytes: Array(sampleText.utf8))
        _ = try tokenizer.decode(ids)
        _ = try tokenizer.decode(Array(0..<min(processor.pieceCount, 4096)))
        _ = tokenizer.pieces(for: Array(0..<min(processor.pieceCount, 4096)))
    }

    /// A TensorBoard event file, as `watch` tails it: read from a private temporary file record by
    /// record (framing, both CRC-32Cs, the Event protobuf), polled twice so a suspect record's retry
    /// runs too; and the whole input decoded as one Event.
    public static func events(_ bytes: [UInt8]) throws(ReformerError) {
        let path = scratchFile
        try write(bytes, to: path)
        var tail = EventFileTail(path: path)
        let first = tail.poll(), second = tail.poll()
        _ = try? TensorBoardEvent.decode(bytes[...])
        // What the reader would not take — a damaged record, a partial one at the end — counts as refused.
        if let issue = first.issues.first ?? second.issues.first ?? tail.blocked {
            throw ReformerError(file: "fuzz events", issue)
        }
        if tail.partialBytes > 0 { throw ReformerError(file: "fuzz events", "ends in a partial record of \(tail.partialBytes) bytes") }
    }

    static let sampleText = "Hello, wörld!  Ｆｕｌｌ-width ﬁ ligature, tabs\tand\nnewlines, 日本語, emoji 🙂, <unk> </s>"

    /// Every tensor of `file` as Float when its element count is small (a fuzzed header may name huge
    /// tensors that a real loader refuses before reading, see HFCheckpoint.checkBeforeAllocating).
    static func readAll(_ file: some TensorSource & NamedTensors) throws(ReformerError) {
        for name in file.names {
            guard let info = file.info(name), info.elementCount <= 1 << 20 else { continue }
            _ = try file.floats(name)
        }
    }

    /// The weights the config target compares shapes with: a two-tensor safetensors file built once.
    static let configWeights: SafeTensorsFile = {
        var writer = SafeTensorsWriter()
        try? writer.add("reformer.embeddings.word_embeddings.weight", floats: [Float](repeating: 0.5, count: 8 * 4), shape: [8, 4])
        try? writer.add("lm_head.decoder.bias", floats: [Float](repeating: 0, count: 8), shape: [8])
        // The bytes are this program's own; parsing them cannot fail.
        return try! SafeTensorsFile(bytes: writer.serialized(), path: "fuzz-weights.safetensors")
    }()

    /// A file private to this process for the targets whose parser reads a path.
    static let scratchFile: String = {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return "\(directory)/reformer-fuzz-\(getpid()).bin"
    }()

    static func write(_ bytes: [UInt8], to path: String) throws(ReformerError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ReformerError(file: path, "could not write the fuzz input: \(error)")
        }
    }
}

/// Sources that list their tensor names.
public protocol NamedTensors {
    var names: [String] { get }
}

extension SafeTensorsFile: NamedTensors {}
extension TorchCheckpoint: NamedTensors {}
