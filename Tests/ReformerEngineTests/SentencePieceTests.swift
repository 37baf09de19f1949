// SentencePieceTests: the SentencePiece tokenizer against what the sentencepiece package returned
// for the committed fixture models (Fixtures/spm, scripts/make_spm_fixtures.py): normalized text,
// ids, pieces and decodes must be equal exactly. Plus the rules on hand-made models: BPE merge
// order and ties, unknown runs, byte fallback, the unigram lattice, and a hand-built charsmap trie.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

struct SPMFixture: Decodable {
    struct EncodeCase: Decodable {
        let text: String
        let normalized: String
        let ids: [Int]
        let pieces: [String]
        let decoded: String
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let text: String
    }

    let model: String
    let pieces: Int
    let encode: [EncodeCase]
    let decode: [DecodeCase]

    static let names = ["bpe-nfkc", "unigram-nfkc", "bpe-bytes", "unigram-raw"]

    static func path(_ file: String) -> String { Fixtures.path("spm/\(file)") }

    static func load(_ name: String) throws -> (SPMFixture, Tokenizer) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("\(name).json")))
        let fixture = try JSONDecoder().decode(SPMFixture.self, from: data)
        return (fixture, try Tokenizer.sentencePiece(file: path(fixture.model)))
    }
}

@Suite struct SentencePieceFixtureTests {
    @Test(arguments: SPMFixture.names)
    func encodeMatchesSentencePiece(name: String) throws {
        let (fixture, tokenizer) = try SPMFixture.load(name)
        guard case .sentencePiece(let sp) = tokenizer else { Issue.record("not SentencePiece"); return }
        #expect(tokenizer.vocabSize == fixture.pieces)
        for c in fixture.encode {
            let normalized = String(decoding: sp.normalize(Array(c.text.utf8)), as: UTF8.self)
            #expect(normalized == c.normalized, "\(name) normalize \(c.text.debugDescription)")
            let ids = tokenizer.encode(c.text)
            #expect(ids == c.ids, "\(name) encode \(c.text.debugDescription): pieces \(tokenizer.pieces(for: ids)), expected \(c.pieces)")
            #expect(try tokenizer.encode(bytes: Array(c.text.utf8)) == c.ids)
            #expect(tokenizer.pieces(for: c.ids) == c.pieces, "\(name) pieces \(c.text.debugDescription)")
            #expect(try tokenizer.decode(c.ids) == c.decoded, "\(name) decode of \(c.text.debugDescription)")
        }
    }

    @Test(arguments: SPMFixture.names)
    func decodeMatchesSentencePiece(name: String) throws {
        let (fixture, tokenizer) = try SPMFixture.load(name)
        for c in fixture.decode {
            #expect(try tokenizer.decode(c.ids) == c.text, "\(name) decode \(c.ids) → \(tokenizer.pieces(for: c.ids))")
        }
    }

    /// Streamed pieces concatenate to the whole decode (the denormalizer model applies its rule per
    /// piece, so it is left out).
    @Test(arguments: ["bpe-nfkc", "unigram-nfkc", "bpe-bytes"])
    func streamingEqualsDecode(name: String) throws {
        let (fixture, tokenizer) = try SPMFixture.load(name)
        for ids in fixture.decode.map(\.ids) + fixture.encode.map(\.ids) {
            var stream = tokenizer.streamDecoder()
            let streamed = ids.map { stream.push($0) }.joined() + stream.finish()
            #expect(streamed == (try tokenizer.decode(ids)), "\(name) stream \(ids)")
        }
    }

    @Test func bytePiecesWaitForTheirCharacter() throws {
        let (_, tokenizer) = try SPMFixture.load("bpe-bytes")
        guard case .sentencePiece(let sp) = tokenizer else { return }
        let ids = ["<0xC3>", "<0xA9>", "<0xE2>", "<0x82>", "<0xAC>", "<0xFF>"].map { name in sp.model.pieces.firstIndex { $0.text == name } ?? -1 }
        var stream = tokenizer.streamDecoder()
        #expect(ids.map { stream.push($0) } == ["", "é", "", "", "€", "\u{FFFD}"])
        #expect(stream.finish() == "")
        var cut = tokenizer.streamDecoder()
        #expect(cut.push(ids[2]) == "" && cut.push(ids[3]) == "")
        #expect(cut.finish() == "\u{FFFD}\u{FFFD}")
    }

    @Test func outOfVocabularyIdsAreNamed() throws {
        let (_, tokenizer) = try SPMFixture.load("bpe-nfkc")
        expectError(["bpe-nfkc.model", "token id 400", "0..<400"]) { _ = try tokenizer.decode([5, 400]) }
        expectError(["token id -1"]) { _ = try tokenizer.decode([-1]) }
        var stream = tokenizer.streamDecoder()
        #expect(stream.push(400) == "\u{FFFD}")
    }

    @Test func invalidUTF8IsRefusedWithItsOffset() throws {
        let (_, tokenizer) = try SPMFixture.load("unigram-nfkc")
        expectError(["prompt.txt", "not valid UTF-8 at byte 3"]) { _ = try tokenizer.encode(bytes: [0x61, 0x62, 0x63, 0xFF], source: "prompt.txt") }
        expectError(["at byte 1"]) { _ = try tokenizer.encode(bytes: [0x61, 0xED, 0xA0, 0x80]) }   // a surrogate
        expectError(["at byte 0"]) { _ = try tokenizer.encode(bytes: [0xC0, 0xAF]) }              // overlong "/"
    }
}

/// A minimal protobuf writer for building models by hand.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    mutating func int(_ field: Int, _ value: Int) { tag(field, 0); varint(UInt64(bitPattern: Int64(value))) }

    mutating func float(_ field: Int, _ value: Float) {
        tag(field, 5)
        let raw = value.bitPattern
        for k in 0..<4 { bytes.append(UInt8((raw >> (8 * UInt32(k))) & 0xFF)) }
    }

    mutating func data(_ field: Int, _ payload: [UInt8]) { tag(field, 2); varint(UInt64(payload.count)); bytes += payload }

    mutating func string(_ field: Int, _ text: String) { data(field, Array(text.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        data(field, inner.bytes)
    }
}

/// A model file: `pieces` as (text, score, type); BPE unless `unigram`.
func handModel(_ pieces: [(String, Float, Int)], unigram: Bool = false, byteFallback: Bool = false,
               charsmap: [UInt8] = [], addDummyPrefix: Bool = true) -> [UInt8] {
    var w = ProtoWriter()
    for (text, score, type) in pieces {
        w.message(1) { p in p.string(1, text); p.float(2, score); p.int(3, type) }
    }
    w.message(2) { t in t.int(3, unigram ? 1 : 2); if byteFallback { t.int(35, 1) } }
    w.message(3) { n in
        n.string(1, charsmap.isEmpty ? "identity" : "hand")
        if !charsmap.isEmpty { n.data(2, charsmap) }
        n.int(3, addDummyPrefix ? 1 : 0)
    }
    return w.bytes
}

func handTokenizer(_ bytes: [UInt8]) throws -> Tokenizer {
    .sentencePiece(try SentencePieceProcessor(model: SentencePieceModel(bytes: bytes, file: "hand.model")))
}

let unk = 2, normal = 1, control = 3, user = 4, byte = 6

@Suite struct SentencePieceRuleTests {
    @Test func bpeMergesTheBestPairLeftmostOnTies() throws {
        let base: [(String, Float, Int)] = [("<unk>", 0, unk), ("▁", -5, normal), ("a", -5, normal), ("b", -5, normal), ("c", -5, normal)]
        let bcBetter = try handTokenizer(handModel(base + [("ab", -2, normal), ("bc", -1, normal)]))
        #expect(bcBetter.pieces(for: bcBetter.encode("abc")) == ["▁", "a", "bc"])
        let tie = try handTokenizer(handModel(base + [("ab", -1, normal), ("bc", -1, normal)]))
        #expect(tie.pieces(for: tie.encode("abc")) == ["▁", "ab", "c"])
        // A merge that beats its neighbours only once an earlier merge has made it possible.
        let chain = try handTokenizer(handModel(base + [("bc", -1, normal), ("abc", -3, normal), ("▁abc", -4, normal)]))
        #expect(chain.pieces(for: chain.encode("abc abc")) == ["▁abc", "▁abc"])
    }

    @Test func unknownCharactersMergeIntoOneId() throws {
        let t = try handTokenizer(handModel([("<unk>", 0, unk), ("<s>", 0, control), ("▁", -1, normal), ("a", -1, normal)]))
        #expect(t.encode("axyz a") == [2, 3, 0, 2, 3])
        #expect(try t.decode([2, 3, 0, 2, 3]) == "a ⁇  a")
        #expect(try t.decode([1, 2, 3, 1]) == "a", "control pieces vanish; the dummy prefix goes after them too")
    }

    @Test func userDefinedSymbolsAreNeverSplitOrNormalized() throws {
        let t = try handTokenizer(handModel([("<unk>", 0, unk), ("▁", -1, normal), ("x", -1, normal), ("<sep>", 0, user), ("x<", -0.5, normal)]))
        #expect(t.pieces(for: t.encode("x<sep>x")) == ["▁", "x", "<sep>", "x"])
    }

    @Test func byteFallbackSpellsUnknownCharactersInBytes() throws {
        var pieces: [(String, Float, Int)] = [("<unk>", 0, unk), ("▁", -1, normal), ("a", -1, normal)]
        pieces += (0..<256).map { (String(format: "<0x%02X>", $0), 0, byte) }
        let t = try handTokenizer(handModel(pieces, byteFallback: true))
        #expect(t.pieces(for: t.encode("aé")) == ["▁", "a", "<0xC3>", "<0xA9>"])
        #expect(try t.decode(t.encode("aé€")) == "aé€")
    }

    @Test func unigramTakesTheBestPathAndPenalisesUnknowns() throws {
        let pieces: [(String, Float, Int)] = [("<unk>", 0, unk), ("▁", -3, normal), ("a", -3, normal), ("b", -3, normal),
                                              ("▁ab", -5, normal), ("▁a", -1, normal), ("ab", -1.5, normal)]
        let t = try handTokenizer(handModel(pieces, unigram: true))
        // ▁a + b = −4 beats ▁ab = −5 and ▁ + ab = −4.5.
        #expect(t.pieces(for: t.encode("ab")) == ["▁a", "b"])
        // An unknown costs min score − 10 = −15, so "x" is one unknown, merged with the next.
        #expect(t.encode("axx") == [5, 0])
    }

    /// Equal path scores keep the path found first (sentencepiece 0.2.3 gives the same pieces).
    @Test func unigramTiesKeepTheEarlierPathAndUserSymbolsWin() throws {
        let tie = try handTokenizer(handModel([("<unk>", 0, unk), ("▁", -2, normal), ("▁a", -2, normal), ("b", -2, normal), ("ab", -2, normal)], unigram: true))
        #expect(tie.pieces(for: tie.encode("ab")) == ["▁", "ab"])
        let user = try handTokenizer(handModel([("<unk>", 0, unk), ("▁", -2, normal), ("x", -1, normal), ("xy", -0.05, normal),
                                                ("y", -1, normal), ("<u>", 0, 4)], unigram: true))
        #expect(user.pieces(for: user.encode("xy<u>x")) == ["▁", "xy", "<u>", "x"])
        // Past ±1e5 the running score is re-based to 0; without that, −1e8 − 1 rounds to −1e8 in
        // float and "ab" would win.
        let big = try handTokenizer(handModel([("<unk>", 0, unk), ("▁", -1e8, normal), ("a", -1, normal), ("b", -1, normal),
                                               ("ab", -2.0000002, normal)], unigram: true))
        #expect(big.pieces(for: big.encode("ab")) == ["▁", "a", "b"])
    }

    @Test func aHandBuiltCharsmapReplacesTheLongestMatch() throws {
        // Keys "x" → "y" and "xa" → "" in a darts-clone double array: root offset 256, children at
        // 256 ^ byte, leaves behind them.
        var units = [UInt32](repeating: 0, count: 512)
        units[0] = 256 << 10
        let x = 256 ^ 0x78
        units[x] = (256 << 10) | (1 << 8) | 0x78         // "x": has a leaf; its base is x ^ 256
        let xBase = x ^ 256
        units[xBase] = (1 << 31) | 0                     // leaf of "x": value 0 → "y"
        units[xBase ^ 0x61] = (1 << 10) | (1 << 8) | 0x61 // "xa": has a leaf at (xBase ^ 0x61) ^ 1
        units[(xBase ^ 0x61) ^ 1] = (1 << 31) | 2        // value 2 → ""
        func charsmap(_ units: [UInt32], _ replacements: [UInt8]) -> [UInt8] {
            var blob: [UInt8] = []
            for word in [UInt32(units.count * 4)] + units { for k in 0..<4 { blob.append(UInt8((word >> (8 * UInt32(k))) & 0xFF)) } }
            return blob + replacements
        }
        let pieces: [(String, Float, Int)] = [("<unk>", 0, unk), ("▁", -1, normal), ("y", -1, normal), ("b", -1, normal)]
        let t = try handTokenizer(handModel(pieces, charsmap: charsmap(units, [0x79, 0, 0])))
        guard case .sentencePiece(let sp) = t else { return }
        #expect(String(decoding: sp.normalize(Array("xbxa x".utf8)), as: UTF8.self) == "▁yb▁y")

        expectError(["hand.model", "normalizer_spec.precompiled_charsmap", "do not end with a NUL byte"]) {
            _ = try handTokenizer(handModel(pieces, charsmap: charsmap(units, [0x79, 0, 0x7A])))
        }
        var bigValue = units
        bigValue[xBase] = (1 << 31) | 7                   // the leaf of "x" points past "y\0\0"
        expectError(["double array is invalid", "leaf \(xBase) holds value 7, past the 3 bytes"]) {
            _ = try handTokenizer(handModel(pieces, charsmap: charsmap(bigValue, [0x79, 0, 0])))
        }
        var farLeaf = units
        farLeaf[x] = (1024 << 10) | (1 << 8) | 0x78       // the leaf of "x" moves to x ^ 1024, past the 512 units
        expectError(["normalizer_spec.precompiled_charsmap", "unit \(x) points at children past the 512 units"]) {
            _ = try handTokenizer(handModel(pieces, charsmap: charsmap(farLeaf, [0x79, 0, 0])))
        }
        var longSize = charsmap(units, [0x79, 0, 0])
        longSize[1] = 0x09                                // trie size 2304 > the 2051 bytes after it
        expectError(["normalizer_spec.precompiled_charsmap", "trie size 2304 runs past"]) {
            _ = try handTokenizer(handModel(pieces, charsmap: longSize))
        }
        expectError(["precompiled_charsmap", "is 3 bytes"]) { _ = try handTokenizer(handModel(pieces, charsmap: [1, 2, 3])) }
        expectError(["trie size 4 is not a positive multiple of 1024"]) {
            _ = try handTokenizer(handModel(pieces, charsmap: [4, 0, 0, 0, 1, 2, 3, 4, 0]))
        }
    }
}
