// reformer-tui: command-line entry. The dashboard is the default (until it exists: a short headless
// demo); subcommands run the same engine headless.

import ArgumentParser
import Foundation
import ReformerEngine

@main
struct ReformerTUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reformer-tui",
        abstract: "A Reformer (Kitaev et al., 2020) engine you can watch, inspect and check against HuggingFace.",
        discussion: "With no arguments: the live dashboard, training the copy preset from a fresh seed.",
        subcommands: [TrainCommand.self, WatchCommand.self, EvalCommand.self, SampleCommand.self, ExploreCommand.self, InspectCommand.self, CompareCommand.self, InitCommand.self, TokenizeCommand.self,
                      BenchCommand.self, ExperimentCommand.self, DemoCommand.self]
    )

    /// No arguments: train the default copy preset from a fresh seed (dashboard on a terminal).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments.isEmpty ? ["train", "--fresh-seed"] : arguments)
            try command.run()
        } catch {
            exitReporting(error)
        }
    }

    /// Help and version output as ArgumentParser prints them (exit 0); a command's own exit status
    /// as it is; every other failure — bad arguments included — as one line on stderr and exit
    /// status 1, so that line is the whole of stderr (no usage text after it).
    static func exitReporting(_ error: Error) -> Never {
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
        if exitCode(for: error) == .success { exit(withError: error) }
        let lines = message(for: error).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        FileHandle.standardError.write(Data("error: \(lines.first ?? "\(error)")\n".utf8))
        Foundation.exit(1)
    }
}

/// Runs `body`, turning a ReformerError into one line on stderr and exit status 1.
func runReporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ReformerError {
        FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
        throw ExitCode(1)
    }
}
