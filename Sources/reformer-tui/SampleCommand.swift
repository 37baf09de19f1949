// `reformer-tui sample`: stream a continuation from a checkpoint, token by token, with the decoding
// cache (or `--no-cache`: a full forward over the prefix for every token, the reference).

import ArgumentParser
import Foundation
import ReformerEngine

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate a continuation from a checkpoint, streamed as it is produced (the prompt is not repeated).")

    @Option(name: .long, help: "Checkpoint folder (this project's or an HF Reformer): config.json and model.safetensors, pytorch_model.bin or a shard index.")
    var model: String

    @Option(name: .long, help: "Prompt text, encoded with the checkpoint's tokenizer (see --tokenizer).")
    var prompt: String?

    @Option(name: .long, help: "File whose text is the prompt (read byte for byte).")
    var promptFile: String?

    @Option(name: .long, help: "Prompt as token ids, e.g. \"0 17 5\" (the continuation is then printed as ids).")
    var promptIds: String?

    @Option(name: .long, help: "New tokens to generate.")
    var tokens = 256

    @Option(name: .long, help: "Sampling temperature; 0 = argmax.")
    var temperature: Float = 1

    @Option(name: .long, help: "Keep only the K most likely tokens.")
    var topK: Int?

    @Option(name: .long, help: "Nucleus sampling: the smallest set of tokens with this much probability, in (0, 1].")
    var topP: Float = 1

    @Option(name: .long, help: "Seed of sampling and rotations.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "No decoding cache: a full forward over the prefix for every token (exact reference).")
    var noCache = false

    @Option(name: .long, help: "Treat the model as bytes with this id offset, overriding its tokenizer (the default is 2 for a 258-token vocabulary such as HF's enwik8, 0 for 256).")
    var byteOffset: Int?

    @OptionGroup var tokenizerOption: TokenizerOption

    @OptionGroup var memory: MemoryOption

    func validate() throws {
        let sources = [prompt != nil, promptFile != nil, promptIds != nil].filter { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of --prompt, --prompt-file or --prompt-ids") }
        if tokens < 1 { throw ValidationError("--tokens must be at least 1") }
        if !(temperature >= 0) { throw ValidationError("--temperature must be 0 or more (0 = argmax), got \(temperature)") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        if let k = topK, k < 1 { throw ValidationError("--top-k must be at least 1") }
        if let b = byteOffset, b < 0 { throw ValidationError("--byte-offset must not be negative") }
    }

    func run() throws {
        memory.apply()
        try runReporting {
            let reformer = try HFCheckpoint.load(directory: model, seed: seed)
            let c = reformer.config
            var ids: [Int32]
            // How the prompt is read and the continuation written: ids, bytes at an offset the user
            // gave, or the checkpoint's tokenizer.
            var output: SampleOutput
            if let promptIds {
                ids = []
                for part in promptIds.split(whereSeparator: { $0 == " " || $0 == "," }) {
                    guard let v = Int32(part) else { throw ReformerError(file: "--prompt-ids", "\"\(part)\" is not an integer id") }
                    ids.append(v)
                }
                output = .printer(StreamPrinter(bytes: false, offset: 0))
            } else {
                let bytes: [UInt8]
                if let prompt { bytes = Array(prompt.utf8) } else {
                    // Missing, a folder, unreadable or empty: one line naming the file.
                    bytes = try TextCorpus.readFile(promptFile!)
                }
                if let offset = byteOffset {
                    guard c.vocabSize >= 256 + offset else {
                        throw ReformerError(file: "--byte-offset", "is \(offset): bytes + \(offset) need \(256 + offset) ids, the model has \(c.vocabSize)")
                    }
                    ids = bytes.map { Int32($0) + Int32(offset) }
                    output = .printer(StreamPrinter(bytes: true, offset: offset))
                } else {
                    let tokenizer = try tokenizerOption.require(directory: model, config: c, hint: "pass --tokenizer FILE or the prompt as --prompt-ids")
                    ids = try tokenizer.encode(bytes: bytes, source: prompt != nil ? "--prompt" : promptFile!).map { Int32($0) }
                    // Nothing the model could condition on: every piece unknown, or only the ▁ word marks around them.
                    if case .sentencePiece(let sp) = tokenizer, let unk = sp.unknownID, ids.contains(where: { Int($0) == unk }),
                        ids.allSatisfy({ Int($0) == unk || sp.model.pieces[Int($0)].text.allSatisfy { $0 == "\u{2581}" } }) {
                        throw ReformerError(file: "prompt", "is only pieces the tokenizer does not know (<unk>), expected text its vocabulary covers")
                    }
                    output = .text(tokenizer.streamDecoder())
                }
            }
            guard !ids.isEmpty else { throw ReformerError(file: "prompt", "is empty, expected at least one token") }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
                throw ReformerError(file: "prompt", "token id \(bad) is outside the vocabulary 0..<\(c.vocabSize)")
            }
            guard ids.count < c.maxPositionEmbeddings else {
                throw ReformerError(file: "prompt", "has \(ids.count) tokens; the model's maximum length is \(c.maxPositionEmbeddings)")
            }
            let settings = SamplingSettings(temperature: temperature, topK: topK, topP: topP)
            var rng = SplitMix64(seed: seed ^ 0x5A11_9E00)
            let generate = noCache ? Generator.generate : Generator.generateCached
            let produced = try generate(reformer, ids, tokens, settings, &rng) { token in
                output.emit(token)
                return true
            }
            output.finish()
            if produced.count < tokens {
                FileHandle.standardError.write(Data("[stopped after \(produced.count) tokens: reached the model's maximum length \(c.maxPositionEmbeddings)]\n".utf8))
            }
        }
    }
}

/// Where a continuation goes, token by token: ids or bytes at a given offset (StreamPrinter), or
/// the tokenizer's text.
enum SampleOutput {
    case printer(StreamPrinter)
    case text(TokenStreamDecoder)

    private static let terminal = isatty(STDOUT_FILENO) == 1

    mutating func emit(_ token: Int32) {
        switch self {
        case .printer(var printer):
            printer.emit(token)
            self = .printer(printer)
        case .text(var decoder):
            Self.write(Self.safe(decoder.push(Int(token))))
            self = .text(decoder)
        }
    }

    mutating func finish() {
        switch self {
        case .printer(var printer): printer.finish()
        case .text(var decoder): Self.write(Self.safe(decoder.finish()) + "\n")
        }
    }

    /// On a terminal, control characters other than newline and tab show as U+FFFD, so a model's
    /// output cannot send escape sequences; into a file or pipe the text goes as decoded.
    private static func safe(_ text: String) -> String {
        guard terminal else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { s in
            (s.value < 0x20 && s.value != 0x0A && s.value != 0x09) || (0x7F...0x9F).contains(s.value) ? "\u{FFFD}" : s
        }))
    }

    private static func write(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
}

/// Writes tokens to stdout as they come: bytes as UTF-8 text (invalid sequences and control
/// characters shown as U+FFFD), other vocabularies as space-separated ids.
struct StreamPrinter {
    let bytes: Bool
    let offset: Int
    private var pending: [UInt8] = []
    private var first = true

    init(bytes: Bool, offset: Int) { self.bytes = bytes; self.offset = offset }

    mutating func emit(_ token: Int32) {
        if !bytes {
            write((first ? "" : " ") + String(token))
            first = false
            return
        }
        let b = Int(token) - offset
        guard b >= 0, b < 256 else { write("\u{FFFD}"); return }
        pending.append(UInt8(b))
        flushComplete()
    }

    mutating func finish() {
        if !pending.isEmpty { write(String(repeating: "\u{FFFD}", count: pending.count)); pending = [] }
        write(bytes ? "\n" : "\n")
    }

    /// Writes the longest prefix of `pending` that is complete UTF-8; an invalid lead byte is replaced.
    private mutating func flushComplete() {
        while let lead = pending.first {
            let need: Int
            switch lead {
            case 0x00...0x7F: need = 1
            case 0xC2...0xDF: need = 2
            case 0xE0...0xEF: need = 3
            case 0xF0...0xF4: need = 4
            default: write("\u{FFFD}"); pending.removeFirst(); continue
            }
            if pending.count < need { return }
            let chunk = Array(pending.prefix(need))
            if need > 1, chunk.dropFirst().contains(where: { $0 & 0xC0 != 0x80 }) {
                write("\u{FFFD}"); pending.removeFirst(); continue
            }
            pending.removeFirst(need)
            if need == 1 && (lead < 0x20 && lead != 0x0A && lead != 0x09 || lead == 0x7F) { write("\u{FFFD}"); continue }
            write(String(decoding: chunk, as: UTF8.self))
        }
    }

    private func write(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }
}
