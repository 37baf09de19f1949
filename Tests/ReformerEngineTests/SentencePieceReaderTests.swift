// SentencePieceReaderTests: malformed SentencePiece model files fail with one line naming the file
// and field — truncation anywhere, wrong wire types, absurd lengths, bad varints, empty or duplicate
// pieces, a missing <unk>, byte pieces without byte_fallback, unsupported model types — never a trap.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

@Suite struct SentencePieceReaderTests {
    let good: [(String, Float, Int)] = [("<unk>", 0, unk), ("▁", -1, normal), ("a", -1, normal)]

    func load(_ bytes: [UInt8]) throws { _ = try handTokenizer(bytes) }

    @Test func aHandModelLoads() throws {
        let t = try handTokenizer(handModel(good))
        #expect(t.vocabSize == 3 && t.encode("a a") == [1, 2, 1, 2])
    }

    @Test func truncatedAnywhereFailsOrStopsAtAFieldBoundary() throws {
        let bytes = try AtomicFile.readContents(of: SPMFixture.path("bpe-nfkc.model"))
        let charsmapStart = bytes.count - 24_000                          // the charsmap ends the file
        for cut in stride(from: 0, to: bytes.count, by: 53) {
            do {
                _ = try SentencePieceProcessor(model: SentencePieceModel(bytes: Array(bytes.prefix(cut)), file: "cut.model"))
                #expect(cut < charsmapStart, "a cut inside the charsmap loaded: \(cut)")
            } catch {
                #expect(error.message.hasPrefix("cut.model") && !error.message.contains("\n"), "\(error.message)")
            }
        }
        // Inside the charsmap, which is the end of the file.
        expectError(["cut.model", "normalizer_spec", "runs past the end"]) {
            _ = try SentencePieceModel(bytes: Array(bytes.prefix(bytes.count - 100)), file: "cut.model")
        }
        expectError(["cut.model", "is empty"]) { _ = try SentencePieceModel(bytes: [], file: "cut.model") }
    }

    @Test func wrongWireTypesAreNamed() {
        var w = ProtoWriter()
        w.message(1) { p in p.string(1, "<unk>"); p.int(2, 5) }            // score as a varint
        expectError(["hand.model", "pieces[0].score", "wire type 0 (varint), expected 5 (fixed32)"]) { try load(w.bytes) }
        var m = ProtoWriter()
        m.int(1, 7)                                                        // pieces as a varint
        expectError(["pieces[0]", "wire type 0", "expected 2 (length-delimited)"]) { try load(m.bytes) }
        var n = ProtoWriter()
        n.bytes = handModel(good)
        n.message(3) { s in s.string(4, "yes") }                           // remove_extra_whitespaces as a string
        expectError(["normalizer_spec.remove_extra_whitespaces", "wire type 2"]) { try load(n.bytes) }
        var seven = ProtoWriter()
        seven.tag(1, 7)
        expectError(["wire type 7", "not a protobuf wire type"]) { try load(seven.bytes) }
        var zero = ProtoWriter()
        zero.tag(0, 0); zero.varint(1)
        expectError(["field number 0"]) { try load(zero.bytes) }
    }

    @Test func absurdLengthsAndVarintsAreRefusedBeforeAllocating() {
        var w = ProtoWriter()
        w.tag(1, 2); w.varint(1 << 40)
        expectError(["hand.model", "pieces[0]", "length 1099511627776 runs past the end"]) { try load(w.bytes) }
        var inner = ProtoWriter()
        inner.bytes = handModel(good)
        inner.message(1) { p in p.tag(1, 2); p.varint(1_000) ; p.bytes += [0x61] }
        expectError(["pieces[3].piece", "length 1000 runs past the end of its message"]) { try load(inner.bytes) }
        expectError(["ModelProto", "varint overflows 64 bits"]) { try load([UInt8](repeating: 0xFF, count: 11)) }
        var cut = ProtoWriter()
        cut.tag(1, 2); cut.bytes += [0x80]
        expectError(["inside a varint", "truncated"]) { try load(cut.bytes) }
        var float = ProtoWriter()
        float.message(1) { p in p.string(1, "a"); p.tag(2, 5); p.bytes += [0, 0] }
        expectError(["pieces[0].score", "inside a 4-byte float"]) { try load(float.bytes) }
        var bigInt = ProtoWriter()
        bigInt.bytes = handModel(good)
        bigInt.message(2) { t in t.int(40, 1 << 40) }
        expectError(["trainer_spec.unk_id", "outside the int32 range"]) { try load(bigInt.bytes) }
    }

    @Test func vocabularyRulesFollowSentencePiece() {
        expectError(["pieces[1].piece", "is empty"]) { try load(handModel([("<unk>", 0, unk), ("", 0, normal)])) }
        expectError(["pieces[3].piece", "\"a\" is already defined"]) { try load(handModel(good + [("a", -2, user)])) }
        expectError(["hand.model", "no UNKNOWN piece"]) { try load(handModel([("a", 0, normal)])) }
        expectError(["pieces[3].type", "second UNKNOWN"]) { try load(handModel(good + [("<unk2>", 0, unk)])) }
        expectError(["pieces[3]", "<0x41>", "byte_fallback is false"]) { try load(handModel(good + [("<0x41>", 0, byte)])) }
        expectError(["pieces[3].piece", "<0x4g>", "expected the form <0xNN>"]) {
            try load(handModel(good + [("<0x4g>", 0, byte)], byteFallback: true))
        }
        expectError(["pieces", "lack the byte piece <0x00>", "all 256"]) { try load(handModel(good + [("<0x41>", 0, byte)], byteFallback: true)) }
        expectError(["pieces[3].type", "enum value 9 is unknown"]) { try load(handModel(good + [("b", 0, 9)])) }
        expectError(["pieces[3].score", "NaN"]) { try load(handModel(good + [("b", .nan, normal)])) }
        expectError(["hand.model", "pieces", "is empty"]) {
            var w = ProtoWriter()
            w.message(2) { t in t.int(3, 2) }
            try load(w.bytes)
        }
    }

    /// Each expectation here is what the sentencepiece 0.2.3 package does with the same hand model.
    @Test func pieceRulesDifferByModelTypeAsInSentencePiece() throws {
        let duplicate = good + [("a", 0, control)]
        expectError(["pieces[3].piece", "\"a\" is already defined"]) { try load(handModel(duplicate)) }   // BPE: one map
        #expect(try handTokenizer(handModel(duplicate, unigram: true)).encode("aa") == [1, 2, 2])
        expectError(["pieces[3].score", "is -inf", "finite"]) { try load(handModel(good + [("b", -.infinity, normal)], unigram: true)) }
        #expect(try handTokenizer(handModel(good + [("b", -.infinity, normal)])).vocabSize == 4)
        expectError(["pieces[3].piece", "contains a NUL byte"]) { try load(handModel(good + [("b\u{0}", 0, normal)])) }
        expectError(["pieces[3].piece", "is 8000 bytes"]) { try load(handModel(good + [(String(repeating: "b", count: 8000), 0, normal)])) }
        // A single character that is a control piece's text segments to <unk>.
        for unigram in [false, true] {
            #expect(try handTokenizer(handModel(good + [("b", 0, control)], unigram: unigram)).encode("ab") == [1, 2, 0])
        }
        // With byte_fallback no <unk> is needed: unknown text is spelled in bytes.
        let bytePieces: [(String, Float, Int)] = (0..<256).map { (String(format: "<0x%02X>", $0), 0, byte) }
        for unigram in [false, true] {
            let t = try handTokenizer(handModel([("▁", -1, normal), ("a", -1, normal)] + bytePieces, unigram: unigram, byteFallback: true))
            #expect(t.encode("aé") == [0, 1, 197, 171])
            #expect(try t.decode([0, 1, 197, 171]) == "aé")
        }
    }

    @Test func wordAndCharModelsAreRefused() {
        var w = ProtoWriter()
        w.bytes = handModel(good)
        w.message(2) { t in t.int(3, 3) }                                  // a later trainer_spec merges in
        expectError(["trainer_spec.model_type", "is 3 (WORD)", "expected 1 (UNIGRAM) or 2 (BPE)"]) { try load(w.bytes) }
    }

    @Test func unknownFieldsAndGroupsAreSkipped() throws {
        var w = ProtoWriter()
        w.bytes = handModel(good)
        w.message(4) { s in s.message(1) { x in x.string(1, "in"); x.string(2, "out") } }  // self_test_data
        w.tag(99, 1); w.bytes += [UInt8](repeating: 0, count: 8)
        w.tag(98, 3); w.int(1, 5); w.tag(98, 4)                            // a group
        let t = try handTokenizer(w.bytes)
        #expect(t.encode("a") == [1, 2])
        var open = ProtoWriter()
        open.bytes = handModel(good)
        open.tag(98, 3); open.int(1, 5)
        expectError(["inside group 98"]) { try load(open.bytes) }
        var stray = ProtoWriter()
        stray.bytes = handModel(good)
        stray.tag(98, 4)
        expectError(["end-group 98 without a matching group start"]) { try load(stray.bytes) }
    }

    @Test func notAModelAtAll() throws {
        let config = Fixtures.path("tiny-causal/config.json")
        expectError([config]) { _ = try Tokenizer.sentencePiece(file: config) }
        expectError(["nope.model", "does not exist"]) { _ = try Tokenizer.sentencePiece(file: "/nonexistent/nope.model") }
        expectError(["is a folder"]) { _ = try Tokenizer.sentencePiece(file: Fixtures.path("spm")) }
    }
}
