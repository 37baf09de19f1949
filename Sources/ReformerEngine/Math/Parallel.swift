// Parallel: fan independent jobs (batch row × head) out over the cores with per-worker scratch.
// Pointers cross into the worker closures through UnsafeSendable, an explicit promise that each
// job touches a disjoint part of the memory.

import Dispatch
import Foundation

/// A value moved across a concurrency boundary by the caller's promise of disjoint use.
public struct UnsafeSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

public enum Parallel {
    /// Worker count used for engine fan-out (the machine's active cores, at least 1).
    nonisolated(unsafe) public static var workerCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(job, worker)` for every job in 0..<jobs; jobs are spread round-robin over
    /// `min(workerCount, jobs)` workers, each with its own `worker` index for scratch selection.
    public static func forEach(jobs: Int, workers: Int? = nil, _ body: @escaping @Sendable (_ job: Int, _ worker: Int) -> Void) {
        let w = min(workers ?? workerCount, jobs)
        if w <= 1 {
            for j in 0..<jobs { body(j, 0) }
            return
        }
        // Small per-job BLAS calls run in the workers themselves: keep BLAS from also fanning out.
        let blasThreads = BLAS.threadCount
        if blasThreads > 1 { BLAS.threadCount = 1 }
        defer { if blasThreads > 1 { BLAS.threadCount = blasThreads } }
        DispatchQueue.concurrentPerform(iterations: w) { worker in
            var j = worker
            while j < jobs {
                body(j, worker)
                j += w
            }
        }
    }
}
