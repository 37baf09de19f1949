// SessionTests: the dashboard's probes show what the step really computed (the buckets equal the
// forward's, as `inspect` reports them), and the worker obeys pause / step / checkpoint / quit.

import Foundation
import Synchronization
import Testing
@testable import ReformerEngine
import ReformerTelemetry
import ReformerTestSupport

@Suite struct ProbeTests {
    @Test(arguments: ["tiny-causal", "lsh-encoder", "x-mask-causal"])
    func probeBucketsEqualTheForwardsBuckets(_ name: String) throws {
        let dir = Fixtures.path(name)
        let model = try HFCheckpoint.load(directory: dir)
        var request = try InspectIO.readRequest(path: dir + "/expected.safetensors", config: model.config)
        let capture = ProbeCapture(layers: Set(0..<model.config.layerCount))
        request.probe = capture
        let result = try model.forward(request)
        let expected = try SafeTensorsFile(contentsOf: dir + "/expected.safetensors")
        let c = model.config, T = result.paddedLength
        for trace in result.lshLayers {
            let stored = try expected.int64s("lsh.layer\(trace.layer).buckets")   // [B, n_h, n_H, T]
            for h in 0..<c.headCount {
                for r in 0..<c.hashRounds {
                    let p = try #require(ProbeComputer.probe(capture, config: c, selection: ProbeSelection(layer: trace.layer, head: h, round: r)))
                    let row0 = stored[((h * c.hashRounds) + r) * T..<((h * c.hashRounds) + r + 1) * T].map { Int32($0) }
                    #expect(p.buckets == Array(row0), "\(name) layer \(trace.layer) head \(h) round \(r)")
                    #expect(p.occupancy.reduce(0, +) == p.buckets.filter { Int($0) < p.bucketCount }.count)
                }
            }
        }
    }

    @Test func chunkWeightsAreTheForwardsSoftmax() throws {
        let model = try HFCheckpoint.load(directory: Fixtures.path("tiny-causal"))
        var request = try InspectIO.readRequest(path: Fixtures.path("tiny-causal") + "/expected.safetensors", config: model.config)
        let capture = ProbeCapture(layers: [0, 1])
        request.probe = capture
        _ = try model.forward(request)
        for layer in [0, 1] {
            for chunk in [0, 3, 7] {
                let p = try #require(ProbeComputer.probe(capture, config: model.config, selection: ProbeSelection(layer: layer, head: 1, round: 1, chunk: chunk)))
                #expect(p.attention.count == 8 && p.attention[0].count == 16, "chunk 8 with one look-back chunk")
                for (i, row) in p.attention.enumerated() {
                    for (w, weight) in row.enumerated() where p.mask[i][w] == .causal { #expect(weight == 0) }
                    let sum = row.reduce(0, +)
                    let onlySelf = p.mask[i].allSatisfy { $0 != .none }
                    // Rows with an allowed key sum to 1; self-only rows follow spec §12.2 (k copies at −1e5).
                    if !onlySelf { #expect(abs(sum - 1) < 1e-5) }
                }
            }
        }
    }
}

@Suite struct TrainingSessionTests {
    @Test func workerObeysCommandsAndSavesOnQuit() throws {
        let (c, s, data) = try tinyCopyRun(steps: 1000)
        let trainer = try Trainer(config: c, settings: s, data: data, preset: "test", fullAttention: false)
        let store = SnapshotStore(), commands = CommandQueue()
        let dir = temporaryFolder("session")
        let session = TrainingSession(trainer: trainer, checkpointDirectory: dir, store: store, commands: commands)
        let thread = Thread { session.run() }
        thread.start()
        func waitFor(_ what: String, _ condition: (EngineSnapshot) -> Bool) {
            let deadline = Date().addingTimeInterval(120)
            while !condition(store.current()) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(condition(store.current()), "timed out waiting for \(what)")
        }
        waitFor("steps") { $0.step >= 3 }
        commands.send(.togglePause)
        waitFor("pause") { $0.runState == .paused }
        let paused = store.current().step
        Thread.sleep(forTimeInterval: 0.2)
        #expect(store.current().step == paused, "no steps while paused")
        commands.send(.stepOnce)
        waitFor("one step") { $0.step == paused + 1 }
        let probe = try #require(store.current().probe)
        #expect(probe.buckets.count == 16 && probe.attention.count == 4)
        commands.send(.selectProbe(layer: 0, head: 1, round: 1, chunk: 2))
        commands.send(.stepOnce)
        waitFor("selection") { $0.probe?.head == 1 && $0.probe?.round == 1 && $0.probe?.chunk == 2 }
        commands.send(.checkpoint)
        waitFor("checkpoint") { $0.checkpointAgeSeconds != nil }
        commands.send(.changeEvalHashes(1))
        waitFor("eval hashes") { $0.evalHashes == 3 }
        commands.send(.sample)
        waitFor("sample") { $0.sample?.predicted.count == 7 }
        commands.send(.quit)
        let deadline = Date().addingTimeInterval(120)
        while !session.done.load(ordering: .acquiring) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let finished = session.done.load(ordering: .acquiring)
        #expect(finished)
        let state = try TrainerState.load(path: dir + "/trainer_state.json")
        #expect(state.step == store.current().step)
        #expect(store.current().memory.parametersBytes > 0)
        #expect(store.current().memory.standardAttentionBytes == 1 * 4 * 2 * 16 * 16 * 4)
    }
}
