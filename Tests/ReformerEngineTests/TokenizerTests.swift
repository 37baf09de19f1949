// TokenizerTests: the byte kinds (ids, labels, UTF-8 reassembly while streaming, bytes + 2 skipping
// ids 0 and 1) and the checkpoint chooser (tokenizer file first, then vocabulary 256 / 258, else none;
// --tokenizer overrides; a tokenizer larger than the model's vocabulary is refused).

import Foundation
import Testing
import ReformerEngine
import ReformerTestSupport

@Suite struct ByteTokenizerTests {
    @Test func bytesAreIdsAndBackAgain() throws {
        let text = "héllo\t€\n🎉"
        let ids = Tokenizer.bytes.encode(text)
        #expect(ids == Array(text.utf8).map { Int($0) })
        #expect(try Tokenizer.bytes.decode(ids) == text)
        #expect(Tokenizer.bytesPlusTwo.encode(text) == ids.map { $0 + 2 })
        #expect(try Tokenizer.bytesPlusTwo.decode([0, 1] + ids.map { $0 + 2 } + [0]) == text, "ids 0 and 1 decode to nothing")
        #expect(try Tokenizer.bytes.encode(bytes: [0xFF, 0x00, 0x80]) == [255, 0, 128], "any bytes")
        #expect(Tokenizer.bytes.vocabSize == 256 && Tokenizer.bytesPlusTwo.vocabSize == 258)
        #expect(Tokenizer.bytes.encode("").isEmpty)
        #expect(try Tokenizer.bytes.decode([]) == "")
    }

    @Test func invalidBytesDecodeToReplacementCharacters() throws {
        // A stray continuation byte, a truncated 3-byte sequence, an overlong "/" and a surrogate.
        #expect(try Tokenizer.bytes.decode([0x80, 0x61, 0xE2, 0x82, 0x62, 0xC0, 0xAF, 0xED, 0xA0, 0x80]) ==
                "\u{FFFD}a\u{FFFD}\u{FFFD}b\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}")
        expectError(["bytes", "token id 256", "0..<256"]) { _ = try Tokenizer.bytes.decode([65, 256]) }
        expectError(["bytes+2", "token id 258"]) { _ = try Tokenizer.bytesPlusTwo.decode([258]) }
    }

    @Test func streamingEmitsWholeCharacters() {
        var stream = Tokenizer.bytesPlusTwo.streamDecoder()
        let ids = Array("a€".utf8).map { Int($0) + 2 }
        #expect(ids.map { stream.push($0) } == ["a", "", "", "€"])
        #expect(stream.push(1) == "" && stream.push(0xE2 + 2) == "")
        #expect(stream.push(0x41 + 2) == "\u{FFFD}A", "a lead byte followed by ASCII settles at once")
        #expect(stream.push(0xF0 + 2) == "" && stream.finish() == "\u{FFFD}")
        var plain = Tokenizer.bytes.streamDecoder()
        #expect(plain.push(300) == "\u{FFFD}" && plain.push(0x7A) == "z")
    }

    @Test func labelsAreReadable() {
        #expect(Tokenizer.bytes.pieces(for: [0x74, 0x20, 0x0A, 0x09, 0xC3, 0x00, 999]) == ["t", "▁", "\\n", "\\t", "<0xC3>", "<0x00>", "<id 999?>"])
        #expect(Tokenizer.bytesPlusTwo.pieces(for: [0, 1, 2, 0x61 + 2]) == ["<pad>", "<1>", "<0x00>", "a"])
    }
}

@Suite struct TokenizerChoiceTests {
    /// A fresh folder holding `files` (name → source path).
    func folder(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, source) in files { try FileManager.default.copyItem(atPath: source, toPath: "\(dir)/\(name)") }
        return dir
    }

    @Test func byteVocabulariesWithoutAFile() throws {
        let dir = try folder([:])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard case .bytes = try Tokenizer.forCheckpoint(directory: dir, vocabSize: 256) else { Issue.record("256 → bytes"); return }
        guard case .bytesPlusTwo = try Tokenizer.forCheckpoint(directory: dir, vocabSize: 258) else { Issue.record("258 → bytes+2"); return }
        #expect(try Tokenizer.forCheckpoint(directory: dir, vocabSize: 320) == nil)
        let missing = Tokenizer.missing(vocabSize: 320, directory: dir)
        #expect(missing.message.contains("no text tokenizer for vocabulary 320") && missing.message.contains("--prompt-ids"))
    }

    @Test func aTokenizerFileWinsAndOverridesWinOverIt() throws {
        let bpe = SPMFixture.path("bpe-nfkc.model"), unigram = SPMFixture.path("unigram-nfkc.model")
        let dir = try folder(["spiece.model": bpe, "tokenizer.model": unigram])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let chosen = try Tokenizer.forCheckpoint(directory: dir, vocabSize: 400)
        #expect(chosen?.file == "\(dir)/spiece.model" && chosen?.summary.hasPrefix("SentencePiece BPE, 400 pieces") == true)
        try FileManager.default.removeItem(atPath: "\(dir)/spiece.model")
        #expect(try Tokenizer.forCheckpoint(directory: dir, vocabSize: 512)?.file == "\(dir)/tokenizer.model")
        #expect(try Tokenizer.forCheckpoint(directory: dir, vocabSize: 512, override: bpe)?.file == bpe)
        expectError(["bpe-nfkc.model", "has 400 pieces", "vocabulary of 256"]) {
            _ = try Tokenizer.forCheckpoint(directory: dir, vocabSize: 256, override: bpe)
        }
    }

    @Test func moreTokenizerPiecesThanTheModelTakesIsAnError() throws {
        let dir = try folder(["spiece.model": SPMFixture.path("bpe-bytes.model")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectError(["spiece.model", "has 400 pieces", "vocabulary of 258", "config.json"]) {
            _ = try Tokenizer.forCheckpoint(directory: dir, vocabSize: 258)
        }
        expectError(["override.model", "does not exist"]) {
            _ = try Tokenizer.forCheckpoint(directory: dir, vocabSize: 400, override: "\(dir)/override.model")
        }
    }
}
