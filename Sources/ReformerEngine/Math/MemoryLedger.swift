// MemoryLedger: every engine buffer is allocated through here, so its totals are the engine's real
// memory use (not an estimate). The dashboard's memory panel and the depth/memory tests read it.
// An allocation the system refuses ends the program with one line, never a trap.

import ReformerTelemetry
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a buffer holds; the ledger keeps a live total and a peak per category.
public enum MemoryCategory: String, CaseIterable, Sendable {
    case parameters, gradients, optimizer, activations, attention, other
}

/// Totals of one ledger at one moment.
public struct MemoryTotals: Sendable, Equatable {
    public var liveBytes: [MemoryCategory: Int] = [:]
    public var peakBytes: [MemoryCategory: Int] = [:]
    /// Peak of the sum over all categories (not the sum of per-category peaks).
    public var peakTotalBytes = 0
    public var liveTotalBytes: Int { liveBytes.values.reduce(0, +) }
}

/// Thread-safe byte counter per category, with peaks that can be reset between measurements.
public final class MemoryLedger: Sendable {
    private let state = Locked(MemoryTotals())

    public init() {}

    /// The process-wide ledger used by default.
    public static let shared = MemoryLedger()

    /// The ledger new buffers are counted in: `shared` unless a caller scopes another one with
    /// `MemoryLedger.$current.withValue(ledger) { … }` (tests measuring one step in isolation).
    @TaskLocal public static var current: MemoryLedger = shared

    func record(_ bytes: Int, _ category: MemoryCategory) {
        state.withLock { totals in
            let live = (totals.liveBytes[category] ?? 0) + bytes
            totals.liveBytes[category] = live
            if live > totals.peakBytes[category] ?? 0 { totals.peakBytes[category] = live }
            let total = totals.liveTotalBytes
            if total > totals.peakTotalBytes { totals.peakTotalBytes = total }
        }
    }

    public var totals: MemoryTotals { state.withLock { $0 } }

    /// Starts a new peak measurement from the current live totals.
    public func resetPeaks() {
        state.withLock { totals in
            totals.peakBytes = totals.liveBytes
            totals.peakTotalBytes = totals.liveTotalBytes
        }
    }
}

/// A contiguous, 64-byte aligned, zero-initialised array of `Element`, counted in a ledger.
/// Reference type: views into it are raw pointers that live as long as the buffer.
public final class LedgerBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Element>
    public let count: Int
    public let category: MemoryCategory
    private let ledger: MemoryLedger
    private let bytes: Int

    public init(count: Int, category: MemoryCategory, ledger: MemoryLedger = .current) {
        precondition(count >= 0, "LedgerBuffer count must not be negative")
        self.count = count
        self.category = category
        self.ledger = ledger
        let bytes = Checked.product([max(count, 1), MemoryLayout<Element>.stride])
        var allocated: UnsafeMutableRawPointer? = nil
        if let bytes, posix_memalign(&allocated, 64, bytes) != 0 { allocated = nil }
        guard let bytes, let raw = allocated else {
            // The sizes were checked against the memory budget before (ModelFootprint); when the
            // system still says no, stop with one line rather than a trap.
            outOfMemory(bytes, category)
        }
        self.bytes = bytes
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        ledger.record(bytes, category)
    }

    deinit {
        free(UnsafeMutableRawPointer(pointer))
        ledger.record(-bytes, category)
    }

    public var buffer: UnsafeMutableBufferPointer<Element> { .init(start: pointer, count: count) }

    public subscript(i: Int) -> Element {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func toArray() -> [Element] { Array(buffer) }

    public func fill(_ value: Element) { pointer.update(repeating: value, count: count) }
}

public typealias FloatBuffer = LedgerBuffer<Float>

/// The last resort when the system refuses an allocation the budget allowed: one line on stderr
/// and exit status 1 (a buffer initialiser cannot throw, and a trap would print a backtrace).
func outOfMemory(_ bytes: Int?, _ category: MemoryCategory) -> Never {
    let line = "error: out of memory: the system refused \(ByteCount.format(bytes)) for \(category.rawValue) buffers\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(1)
}
