// `reformer-tui watch DIR`: the dashboard following a training run another process writes — an HF
// Trainer output folder (also under torchrun or accelerate), one of our own checkpoint folders while
// `train` writes it, or a single HF model folder — with the LSH views of its newest checkpoint.

import ArgumentParser
import Dispatch
import Foundation
import ReformerEngine
import ReformerTUI
import ReformerTelemetry

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a training run written by another process (HF Trainer output folder, a reformer-tui checkpoint folder, or an HF model folder); needs a terminal.",
        discussion: "DIR may be empty or not exist yet: watch waits for it, and stays up until q.")

    @Argument(help: "The run's folder: an HF Trainer output_dir, a `reformer-tui train` checkpoint folder, or an HF model folder.")
    var directory: String

    @Option(name: .long, help: "Probe the checkpoints with this text (tokenized for each checkpoint).")
    var probeText: String?

    @Option(name: .long, help: "Probe the checkpoints with the start of this file.")
    var probeFile: String?

    @Option(name: .long, help: "Layer the LSH panels open on (1-based; default: the first LSH layer).")
    var layer: Int?

    @Option(name: .long, help: "Seconds between looks at the folder.")
    var every = 1.0

    @Flag(name: .long, help: "No colours (also when NO_COLOR is set).")
    var mono = false

    /// A probe file is read this far at most (a probe is at most ProbeSequence.maximumLength tokens).
    static let probeFileBytes = 1 << 20

    func validate() throws {
        if probeText != nil && probeFile != nil { throw ValidationError("give --probe-text or --probe-file, not both") }
        if let probeText, probeText.isEmpty { throw ValidationError("--probe-text is empty, expected some text") }
        if let layer, layer < 1 { throw ValidationError("--layer counts from 1") }
        if !(every > 0 && every <= 3600) { throw ValidationError("--every must be a number of seconds in (0, 3600], got \(every)") }
        if directory.isEmpty { throw ValidationError("DIR is empty, expected a folder") }
    }

    func run() throws {
        try runReporting {
            var options = WatchOptions()
            options.every = every
            options.layer = layer.map { $0 - 1 }
            if let probeText {
                options.probeText = Array(probeText.utf8)
            } else if let probeFile {
                options.probeText = try Self.readProbe(probeFile)
                options.probeName = probeFile
            }
            guard TerminalSession.canUseTerminal else {
                FileHandle.standardError.write(Data("error: watch needs a terminal (stdout and stdin a tty, TERM set and not dumb)\n".utf8))
                throw ExitCode(2)
            }
            let store = SnapshotStore(), commands = CommandQueue()
            let session = WatchSession(directory: directory, options: options, store: store, commands: commands)
            let worker = DispatchQueue(label: "reformer-tui.watch", qos: .utility)
            do {
                _ = try TerminalSession.runDashboard(
                    store: store, commands: commands, mono: mono,
                    onStart: { worker.async { session.run() } },
                    workerFinished: { session.done.load(ordering: .acquiring) })
            } catch {
                throw ReformerError(file: "terminal", "cannot start the dashboard (\(error))")
            }
            let last = store.current()
            let state: String
            switch last.watch?.state {
            case .finished?: state = "finished"
            case .waiting?, nil: state = "nothing to watch yet"
            case .silent(let minutes)?: state = "silent for \(minutes) min"
            case .running?: state = "running"
            }
            let step = last.watch?.state == .waiting ? "" : " at step \(last.step)\(last.totalSteps > 0 ? "/\(last.totalSteps)" : "")"
            print("reformer-tui watch: \(directory)\(step), \(state)\(last.watch?.shownCheckpoint.map { "; last checkpoint shown: \($0)" } ?? "")")
        }
    }

    /// The first `probeFileBytes` of a probe file, or one line naming it.
    static func readProbe(_ path: String) throws(ReformerError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReformerError(file: path, "does not exist, expected a text file to probe with")
        }
        if isDirectory.boolValue { throw ReformerError(file: path, "is a folder, expected a text file to probe with") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReformerError(file: path, "cannot be read (check its permissions)") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: probeFileBytes)) ?? Data()
        guard !data.isEmpty else { throw ReformerError(file: path, "is empty, expected some text to probe with") }
        return [UInt8](data)
    }
}
