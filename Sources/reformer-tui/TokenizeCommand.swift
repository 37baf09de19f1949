// `reformer-tui tokenize`: text → token ids, or ids → text, with a checkpoint's tokenizer (chosen as
// Tokenizer.forCheckpoint does) or a SentencePiece file. Output equals the sentencepiece package's
// encode/decode; input is taken byte for byte (--file untrimmed, --text from the raw argument).

import ArgumentParser
import Foundation
import ReformerEngine

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text to token ids, or decode ids to text, with a checkpoint's tokenizer.",
        discussion: """
        Encoding prints the ids on one line, separated by single spaces; --decode prints the text. \
        With --model the tokenizer is the folder's spiece.model (or tokenizer.model), else bytes for \
        vocab_size 256 and bytes + 2 for 258; --tokenizer FILE overrides it. No BOS or EOS is added.
        """)

    @Option(name: .long, help: "Checkpoint folder (config.json's vocab_size and its tokenizer file).")
    var model: String?

    @Option(name: .long, help: "SentencePiece model file (overrides the folder's tokenizer).")
    var tokenizer: String?

    @Option(name: .long, help: "Text to encode.")
    var text: String?

    @Option(name: .long, help: "File whose bytes to encode (UTF-8 for SentencePiece; nothing trimmed).")
    var file: String?

    @Option(name: .long, help: "Token ids to decode, separated by spaces, e.g. \"151 88 21\".")
    var decode: String?

    func validate() throws {
        if model == nil && tokenizer == nil { throw ValidationError("give --model DIR or --tokenizer FILE") }
        if [text != nil, file != nil, decode != nil].filter({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --text, --file or --decode")
        }
    }

    func run() throws {
        try runReporting {
            let chosen = try resolveTokenizer()
            let output: String
            if let decode {
                output = try chosen.decode(try Self.parseIDs(decode))
            } else if let file {
                let ids = try chosen.encode(bytes: AtomicFile.readContents(of: file), source: file)
                output = ids.map(String.init).joined(separator: " ")
            } else {
                let ids = try chosen.encode(bytes: Self.rawArgument("--text", matching: text ?? ""), source: "--text")
                output = ids.map(String.init).joined(separator: " ")
            }
            FileHandle.standardOutput.write(Data((output + "\n").utf8))
        }
    }

    private func resolveTokenizer() throws(ReformerError) -> Tokenizer {
        guard let model else { return try Tokenizer.sentencePiece(file: tokenizer ?? "") }
        let vocabSize = try ReformerConfig.load(path: model + "/config.json").vocabSize
        guard let chosen = try Tokenizer.forCheckpoint(directory: model, vocabSize: vocabSize, override: tokenizer) else {
            throw Tokenizer.missing(vocabSize: vocabSize, directory: model, hint: "pass --tokenizer FILE")
        }
        return chosen
    }

    /// Ids separated by whitespace; anything else is an error naming the word.
    static func parseIDs(_ text: String) throws(ReformerError) -> [Int] {
        var ids: [Int] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            guard let id = Int(word) else {
                throw ReformerError(file: "--decode", "\"\(word)\" is not an integer token id, expected ids separated by spaces")
            }
            ids.append(id)
        }
        return ids
    }

    /// The raw bytes of option `name`'s value as the shell passed them (CommandLine.arguments has
    /// already replaced invalid UTF-8 with U+FFFD); `parsed`'s own UTF-8 when it cannot be found.
    static func rawArgument(_ name: String, matching parsed: String) -> [UInt8] {
        let flag = Array(name.utf8), prefix = Array((name + "=").utf8)
        var found: [UInt8]?
        var i = 1
        while i < Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[i] else { break }
            let argument = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
            if argument == flag, i + 1 < Int(CommandLine.argc), let next = CommandLine.unsafeArgv[i + 1] {
                found = Array(UnsafeBufferPointer(start: UnsafeRawPointer(next).assumingMemoryBound(to: UInt8.self), count: strlen(next)))
                i += 1
            } else if argument.starts(with: prefix) {
                found = Array(argument.dropFirst(prefix.count))
            }
            i += 1
        }
        if let found, String(decoding: found, as: UTF8.self) == parsed { return found }
        return Array(parsed.utf8)
    }
}
