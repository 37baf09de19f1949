// SnapshotStore and CommandQueue: the two channels between the engine worker and the UI thread,
// each one lock held only to swap or append a value (TUI_GUIDE §3.1).

import Synchronization

/// One-slot mailbox: the writer replaces the value, the reader takes the newest; old ones are dropped.
public final class SnapshotStore: Sendable {
    private let latest = Locked(EngineSnapshot())
    public let version = Atomic<UInt64>(0)

    public init() {}

    public func publish(_ snapshot: EngineSnapshot) {
        var s = snapshot
        s.version = version.wrappingAdd(1, ordering: .releasing).newValue
        let old = latest.withLock { slot in
            let previous = slot
            slot = s
            return previous
        }
        _ = old   // released outside the lock
    }

    public func current() -> EngineSnapshot { latest.withLock { $0 } }
}

/// FIFO of commands from the UI to the worker.
public final class CommandQueue: Sendable {
    private let items = Locked<[SessionCommand]>([])

    public init() {}

    public func send(_ command: SessionCommand) { items.withLock { $0.append(command) } }

    /// Whether a command is waiting, without taking it (a long task checks for `.quit`).
    public func contains(_ command: SessionCommand) -> Bool { items.withLock { $0.contains(command) } }

    /// Everything sent so far, in order, emptying the queue.
    public func drain() -> [SessionCommand] {
        items.withLock { q in
            let all = q
            q.removeAll(keepingCapacity: true)
            return all
        }
    }
}
