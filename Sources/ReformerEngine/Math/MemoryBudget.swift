// MemoryBudget: how many bytes new buffers may still take — the smallest of physical memory, the
// process's address-space limit (RLIMIT_AS, `ulimit -v`) and the user's `--max-memory` — and the
// check that refuses a Footprint beyond it with one line, before anything is allocated.

import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A number of bytes and the limit it comes from, for messages.
public struct MemoryLimit: Sendable, Equatable {
    public var bytes: Int
    /// "physical memory", "RLIMIT_AS, ulimit -v" or "--max-memory".
    public var name: String

    public init(bytes: Int, name: String) {
        self.bytes = bytes
        self.name = name
    }
}

public enum MemoryBudget {
    /// The user's cap in bytes (`--max-memory`); 0 when none was given.
    private static let userCap = Atomic<Int>(0)

    /// Sets (or, with nil, clears) the `--max-memory` cap for this process.
    public static func setUserLimit(_ bytes: Int?) { userCap.store(max(0, bytes ?? 0), ordering: .relaxed) }

    public static var userLimit: Int? {
        let v = userCap.load(ordering: .relaxed)
        return v > 0 ? v : nil
    }

    /// Installed RAM: sysconf, else /proc/meminfo's MemTotal.
    public static let physicalMemory: Int? = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, size > 0, let bytes = Checked.product([pages, size]) { return bytes }
        return procField("/proc/meminfo", "MemTotal:").flatMap { Checked.product([$0, 1024]) }
    }()

    /// The soft RLIMIT_AS, nil when unlimited (RLIM_INFINITY is all ones, beyond Int).
    public static func addressSpaceLimit() -> Int? {
        var r = rlimit()
        #if canImport(Glibc)
        let status = getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &r)
        #else
        let status = getrlimit(RLIMIT_AS, &r)
        #endif
        guard status == 0, r.rlim_cur < rlim_t(Int.max) else { return nil }
        return Int(r.rlim_cur)
    }

    /// The process's mapped address space now (/proc/self/statm, first field), nil if unknown.
    public static func mappedBytes() -> Int? {
        guard let text = readSmallFile("/proc/self/statm"), let first = text.split(separator: " ").first,
              let pages = Int(first) else { return nil }
        return Checked.product([pages, Int(sysconf(Int32(_SC_PAGESIZE)))])
    }

    /// What new buffers may still take, and which limit decides it: physical memory and
    /// `--max-memory` less the engine's live buffers, RLIMIT_AS less the process's mapped size.
    /// nil when none of the limits is known.
    public static func available(liveBytes: Int = MemoryLedger.shared.totals.liveTotalBytes) -> MemoryLimit? {
        var limits: [MemoryLimit] = []
        if let physical = physicalMemory { limits.append(MemoryLimit(bytes: max(0, physical - liveBytes), name: "physical memory")) }
        if let cap = addressSpaceLimit() {
            let used = mappedBytes() ?? liveBytes
            limits.append(MemoryLimit(bytes: max(0, cap - used), name: "RLIMIT_AS, ulimit -v"))
        }
        if let cap = userLimit { limits.append(MemoryLimit(bytes: max(0, cap - liveBytes), name: "--max-memory")) }
        return limits.min { $0.bytes < $1.bytes }
    }

    /// Refuses `footprint` when its total overflows or exceeds `limit`; `configFile` names the
    /// config in the message.
    public static func require(_ footprint: Footprint, configFile: String, limit: MemoryLimit? = available()) throws(ReformerError) {
        guard let total = footprint.total else { throw footprint.refusal(configFile: configFile) }
        if let limit, total > limit.bytes { throw footprint.refusal(configFile: configFile, limit: limit) }
    }

    /// Parses a size as `--max-memory` takes it: bytes ("1048576"), or a number with K, M, G or T
    /// (powers of 1024; "KB"/"KiB" spellings too, any case): "512M", "4G", "1.5G". nil otherwise.
    public static func parseSize(_ text: String) -> Int? {
        var s = String(text.uppercased().drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count {
            s.removeLast(suffix.count)
            break
        }
        let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        var scale = 1.0
        if let last = s.last, let u = units[last] { scale = u; s.removeLast() }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let number = Double(s) else { return nil }
        let bytes = (number * scale).rounded(.down)
        guard bytes >= 1, bytes < 9.2e18 else { return nil }
        return Int(bytes)
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    /// The number after `key` in a "key value kB" file such as /proc/meminfo.
    private static func procField(_ path: String, _ key: String) -> Int? {
        guard let text = readSmallFile(path) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return Int(line.dropFirst(key.count).split(separator: " ").first ?? "")
        }
        return nil
    }
}
