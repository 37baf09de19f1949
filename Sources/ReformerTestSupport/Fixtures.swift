// Fixtures: where the parity fixtures live in this repository, found from the source tree.

import Foundation

public enum Fixtures {
    /// Tests/ReformerEngineTests/Fixtures, from this file's location in the repository.
    public static var root: String {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/ReformerEngineTests/Fixtures").path
    }

    /// Every folder under the root that holds a fixture (config.json + expected.safetensors), sorted.
    public static var all: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().filter {
            FileManager.default.fileExists(atPath: "\(root)/\($0)/expected.safetensors")
        }
    }

    public static func path(_ name: String) -> String { "\(root)/\(name)" }
}
