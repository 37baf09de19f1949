// EventFile: TensorBoard's event-file framing (INTEROP.md §4) — each record is a uint64 length, the
// masked CRC-32C of those 8 bytes, the data (an `Event`), the masked CRC-32C of the data, all
// little-endian — with a writer that appends records to `events.out.tfevents.<time>.<host>.<pid>.<n>`
// and a tailing reader that keeps its offset, waits on a partial record, allocates nothing a record
// header claims before the file holds it, and skips a record whose data checksum stays wrong.

import Foundation
import ReformerTelemetry
#if canImport(Glibc)
import Glibc
#endif

public enum EventFile {
    /// Bytes before a record's data (length + its checksum) and after it (the data's checksum).
    static let headerBytes = 12, footerBytes = 4
    /// A record longer than this is taken for corruption, not read (TensorBoard's own events are KBs;
    /// images and graphs rarely reach MBs).
    public static let maximumRecordLength = 64 << 20

    /// One record: length, masked CRC of the length, data, masked CRC of the data.
    public static func framed(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + headerBytes + footerBytes)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        out += length
        out += withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(length)).littleEndian, Array.init)
        out += data
        out += withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(data)).littleEndian, Array.init)
        return out
    }

    /// Whether `name` is an event file's name (`events.out.tfevents.…`).
    public static func isEventFileName(_ name: String) -> Bool { name.hasPrefix("events.out.tfevents.") }
}

/// Appends events to a new event file in a folder (created if missing).
///
/// ```swift
/// let writer = try EventFileWriter(directory: "runs/copy-seed0.tb")
/// try writer.append(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: 10,
///                                    scalars: [.init(tag: "train/loss", value: 2.1)]))
/// ```
public final class EventFileWriter {
    public let path: String
    private let handle: FileHandle
    private static let counter = Locked(0)

    /// Creates the file and writes its first record (`file_version` "brain.Event:2").
    public init(directory: String, wallTime: Double = Date().timeIntervalSince1970) throws(ReformerError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReformerError(file: directory, "cannot be created for TensorBoard events (\(error.localizedDescription))")
        }
        let n = Self.counter.withLock { value in
            defer { value += 1 }
            return value
        }
        path = "\(directory)/events.out.tfevents.\(Int(wallTime)).\(Self.hostName()).\(getpid()).\(n)"
        guard !FileManager.default.fileExists(atPath: path),
              FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw ReformerError(file: path, "cannot be created for TensorBoard events")
        }
        self.handle = handle
        try append(TensorBoardEvent(wallTime: wallTime, fileVersion: "brain.Event:2"))
    }

    deinit { try? handle.close() }

    /// Appends one record in one write (a reader sees all of it or a partial tail it waits on).
    public func append(_ event: TensorBoardEvent) throws(ReformerError) {
        do {
            try handle.write(contentsOf: EventFile.framed(event.encoded()))
        } catch {
            throw ReformerError(file: path, "cannot be appended to (\(error.localizedDescription))")
        }
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Dots and slashes would change what the file name's fields mean.
        let clean = name.map { $0 == "." || $0 == "/" ? "-" : $0 }
        return clean.isEmpty ? "localhost" : String(clean)
    }
}

/// Follows one event file as it grows: each `poll` reads the records completed since the last one.
///
/// ```swift
/// var tail = EventFileTail(path: "out/runs/Dec04_18-51_host/events.out.tfevents.1700000000.host.1.0")
/// let poll = tail.poll()     // events since the last poll; issues as one line each
/// ```
public struct EventFileTail: Sendable {
    public struct Poll: Sendable {
        public var events: [TensorBoardEvent] = []
        /// Problems met, one line each naming the file and offset (reported once, not every poll).
        public var issues: [String] = []
    }

    public let path: String
    /// Bytes consumed: where the next record starts.
    public private(set) var offset = 0
    public private(set) var recordsRead = 0
    /// Records dropped because their data checksum was wrong twice in a row or they did not decode.
    public private(set) var recordsSkipped = 0
    /// Bytes after `offset` that do not yet make a whole record.
    public private(set) var partialBytes = 0
    /// Why the reader is stuck at `offset` (a header whose checksum does not match, an absurd
    /// length); retried on every poll in case the bytes were still being written.
    public private(set) var blocked: String?
    /// Records read per poll at most, so one huge file cannot hold up the watcher.
    public var recordsPerPoll = 50_000
    /// A data-checksum mismatch seen at (offset, file size): skipped if it is still there next poll.
    private var suspect: (offset: Int, size: Int)?

    public init(path: String) { self.path = path }

    public mutating func poll() -> Poll {
        var result = Poll()
        let handle: FileHandle
        let size: Int
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            size = Int(try handle.seekToEnd())
        } catch {
            return result   // not there (yet), or gone: nothing new
        }
        defer { try? handle.close() }
        if size < offset {
            result.issues.append("\(path): shrank from \(offset) to \(size) bytes; reading it again from the start")
            offset = 0
            blocked = nil
            suspect = nil
        }
        var read = 0
        partialBytes = 0
        while read < recordsPerPoll {
            let available = size - offset
            guard available >= EventFile.headerBytes else { partialBytes = available; break }
            guard let header = Self.bytes(handle, at: offset, count: EventFile.headerBytes) else { break }
            let lengthBytes = header[0..<8]
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lengthCRC = UInt32(littleEndianBytes: header[8..<12])
            guard CRC32C.masked(CRC32C.checksum(lengthBytes)) == lengthCRC else {
                block("\(path): record at byte \(offset): the length's checksum does not match; the rest of the file is not read", &result)
                break
            }
            guard length <= UInt64(EventFile.maximumRecordLength) else {
                block("\(path): record at byte \(offset) claims \(length) bytes (more than \(EventFile.maximumRecordLength >> 20) MiB); the rest of the file is not read", &result)
                break
            }
            let total = EventFile.headerBytes + Int(length) + EventFile.footerBytes
            guard available >= total else { partialBytes = available; break }
            guard let body = Self.bytes(handle, at: offset + EventFile.headerBytes, count: Int(length) + EventFile.footerBytes) else { break }
            blocked = nil
            let data = body[0..<Int(length)]
            if CRC32C.masked(CRC32C.checksum(data)) != UInt32(littleEndianBytes: body[Int(length)...]) {
                if let s = suspect, s.offset == offset, s.size == size {
                    result.issues.append("\(path): record at byte \(offset): the data's checksum does not match; record skipped")
                    recordsSkipped += 1
                    suspect = nil
                    offset += total
                    continue
                }
                suspect = (offset, size)   // maybe still being written: look again next poll
                break
            }
            suspect = nil
            do {
                result.events.append(try TensorBoardEvent.decode(data))
                recordsRead += 1
            } catch {
                result.issues.append("\(path): record at byte \(offset) is not an Event (\(error.message)); record skipped")
                recordsSkipped += 1
            }
            offset += total
            read += 1
        }
        return result
    }

    private mutating func block(_ reason: String, _ result: inout Poll) {
        if blocked != reason { result.issues.append(reason) }
        blocked = reason
    }

    /// Exactly `count` bytes at `offset`, or nil when fewer could be read.
    static func bytes(_ handle: FileHandle, at offset: Int, count: Int) -> ArraySlice<UInt8>? {
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil,
              let data = try? handle.read(upToCount: count), data.count == count else { return nil }
        return [UInt8](data)[...]
    }
}
