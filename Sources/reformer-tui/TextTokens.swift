// TextTokens: where text meets a model on the command line — the checkpoint's tokenizer, or
// --tokenizer FILE (TokenizerOption), for sample, eval, explore and train.

import ArgumentParser
import Foundation
import ReformerEngine

/// `--tokenizer FILE`: a SentencePiece model that overrides the checkpoint folder's choice.
struct TokenizerOption: ParsableArguments {
    @Option(name: .long, help: "SentencePiece model (spiece.model) to use instead of the checkpoint's own choice (its spiece.model or tokenizer.model; else bytes for 256 tokens, bytes + 2 for 258).")
    var tokenizer: String?

    /// The tokenizer for the checkpoint in `directory`, or nil when none applies.
    func choose(directory: String, config: ReformerConfig) throws(ReformerError) -> Tokenizer? {
        try Tokenizer.forCheckpoint(directory: directory, vocabSize: config.vocabSize, override: tokenizer)
    }

    /// Like `choose`, but a checkpoint without a text tokenizer is an error (one line, with `hint`).
    func require(directory: String, config: ReformerConfig, hint: String = "pass --tokenizer FILE") throws(ReformerError) -> Tokenizer {
        guard let t = try choose(directory: directory, config: config) else {
            throw Tokenizer.missing(vocabSize: config.vocabSize, directory: directory, hint: hint)
        }
        return t
    }
}

extension Tokenizer {
    /// True when every id is one byte of the text (bits per token are then bits per byte).
    var isByteLevel: Bool {
        switch self {
        case .bytes, .bytesPlusTwo: true
        case .sentencePiece: false
        }
    }
}
