// `reformer-tui compare`: check an `inspect` output against expected tensors (a HF fixture's
// expected.safetensors) at the fixture gates; exit status 1 when any tensor fails.

import ArgumentParser
import Foundation
import ReformerEngine

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare inspect output with expected tensors at the HF fixture tolerances.")

    @Argument(help: "Expected tensors (e.g. a fixture's expected.safetensors).")
    var expected: String

    @Argument(help: "Tensors written by `reformer-tui inspect`.")
    var got: String

    @Flag(name: .long, help: "Also compare grad.* tensors (needs inspect --grads).")
    var grads = false

    @Flag(name: .long, help: "Print only failures and the summary.")
    var quiet = false

    func run() throws {
        var failed = 0
        try runReporting {
            let e = try SafeTensorsFile(contentsOf: expected)
            let g = try SafeTensorsFile(contentsOf: got)
            let results = try FixtureComparison.compare(expected: e, got: g, includeGradients: grads)
            for r in results where !quiet || !r.passed {
                let diff = r.maxAbsDifference.isFinite ? String(format: "%.3e", r.maxAbsDifference) : "-"
                print("\(r.passed ? "ok  " : "FAIL") \(r.name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(diff)  \(r.detail)")
            }
            failed = results.filter { !$0.passed }.count
            print("compare: \(results.count - failed) of \(results.count) tensors within the gates")
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
