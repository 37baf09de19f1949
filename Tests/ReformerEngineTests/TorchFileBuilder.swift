// TorchFileBuilder: hand-assembled pickles, stored zips and legacy torch files for the bad-input
// tests — byte for byte what the formats say (pickletools opcodes, PKWARE APPNOTE headers), so each
// test can break exactly one thing.

import Foundation
@testable import ReformerEngine

/// Pickle opcodes appended one by one.
struct PickleWriter {
    var bytes: [UInt8] = []

    mutating func op(_ code: UInt8, _ payload: [UInt8] = []) { bytes += [code] + payload }
    mutating func proto(_ version: UInt8 = 2) { op(0x80, [version]) }
    mutating func global(_ module: String, _ name: String) { op(0x63, Array("\(module)\n\(name)\n".utf8)) }
    mutating func string(_ text: String) { op(0x58, le(UInt32(text.utf8.count)) + Array(text.utf8)) }
    /// BININT for 32-bit values, else LONG1 with eight bytes.
    mutating func int(_ value: Int) {
        if let small = Int32(exactly: value) { op(0x4A, le(UInt32(bitPattern: small))) } else { op(0x8A, [8] + le(Int64(value))) }
    }
    mutating func mark() { op(0x28) }
    mutating func tuple() { op(0x74) }
    mutating func reduce() { op(0x52) }
    mutating func stop() { op(0x2E) }

    /// `(values…)` as a tuple.
    mutating func ints(_ values: [Int]) {
        mark()
        for value in values { int(value) }
        tuple()
    }

    /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', count), offset, size, stride, False, OrderedDict())`.
    mutating func tensor(
        storageType: String = "FloatStorage", key: String, count: Int, offset: Int = 0, size: [Int], stride: [Int]
    ) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", storageType)
        string(key)
        string("cpu")
        int(count)
        tuple()
        op(0x51)  // BINPERSID
        int(offset)
        ints(size)
        ints(stride)
        op(0x89)  // NEWFALSE
        global("collections", "OrderedDict")
        op(0x29)  // EMPTY_TUPLE
        reduce()
        tuple()
        reduce()
    }

    /// A whole protocol-2 pickle of `{name: value}` where each closure writes one value.
    static func stateDict(_ items: [(String, (inout PickleWriter) -> Void)]) -> [UInt8] {
        var writer = PickleWriter()
        writer.proto()
        writer.op(0x7D)  // EMPTY_DICT
        writer.mark()
        for (name, value) in items {
            writer.string(name)
            value(&writer)
        }
        writer.op(0x75)  // SETITEMS
        writer.stop()
        return writer.bytes
    }

    /// A whole pickle calling `module.name(argument)`, the classic `__reduce__` attack.
    static func call(_ module: String, _ name: String, _ argument: String) -> [UInt8] {
        var writer = PickleWriter()
        writer.proto()
        writer.global(module, name)
        writer.string(argument)
        writer.op(0x85)  // TUPLE1
        writer.reduce()
        writer.stop()
        return writer.bytes
    }
}

enum TorchFileBuilder {
    /// A stored zip of `entries`, in order, with correct CRC-32s. `zip64` defers every size and
    /// offset to zip64 extra fields and ends with a zip64 end record and locator, as archives
    /// over 4 GiB must.
    static func storedZip(_ entries: [(name: String, data: [UInt8])], zip64: Bool = false) -> [UInt8] {
        var file: [UInt8] = [], directory: [UInt8] = []
        for (name, data) in entries {
            let offset = file.count, crc = data.withUnsafeBytes { CRC32.checksum($0) }
            let nameBytes = Array(name.utf8)
            let size = le(UInt32(data.count))
            file += le(UInt32(0x0403_4B50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
            file += le(crc) + size + size + le(UInt16(nameBytes.count)) + le(UInt16(0)) + nameBytes + data
            let extra = zip64 ? le(UInt16(1)) + le(UInt16(24)) + le(UInt64(data.count)) + le(UInt64(data.count)) + le(UInt64(offset)) : []
            let deferred = le(UInt32.max)
            directory += le(UInt32(0x0201_4B50)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
            directory += le(crc) + (zip64 ? deferred + deferred : size + size)
            directory += le(UInt16(nameBytes.count)) + le(UInt16(extra.count)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0))
            directory += le(UInt32(0)) + (zip64 ? deferred : le(UInt32(offset))) + nameBytes + extra
        }
        let directoryOffset = file.count
        file += directory
        if zip64 {
            let record = file.count
            file += le(UInt32(0x0606_4B50)) + le(UInt64(44)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt32(0)) + le(UInt32(0))
            file += le(UInt64(entries.count)) + le(UInt64(entries.count)) + le(UInt64(directory.count)) + le(UInt64(directoryOffset))
            file += le(UInt32(0x0706_4B50)) + le(UInt32(0)) + le(UInt64(record)) + le(UInt32(1))
            file += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16.max) + le(UInt16.max)
            file += le(UInt32.max) + le(UInt32.max) + le(UInt16(0))
            return file
        }
        file += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(entries.count)) + le(UInt16(entries.count))
        file += le(UInt32(directory.count)) + le(UInt32(directoryOffset)) + le(UInt16(0))
        return file
    }

    /// What torch.save writes: `archive/data.pkl`, `byteorder`, one `data/<key>` per storage, `version`.
    static func zipCheckpoint(
        pickle: [UInt8], storages: [(key: String, data: [UInt8])], byteorder: String = "little", zip64: Bool = false
    ) -> [UInt8] {
        var entries: [(name: String, data: [UInt8])] = [("archive/data.pkl", pickle), ("archive/byteorder", Array(byteorder.utf8))]
        for (key, data) in storages { entries.append(("archive/data/\(key)", data)) }
        entries.append(("archive/version", Array("3\n".utf8)))
        return storedZip(entries, zip64: zip64)
    }

    /// The legacy sequence: magic, protocol version, sys info, `object`, storage keys, then each
    /// storage as an int64 element count and its bytes.
    static func legacyCheckpoint(
        object: [UInt8], storages: [(key: String, count: Int, data: [UInt8])],
        magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19], littleEndian: Bool = true
    ) -> [UInt8] {
        var file: [UInt8] = [0x80, 0x02, 0x8A, UInt8(magic.count)] + magic + [0x2E]
        file += [0x80, 0x02, 0x4D] + le(UInt16(1001)) + [0x2E]
        var info = PickleWriter()
        info.proto()
        info.op(0x7D)
        info.mark()
        info.string("protocol_version")
        info.int(1001)
        info.string("little_endian")
        info.op(littleEndian ? 0x88 : 0x89)  // NEWTRUE or NEWFALSE
        info.op(0x75)
        info.stop()
        file += info.bytes + object
        var keys = PickleWriter()
        keys.proto()
        keys.op(0x5D)  // EMPTY_LIST
        keys.mark()
        for storage in storages { keys.string(storage.key) }
        keys.op(0x65)  // APPENDS
        keys.stop()
        file += keys.bytes
        for storage in storages { file += le(UInt64(storage.count)) + storage.data }
        return file
    }

    /// `values` as packed little-endian F32.
    static func floats(_ values: [Float]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }
}

func le<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
