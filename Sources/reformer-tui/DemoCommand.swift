// `reformer-tui demo`: build a small seeded Reformer, run
// LSH attention over a sequence with repeated content, and show where the buckets put it.

import ArgumentParser
import Foundation
import ReformerEngine

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A short headless demo: a seeded Reformer hashes a sequence; prints buckets, attention agreement and timing.")

    @Option(name: .long, help: "Seed for weights, input and rotations.")
    var seed: UInt64 = 1

    func run() throws {
        try runReporting { try Demo.run(seed: seed) }
    }
}
