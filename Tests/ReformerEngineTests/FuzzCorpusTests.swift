// FuzzCorpusTests: the committed fuzz corpus (Tests/Fuzz/<target>: seeds and every finding of
// `make fuzz`) replayed through the same entry points as the libFuzzer harness, without libFuzzer.
// Every input, and a spread of its truncations, must load or be refused with one ReformerError line.

import Foundation
import Testing
import ReformerEngine
import ReformerTestSupport

@Suite struct FuzzCorpusTests {
    static let root: String = {
        URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz").path
    }()

    static func inputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let folder = "\(root)/\(target)"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: "\(folder)/\(name)").map { (name, [UInt8]($0)) }
        }
    }

    @Test(arguments: FuzzTargets.all.keys.sorted())
    func corpusLoadsOrIsRefusedInOneLine(target: String) throws {
        let entry = try #require(FuzzTargets.all[target])
        let inputs = Self.inputs(target)
        #expect(inputs.contains { $0.name.hasPrefix("seed-") }, "Tests/Fuzz/\(target) holds seeds")
        var accepted = 0, refused = 0
        for (name, bytes) in inputs {
            // The input itself, then 12 prefixes spread over its length.
            let cuts = Set([bytes.count] + (0..<12).map { bytes.count * $0 / 12 }).sorted()
            for cut in cuts {
                do {
                    try entry(Array(bytes[..<cut]))
                    accepted += 1
                } catch {
                    refused += 1
                    #expect(!error.message.isEmpty && !error.message.contains("\n"), "\(target)/\(name)[..<\(cut)]: \(error.message)")
                }
            }
        }
        // Every seed is a valid file of its kind except config seeds, which the fixed two-tensor
        // weights never match: at least one whole seed loads (safetensors, torch, sentencepiece).
        if target != "config" { #expect(accepted > 0) }
        #expect(refused > 0, "truncations are refused")
    }
}
