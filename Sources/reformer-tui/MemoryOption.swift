// MemoryOption: `--max-memory SIZE`, shared by the commands that load or build a model (train,
// eval, sample, inspect, explore). The engine refuses, before allocating, anything that would take
// more than the smallest of this, physical memory and RLIMIT_AS (MemoryBudget).

import ArgumentParser
import ReformerEngine

struct MemoryOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Refuse models and runs needing more memory than this: bytes, or a number with K, M, G or T (powers of 1024), e.g. 512M, 4G.",
        valueName: "size"), transform: MemoryOption.parse)
    var maxMemory: Int?

    static func parse(_ text: String) throws -> Int {
        guard let bytes = MemoryBudget.parseSize(text) else {
            throw ValidationError("expected bytes or a number with K, M, G or T, e.g. 512M, 4G")
        }
        return bytes
    }

    /// Makes the cap the engine's, for this process.
    func apply() { MemoryBudget.setUserLimit(maxMemory) }
}
