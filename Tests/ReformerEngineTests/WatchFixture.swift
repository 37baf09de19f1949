// WatchFixture: the recorded HF Trainer runs in Fixtures/watch (scripts/record_hf_run.py) replayed in
// Swift, operation by operation and without waiting, the way scripts/replay_run.sh does in real time.

import Foundation
import ReformerTestSupport
import Testing

enum WatchFixture {
    struct Operation {
        var milliseconds: Int
        var name: String
        var path: String
        var arguments: [String]
    }

    static func folder(_ name: String) -> String { Fixtures.path("watch/\(name)") }

    static func operations(_ name: String) throws -> [Operation] {
        let text = try String(contentsOfFile: folder(name) + "/ops.tsv", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let ms = try #require(fields.count >= 3 ? Int(fields[0]) : nil, "ops.tsv line: \(line)")
            return Operation(milliseconds: ms, name: fields[1], path: fields[2], arguments: Array(fields.dropFirst(3)))
        }
    }

    static func blobs(_ name: String) throws -> [UInt8] {
        [UInt8](try #require(FileManager.default.contents(atPath: folder(name) + "/blobs.bin")))
    }

    /// Applies one operation under `root`.
    static func apply(_ op: Operation, blobs: [UInt8], root: String) throws {
        let fm = FileManager.default
        let path = root + "/" + op.path
        func int(_ i: Int) throws -> Int { try #require(op.arguments.count > i ? Int(op.arguments[i]) : nil, "\(op.name) \(op.path)") }
        func write(_ bytes: [UInt8], at offset: Int?) throws {
            if !fm.fileExists(atPath: path) { _ = fm.createFile(atPath: path, contents: nil) }
            let handle = try #require(FileHandle(forWritingAtPath: path))
            defer { try? handle.close() }
            if let offset { try handle.seek(toOffset: UInt64(offset)) } else { try handle.seekToEnd() }
            try handle.write(contentsOf: Data(bytes))
        }
        switch op.name {
        case "mkdir": try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        case "append": try write(Array(blobs[try int(0)..<(try int(0) + int(1))]), at: nil)
        case "write": try write(Array(blobs[try int(1)..<(try int(1) + int(2))]), at: try int(0))
        case "zeros": try write([UInt8](repeating: 0, count: try int(0)), at: nil)
        case "truncate": try #require(truncate(path, off_t(try int(0))) == 0)
        case "rename": try #require(rename(path, root + "/" + op.arguments[0]) == 0)
        case "chmod": try fm.setAttributes([.posixPermissions: try #require(Int(op.arguments[0], radix: 8))], ofItemAtPath: path)
        case "rm": try fm.removeItem(atPath: path)
        case "rmdir": try fm.removeItem(atPath: path)
        default: Issue.record("unknown operation \(op.name)")
        }
    }

    /// A temporary folder holding the whole run as it ended.
    static func replayed(_ name: String) throws -> String {
        let root = try makeTemporaryFolder("replay-\(name)")
        let blobs = try blobs(name)
        for op in try operations(name) { try apply(op, blobs: blobs, root: root) }
        return root
    }
}
