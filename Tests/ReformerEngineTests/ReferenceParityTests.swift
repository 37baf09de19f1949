// ReferenceParityTests: every fixture folder in Fixtures/ (HF transformers 5.24 reference tensors)
// reproduced by the engine at the fixture README's gates: hidden states, logits, loss, buckets and
// sort order exactly.

import Foundation
import Testing
import ReformerEngine
import ReformerTestSupport

@Suite struct ReferenceParityTests {
    @Test func fixturesArePresent() {
        #expect(Fixtures.all.contains("tiny-causal"))
        #expect(Fixtures.all.contains("lsh-encoder"))
    }

    @Test(arguments: Fixtures.all)
    func forwardMatchesHuggingFace(_ name: String) throws {
        let dir = Fixtures.path(name)
        let model = try HFCheckpoint.load(directory: dir)
        let expected = try SafeTensorsFile(contentsOf: dir + "/expected.safetensors")
        let request = try InspectIO.readRequest(path: dir + "/expected.safetensors", config: model.config)
        let result = try model.forward(request)
        var out = SafeTensorsWriter()
        try InspectIO.write(result, request: request, config: model.config, into: &out)
        let got = try SafeTensorsFile(bytes: out.serialized())

        let results = try FixtureComparison.compare(expected: expected, got: got, includeGradients: false)
        for r in results {
            #expect(r.passed, "\(name): \(r.name): \(r.detail) (max |diff| \(r.maxAbsDifference))")
        }
        #expect(results.count >= 4)
        // Layers that hashed in HF must have hashed here too, and vice versa.
        let hashedHere = Set(got.names.filter { $0.hasSuffix(".buckets") })
        let hashedThere = Set(expected.names.filter { $0.hasSuffix(".buckets") })
        #expect(hashedHere == hashedThere, "\(name): LSH layers that hashed differ")
    }

    @Test(arguments: Fixtures.all)
    func gradientsMatchHuggingFace(_ name: String) throws {
        let dir = Fixtures.path(name)
        let expected = try SafeTensorsFile(contentsOf: dir + "/expected.safetensors")
        guard expected.names.contains(where: { $0.hasPrefix("grad.") }) else { return }  // forward-only fixture
        let model = try HFCheckpoint.load(directory: dir)
        let request = try InspectIO.readRequest(path: dir + "/expected.safetensors", config: model.config)
        let result = try model.forward(request)
        var out = SafeTensorsWriter()
        try InspectIO.writeGradients(try InspectIO.gradients(model: model, request: request, result: result), into: &out)
        let got = try SafeTensorsFile(bytes: out.serialized())
        let results = try FixtureComparison.compare(expected: expected, got: got, includeGradients: true)
            .filter { $0.name.hasPrefix("grad.") }
        #expect(results.count == model.parameters.layout.entries.count)
        for r in results {
            #expect(r.passed, "\(name): \(r.name): \(r.detail)")
        }
    }

    @Test(arguments: Fixtures.all)
    func seededRotationsReproduceTorchWithoutInjection(_ name: String) throws {
        let dir = Fixtures.path(name)
        let model = try HFCheckpoint.load(directory: dir)
        guard model.config.hashSeed != nil else { return }
        var request = try InspectIO.readRequest(path: dir + "/expected.safetensors", config: model.config)
        let given = request.rotations
        request.rotations = [:]
        let result = try model.forward(request)
        for trace in result.lshLayers {
            guard let stored = given[trace.layer] else { continue }
            #expect(Approx.maxAbsDifference(trace.rotations, stored) <= 1e-6, "\(name): layer \(trace.layer) rotations")
        }
    }
}
