// ChannelTests: the snapshot mailbox and the command queue under concurrent use.

import Dispatch
import Testing
import ReformerTelemetry

@Suite struct ChannelTests {
    @Test func newestSnapshotWinsUnderConcurrentReaders() {
        let store = SnapshotStore()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            if worker == 0 {
                for i in 1...2000 { var s = EngineSnapshot(); s.step = i; store.publish(s) }
            } else {
                var last = 0
                for _ in 0..<2000 {
                    let s = store.current()
                    precondition(s.step >= last, "a reader saw an older snapshot after a newer one")
                    last = s.step
                }
            }
        }
        #expect(store.current().step == 2000)
        #expect(store.version.load(ordering: .acquiring) == 2000)
        #expect(store.current().version == 2000)
    }

    @Test func commandsArriveInOrderOnce() {
        let queue = CommandQueue()
        DispatchQueue.concurrentPerform(iterations: 3) { sender in
            for _ in 0..<500 { queue.send(sender == 0 ? .pause : sender == 1 ? .resume : .stepOnce) }
        }
        var all: [SessionCommand] = []
        all += queue.drain()
        #expect(all.count == 1500)
        #expect(queue.drain().isEmpty)
        queue.send(.quit); queue.send(.sample)
        #expect(queue.drain() == [.quit, .sample])
    }
}
