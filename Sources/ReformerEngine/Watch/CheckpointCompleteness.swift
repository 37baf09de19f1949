// CheckpointCompleteness: when a checkpoint folder written by another process may be read (issue 15,
// INTEROP.md §4). Nothing HF's Trainer writes is atomic except model.safetensors, trainer_state.json
// lands last, and other ranks' files may land after it, so a folder is complete only when
//   its name is `checkpoint-<step>` (or it is one of our own folders after a save),
//   trainer_state.json parses and its step equals the name's,
//   the weights pass their size check (model.safetensors, each listed shard, or a .bin zip read whole),
//   it holds no temporary file (`.tmp*`), and
//   no file in it has changed for a second.
// The rules are a pure function of the folder's facts; `facts(ofFolder:)` gathers them from disk.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum CheckpointCompleteness {
    /// Which rules apply.
    public enum Kind: Sendable, Equatable {
        /// `checkpoint-<step>` inside an HF Trainer output folder.
        case hfCheckpoint
        /// A `reformer-tui train` checkpoint folder (our trainer_state.json, atomic saves).
        case ownRun
        /// A plain HF model folder: config.json and weights, no trainer state.
        case modelFolder
    }

    /// The full weights a complete folder offers.
    public enum Weights: Sendable, Equatable {
        case safetensors(String)
        /// Sharded safetensors: the index file's shard names, sorted.
        case shards([String])
        case pytorchBin(String)
    }

    public enum Verdict: Sendable, Equatable {
        /// Every rule holds; `step` is the folder's step (nil for a model folder).
        case complete(step: Int?, weights: Weights)
        /// Still being written (or not yet): look again later.
        case incomplete(String)
        /// Written, but without full weights to load (FSDP / DeepSpeed sharded state).
        case unusable(String)
    }

    /// One entry of the folder listing.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var size: Int
        /// Modification time, seconds since 1970.
        public var modified: Double
        public var isDirectory: Bool
        public init(name: String, size: Int, modified: Double, isDirectory: Bool = false) {
            self.name = name
            self.size = size
            self.modified = modified
            self.isDirectory = isDirectory
        }
    }

    /// What trainer_state.json said.
    public enum TrainerStateFact: Sendable, Equatable {
        case absent
        /// Present but not (yet) a parsable trainer state.
        case unreadable(String)
        /// `global_step` (HF) or `step` (ours).
        case step(Int)
    }

    /// Everything the rules look at.
    public struct Facts: Sendable, Equatable {
        public var name: String
        public var entries: [Entry]
        public var trainerState: TrainerStateFact
        /// Size check of each weights file present (by name): nil = passes, else why not.
        public var weightChecks: [String: String?]
        /// Shard names listed by model.safetensors.index.json (nil: no index, or it does not parse).
        public var shardNames: [String]?
        /// The folder's own modification time (an entry added or removed), seconds since 1970.
        public var folderModified: Double?
        public init(name: String, entries: [Entry], trainerState: TrainerStateFact = .absent,
                    weightChecks: [String: String?] = [:], shardNames: [String]? = nil, folderModified: Double? = nil) {
            self.name = name
            self.entries = entries
            self.trainerState = trainerState
            self.weightChecks = weightChecks
            self.shardNames = shardNames
            self.folderModified = folderModified
        }

        /// When anything in the folder last changed.
        public var lastChange: Double? { (entries.map(\.modified) + [folderModified].compactMap { $0 }).max() }
    }

    public static let safetensorsName = "model.safetensors"
    public static let shardIndexName = "model.safetensors.index.json"
    public static let binName = "pytorch_model.bin"

    /// The step in a `checkpoint-<digits>` name, nil for any other name.
    public static func step(ofCheckpointName name: String) -> Int? {
        let prefix = "checkpoint-"
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// A file another writer has not finished: Rust tempfile's `.tmpXXXXXX` (safetensors ≥ 0.8), our
    /// AtomicFile's `.<name>.<pid>.<hex>.tmp`, HF's older `tmp-checkpoint-*` staging.
    public static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".tmp") || name.hasPrefix("tmp") || name.hasSuffix(".tmp")
    }

    /// The rules, in order; the first that fails says why.
    public static func verdict(_ f: Facts, kind: Kind, now: Double, quietSeconds: Double = 1) -> Verdict {
        var expectedStep: Int?
        if kind == .hfCheckpoint {
            guard let step = step(ofCheckpointName: f.name) else { return .incomplete("\(f.name) is not named checkpoint-<step>") }
            expectedStep = step
        }
        if let temporary = f.entries.map(\.name).sorted().first(where: isTemporary) {
            return .incomplete("\(f.name) is being written (\(temporary))")
        }
        var step: Int?
        if kind != .modelFolder {
            switch f.trainerState {
            case .absent: return .incomplete("\(f.name) has no trainer_state.json yet")
            case .unreadable(let why): return .incomplete("\(f.name)/trainer_state.json does not parse yet (\(why))")
            case .step(let s):
                if let expectedStep, s != expectedStep {
                    return .incomplete("\(f.name)/trainer_state.json says global_step \(s), expected \(expectedStep)")
                }
                step = s
            }
        }
        if let newest = f.lastChange, now - newest < quietSeconds {
            return .incomplete("\(f.name) changed \(String(format: "%.1f", max(0, now - newest))) s ago")
        }
        let names = Set(f.entries.filter { !$0.isDirectory }.map(\.name))
        if names.contains(safetensorsName) {
            if let problem = problem(f, safetensorsName) {
                return .incomplete("\(f.name)/\(safetensorsName): \(problem)")
            }
            return .complete(step: step, weights: .safetensors(safetensorsName))
        }
        if names.contains(shardIndexName) {
            guard let shards = f.shardNames, !shards.isEmpty else {
                return .incomplete("\(f.name)/\(shardIndexName) does not list its shards yet")
            }
            for shard in shards {
                guard names.contains(shard) else { return .incomplete("\(f.name)/\(shard) (a listed shard) is not there yet") }
                if let problem = problem(f, shard) {
                    return .incomplete("\(f.name)/\(shard): \(problem)")
                }
            }
            return .complete(step: step, weights: .shards(shards))
        }
        if names.contains(binName) {
            if let problem = problem(f, binName) {
                return .incomplete("\(f.name)/\(binName): \(problem)")
            }
            return .complete(step: step, weights: .pytorchBin(binName))
        }
        let sharded = f.entries.map(\.name).sorted().filter {
            $0.hasPrefix("pytorch_model_fsdp") || $0.hasPrefix("global_step") || $0.hasSuffix(".distcp") || $0 == "zero_to_fp32.py"
        }
        if !sharded.isEmpty {
            return .unusable("\(f.name) holds no full weights, only sharded training state (\(sharded.prefix(2).joined(separator: ", "))): save with a full state dict to watch it")
        }
        if kind == .modelFolder { return .incomplete("\(f.name) has no model weights yet") }
        return .unusable("\(f.name) holds no model weights (\(safetensorsName) or \(binName))")
    }

    /// The size check's finding for `file`; a file nobody checked does not pass.
    static func problem(_ f: Facts, _ file: String) -> String? {
        guard let checked = f.weightChecks[file] else { return "not checked" }
        return checked
    }

    // MARK: - From disk

    /// The facts of the folder at `path` (named `name`), or nil when it is gone.
    public static func facts(ofFolder path: String, name: String, kind: Kind) -> Facts? {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: path) else { return nil }
        var entries: [Entry] = []
        for n in names {
            guard let a = try? fm.attributesOfItem(atPath: path + "/" + n) else { continue }   // vanished meanwhile
            let size = (a[.size] as? NSNumber)?.intValue ?? 0
            let modified = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries.append(Entry(name: n, size: size, modified: modified, isDirectory: (a[.type] as? FileAttributeType) == .typeDirectory))
        }
        var f = Facts(name: name, entries: entries)
        f.folderModified = ((try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date)?.timeIntervalSince1970
        let present = Set(entries.map(\.name))
        if kind != .modelFolder && present.contains("trainer_state.json") {
            f.trainerState = trainerStateStep(path + "/trainer_state.json", kind: kind)
        }
        if present.contains(safetensorsName) { f.weightChecks[safetensorsName] = SafeTensorsSize.problem(path + "/" + safetensorsName) }
        if present.contains(shardIndexName) {
            f.shardNames = shardNames(path + "/" + shardIndexName)
            for shard in f.shardNames ?? [] where present.contains(shard) {
                f.weightChecks[shard] = SafeTensorsSize.problem(path + "/" + shard)
            }
        }
        if present.contains(binName) { f.weightChecks[binName] = ZipCompleteness.completenessProblem(path + "/" + binName) }
        return f
    }

    /// The step trainer_state.json records: HF's `global_step`, or our TrainerState's `step`.
    static func trainerStateStep(_ path: String, kind: Kind) -> TrainerStateFact {
        guard let data = FileManager.default.contents(atPath: path) else { return .unreadable("cannot be read") }
        guard !data.isEmpty else { return .unreadable("0 bytes") }
        guard case .object(let o)? = try? JSONValue.parse(data, file: path) else { return .unreadable("not JSON yet") }
        let key = kind == .ownRun ? "step" : "global_step"
        guard case .number(let n)? = o[key], n >= 0, n < 1e15, n == n.rounded() else {
            return .unreadable("no \(key) number")
        }
        return .step(Int(n))
    }

    /// The distinct shard file names of a safetensors index (`weight_map` values), sorted.
    static func shardNames(_ path: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: path),
              case .object(let o)? = try? JSONValue.parse(data, file: path),
              case .object(let map)? = o["weight_map"] else { return nil }
        var names = Set<String>()
        for case .string(let s) in map.values where !s.contains("/") && !s.isEmpty { names.insert(s) }
        return names.isEmpty ? nil : names.sorted()
    }
}

/// The size check of a safetensors file without reading its tensors: 8 + header length + the last
/// data offset must equal the file size (INTEROP.md §4).
public enum SafeTensorsSize {
    /// nil when the file is exactly as long as its header says; else one line why not.
    public static func problem(_ path: String) -> String? {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) } catch {
            return readProblem(path, error)
        }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), let size = Int(exactly: end) else { return "cannot find its size" }
        guard size >= 8 else { return "\(size) bytes, the header length is not written yet" }
        guard let first = EventFileTail.bytes(handle, at: 0, count: 8) else { return "cannot be read" }
        let headerLength = first.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(SafeTensorsFile.maxHeaderLength) else { return "header length \(headerLength) is absurd" }
        guard 8 + Int(headerLength) <= size else { return "\(size) bytes, the header (\(headerLength) bytes) is not complete" }
        guard let header = EventFileTail.bytes(handle, at: 8, count: Int(headerLength)),
              case .object(let tensors)? = try? JSONValue.parse(Data(header), file: path) else {
            return "the header does not parse (yet)"
        }
        var dataEnd = 0.0
        for (name, value) in tensors where name != "__metadata__" {
            guard case .object(let t) = value, case .array(let offsets)? = t["data_offsets"], offsets.count == 2,
                  case .number(let last) = offsets[1], last >= 0, last < 1e15 else {
                return "tensor \(name) has no data_offsets [begin, end]"
            }
            dataEnd = max(dataEnd, last)
        }
        let expected = 8 + Int(headerLength) + Int(dataEnd)
        if size < expected { return "\(size) of \(expected) bytes written" }
        if size > expected { return "\(size) bytes, but its header accounts for \(expected)" }
        return nil
    }

    /// Why a file could not be opened, naming an owner-only mode (safetensors writes 0600).
    static func readProblem(_ path: String, _ error: Error) -> String {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return "vanished while being read" }
        let mode = (a[.posixPermissions] as? NSNumber)?.intValue ?? 0
        let owner = (a[.ownerAccountID] as? NSNumber)?.intValue
        return unreadable(mode: mode, owner: owner, us: Int(getuid()), reason: (error as NSError).localizedDescription)
    }

    /// "readable only by its owner (mode 0600, uid 1001)…" or the system's reason.
    public static func unreadable(mode: Int, owner: Int?, us: Int, reason: String) -> String {
        if mode & 0o044 == 0, let owner, owner != us {
            return "readable only by its owner (mode 0\(String(mode & 0o777, radix: 8)), uid \(owner)); watch as that user, or have the run use a umask and chmod that lets you read"
        }
        return "cannot be read (\(reason))"
    }
}

/// Whether a zip archive (PyTorch's .bin format since 1.6) has been written to the end.
public enum ZipCompleteness {
    /// nil when the end-of-central-directory record is in the file's last 64 KiB + 22 bytes.
    public static func completenessProblem(_ path: String) -> String? {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) } catch {
            return SafeTensorsSize.readProblem(path, error)
        }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), let size = Int(exactly: end) else { return "cannot find its size" }
        guard size >= 22 else { return "\(size) bytes, not a complete zip archive yet" }
        let tail = min(size, 22 + 65_535)
        guard let bytes = EventFileTail.bytes(handle, at: size - tail, count: tail) else { return "cannot be read" }
        let b = Array(bytes)
        var i = b.count - 22
        while i >= 0 {
            if b[i] == 0x50 && b[i + 1] == 0x4B && b[i + 2] == 0x05 && b[i + 3] == 0x06 { return nil }
            i -= 1
        }
        return "\(size) bytes, no end-of-archive record yet"
    }
}
