// ZipArchive: the stored (uncompressed) zip that torch.save writes, read in place (PKWARE APPNOTE
// 6.3: end of central directory record §4.3.16, zip64 end record and locator §4.3.14–15, central
// directory §4.3.12, local headers §4.3.7, zip64 extra field §4.5.3). Entries are byte ranges of
// the file, checked to lie inside it before the directory; nothing is decompressed or copied.

/// The entries of a stored zip archive held in `file`.
struct ZipArchive {
    struct Entry {
        let name: String
        /// Where the entry's bytes lie in the file.
        let data: Range<Int>
        /// CRC-32 from the central directory, checked by `verifiedBytes`.
        let crc32: UInt32
    }

    let file: MappedFile
    /// Entry names in central-directory order.
    let names: [String]
    private let entries: [String: Entry]

    /// Minimal end of central directory record; a comment of up to 65,535 bytes may follow.
    private static let endRecordSize = 22
    private static let centralHeaderSize = 46
    private static let localHeaderSize = 30
    private static let zip64LocatorSize = 20
    private static let zip64EndRecordSize = 56

    init(file: MappedFile) throws(ReformerError) {
        let bytes = LittleEndianReader(bytes: file.bytes)
        let path = file.path
        func failure(_ detail: String) -> ReformerError { ReformerError(file: path, "zip archive: \(detail)") }

        guard bytes.count >= Self.endRecordSize else {
            throw failure("file is \(bytes.count) bytes, shorter than an end-of-central-directory record (22 bytes)")
        }
        guard let end = Self.findEndRecord(bytes) else {
            throw failure("no end-of-central-directory record at the end of the file (truncated?)")
        }
        var entryCount = Int(bytes.u16(end + 10))
        var directorySize = Int(bytes.u32(end + 12))
        var directoryOffset = Int(bytes.u32(end + 16))
        var directoryLimit = end
        let disk = bytes.u16(end + 4), directoryDisk = bytes.u16(end + 6)

        let locator = end - Self.zip64LocatorSize
        if locator >= 0, bytes.u32(locator) == 0x0706_4B50 {
            let record64 = bytes.u64(locator + 8)
            guard locator >= Self.zip64EndRecordSize, record64 <= UInt64(locator - Self.zip64EndRecordSize),
                bytes.u32(Int(record64)) == 0x0606_4B50
            else {
                throw failure("zip64 locator points at byte \(record64), which holds no zip64 end record")
            }
            let record = Int(record64)
            guard bytes.u32(record + 16) == 0, bytes.u32(record + 20) == 0, bytes.u32(locator + 16) <= 1 else {
                throw failure("spans several disks, expected a single-file archive")
            }
            let count64 = bytes.u64(record + 32), size64 = bytes.u64(record + 40), offset64 = bytes.u64(record + 48)
            guard count64 <= UInt64(record), size64 <= UInt64(record), offset64 <= UInt64(record) else {
                throw failure("zip64 end record describes a central directory past the end of the file")
            }
            (entryCount, directorySize, directoryOffset, directoryLimit) = (Int(count64), Int(size64), Int(offset64), record)
        } else if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw failure("end record defers to a zip64 record, but there is no zip64 locator before it")
        } else {
            guard disk == 0, directoryDisk == 0 else { throw failure("spans several disks, expected a single-file archive") }
        }
        guard directoryOffset <= directoryLimit, directorySize <= directoryLimit - directoryOffset else {
            throw failure(
                "central directory [\(directoryOffset), +\(directorySize)) runs past its end record at byte "
                    + "\(directoryLimit) (truncated or broken central directory)")
        }
        guard entryCount <= directorySize / Self.centralHeaderSize else {
            throw failure("\(entryCount) entries cannot fit in a \(directorySize)-byte central directory (broken central directory)")
        }

        var names: [String] = []
        var entries: [String: Entry] = [:]
        var position = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for index in 0..<entryCount {
            func broken(_ detail: String) -> ReformerError {
                failure("central directory entry \(index) at byte \(position): \(detail) (broken central directory)")
            }
            guard directoryEnd - position >= Self.centralHeaderSize, bytes.u32(position) == 0x0201_4B50 else {
                throw broken("no central directory header signature")
            }
            let flags = bytes.u16(position + 8), method = bytes.u16(position + 10)
            let crc = bytes.u32(position + 16)
            var compressedSize = UInt64(bytes.u32(position + 20)), size = UInt64(bytes.u32(position + 24))
            let nameLength = Int(bytes.u16(position + 28)), extraLength = Int(bytes.u16(position + 30))
            let commentLength = Int(bytes.u16(position + 32))
            var localOffset = UInt64(bytes.u32(position + 42))
            let nameStart = position + Self.centralHeaderSize
            let recordEnd = nameStart + nameLength + extraLength + commentLength
            guard recordEnd <= directoryEnd else { throw broken("name and extra fields run past the central directory") }
            guard let name = String(validating: bytes.slice(nameStart, nameLength), as: UTF8.self) else {
                throw broken("entry name is not UTF-8")
            }
            func entryFailure(_ detail: String) -> ReformerError {
                ReformerError(file: path, field: name.forMessage, "zip entry: \(detail)")
            }
            if size == 0xFFFF_FFFF || compressedSize == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                guard
                    let values = Self.zip64Values(
                        bytes, extra: nameStart + nameLength, length: extraLength,
                        wanted: [size == 0xFFFF_FFFF, compressedSize == 0xFFFF_FFFF, localOffset == 0xFFFF_FFFF])
                else { throw broken("sizes defer to a zip64 extra field that is missing or short") }
                if size == 0xFFFF_FFFF { size = values[0] }
                if compressedSize == 0xFFFF_FFFF { compressedSize = values[1] }
                if localOffset == 0xFFFF_FFFF { localOffset = values[2] }
            }
            guard flags & 0x1 == 0 else { throw entryFailure("is encrypted, expected a plain stored entry") }
            guard method == 0 else {
                throw entryFailure("is compressed (method \(method)), expected stored entries as torch.save writes")
            }
            guard compressedSize == size else {
                throw entryFailure("stored size \(compressedSize) differs from its size \(size)")
            }
            let data = try Self.localData(
                bytes, offset: localOffset, size: size, name: name, before: directoryOffset, entryFailure)
            guard entries[name] == nil else { throw entryFailure("appears twice in the central directory") }
            entries[name] = Entry(name: name, data: data, crc32: crc)
            names.append(name)
            position = recordEnd
        }
        self.file = file
        self.names = names
        self.entries = entries
    }

    func entry(_ name: String) -> Entry? { entries[name] }

    /// The bytes of `entry` after checking its CRC-32 and that the file has not changed.
    func verifiedBytes(_ entry: Entry) throws(ReformerError) -> UnsafeRawBufferPointer {
        try file.checkUnchanged()
        let data = UnsafeRawBufferPointer(rebasing: file.bytes[entry.data])
        try Self.checkCRC32(data, expected: entry.crc32, file: file.path, entry: entry.name)
        return data
    }

    /// Throws, naming `entry`, unless `data`'s CRC-32 is `expected`.
    static func checkCRC32(_ data: UnsafeRawBufferPointer, expected: UInt32, file: String, entry: String) throws(ReformerError) {
        let actual = CRC32.checksum(data)
        guard actual == expected else {
            throw ReformerError(
                file: file, field: entry.forMessage,
                "zip entry: CRC-32 is \(hex(actual)), the central directory says \(hex(expected)) (corrupt file)")
        }
    }

    /// The last end record signature whose comment ends exactly at the end of the file.
    private static func findEndRecord(_ bytes: LittleEndianReader) -> Int? {
        let last = bytes.count - endRecordSize
        for position in stride(from: last, through: max(0, last - 0xFFFF), by: -1)
        where bytes.u32(position) == 0x0605_4B50 && Int(bytes.u16(position + 20)) == last - position {
            return position
        }
        return nil
    }

    /// Values of the zip64 extended information field (header 0x0001): one u64 per `wanted`
    /// field (size, compressed size, local header offset) that is present, in that order.
    private static func zip64Values(_ bytes: LittleEndianReader, extra: Int, length: Int, wanted: [Bool]) -> [UInt64]? {
        var position = extra
        let end = extra + length
        while end - position >= 4 {
            let id = bytes.u16(position), size = Int(bytes.u16(position + 2))
            let body = position + 4
            guard size <= end - body else { return nil }
            if id == 0x0001 {
                var values: [UInt64] = [0, 0, 0]
                var field = body
                for (index, isWanted) in wanted.enumerated() where isWanted {
                    guard body + size - field >= 8 else { return nil }
                    values[index] = bytes.u64(field)
                    field += 8
                }
                return values
            }
            position = body + size
        }
        return nil
    }

    /// The data range after the local header at `offset`, which must lie before the directory.
    private static func localData(
        _ bytes: LittleEndianReader, offset: UInt64, size: UInt64, name: String, before directory: Int,
        _ failure: (String) -> ReformerError
    ) throws(ReformerError) -> Range<Int> {
        guard offset <= UInt64(directory), directory - Int(offset) >= localHeaderSize,
            bytes.u32(Int(offset)) == 0x0403_4B50
        else { throw failure("no local header at byte \(offset), expected one before the central directory") }
        let local = Int(offset)
        let nameLength = Int(bytes.u16(local + 26)), extraLength = Int(bytes.u16(local + 28))
        let start = local + localHeaderSize + nameLength + extraLength
        guard start <= directory, bytes.slice(local + localHeaderSize, nameLength).elementsEqual(name.utf8) else {
            throw failure("local header at byte \(offset) names another entry")
        }
        guard size <= UInt64(directory - start) else {
            throw failure("\(size) bytes from byte \(start) run past the central directory at byte \(directory) (truncated?)")
        }
        return start..<(start + Int(size))
    }
}

/// Bounds-checked little-endian loads; out-of-range reads give 0, so callers check ranges first
/// and a forgotten check reads zeros instead of trapping.
struct LittleEndianReader {
    let bytes: UnsafeRawBufferPointer
    var count: Int { bytes.count }

    func u16(_ offset: Int) -> UInt16 { load(offset, as: UInt16.self) }
    func u32(_ offset: Int) -> UInt32 { load(offset, as: UInt32.self) }
    func u64(_ offset: Int) -> UInt64 { load(offset, as: UInt64.self) }

    /// `length` bytes from `offset`, clamped to the buffer.
    func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer {
        let start = min(max(offset, 0), count)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + min(max(length, 0), count - start))])
    }

    private func load<Value: FixedWidthInteger & BitwiseCopyable>(_ offset: Int, as type: Value.Type) -> Value {
        guard offset >= 0, offset <= count - MemoryLayout<Value>.size else { return 0 }
        return Value(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Value.self))
    }
}

/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) as zip uses it, eight bytes per step
/// with eight derived tables ("slicing by 8").
enum CRC32 {
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            tables[byte] = crc
        }
        for table in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(table - 1) * 256 + byte]
                tables[table * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    static func checksum(_ data: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { table in
            var crc: UInt32 = 0xFFFF_FFFF
            var index = 0
            let count = data.count
            while count - index >= 8 {
                let low = crc ^ UInt32(littleEndian: data.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                let high = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                crc = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = table[Int((crc ^ UInt32(data[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
            return ~crc
        }
    }
}

private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
