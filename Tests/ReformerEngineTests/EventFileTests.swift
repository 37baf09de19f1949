// EventFileTests: the TensorBoard event-file reader and writer (issue 15 item 5) — CRC-32C against
// its check value, records written then tailed, a partial tail waited on, a data checksum mismatch
// skipped on the second look, a bad length checksum and an absurd length blocking without allocating,
// `simple_value` and tensor scalars, text summaries, malformed protobuf, and a real HF Trainer file.

import Foundation
import Testing
@testable import ReformerEngine

/// A fresh folder under the temporary directory, removed by the caller.
func makeTemporaryFolder(_ label: String) throws -> String {
    let dir = NSTemporaryDirectory() + "reformer-\(label)-\(UInt64.random(in: 0...UInt64.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Appends `bytes` to the file at `path` (creating it).
func append(_ bytes: [UInt8], to path: String) throws {
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    let handle = try #require(FileHandle(forWritingAtPath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(bytes))
}

@Suite struct EventFileTests {
    static func scalarEvent(_ step: Int64, _ value: Double, tag: String = "train/loss") -> TensorBoardEvent {
        TensorBoardEvent(wallTime: 1_700_000_000 + Double(step), step: step, scalars: [.init(tag: tag, value: value)])
    }

    static func record(_ e: TensorBoardEvent) -> [UInt8] { EventFile.framed(e.encoded()) }

    @Test func crc32cMatchesTheCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // 32 zero bytes: RFC 3720 B.4.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        let crc: UInt32 = 0x1234_5678
        #expect(CRC32C.masked(crc) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test func eventsRoundTripThroughTheWireFormat() throws {
        let e = TensorBoardEvent(wallTime: 1_700_000_123.25, step: 37, scalars: [.init(tag: "train/loss", value: 1.5), .init(tag: "train/grad_norm", value: 0.25)],
                                 texts: [.init(tag: "args/text_summary", text: "{\"max_steps\": 120}")])
        let decoded = try TensorBoardEvent.decode(e.encoded()[...])
        #expect(decoded == e)
        let version = try TensorBoardEvent.decode(TensorBoardEvent(wallTime: 5, fileVersion: "brain.Event:2").encoded()[...])
        #expect(version.fileVersion == "brain.Event:2" && version.step == 0 && version.scalars.isEmpty)
    }

    @Test func tailReadsWhatIsAppendedAndWaitsOnAPartialRecord() throws {
        let dir = try makeTemporaryFolder("tail")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/events.out.tfevents.1.host.1.0"
        var tail = EventFileTail(path: path)
        #expect(tail.poll().events.isEmpty)   // no file yet
        try append(Self.record(Self.scalarEvent(1, 2.5)) + Self.record(Self.scalarEvent(2, 2.4)), to: path)
        var poll = tail.poll()
        #expect(poll.events.map(\.step) == [1, 2] && poll.issues.isEmpty)
        // Half a record: nothing new, the offset stays, the bytes are counted as partial.
        let third = Self.record(Self.scalarEvent(3, 2.3))
        try append(Array(third[0..<5]), to: path)
        poll = tail.poll()
        #expect(poll.events.isEmpty && tail.partialBytes == 5)
        try append(Array(third[5..<20]), to: path)
        #expect(tail.poll().events.isEmpty && tail.partialBytes == 20)
        try append(Array(third[20...]), to: path)
        poll = tail.poll()
        #expect(poll.events.map(\.step) == [3] && poll.events[0].scalars == [.init(tag: "train/loss", value: Double(Float(2.3)))])
        #expect(tail.partialBytes == 0 && tail.recordsRead == 3)
    }

    @Test func aDataChecksumMismatchIsSkippedWhenItStays() throws {
        let dir = try makeTemporaryFolder("crc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/events.out.tfevents.1.host.1.0"
        var bad = Self.record(Self.scalarEvent(2, 9))
        bad[14] ^= 0xFF   // a data byte
        try append(Self.record(Self.scalarEvent(1, 1)) + bad + Self.record(Self.scalarEvent(3, 3)), to: path)
        var tail = EventFileTail(path: path)
        var poll = tail.poll()
        // First look: the bad record might still be being written; wait there.
        #expect(poll.events.map(\.step) == [1] && poll.issues.isEmpty)
        poll = tail.poll()
        #expect(poll.events.map(\.step) == [3])
        #expect(poll.issues.count == 1 && poll.issues[0].contains("data's checksum does not match; record skipped"))
        #expect(tail.recordsSkipped == 1)
    }

    @Test func aLengthChecksumMismatchBlocksOnceReportedAndRecoversIfRewritten() throws {
        let dir = try makeTemporaryFolder("len")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/events.out.tfevents.1.host.1.0"
        let good = Self.record(Self.scalarEvent(2, 2))
        var bad = good
        bad[9] ^= 0x01   // the length's checksum
        try append(Self.record(Self.scalarEvent(1, 1)) + bad, to: path)
        var tail = EventFileTail(path: path)
        var poll = tail.poll()
        #expect(poll.events.map(\.step) == [1])
        #expect(poll.issues.count == 1 && poll.issues[0].contains("length's checksum does not match"))
        #expect(tail.blocked != nil)
        #expect(tail.poll().issues.isEmpty)   // reported once
        // The same bytes made right (an in-place writer catching up): reading goes on.
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        bytes.replaceSubrange((bytes.count - good.count)..., with: good)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        poll = tail.poll()
        #expect(poll.events.map(\.step) == [2] && tail.blocked == nil)
    }

    @Test func anAbsurdLengthIsNotAllocated() throws {
        let dir = try makeTemporaryFolder("huge")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/events.out.tfevents.1.host.1.0"
        // A header claiming 2^40 bytes with a valid checksum of that length.
        let length = withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init)
        let header = length + withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(length)).littleEndian, Array.init)
        try append(Self.record(Self.scalarEvent(1, 1)) + header + [1, 2, 3], to: path)
        var tail = EventFileTail(path: path)
        let poll = tail.poll()
        #expect(poll.events.map(\.step) == [1])
        #expect(poll.issues.count == 1 && poll.issues[0].contains("claims 1099511627776 bytes"))
        // A plausible length beyond the end of the file is a partial record: waited on, not read.
        let path2 = dir + "/events.out.tfevents.2.host.1.0"
        let short = withUnsafeBytes(of: UInt64(1 << 20).littleEndian, Array.init)
        try append(short + withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(short)).littleEndian, Array.init) + [0, 0], to: path2)
        var tail2 = EventFileTail(path: path2)
        #expect(tail2.poll().issues.isEmpty && tail2.partialBytes == 14 && tail2.offset == 0)
    }

    @Test func tensorScalarsAndTextAreRead() throws {
        // Summary.Value with a TF2-style tensor: dtype, shape, and the value as content or a repeated field.
        func tensorEvent(_ build: (inout ProtoWire.Writer) -> Void) -> [UInt8] {
            var w = ProtoWire.Writer()
            w.double(1, 1_700_000_000)
            w.varint(2, 7)
            w.message(5) { summary in
                summary.message(1) { value in
                    value.bytes(1, Array("eval/loss".utf8))
                    value.message(8, build)
                }
            }
            return w.bytes
        }
        let floatContent = tensorEvent { t in t.varint(1, 1); t.bytes(4, withUnsafeBytes(of: Float(1.25).bitPattern.littleEndian, Array.init)) }
        let doubleContent = tensorEvent { t in t.varint(1, 2); t.bytes(4, withUnsafeBytes(of: Double(0.125).bitPattern.littleEndian, Array.init)) }
        let floatPacked = tensorEvent { t in t.varint(1, 1); t.bytes(5, withUnsafeBytes(of: Float(3.5).bitPattern.littleEndian, Array.init)) }
        let floatUnpacked = tensorEvent { t in t.varint(1, 1); t.float(5, 4.5) }
        let doubleUnpacked = tensorEvent { t in t.varint(1, 2); t.double(6, 5.5) }
        let int64Value = tensorEvent { t in t.varint(1, 9); t.varint(10, 42) }
        let twoFloats = tensorEvent { t in t.varint(1, 1); t.float(5, 1); t.float(5, 2) }
        let text = tensorEvent { t in t.varint(1, 7); t.bytes(8, Array("hello".utf8)) }
        let cases: [([UInt8], Double?)] = [(floatContent, 1.25), (doubleContent, 0.125), (floatPacked, 3.5), (floatUnpacked, 4.5),
                                           (doubleUnpacked, 5.5), (int64Value, 42), (twoFloats, nil), (text, nil)]
        for (bytes, expected) in cases {
            let e = try TensorBoardEvent.decode(bytes[...])
            #expect(e.step == 7)
            #expect(e.scalars.first?.value == expected)
            if let expected { #expect(e.scalars == [.init(tag: "eval/loss", value: expected)]) }
        }
        #expect(try TensorBoardEvent.decode(text[...]).texts == [.init(tag: "eval/loss", text: "hello")])
    }

    @Test func malformedProtobufThrowsInsteadOfReadingPastTheEnd() {
        let cases: [[UInt8]] = [
            [0x09, 1, 2, 3],                 // fixed64 with 3 bytes
            [0x2A, 0x05, 0x0A],              // summary claiming 5 bytes, 1 there
            [0x10, 0xFF, 0xFF],              // varint without an end
            [0x10] + [UInt8](repeating: 0xFF, count: 10) + [0x01],   // varint longer than 10 bytes
            [0x0B],                          // wire type 3 (groups)
            [0x00, 0x01],                    // field number 0
        ]
        for bytes in cases {
            #expect(throws: ReformerError.self) { try TensorBoardEvent.decode(bytes[...]) }
        }
    }

    @Test func writerFilesAreTailedBack() throws {
        let dir = try makeTemporaryFolder("writer")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try EventFileWriter(directory: dir + "/run.tb", wallTime: 1_700_000_000)
        try writer.append(Self.scalarEvent(5, 0.5))
        let name = try #require(writer.path.split(separator: "/").last.map(String.init))
        #expect(name.hasPrefix("events.out.tfevents.1700000000.") && EventFile.isEventFileName(name))
        var tail = EventFileTail(path: writer.path)
        let events = tail.poll().events
        #expect(events.count == 2 && events[0].fileVersion == "brain.Event:2" && events[1].scalars.first?.value == 0.5)
    }

    @Test func theRecordedHFTrainerEventFileDecodes() throws {
        let run = try WatchFixture.replayed("hf-single")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let files = RunFolder(path: run).eventFiles(.hfOutput)
        #expect(files.count == 1)
        var tail = EventFileTail(path: try #require(files.first))
        let poll = tail.poll()
        #expect(poll.issues.isEmpty && tail.recordsSkipped == 0 && tail.partialBytes == 0)
        var curves = RunCurves()
        for e in poll.events { curves.add(e, source: 0) }
        #expect(poll.events.first?.fileVersion == "brain.Event:2")
        #expect(curves.series["train/loss"]?.map(\.step) == Array(stride(from: 2, through: 30, by: 2)))
        #expect(curves.series["eval/loss"]?.map(\.step) == [10, 20, 30])
        #expect(curves.maxStepsFromArgs == 30 && curves.finalSummaryLogged)
        #expect((curves.stepsPerSecond ?? 0) > 0)
    }
}
