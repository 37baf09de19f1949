// TorchCheckpointTests: pytorch_model.bin in every shape the fixtures hold (zip and legacy
// formats, F32/F16/BF16, shards, shared storages and strided views) loads to tiny-causal's
// weights and reproduces its forward; every malformed or hostile file fails with one line naming
// the file and the entry, and nothing in a pickle ever runs.

import Foundation
import Testing
@testable import ReformerEngine
import ReformerTestSupport

private let torchFixtures = Fixtures.path("torch")

/// A fresh temporary folder.
private func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("reformer-torch-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `bytes` to `name` in a fresh folder and returns the path.
private func write(_ bytes: [UInt8], named name: String = "pytorch_model.bin") throws -> String {
    let path = try temporaryFolder() + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

private func bytes(of path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// Float → nearest float16 → Float, ties to even (torch's `.half()`).
private func roundedToHalf(_ value: Float) -> Float { Float(Float16(value)) }

/// Float → nearest bfloat16 → Float, ties to even (torch's `.bfloat16()`, finite inputs).
private func roundedToBFloat16(_ value: Float) -> Float {
    let bits = value.bitPattern
    return Float(bitPattern: ((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16) << 16)
}

private func expectBitEqual(_ got: [Float], _ want: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == want.count, "\(what): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
    if let index = zip(got, want).enumerated().first(where: { $0.element.0.bitPattern != $0.element.1.bitPattern })?.offset {
        Issue.record("\(what): element \(index) is \(got[index]), expected \(want[index])", sourceLocation: sourceLocation)
    }
}

@Suite struct TorchCheckpointFormatTests {
    static let folders: [(folder: String, rounding: String)] = [
        ("hf-zip", "f32"), ("legacy-f32", "f32"), ("zip-f16", "f16"), ("sharded-bf16", "bf16"),
    ]

    @Test(arguments: folders)
    func loadsToTheSafetensorsWeights(_ folder: String, _ rounding: String) throws {
        let reference = try SafeTensorsFile(contentsOf: Fixtures.path("tiny-causal") + "/model.safetensors")
        let weights = try CheckpointWeights.open(directory: torchFixtures + "/" + folder)
        let round: (Float) -> Float
        switch rounding {
        case "f16": round = roundedToHalf
        case "bf16": round = roundedToBFloat16
        default: round = { $0 }
        }
        for name in reference.names {
            let info = try #require(weights.info(name), "\(folder) lacks \(name)")
            #expect(info.shape == reference.info(name)?.shape)
            expectBitEqual(try weights.floats(name), try reference.floats(name).map(round), "\(folder) \(name)")
        }
        // The whole model, through the loader every command uses.
        let model = try HFCheckpoint.load(directory: torchFixtures + "/" + folder)
        let expected = try HFCheckpoint.load(directory: Fixtures.path("tiny-causal"))
        expectBitEqual(model.parameters.storage.toArray(), expected.parameters.storage.toArray().map(round), folder)
    }

    @Test func formatsAndMappingAreWhatTheFixturesSay() throws {
        let zip = try TorchCheckpoint(contentsOf: torchFixtures + "/hf-zip/pytorch_model.bin")
        let legacy = try TorchCheckpoint(contentsOf: torchFixtures + "/legacy-f32/pytorch_model.bin")
        #expect(zip.format == .zip && legacy.format == .legacy)
        #expect(zip.isMapped && legacy.isMapped)
        // HF's state dict carries the attention mask-value buffers, which the loader ignores.
        #expect(zip.names.contains { $0.hasSuffix("self_attention.mask_value_float32") })
        #expect(zip.info("lm_head.bias")?.dtype == .f32 && legacy.info("lm_head.decoder.bias")?.shape == [40])
    }

    @Test(arguments: ["hf-zip", "legacy-f32"])
    func forwardMatchesTheTinyCausalFixture(_ folder: String) throws {
        let fixture = Fixtures.path("tiny-causal")
        let model = try HFCheckpoint.load(directory: torchFixtures + "/" + folder)
        let expected = try SafeTensorsFile(contentsOf: fixture + "/expected.safetensors")
        let request = try InspectIO.readRequest(path: fixture + "/expected.safetensors", config: model.config)
        var out = SafeTensorsWriter()
        try InspectIO.write(try model.forward(request), request: request, config: model.config, into: &out)
        let results = try FixtureComparison.compare(expected: expected, got: try SafeTensorsFile(bytes: out.serialized()), includeGradients: false)
        #expect(results.count >= 4)
        for r in results { #expect(r.passed, "\(folder): \(r.name): \(r.detail) (max |diff| \(r.maxAbsDifference))") }
    }

    @Test(arguments: ["zip.bin", "legacy.bin", "zip-protocol4.bin"])
    func sharedStoragesViewsAndDtypes(_ file: String) throws {
        for allowMapping in [true, false] {
            let views = try TorchCheckpoint(contentsOf: torchFixtures + "/views/" + file, allowMapping: allowMapping)
            #expect(views.isMapped == allowMapping)
            let base = (0..<24).map { Float($0) * 0.25 - 2 }
            #expect(views.info("whole")?.shape == [24])
            expectBitEqual(try views.floats("whole"), base, "whole")
            expectBitEqual(try views.floats("slice"), Array(base[5..<11]), "slice")
            #expect(views.info("matrix")?.shape == [4, 6])
            expectBitEqual(try views.floats("matrix"), base, "matrix")
            #expect(views.info("transposed")?.shape == [6, 4])
            expectBitEqual(try views.floats("transposed"), (0..<24).map { base[($0 % 4) * 6 + $0 / 4] }, "transposed")
            expectBitEqual(try views.floats("column"), (0..<4).map { base[$0 * 6 + 2] }, "column")
            #expect(views.info("element")?.shape == [])
            expectBitEqual(try views.floats("element"), [base[7]], "element")
            #expect(views.info("empty")?.shape == [0, 3])
            #expect(try views.floats("empty").isEmpty)
            expectBitEqual(try views.floats("parameter"), [0.5, -1.5, 2.5, 3.0], "parameter")
            #expect(views.info("double")?.dtype == .f64 && views.info("long")?.dtype == .i64)
            expectBitEqual(try views.floats("double"), [1.5, -2.25], "double")
            expectBitEqual(try views.floats("long"), [3, -4, 5], "long")
            #expect(views.info("flags")?.dtype == .bool)
            expectBitEqual(try views.floats("flags"), [1, 0, 1], "flags")
            #expect(views.info("half")?.dtype == .f16)
            expectBitEqual(try views.floats("half"), Array(base[0..<4]), "half")
            expectBitEqual(try views.floats("attributed"), [4, -8], "attributed")
            expectBitEqual(try views.floats("tagged_parameter"), [1.25], "tagged_parameter")
            // The non-tensor entry "step" is not a tensor.
            #expect(!views.contains("step") && views.names.count == 14)
        }
    }
}

@Suite struct CheckpointFolderTests {
    /// A folder with tiny-causal's config and the given files copied from the torch fixtures.
    private func folder(copying files: [String], from source: String) throws -> String {
        let dir = try temporaryFolder()
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny-causal") + "/config.json", toPath: dir + "/config.json")
        for file in files { try FileManager.default.copyItem(atPath: source + "/" + file, toPath: dir + "/" + file) }
        return dir
    }

    @Test func safetensorsWinsOverPytorchModelBin() throws {
        let dir = try folder(copying: ["model.safetensors"], from: Fixtures.path("tiny-causal"))
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: dir + "/pytorch_model.bin"))
        #expect(try CheckpointWeights.open(directory: dir).path.hasSuffix("/model.safetensors"))
        _ = try HFCheckpoint.load(directory: dir)
    }

    @Test func aFolderWithoutWeightsListsTheAcceptedFiles() throws {
        let dir = try folder(copying: [], from: "")
        expectError(["model.safetensors", "does not exist", "pytorch_model.bin", "pytorch_model.bin.index.json", "model.safetensors.index.json"]) {
            _ = try HFCheckpoint.load(directory: dir)
        }
        expectError(["is a file", "pytorch_model.bin"]) { _ = try HFCheckpoint.load(directory: dir + "/config.json") }
    }

    @Test func aShardTheIndexNamesButTheFolderLacks() throws {
        let source = torchFixtures + "/sharded-bf16"
        let shards = ["pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin"]
        let dir = try folder(copying: shards, from: source)
        expectError(["pytorch_model.bin.index.json", "weight_map", "pytorch_model-00002-of-00002.bin", "does not exist"]) {
            _ = try HFCheckpoint.load(directory: dir)
        }
    }

    @Test func indexEntriesMustBeFileNamesOfTensorsTheShardHolds() throws {
        let dir = try folder(copying: ["pytorch_model-00001-of-00002.bin"], from: torchFixtures + "/sharded-bf16")
        let index = dir + "/pytorch_model.bin.index.json"
        try Data(#"{"weight_map": {"lm_head.bias": "../pytorch_model-00001-of-00002.bin"}}"#.utf8).write(to: URL(fileURLWithPath: index))
        expectError(["pytorch_model.bin.index.json", "lm_head.bias", "expected a file name in the same folder"]) {
            _ = try ShardedTensors(indexPath: index)
        }
        try Data(#"{"weight_map": {"no.such.tensor": "pytorch_model-00001-of-00002.bin"}}"#.utf8).write(to: URL(fileURLWithPath: index))
        expectError(["pytorch_model.bin.index.json", "no.such.tensor", "holds no tensor of that name"]) {
            _ = try ShardedTensors(indexPath: index)
        }
        try Data(#"{"weights": {}}"#.utf8).write(to: URL(fileURLWithPath: index))
        expectError(["pytorch_model.bin.index.json", "weight_map", "is missing"]) { _ = try ShardedTensors(indexPath: index) }
    }

    @Test func aMissingParameterNamesTheTorchFile() throws {
        let dir = try folder(copying: ["pytorch_model.bin"], from: torchFixtures + "/legacy-f32")
        try configJSON(["attn_layers": "[\"lsh\", \"lsh\"]"]).write(to: URL(fileURLWithPath: dir + "/config.json"))
        expectError(["pytorch_model.bin", "reformer.encoder.layers.0.attention.self_attention.query_key.weight", "is missing"]) {
            _ = try HFCheckpoint.load(directory: dir)
        }
    }
}

@Suite struct TorchCheckpointBadInputTests {
    /// `{"w": tensor}` with the tensor written by `tensor`.
    private func stateDict(_ tensor: @escaping (inout PickleWriter) -> Void) -> [UInt8] {
        PickleWriter.stateDict([("w", tensor)])
    }

    private func expectZipError(_ pickle: [UInt8], storages: [(key: String, data: [UInt8])] = [], _ fragments: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try write(TorchFileBuilder.zipCheckpoint(pickle: pickle, storages: storages))
        expectError(["pytorch_model.bin"] + fragments, { _ = try TorchCheckpoint(contentsOf: path) }, sourceLocation: sourceLocation)
    }

    @Test func aHandMadeCheckpointLoads() throws {
        // The positive control for the builder every test below breaks one piece of.
        let pickle = stateDict { $0.tensor(key: "0", count: 6, offset: 1, size: [2, 2], stride: [2, 1]) }
        let path = try write(TorchFileBuilder.zipCheckpoint(pickle: pickle, storages: [("0", TorchFileBuilder.floats([0, 1, 2, 3, 4, 5]))]))
        #expect(try TorchCheckpoint(contentsOf: path).floats("w") == [1, 2, 3, 4])
        let legacy = try write(TorchFileBuilder.legacyCheckpoint(object: pickle, storages: [("0", 6, TorchFileBuilder.floats([0, 1, 2, 3, 4, 5]))]))
        #expect(try TorchCheckpoint(contentsOf: legacy).floats("w") == [1, 2, 3, 4])
        // Sizes and offsets deferred to zip64 extra fields, as in archives over 4 GiB.
        let zip64 = TorchFileBuilder.zipCheckpoint(pickle: pickle, storages: [("0", TorchFileBuilder.floats([0, 1, 2, 3, 4, 5]))], zip64: true)
        #expect(try TorchCheckpoint(contentsOf: try write(zip64)).floats("w") == [1, 2, 3, 4])
        var missingExtra = zip64
        let field = try #require((0..<(zip64.count - 4)).first { Array(zip64[$0..<($0 + 4)]) == [1, 0, 24, 0] })
        missingExtra[field] = 9  // the zip64 extra field's id becomes another id
        expectError(["pytorch_model.bin", "zip64 extra field", "broken central directory"]) {
            _ = try TorchCheckpoint(contentsOf: try write(missingExtra))
        }
    }

    @Test(arguments: [("posix", "system"), ("os", "system"), ("builtins", "eval"), ("builtins", "exec"),
                      ("subprocess", "Popen"), ("nt", "system"), ("torch", "load"), ("torch.serialization", "load"),
                      ("torch._utils", "_rebuild_device_tensor_from_numpy"), ("collections", "defaultdict")])
    func aForbiddenGlobalIsRefusedAndNothingRuns(_ module: String, _ name: String) throws {
        let dir = try temporaryFolder()
        let proof = dir + "/pwned"
        let attack = PickleWriter.call(module, name, "touch \(proof)")
        let zip = try write(TorchFileBuilder.zipCheckpoint(pickle: attack, storages: []))
        expectError(["pytorch_model.bin", "data.pkl", "refuses global \(module).\(name)", "a state dict needs only tensors"]) {
            _ = try TorchCheckpoint(contentsOf: zip)
        }
        // Hidden as the value of a state dict entry, in the legacy format.
        let nested = PickleWriter.stateDict([("w", { writer in
            writer.global(module, name)
            writer.string("touch \(proof)")
            writer.op(0x85)
            writer.reduce()
        })])
        let legacy = try write(TorchFileBuilder.legacyCheckpoint(object: nested, storages: []))
        expectError(["pytorch_model.bin", "legacy object pickle", "refuses global \(module).\(name)"]) {
            _ = try TorchCheckpoint(contentsOf: legacy)
        }
        #expect(FileManager.default.fileExists(atPath: dir) && !FileManager.default.fileExists(atPath: proof))
    }

    @Test func aStorageShorterThanItsTensorsExtent() throws {
        let pickle = stateDict { $0.tensor(key: "0", count: 4, size: [10], stride: [1]) }
        try expectZipError(pickle, storages: [("0", TorchFileBuilder.floats([0, 1, 2, 3]))],
                           ["(w)", "reach element 9", "storage \"0\" holds 4 elements"])
        let strided = stateDict { $0.tensor(key: "0", count: 6, offset: 1, size: [2, 3], stride: [3, 1]) }
        try expectZipError(strided, storages: [("0", TorchFileBuilder.floats([0, 1, 2, 3, 4, 5]))], ["(w)", "reach element 6"])
        // The storage entry itself holds fewer bytes than the pickle declares.
        let declared = stateDict { $0.tensor(key: "0", count: 4, size: [4], stride: [1]) }
        try expectZipError(declared, storages: [("0", TorchFileBuilder.floats([0, 1]))], ["archive/data/0", "holds 8 bytes", "expected 4 × 4"])
        try expectZipError(declared, ["archive/data.pkl", "storage \"0\" has no entry archive/data/0"])
        let huge = stateDict { $0.tensor(key: "0", count: 1 << 40, size: [4], stride: [1]) }
        try expectZipError(huge, ["storage \"0\"", "more than the file's"])
    }

    @Test func anUnknownStorageType() throws {
        let pickle = stateDict { $0.tensor(storageType: "ComplexFloatStorage", key: "0", count: 1, size: [1], stride: [1]) }
        try expectZipError(pickle, storages: [("0", [0, 0, 0, 0, 0, 0, 0, 0])],
                           ["archive/data.pkl", "unknown storage type torch.ComplexFloatStorage", "torch.FloatStorage"])
    }

    @Test func unknownProtocolsAndOpcodes() throws {
        try expectZipError([0x80, 0x06, 0x4E, 0x2E], ["archive/data.pkl", "unknown pickle protocol 6", "expected 0 to 5"])
        try expectZipError([0x80, 0x02, 0xFF, 0x2E], ["archive/data.pkl", "unknown pickle opcode 0xff"])
        try expectZipError([0x80, 0x02, 0x69] + Array("os\nsystem\n".utf8) + [0x2E], ["archive/data.pkl", "INST", "not supported"])
        try expectZipError([0x80, 0x02, 0x52, 0x2E], ["archive/data.pkl", "stack underflow"])
        try expectZipError([0x80, 0x02, 0x68, 0x07, 0x2E], ["archive/data.pkl", "memo key 7 is read before it is written"])
        try expectZipError([0x80, 0x02, 0x58, 0xFF, 0xFF, 0x00, 0x00], ["archive/data.pkl", "truncated"])
        try expectZipError([0x80, 0x02, 0x4E], ["archive/data.pkl", "STOP"])
        try expectZipError([0x80, 0x02, 0x4E, 0x2E], ["archive/data.pkl", "holds None, expected a state dict"])
    }

    @Test func hostileNestingIsBounded() throws {
        // 20,000 nested MARKs and a million-entry list are refused or built without recursion.
        try expectZipError([0x80, 0x02] + [UInt8](repeating: 0x28, count: 20_000) + [0x2E], ["MARKs nest deeper than"])
        var deep: [UInt8] = [0x80, 0x02, 0x29]
        for _ in 0..<100_000 { deep += [0x85] }  // TUPLE1 around the previous value, 100,000 deep
        try expectZipError(deep + [0x2E], ["holds a tuple of 1, expected a state dict"])
        var selfReference: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61]  // l = []; l.append(l)
        selfReference += [0x30, 0x7D, 0x2E]
        let path = try write(TorchFileBuilder.zipCheckpoint(pickle: selfReference, storages: []))
        #expect(try TorchCheckpoint(contentsOf: path).names.isEmpty)
    }

    @Test func truncatedZip() throws {
        let original = try bytes(of: torchFixtures + "/hf-zip/pytorch_model.bin")
        for length in [0, 3, 21, 100, original.count / 2, original.count - 1] {
            let path = try write(Array(original.prefix(length)))
            expectError(["pytorch_model.bin"]) { _ = try TorchCheckpoint(contentsOf: path) }
        }
        let path = try write(Array(original.prefix(original.count - 30)))
        expectError(["pytorch_model.bin", "zip archive", "end-of-central-directory"]) { _ = try TorchCheckpoint(contentsOf: path) }
    }

    @Test func brokenCentralDirectory() throws {
        // torch.save always ends its zip with a zip64 end record, a locator and a plain end record.
        var file = try bytes(of: torchFixtures + "/hf-zip/pytorch_model.bin")
        func u16(_ at: Int) -> Int { Int(file[at]) | Int(file[at + 1]) << 8 }
        func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(file[at + $1]) << (8 * $1) } }
        let locator = file.count - 22 - 20
        let record = u64(locator + 8), directory = u64(record + 48)
        var broken = file
        let firstLength = 46 + u16(directory + 28) + u16(directory + 30) + u16(directory + 32)
        broken[directory + firstLength] = 0x00  // the second entry's signature
        expectError(["pytorch_model.bin", "central directory entry 1", "broken central directory"]) {
            _ = try TorchCheckpoint(contentsOf: try write(broken))
        }
        file[record + 54] = 0x7F  // the directory offset, far past the end
        expectError(["pytorch_model.bin", "central directory past the end"]) { _ = try TorchCheckpoint(contentsOf: try write(file)) }
        // A plain end record whose directory runs into it.
        var plain = TorchFileBuilder.zipCheckpoint(pickle: PickleWriter.stateDict([]), storages: [])
        plain[plain.count - 10] &+= 1  // directory size + 1
        expectError(["pytorch_model.bin", "central directory", "runs past its end record"]) {
            _ = try TorchCheckpoint(contentsOf: try write(plain))
        }
    }

    @Test func corruptDataFailsItsChecksum() throws {
        var file = try bytes(of: torchFixtures + "/views/zip.bin")
        let checkpoint = try TorchCheckpoint(contentsOf: torchFixtures + "/views/zip.bin")
        let whole = try checkpoint.floats("whole")
        let needle = TorchFileBuilder.floats(Array(whole.prefix(4)))
        let offset = try #require((0...(file.count - needle.count)).first { Array(file[$0..<($0 + needle.count)]) == needle })
        file[offset] ^= 0x01
        let corrupt = try TorchCheckpoint(contentsOf: try write(file))
        expectError(["pytorch_model.bin", "data/", "CRC-32", "corrupt"]) { _ = try corrupt.floats("whole") }
    }

    @Test func aFileTruncatedUnderTheMappingIsReportedNotTouched() throws {
        for source in ["views/zip.bin", "views/legacy.bin"] {
            let path = try write(try bytes(of: torchFixtures + "/" + source))
            let checkpoint = try TorchCheckpoint(contentsOf: path)
            #expect(checkpoint.isMapped)
            #expect(truncate(path, 64) == 0)  // reading the lost pages would raise SIGBUS
            expectError(["pytorch_model.bin", "changed while being read", "64 now"]) { _ = try checkpoint.floats("whole") }
        }
    }

    @Test func zipEntriesTorchNeverWrites() throws {
        let pickle = PickleWriter.stateDict([])
        var compressed = TorchFileBuilder.zipCheckpoint(pickle: pickle, storages: [])
        compressed[8] = 8  // first local header: method deflate; the central directory says stored
        let directory = compressed.count - 22
        let start = Int(compressed[directory + 16]) | Int(compressed[directory + 17]) << 8
        compressed[start + 10] = 8
        expectError(["pytorch_model.bin", "archive/data.pkl", "compressed (method 8)"]) {
            _ = try TorchCheckpoint(contentsOf: try write(compressed))
        }
        let big = try write(TorchFileBuilder.zipCheckpoint(pickle: pickle, storages: [], byteorder: "big"))
        expectError(["pytorch_model.bin", "archive/byteorder", "big-endian"]) { _ = try TorchCheckpoint(contentsOf: big) }
        let noPickle = try write(TorchFileBuilder.storedZip([("archive/version", Array("3\n".utf8))]))
        expectError(["pytorch_model.bin", "no archive/data.pkl"]) { _ = try TorchCheckpoint(contentsOf: noPickle) }
        let script = try write(TorchFileBuilder.storedZip([("m/constants.pkl", []), ("m/data.pkl", pickle)]))
        expectError(["pytorch_model.bin", "TorchScript"]) { _ = try TorchCheckpoint(contentsOf: script) }
    }

    @Test func legacyFileWithWrongMagic() throws {
        let pickle = PickleWriter.stateDict([])
        let wrong = try write(TorchFileBuilder.legacyCheckpoint(object: pickle, storages: [], magic: [0x39, 0x30]))
        expectError(["pytorch_model.bin", "legacy magic number", "the int 12345", "expected 0x1950a86a20f9469cfc6c"]) {
            _ = try TorchCheckpoint(contentsOf: wrong)
        }
        let bigEndian = try write(TorchFileBuilder.legacyCheckpoint(object: pickle, storages: [], littleEndian: false))
        expectError(["pytorch_model.bin", "legacy sys info", "big-endian"]) { _ = try TorchCheckpoint(contentsOf: bigEndian) }
        let text = try write(Array("hello, world".utf8))
        expectError(["pytorch_model.bin", "neither a torch zip checkpoint"]) { _ = try TorchCheckpoint(contentsOf: text) }
    }

    @Test func truncatedLegacyStorages() throws {
        let original = try bytes(of: torchFixtures + "/legacy-f32/pytorch_model.bin")
        let path = try write(Array(original.prefix(original.count - 10)))
        expectError(["pytorch_model.bin", "legacy storage", "run past the end of the file"]) { _ = try TorchCheckpoint(contentsOf: path) }
        let pickle = stateDict { $0.tensor(key: "0", count: 4, size: [4], stride: [1]) }
        let miscounted = try write(TorchFileBuilder.legacyCheckpoint(object: pickle, storages: [("0", 3, TorchFileBuilder.floats([0, 1, 2]))]))
        expectError(["pytorch_model.bin", "legacy storage 0", "holds 3 elements", "declares 4"]) {
            _ = try TorchCheckpoint(contentsOf: miscounted)
        }
        let unlisted = try write(TorchFileBuilder.legacyCheckpoint(object: pickle, storages: []))
        expectError(["pytorch_model.bin", "(w)", "storage \"0\" has no data"]) { _ = try TorchCheckpoint(contentsOf: unlisted) }
    }

    /// Every prefix and many single-byte corruptions of small real files: a ReformerError or a
    /// clean load whose tensors all read — never a trap.
    @Test(arguments: ["views/zip.bin", "views/legacy.bin", "views/zip-protocol4.bin"])
    func damagedFilesNeverTrap(_ file: String) throws {
        try expectNoTrap(damaging: try bytes(of: torchFixtures + "/" + file))
    }

    /// The same for a small zip64 archive, whose end records sit within a few bytes of its start.
    @Test func damagedZip64FilesNeverTrap() throws {
        let pickle = stateDict { $0.tensor(key: "0", count: 3, size: [3], stride: [1]) }
        try expectNoTrap(damaging: TorchFileBuilder.zipCheckpoint(pickle: pickle, storages: [("0", TorchFileBuilder.floats([1, 2, 3]))], zip64: true))
    }

    private func expectNoTrap(damaging original: [UInt8]) throws {
        let dir = try temporaryFolder()
        var generator = SplitMix64(seed: 13)
        var variants: [[UInt8]] = stride(from: 0, to: original.count, by: 7).map { Array(original.prefix($0)) }
        // The first four bytes (the format's magic) before every tail, so end records come early.
        variants += stride(from: 4, to: original.count, by: 5).map { Array(original.prefix(4) + original.suffix(from: $0)) }
        for _ in 0..<400 {
            var damaged = original
            let index = Int(generator.next() % UInt64(original.count))
            damaged[index] = UInt8(truncatingIfNeeded: generator.next())
            variants.append(damaged)
        }
        for (number, variant) in variants.enumerated() {
            let path = dir + "/\(number).bin"
            try Data(variant).write(to: URL(fileURLWithPath: path))
            do throws(ReformerError) {
                let checkpoint = try TorchCheckpoint(contentsOf: path)
                for name in checkpoint.names { _ = try? checkpoint.floats(name) }
            } catch {
                #expect(error.message.hasPrefix(path) && !error.message.contains("\n"), "\(error.message)")
            }
        }
    }
}
