// SafeTensorsTests: writer → reader round trips, F16/BF16 widening against hand-computed bit
// patterns, the HF fixture, one test per malformed input (the message must name the file and the
// problem), and AtomicFile's replace-or-leave-intact behaviour.

import Foundation
import ReformerEngine
import Testing

// MARK: - Helpers

/// A safetensors file from a literal header (not padded) and a data region.
private func fileBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    return littleEndian([UInt64(headerBytes.count)]) + headerBytes + data
}

private func littleEndian<Value: FixedWidthInteger>(_ values: [Value]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

private func littleEndian(_ values: [Float]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }

private let badName = "bad.safetensors"

/// Parses `header` + `data` under the name `bad.safetensors`.
private func load(_ header: String, data: [UInt8] = []) throws(ReformerError) -> SafeTensorsFile {
    try SafeTensorsFile(bytes: fileBytes(header: header, data: data), path: badName)
}

/// Runs `body`, which must throw a ReformerError whose message names `file` and contains `phrase`.
private func expectFailure(
    _ phrase: String, file: String = badName, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected an error containing \"\(phrase)\", nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ReformerError {
        #expect(
            error.message.contains(file), "message does not name \(file): \(error.message)",
            sourceLocation: sourceLocation)
        #expect(
            error.message.contains(phrase), "message lacks \"\(phrase)\": \(error.message)",
            sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a ReformerError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Bit-exact comparison, so -0 ≠ +0 and NaN payloads count.
private func expectBits(_ actual: [Float], _ expected: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    func hex(_ value: Float) -> String { "0x" + String(value.bitPattern, radix: 16) }
    for (index, (got, want)) in zip(actual, expected).enumerated() where got.bitPattern != want.bitPattern {
        Issue.record(
            "element \(index): got \(got) (\(hex(got))), expected \(want) (\(hex(want)))", sourceLocation: sourceLocation)
    }
}

/// A fresh empty directory, removed by the caller.
private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    return url
}

private func fixturePath(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(relative)").path
}

// MARK: - Round trips and layout

@Test func writerRoundTripsF32I64I32() throws {
    var writer = SafeTensorsWriter()
    writer.metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n"]
    let floats: [Float] = [1.5, -2, 0.1, .infinity, -0.0, .leastNonzeroMagnitude]
    try writer.add("weights", floats: floats, shape: [2, 3])
    try writer.add("ids", int64s: [.min, -1, 0, .max], shape: [4])
    try writer.add("counts", int32s: [.min, 7, .max], shape: [3, 1])
    try writer.add("scalar", floats: [42], shape: [])
    try writer.add("empty", int64s: [], shape: [0, 5])

    let file = try SafeTensorsFile(bytes: writer.serialized())
    #expect(file.names == ["counts", "empty", "ids", "scalar", "weights"])
    #expect(file.metadata == writer.metadata)
    #expect(file.info("weights")?.shape == [2, 3])
    #expect(file.info("weights")?.dtype == .f32)
    #expect(file.info("ids")?.dtype == .i64)
    #expect(file.info("counts")?.dtype == .i32)
    #expect(file.info("counts")?.elementCount == 3)
    #expect(file.info("scalar")?.shape == [])
    #expect(file.info("scalar")?.elementCount == 1)
    #expect(file.info("empty")?.elementCount == 0)
    expectBits(try file.floats("weights"), floats)
    #expect(try file.int64s("ids") == [.min, -1, 0, .max])
    #expect(try file.int64s("counts") == [Int64(Int32.min), 7, Int64(Int32.max)])
    #expect(try file.floats("counts") == [Float(Int32.min), 7, Float(Int32.max)])
    #expect(try file.floats("scalar") == [42])
    #expect(try file.int64s("empty") == [])
    #expect(file.contains("ids"))
    #expect(!file.contains("missing"))
    #expect(file.path == "<memory>")
}

@Test func writerHeaderIsSortedPaddedAndExact() throws {
    var writer = SafeTensorsWriter()
    try writer.add("b", int32s: [1, -1], shape: [2])
    try writer.add("a", floats: [1], shape: [1])
    writer.metadata = ["k": "v"]
    let header =
        #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
        + #""b":{"dtype":"I32","shape":[2],"data_offsets":[4,12]}}"#
    #expect(header.utf8.count == 133)
    let expected =
        littleEndian([UInt64(136)]) + Array(header.utf8) + Array(repeating: UInt8(ascii: " "), count: 3)
        + [0x00, 0x00, 0x80, 0x3F, 0x01, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
    #expect(writer.serialized() == expected)
}

@Test func readsTensorsListedOutOfOrder() throws {
    // Header order zeta, alpha, mid; data order zeta, mid, alpha.
    let header =
        #"{"zeta":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"#
        + #""alpha":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"#
        + #""__metadata__":{"source":"hand"},"#
        + #""mid":{"data_offsets":[8,16],"shape":[1],"dtype":"I64"}}"#
    let data = littleEndian([Int32(7), -7]) + littleEndian([Int64(42)]) + littleEndian([Float(0.5), -1.25])
    let file = try load(header, data: data)
    #expect(file.names == ["alpha", "mid", "zeta"])
    #expect(file.metadata == ["source": "hand"])
    #expect(try file.floats("alpha") == [0.5, -1.25])
    #expect(try file.int64s("mid") == [42])
    #expect(try file.int64s("zeta") == [7, -7])
}

@Test func readsDataAtUnalignedOffsets() throws {
    // One byte of U8 first, so the F32 and I64 that follow start at odd offsets.
    let header =
        #"{"byte":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
        + #""f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]},"#
        + #""i":{"dtype":"I64","shape":[1],"data_offsets":[5,13]}}"#
    let file = try load(header, data: [200] + littleEndian([Float(3.25)]) + littleEndian([Int64(-9)]))
    #expect(try file.int64s("byte") == [200])
    #expect(try file.floats("f") == [3.25])
    #expect(try file.int64s("i") == [-9])
}

// MARK: - Conversions

@Test func f16ConvertsExactly() throws {
    let bits: [UInt16] = [
        0x0000, 0x8000, 0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0400, 0x0001, 0x03FF, 0x8001, 0x7C00, 0xFC00,
    ]
    let expected: [Float] = [
        0.0, -0.0, 1.0, -2.0,
        0.333251953125,  // 0x3555 = (1 + 341/1024) × 2⁻²
        65504.0,  // largest finite half
        6.103515625e-05,  // 2⁻¹⁴, smallest normal
        5.9604644775390625e-08,  // 2⁻²⁴, smallest subnormal
        6.0975551605224609375e-05,  // 1023 × 2⁻²⁴, largest subnormal
        -5.9604644775390625e-08,
        .infinity, -.infinity,
    ]
    let header = #"{"h":{"dtype":"F16","shape":[12],"data_offsets":[0,24]}}"#
    let file = try load(header, data: littleEndian(bits))
    expectBits(try file.floats("h"), expected)

    let nanHeader = #"{"n":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#
    let nan = try load(nanHeader, data: littleEndian([UInt16(0x7E00), 0xFE01]))
    let nans = try nan.floats("n")
    #expect(nans.allSatisfy { $0.isNaN })
    #expect(nans.map(\.bitPattern) == [0x7FC0_0000, 0xFFC0_2000])
}

@Test func bf16ConvertsExactly() throws {
    let bits: [UInt16] = [0x3F80, 0xC049, 0x3EAB, 0x4780, 0x0001, 0x8000, 0x7F80, 0xFF80]
    let expected: [Float] = [
        1.0, -3.140625, 0.333984375, 65536.0,
        0x1p-133,  // an f32 subnormal, 9.18e-41
        -0.0, .infinity, -.infinity,
    ]
    let header = #"{"b":{"dtype":"BF16","shape":[2,4],"data_offsets":[0,16]}}"#
    let file = try load(header, data: littleEndian(bits))
    expectBits(try file.floats("b"), expected)
    expectFailure("element 1 (BF16) is -3.140625, expected it to be an integer") { _ = try file.int64s("b") }
}

@Test func smallIntegerDTypesWiden() throws {
    let header =
        #"{"i16":{"dtype":"I16","shape":[2],"data_offsets":[0,4]},"#
        + #""i8":{"dtype":"I8","shape":[2],"data_offsets":[4,6]},"#
        + #""u8":{"dtype":"U8","shape":[2],"data_offsets":[6,8]},"#
        + #""flags":{"dtype":"BOOL","shape":[3],"data_offsets":[8,11]},"#
        + #""f64":{"dtype":"F64","shape":[2],"data_offsets":[11,27]}}"#
    let data =
        littleEndian([Int16(-300), 300]) + [0x80, 0x7F] + [0x00, 0xFF] + [1, 0, 1]
        + littleEndian([Double(-1e15).bitPattern, Double(0.5).bitPattern])
    let file = try load(header, data: data)
    #expect(try file.int64s("i16") == [-300, 300])
    #expect(try file.int64s("i8") == [-128, 127])
    #expect(try file.int64s("u8") == [0, 255])
    #expect(try file.int64s("flags") == [1, 0, 1])
    #expect(try file.floats("i8") == [-128, 127])
    #expect(try file.floats("flags") == [1, 0, 1])
    #expect(try file.floats("f64") == [-1e15, 0.5])
}

@Test func int64sAcceptsIntegralFloatsOnly() throws {
    let header =
        #"{"whole":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"#
        + #""half":{"dtype":"F16","shape":[2],"data_offsets":[12,16]},"#
        + #""fraction":{"dtype":"F32","shape":[3],"data_offsets":[16,28]},"#
        + #""huge":{"dtype":"F64","shape":[1],"data_offsets":[28,36]},"#
        + #""nan":{"dtype":"F32","shape":[1],"data_offsets":[36,40]}}"#
    let data =
        littleEndian([Float(1), -2, 16_777_216]) + littleEndian([UInt16(0x4500), 0xC000])
        + littleEndian([Float(1), 2.5, 3]) + littleEndian([Double(1e19).bitPattern]) + littleEndian([Float.nan])
    let file = try load(header, data: data)
    #expect(try file.int64s("whole") == [1, -2, 16_777_216])
    #expect(try file.int64s("half") == [5, -2])
    expectFailure("element 1 (F32) is 2.5, expected it to be an integer") { _ = try file.int64s("fraction") }
    expectFailure("element 0 (F64) is 1e+19, expected it to be an integer in Int64 range") {
        _ = try file.int64s("huge")
    }
    expectFailure("is nan") { _ = try file.int64s("nan") }
}

// MARK: - The HF fixture

@Test func readsTinyCausalFixture() throws {
    let path = fixturePath("tiny-causal/model.safetensors")
    let file = try SafeTensorsFile(contentsOf: path)
    #expect(file.path == path)
    #expect(file.metadata == ["format": "pt"])
    #expect(file.names.count == 31)
    let name = "reformer.embeddings.word_embeddings.weight"
    let info = try #require(file.info(name))
    #expect(info.dtype == .f32)
    #expect(info.shape == [40, 32])
    let values = try file.floats(name)
    #expect(values.count == 40 * 32)
    // First and last values as printed by numpy from the same file.
    #expect(values.first == -0.6027625203132629)
    #expect(values.last == -0.6673413515090942)
    #expect(file.info("lm_head.decoder.weight")?.shape == [40, 64])
}

@Test(arguments: [
    "tiny-causal/model.safetensors", "tiny-causal/expected.safetensors",
    "lsh-encoder/model.safetensors", "lsh-encoder/expected.safetensors",
])
func readsEveryFixtureTensor(relativePath: String) throws {
    let file = try SafeTensorsFile(contentsOf: fixturePath(relativePath))
    #expect(!file.names.isEmpty)
    for name in file.names {
        let info = try #require(file.info(name))
        switch info.dtype {
        case .i64: #expect(try file.int64s(name).count == info.elementCount)
        default: #expect(try file.floats(name).count == info.elementCount)
        }
    }
}

// MARK: - Malformed input, one test each

@Test func missingFileThrows() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("absent.safetensors").path
    expectFailure("could not open for reading: No such file", file: path) { _ = try SafeTensorsFile(contentsOf: path) }
}

@Test func directoryIsNotReadable() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    expectFailure("could not read", file: directory.path) { _ = try SafeTensorsFile(contentsOf: directory.path) }
}

@Test func fileShorterThanEightBytes() {
    expectFailure("file is 3 bytes, shorter than the 8-byte header length") {
        _ = try SafeTensorsFile(bytes: [1, 2, 3], path: badName)
    }
}

@Test func headerLengthPastEndOfFile() {
    let bytes = littleEndian([UInt64(100)]) + Array("{}".utf8)
    expectFailure("header length 100 runs past the end of the file (2 bytes") {
        _ = try SafeTensorsFile(bytes: bytes, path: badName)
    }
}

@Test func headerLengthAbsurdlyLarge() {
    let bytes = littleEndian([UInt64.max]) + Array("{}".utf8)
    expectFailure("header length 18446744073709551615 is absurdly large") {
        _ = try SafeTensorsFile(bytes: bytes, path: badName)
    }
}

@Test func headerNotUTF8() {
    let header: [UInt8] = [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x7B, 0x7D, 0x7D]  // {"\xFF":{}}
    expectFailure("header is not valid UTF-8") {
        _ = try SafeTensorsFile(bytes: littleEndian([UInt64(header.count)]) + header, path: badName)
    }
}

@Test(arguments: [
    #"{"a": }"#, #"{"a":{"dtype":"F32",}}"#, #"{"a" 1}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, "{", "",
    #"{"a":01}"#, #"{} {}"#, String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
])
func headerNotJSON(header: String) {
    expectFailure("header is not valid JSON") { _ = try load(header) }
}

@Test(arguments: [#"[1, 2]"#, #""text""#, "42", "null"])
func headerNotObject(header: String) {
    expectFailure("header is not a JSON object") { _ = try load(header) }
}

@Test func entryNotObject() {
    expectFailure("(weight): entry is [0, 4], expected an object") { _ = try load(#"{"weight":[0,4]}"#) }
}

@Test(arguments: ["dtype", "shape", "data_offsets"])
func entryLacksField(field: String) {
    let fields = [#""dtype":"F32""#, #""shape":[1]"#, #""data_offsets":[0,4]"#].filter { !$0.hasPrefix("\"\(field)\"") }
    let header = #"{"weight":{"# + fields.joined(separator: ",") + "}}"
    expectFailure("(weight): entry lacks \"\(field)\"") { _ = try load(header, data: [0, 0, 0, 0]) }
}

@Test func unknownDType() {
    let header = #"{"weight":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#
    let supported = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL"
    expectFailure(#"(weight): unknown dtype "F8_E4M3", expected one of "# + supported) {
        _ = try load(header, data: [0])
    }
}

@Test func negativeShapeDimension() {
    let header = #"{"weight":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}}"#
    expectFailure("(weight): shape dimension -1 is negative") { _ = try load(header) }
}

@Test(arguments: ["1.5", "2e0", "\"2\"", "true", "99999999999999999999"])
func nonIntegerShapeDimension(dimension: String) {
    let header = #"{"weight":{"dtype":"F32","shape":["# + dimension + #"],"data_offsets":[0,4]}}"#
    expectFailure("(weight): shape dimension \(dimension) is not an integer") {
        _ = try load(header, data: [0, 0, 0, 0])
    }
}

@Test func shapeElementCountOverflows() {
    let header = #"{"weight":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#
    expectFailure("(weight): shape [4611686018427387904, 4] has too many elements") {
        _ = try load(header, data: [0, 0, 0, 0])
    }
}

@Test(arguments: ["[4]", "[0,4,8]", "[8,4]", "[-4,0]", #"[0,"4"]"#, "[0,4.0]", "4", "{}"])
func dataOffsetsNotTwoNonDecreasingIntegers(offsets: String) {
    let header = #"{"weight":{"dtype":"F32","shape":[1],"data_offsets":"# + offsets + "}}"
    expectFailure("(weight): data_offsets is") { _ = try load(header, data: Array(repeating: 0, count: 8)) }
}

@Test func dataOffsetsPastEndOfData() {
    let header = #"{"weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
    expectFailure("(weight): data_offsets end 12 is past the end of the data region (8 bytes)") {
        _ = try load(header, data: Array(repeating: 0, count: 8))
    }
}

@Test func byteCountDisagreesWithShape() {
    let header = #"{"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#
    expectFailure("(weight): data_offsets [0, 12] hold 12 bytes, expected 4 elements × 4 bytes of F32 = 16") {
        _ = try load(header, data: Array(repeating: 0, count: 16))
    }
}

@Test func overlappingTensors() {
    let header =
        #"{"first":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
        + #""second":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"#
        + #""empty":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
    expectFailure(#"(second): data_offsets [4, 12] overlap tensor "first" at [0, 8]"#) {
        _ = try load(header, data: Array(repeating: 0, count: 12))
    }
}

@Test func duplicateTensorName() {
    let header =
        #"{"weight":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
        + #""weight":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
    expectFailure("(weight): duplicate key in the header") { _ = try load(header, data: [0, 0]) }
}

@Test(arguments: [#""pt""#, #"{"format":1}"#])
func metadataNotStrings(metadata: String) {
    expectFailure("(__metadata__):") { _ = try load(#"{"__metadata__":"# + metadata + "}") }
}

@Test func unknownTensorName() throws {
    let file = try load(#"{"weight":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [0])
    expectFailure("(bias): no tensor with this name") { _ = try file.floats("bias") }
    expectFailure("(bias): no tensor with this name") { _ = try file.int64s("bias") }
}

@Test func boolByteOtherThanZeroOrOne() throws {
    let file = try load(#"{"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}"#, data: [1, 0, 2])
    expectFailure("(mask): element 2 (BOOL) is byte 2, expected it to be 0 or 1") { _ = try file.int64s("mask") }
    expectFailure("(mask): element 2 (BOOL) is byte 2, expected it to be 0 or 1") { _ = try file.floats("mask") }
}

@Test func writerRejectsBadTensors() throws {
    var writer = SafeTensorsWriter()
    try writer.add("weight", floats: [1, 2], shape: [2])
    expectFailure("(matrix): 3 values given, expected 4 for shape [2, 2]", file: "<writer>") {
        try writer.add("matrix", floats: [1, 2, 3], shape: [2, 2])
    }
    expectFailure("(weight): added twice", file: "<writer>") { try writer.add("weight", int64s: [1], shape: [1]) }
    expectFailure("(bias): shape [-1] has a negative dimension", file: "<writer>") {
        try writer.add("bias", int32s: [], shape: [-1])
    }
    expectFailure("(__metadata__): reserved name", file: "<writer>") {
        try writer.add("__metadata__", floats: [], shape: [0])
    }
    expectFailure("too many elements", file: "<writer>") { try writer.add("huge", floats: [], shape: [Int.max, 2]) }
}

// MARK: - AtomicFile

@Test func writerWritesAFileTheReaderReads() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("checkpoint.safetensors").path
    var writer = SafeTensorsWriter()
    try writer.add("step", int64s: [1234], shape: [])
    try writer.write(to: path)
    #expect(try SafeTensorsFile(contentsOf: path).int64s("step") == [1234])
}

@Test func atomicWriteReplacesExistingFile() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("state.bin").path
    try AtomicFile.write(Array("old contents, longer than the new".utf8), to: path)
    try AtomicFile.write(Array("new".utf8), to: path)
    #expect(try AtomicFile.readContents(of: path) == Array("new".utf8))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["state.bin"])
    try AtomicFile.write([], to: path)
    #expect(try AtomicFile.readContents(of: path) == [])
}

@Test func atomicWriteIntoMissingDirectoryThrows() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("absent/state.bin").path
    expectFailure("could not create a temporary file", file: path) { try AtomicFile.write([1, 2, 3], to: path) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
}

@Test func atomicWriteThatCannotRenameLeavesTargetAndNoTemporaryFile() throws {
    // The target is a non-empty directory, so the temp file is written and synced but rename(2) fails.
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let target = directory.appendingPathComponent("occupied")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
    try Data("keep".utf8).write(to: target.appendingPathComponent("inside"))
    expectFailure("could not rename the temporary file over it", file: target.path) {
        try AtomicFile.write([1, 2, 3], to: target.path)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["occupied"])
    #expect(try AtomicFile.readContents(of: target.appendingPathComponent("inside").path) == Array("keep".utf8))
}
