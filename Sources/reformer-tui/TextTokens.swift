// TextTokens: a text file read byte for byte and turned into token ids with the checkpoint's text
// tokenizer, for `eval --data`.

import Foundation
import ReformerEngine

struct TextTokens {
    let tokens: [Int32]
    /// How the text was tokenized, for the report line (e.g. "bytes + 2").
    let tokenizerName: String
    /// 1 when every token is one byte of the file (bits per token are then bits per byte).
    let bytesPerToken: Int

    /// Reads `file` whole and encodes it for the model in folder `model`.
    static func load(file: String, model: String, config: ReformerConfig) throws(ReformerError) -> TextTokens {
        let bytes = try readDataFile(file)
        let offset: Int
        switch config.vocabSize {
        case 256: offset = 0
        case 258: offset = 2
        default:
            throw ReformerError(file: model, field: "vocab_size", "is \(config.vocabSize) and the folder has no tokenizer file; expected 256 (bytes) or 258 (bytes + 2)")
        }
        return TextTokens(tokens: bytes.map { Int32($0) + Int32(offset) }, tokenizerName: offset == 0 ? "bytes" : "bytes + 2", bytesPerToken: 1)
    }
}

/// The bytes of a data file, or one line naming it: missing, a folder, unreadable or empty.
func readDataFile(_ path: String) throws(ReformerError) -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ReformerError(file: path, "does not exist, expected a text file")
    }
    if isDirectory.boolValue { throw ReformerError(file: path, "is a folder, expected a text file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ReformerError(file: path, "cannot be read (check its permissions)")
    }
    guard !data.isEmpty else { throw ReformerError(file: path, "is empty, expected a text file") }
    return [UInt8](data)
}
