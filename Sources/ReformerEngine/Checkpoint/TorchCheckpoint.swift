// TorchCheckpoint: a state dict saved by torch.save (`pytorch_model.bin`), in the zip format
// (torch ≥ 1.6) or the legacy format (torch < 1.6), read through the restricted unpickler with the
// file mapped, not copied (INTEROP.md §2; pytorch/pytorch torch/serialization.py `_load`,
// `_legacy_load`). Every storage and tensor extent is checked against the file when it is opened.

import ReformerTelemetry
import Synchronization

/// The tensors of a torch checkpoint file. Throws only `ReformerError`; nothing in the file is
/// ever executed (see `RestrictedUnpickler`).
///
/// ```swift
/// let file = try TorchCheckpoint(contentsOf: "enwik8/pytorch_model.bin")
/// print(file.format, file.names.count)
/// let embedding = try file.floats("reformer.embeddings.word_embeddings.weight")
/// ```
public struct TorchCheckpoint: TensorSource, Sendable {
    public enum Format: String, Sendable {
        /// torch ≥ 1.6: a stored zip with `<prefix>/data.pkl` and one entry per storage.
        case zip
        /// torch < 1.6: magic number, protocol version, sys info, object and storage keys as five
        /// pickles, then each storage as an int64 element count and its bytes.
        case legacy
    }

    public let path: String
    public let format: Format
    /// Names of the state dict's tensors, ascending.
    public let names: [String]
    /// Whether the file is memory-mapped (false when mapping failed and it was read instead).
    public var isMapped: Bool { file.isMapped }

    /// Where a storage key's bytes lie in the file.
    struct StorageData: Sendable {
        /// The zip entry or legacy record, for messages.
        let entry: String
        let range: Range<Int>
        /// Zip entries carry a CRC-32, checked the first time a tensor reads the storage.
        let crc32: UInt32?
    }

    struct Tensor: Sendable {
        let info: SafeTensorInfo
        let storageKey: String
        /// Start of the tensor's first element within the storage's bytes.
        let byteOffset: Int
        let stride: [Int]
        let isContiguous: Bool
    }

    private let file: MappedFile
    private let tensors: [String: Tensor]
    private let storages: [String: StorageData]
    /// Storage keys whose CRC-32 has been checked.
    private let verified = Verified()

    private final class Verified: Sendable {
        let keys = Locked<Set<String>>([])
    }

    /// Opens and validates the checkpoint at `path`; `allowMapping: false` reads it into memory.
    public init(contentsOf path: String, allowMapping: Bool = true) throws(ReformerError) {
        let file = try MappedFile(path: path, allowMapping: allowMapping)
        let bytes = file.bytes
        let (format, unpickler, root, storages): (Format, RestrictedUnpickler, Int, [String: StorageData])
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, [3, 5].contains(bytes[2]), bytes[2] + 1 == bytes[3] {
            format = .zip
            (unpickler, root, storages) = try Self.readZip(file)
        } else if bytes.first == 0x80 {
            format = .legacy
            (unpickler, root, storages) = try Self.readLegacy(file)
        } else if bytes.count >= 262, Array(bytes[257..<262]) == Array("ustar".utf8) {
            throw ReformerError(
                file: path, "is a tar-format torch checkpoint (torch < 0.4), which is not supported; re-save it with torch.save")
        } else {
            throw ReformerError(
                file: path,
                bytes.isEmpty
                    ? "is empty, expected a torch checkpoint"
                    : "is neither a torch zip checkpoint (starting \"PK\") nor a legacy torch pickle (starting 0x80)")
        }
        let tensors = try Self.stateDict(unpickler, root: root, storages: storages, path: path)
        self.path = path
        self.format = format
        self.file = file
        self.storages = storages
        self.tensors = tensors
        self.names = tensors.keys.sorted()
    }

    public func info(_ name: String) -> SafeTensorInfo? { tensors[name]?.info }

    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// All elements of `name` as Float, row-major, gathered through its strides.
    public func floats(_ name: String) throws(ReformerError) -> [Float] {
        guard let tensor = tensors[name] else {
            throw ReformerError(file: path, field: name.forMessage, "no tensor with this name (the file has \(tensors.count))")
        }
        let storage = try storageBytes(tensor.storageKey)
        let dtype = tensor.info.dtype, count = tensor.info.elementCount
        if tensor.isContiguous {
            let data = UnsafeRawBufferPointer(rebasing: storage[tensor.byteOffset..<(tensor.byteOffset + count * dtype.byteSize)])
            try checkBools(tensor, TensorElements.firstInvalidBool(data, count: count))
            return TensorElements.floats(data, dtype, count: count)
        }
        let packed = Self.gather(tensor, from: storage)
        try checkBools(tensor, packed.withUnsafeBytes { TensorElements.firstInvalidBool($0, count: count) })
        return packed.withUnsafeBytes { TensorElements.floats($0, dtype, count: count) }
    }

    /// The bytes of storage `key`, checked against its CRC-32 once and against file changes always.
    private func storageBytes(_ key: String) throws(ReformerError) -> UnsafeRawBufferPointer {
        try file.checkUnchanged()
        // Every tensor's storage was found when the file was opened.
        let storage = storages[key] ?? StorageData(entry: "", range: 0..<0, crc32: nil)
        let data = UnsafeRawBufferPointer(rebasing: file.bytes[storage.range])
        if let expected = storage.crc32, !verified.keys.withLock({ $0.contains(key) }) {
            try ZipArchive.checkCRC32(data, expected: expected, file: path, entry: storage.entry)
            _ = verified.keys.withLock { $0.insert(key) }
        }
        return data
    }

    /// Throws for the first BOOL byte other than 0 or 1 (`invalid`, from `firstInvalidBool`).
    private func checkBools(_ tensor: Tensor, _ invalid: @autoclosure () -> (index: Int, byte: UInt8)?) throws(ReformerError) {
        guard tensor.info.dtype == .bool, let (index, byte) = invalid() else { return }
        throw ReformerError(file: path, field: tensor.info.name.forMessage, "element \(index) (BOOL) is byte \(byte), expected 0 or 1")
    }

    /// The elements of a strided tensor, packed row-major.
    private static func gather(_ tensor: Tensor, from storage: UnsafeRawBufferPointer) -> [UInt8] {
        let width = tensor.info.dtype.byteSize, shape = tensor.info.shape, count = tensor.info.elementCount
        return [UInt8](unsafeUninitializedCapacity: count * width) { output, initialized in
            var index = [Int](repeating: 0, count: shape.count)
            var element = 0  // offset from the first element, in elements
            for position in 0..<count {
                let source = tensor.byteOffset + element * width
                for byte in 0..<width { output[position * width + byte] = storage[source + byte] }
                // Odometer over the multi-index, last dimension fastest.
                var dimension = shape.count - 1
                while dimension >= 0 {
                    index[dimension] += 1
                    element += tensor.stride[dimension]
                    if index[dimension] < shape[dimension] { break }
                    element -= tensor.stride[dimension] * shape[dimension]
                    index[dimension] = 0
                    dimension -= 1
                }
            }
            initialized = count * width
        }
    }

    // MARK: - Zip format

    private static func readZip(_ file: MappedFile) throws(ReformerError) -> (RestrictedUnpickler, Int, [String: StorageData]) {
        let path = file.path
        let archive = try ZipArchive(file: file)
        guard let first = archive.names.first, let slash = first.firstIndex(of: "/") else {
            throw ReformerError(file: path, "zip archive has no top-level folder, expected <name>/data.pkl as torch.save writes")
        }
        let prefix = String(first[..<slash])
        if archive.entry(prefix + "/constants.pkl") != nil {
            throw ReformerError(file: path, "is a TorchScript archive (torch.jit.save), expected a state dict saved with torch.save")
        }
        guard let pickleEntry = archive.entry(prefix + "/data.pkl") else {
            throw ReformerError(file: path, "zip archive has no \(prefix.forMessage)/data.pkl, expected a torch.save checkpoint")
        }
        if let order = archive.entry(prefix + "/byteorder") {
            let text = String(decoding: try archive.verifiedBytes(order), as: UTF8.self)
            guard text == "little" else {
                throw ReformerError(
                    file: path, field: order.name.forMessage,
                    text == "big"
                        ? "the checkpoint is big-endian; only little-endian checkpoints are supported"
                        : "is \"\(text.forMessage)\", expected \"little\"")
            }
        }
        var unpickler = RestrictedUnpickler(
            bytes: try archive.verifiedBytes(pickleEntry), file: path, entry: pickleEntry.name.forMessage,
            maxStorageBytes: file.bytes.count)
        let root = try unpickler.load()

        var storages: [String: StorageData] = [:]
        for (key, declared) in unpickler.declaredStorages {
            let name = prefix + "/data/" + key
            guard let entry = archive.entry(name) else {
                throw ReformerError(
                    file: path, field: pickleEntry.name.forMessage,
                    "storage \"\(key.forMessage)\" has no entry \(name.forMessage) in the archive")
            }
            let expected = declared.count * declared.dtype.byteSize
            guard entry.data.count == expected else {
                throw ReformerError(
                    file: path, field: name.forMessage,
                    "holds \(entry.data.count) bytes, expected \(declared.count) × \(declared.dtype.byteSize) bytes "
                        + "of \(declared.type) = \(expected)")
            }
            storages[key] = StorageData(entry: name, range: entry.data, crc32: entry.crc32)
        }
        return (unpickler, root, storages)
    }

    // MARK: - Legacy format

    /// 0x1950a86a20f9469cfc6c, the first pickle of every legacy file, as LONG1's little-endian bytes.
    private static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    private static let legacyProtocolVersion: Int64 = 1001

    private static func readLegacy(_ file: MappedFile) throws(ReformerError) -> (RestrictedUnpickler, Int, [String: StorageData]) {
        let path = file.path, bytes = file.bytes
        var position = 0
        /// The next pickle of the sequence, named `entry` in messages.
        func nextPickle(_ entry: String) throws(ReformerError) -> (RestrictedUnpickler, Int) {
            var unpickler = RestrictedUnpickler(bytes: bytes, start: position, file: path, entry: entry, maxStorageBytes: bytes.count)
            let root = try unpickler.load()
            position = unpickler.position
            return (unpickler, root)
        }

        let (magicPickle, magic) = try nextPickle("legacy magic number")
        guard case .bigInteger(let magicBytes) = magicPickle.value(magic), magicBytes == legacyMagic else {
            throw ReformerError(
                file: path, field: "legacy magic number",
                "is \(magicPickle.describe(magic)), expected 0x1950a86a20f9469cfc6c (not a torch checkpoint?)")
        }
        let (versionPickle, version) = try nextPickle("legacy protocol version")
        guard case .int(legacyProtocolVersion) = versionPickle.value(version) else {
            throw ReformerError(file: path, field: "legacy protocol version", "is \(versionPickle.describe(version)), expected 1001")
        }
        let (infoPickle, info) = try nextPickle("legacy sys info")
        guard case .dict(let infoItems) = infoPickle.value(info) else {
            throw ReformerError(file: path, field: "legacy sys info", "is \(infoPickle.describe(info)), expected a dict")
        }
        for item in infoItems where infoPickle.text(item.key) == "little_endian" {
            guard case .bool(true) = infoPickle.value(item.value) else {
                throw ReformerError(
                    file: path, field: "legacy sys info", "the checkpoint is big-endian; only little-endian checkpoints are supported")
            }
        }
        let (objectPickle, root) = try nextPickle("legacy object pickle")
        let (keysPickle, keyList) = try nextPickle("legacy storage keys")
        guard case .list(let keyItems) = keysPickle.value(keyList) else {
            throw ReformerError(file: path, field: "legacy storage keys", "is \(keysPickle.describe(keyList)), expected a list of strings")
        }

        var storages: [String: StorageData] = [:]
        for item in keyItems {
            guard let key = keysPickle.text(item) else {
                throw ReformerError(file: path, field: "legacy storage keys", "holds \(keysPickle.describe(item)), expected strings")
            }
            let entry = "legacy storage \(key)"
            func failure(_ detail: String) -> ReformerError { ReformerError(file: path, field: entry.forMessage, detail) }
            guard let declared = objectPickle.declaredStorages[key] else {
                throw failure("is listed, but no tensor uses it, so its element size is unknown")
            }
            guard storages[key] == nil else { throw failure("is listed twice") }
            guard bytes.count - position >= 8 else {
                throw failure("the file ends at byte \(bytes.count), before the storage's element count (truncated?)")
            }
            let count = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Int64.self))
            guard count == Int64(declared.count) else {
                throw failure("holds \(count) elements, but the object pickle declares \(declared.count)")
            }
            let start = position + 8, length = declared.count * declared.dtype.byteSize
            guard length <= bytes.count - start else {
                throw failure("\(length) bytes from byte \(start) run past the end of the file (\(bytes.count) bytes; truncated?)")
            }
            storages[key] = StorageData(entry: entry, range: start..<(start + length), crc32: nil)
            position = start + length
        }
        return (objectPickle, root, storages)
    }

    // MARK: - State dict

    /// The tensors of the state dict at `root`, each checked to lie inside its storage.
    private static func stateDict(
        _ unpickler: RestrictedUnpickler, root: Int, storages: [String: StorageData], path: String
    ) throws(ReformerError) -> [String: Tensor] {
        guard case .dict(let items) = unpickler.value(root) else {
            throw ReformerError(
                file: path, field: unpickler.entry, "holds \(unpickler.describe(root)), expected a state dict (a dict of tensors)")
        }
        var tensors: [String: Tensor] = [:]
        for item in items {
            // Buffers, counters and nested objects are not tensors the loader asks for.
            guard case .tensor(let index) = unpickler.value(item.value) else { continue }
            guard let name = unpickler.text(item.key) else {
                throw ReformerError(file: path, field: unpickler.entry, "state dict key \(unpickler.describe(item.key)) is not a string")
            }
            tensors[name] = try tensor(
                name, unpickler.tensors[index], unpickler.storages[unpickler.tensors[index].storage], storages, path)
        }
        return tensors
    }

    private static func tensor(
        _ name: String, _ tensor: PickleTensor, _ storage: PickleStorage, _ storages: [String: StorageData], _ path: String
    ) throws(ReformerError) -> Tensor {
        func failure(_ detail: String) -> ReformerError { ReformerError(file: path, field: name.forMessage, detail) }
        guard let data = storages[storage.key] else {
            throw failure("storage \"\(storage.key.forMessage)\" has no data in the file")
        }
        let width = tensor.dtype.byteSize
        var elementCount = 1
        var lastElement = tensor.offset  // the largest element index the tensor touches
        var overflow = false
        for (size, stride) in zip(tensor.size, tensor.stride) {
            var product = false, step = false, sum = false
            (elementCount, product) = elementCount.multipliedReportingOverflow(by: size)
            var reach = 0
            (reach, step) = max(size - 1, 0).multipliedReportingOverflow(by: stride)
            (lastElement, sum) = lastElement.addingReportingOverflow(reach)
            overflow = overflow || product || step || sum
        }
        guard !overflow, lastElement < Int.max / width else {
            throw failure("size \(tensor.size) with stride \(tensor.stride) is too large to index")
        }
        let (start, end) = (tensor.offset * width, (lastElement + 1) * width)
        if elementCount > 0 && end > storage.byteCount {
            throw failure(
                "size \(tensor.size), stride \(tensor.stride) and offset \(tensor.offset) reach element \(lastElement), "
                    + "but storage \"\(storage.key.forMessage)\" holds \(storage.byteCount / width) elements of \(tensor.dtype.rawValue)")
        }
        // The storage's view, and so the tensor, lies inside the data read for its key.
        guard storage.byteOffset + storage.byteCount <= data.range.count else {
            throw failure("storage \"\(storage.key.forMessage)\" view runs past its \(data.range.count) bytes")
        }
        var expectedStride = 1, isContiguous = true
        for (size, stride) in zip(tensor.size, tensor.stride).reversed() {
            if size != 1 && stride != expectedStride { isContiguous = false }
            expectedStride &*= size
        }
        let info = SafeTensorInfo(name: name, dtype: tensor.dtype, shape: tensor.size, elementCount: elementCount)
        return Tensor(
            info: info, storageKey: storage.key, byteOffset: elementCount > 0 ? storage.byteOffset + start : 0,
            stride: tensor.stride, isContiguous: isContiguous)
    }
}
