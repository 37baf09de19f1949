// MemoryLedger: every engine buffer is allocated through here, so its totals are the engine's real
// memory use (not an estimate). The dashboard's memory panel and the depth/memory tests read it.

import Synchronization

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
    private let state = Mutex(MemoryTotals())

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
        self.bytes = max(count, 1) * MemoryLayout<Element>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        ledger.record(bytes, category)
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
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
