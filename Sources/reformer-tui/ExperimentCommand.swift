// `reformer-tui experiment copy`: the paper's Table 2 (EXPERIMENTS.md §1.5) in one command — train the
// Full, LSH-1, LSH-2 and LSH-4 models per seed, evaluate each with full attention and LSH-8/4/2/1,
// print the median grid beside the paper's and the verdicts R1–R6. Live in the dashboard on a
// terminal, progress lines otherwise; SIGINT/SIGTERM/q checkpoint and exit 0, --resume continues.

import ArgumentParser
import CTermGuard
import Dispatch
import Foundation
import ReformerEngine
import ReformerTUI
import ReformerTelemetry
import Synchronization

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Reproduce an experiment of the Reformer paper.",
        subcommands: [CopyExperimentCommand.self])
}

struct CopyExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Table 2: the duplication task trained with full attention and 1/2/4 hash rounds, evaluated with full attention and 8/4/2/1 rounds.",
        discussion: """
            Seeds are the preset's seed + 0, 1, …, N-1; each seed's four models share data, initialisation and evaluation set. \
            Results go to DIR/results.json and DIR/results.md with the checkpoints in DIR/seed<S>/<full|lsh1|lsh2|lsh4>/.
            """)

    @Option(name: .long, help: "quick (the copy preset, length 64) or hard (the copy-hard preset). Default: quick, or the saved experiment's with --resume.")
    var tier: String?

    @Option(name: .long, help: "Seeds (models per row); the grid is their median. Default: 1, or the saved experiment's with --resume.")
    var seeds: Int?

    @Option(name: .long, help: "Results and checkpoints folder (default: runs/experiment-copy-<tier>).")
    var out: String?

    @Flag(name: .long, help: "Continue the experiment saved in the folder.")
    var resume = false

    @Option(name: .long, help: "Training steps per model instead of the tier's (smoke runs).")
    var steps: Int?

    @Flag(name: .long, help: "No dashboard: progress lines on stdout (also chosen by itself without a terminal).")
    var headless = false

    @Flag(name: .long, help: "Dashboard without colours (also when NO_COLOR is set).")
    var mono = false

    @Option(name: .long, help: "Markdown file whose section for this tier is rewritten with the results (e.g. docs/results/table2.md).")
    var report: String?

    func run() throws {
        var code: Int32 = 0
        try runReporting { code = try experiment() }
        if code != 0 { throw ExitCode(code) }
    }

    /// The command line as recorded in results: the program's name without its folder, arguments quoted when needed.
    static func commandLine() -> String {
        let args = CommandLine.arguments.dropFirst().map { a -> String in
            a.isEmpty || a.contains(where: { " \"'$\\`*?[]{}()<>|&;#~".contains($0) }) ? "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'" : a
        }
        return (["reformer-tui"] + args).joined(separator: " ")
    }

    private func experiment() throws -> Int32 {
        let stdout = FileHandle.standardOutput
        func say(_ line: String) { stdout.write(Data((line + "\n").utf8)) }
        if let seeds, seeds < 1 || seeds > 1000 { throw ReformerError(file: "--seeds", "is \(seeds), expected 1 to 1000") }
        if let steps, steps < 1 { throw ReformerError(file: "--steps", "is \(steps), expected at least 1") }
        let chosenTier = try tier.map(ExperimentTier.parse)
        if let report, report.isEmpty { throw ReformerError(file: "--report", "is empty, expected a Markdown file path") }
        var tierValue = chosenTier ?? .quick
        let directory = out ?? "runs/experiment-copy-\(tierValue.rawValue)"
        // One writer per experiment folder (two experiments, or a train, into it refuse); each model
        // folder is locked too while the runner trains it.
        let lock = try CheckpointLock.acquire(for: directory)
        defer { lock.release() }
        if resume && chosenTier == nil, let saved = try? ExperimentResults.load(directory: directory) { tierValue = saved.tier }
        let preset = try TaskPreset.named(tierValue.presetName)
        let experiment = try CopyExperiment(tier: tierValue, preset: preset, seedCount: seeds, steps: steps, directory: directory,
                                            resume: resume, command: Self.commandLine())
        let r0 = experiment.results
        let outcome: CopyExperiment.Outcome
        if !headless && TerminalSession.canUseTerminal {
            outcome = try dashboard(experiment)
        } else {
            say("experiment copy: tier \(tierValue.rawValue) (preset \(preset.name): \(r0.setting)), \(r0.seeds.count) seed\(r0.seeds.count == 1 ? "" : "s") (\(r0.seeds.map(String.init).joined(separator: ", "))), \(r0.steps) steps per model, \(r0.models.count) models → \(directory)\(resume ? " (resuming: \(r0.cellsDone)/\(r0.cellsTotal) cells done)" : "")")
            _ = tg_install_headless()
            outcome = experiment.runHeadless(log: say, shouldStop: { tg_quit_signal() != 0 })
        }
        let r = experiment.results
        switch outcome {
        case .failed(let message):
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            return 1
        case .interrupted:
            for line in ExperimentReport.textGrid(r.median, heading: "\(r.cellsDone)/\(r.cellsTotal) cells so far") { say(line) }
            say("interrupted: \(r.cellsDone)/\(r.cellsTotal) cells measured; continue with: reformer-tui experiment copy --tier \(r.tier.rawValue) --out \(directory) --resume")
            return 0
        case .completed:
            break
        }
        say("")
        let heading = "median over \(r.seeds.count) seed\(r.seeds.count == 1 ? "" : "s"), accuracy %"
        for line in ExperimentReport.textGrid(r.median, heading: heading) { say(line) }
        say("")
        for v in r.criteria { say(v.line) }
        say("")
        let train = r.models.reduce(0) { $0 + $1.trainSeconds }, eval = r.models.reduce(0) { $0 + $1.evalSeconds }
        say(String(format: "time: %.1f min wall (training %.1f min, evaluation %.1f min); results in %@/results.json and %@/results.md",
                   r.wallSeconds / 60, train / 60, eval / 60, directory, directory))
        if let report {
            try ExperimentReport.updateDocument(at: report, with: r)
            say("report: \(report) (section for tier \(r.tier.rawValue) rewritten)")
        }
        return 0
    }

    /// The experiment in the dashboard: the runner drives one TrainingSession per model on the worker
    /// thread; the UI renders the snapshots (grid and curves) and sends keys as commands.
    private func dashboard(_ experiment: CopyExperiment) throws -> CopyExperiment.Outcome {
        let store = SnapshotStore(), commands = CommandQueue()
        let logPath = experiment.directory + "/experiment.log"
        let finished = Atomic<Bool>(false)
        let result = Locked<CopyExperiment.Outcome>(.interrupted)
        let worker = DispatchQueue(label: "reformer-tui.engine", qos: .utility)
        do {
            _ = try TerminalSession.runDashboard(
                store: store, commands: commands, mono: mono, logPath: logPath,
                onStart: {
                    worker.async {
                        // While the UI is up, stderr is the log file (the backend redirects it).
                        let outcome = experiment.runDashboard(store: store, commands: commands) { line in
                            FileHandle.standardError.write(Data((line + "\n").utf8))
                        }
                        result.withLock { $0 = outcome }
                        finished.store(true, ordering: .releasing)
                    }
                },
                workerFinished: { finished.load(ordering: .acquiring) })
        } catch {
            throw ReformerError(file: "terminal", "cannot start the dashboard (\(error)); use --headless")
        }
        guard finished.load(ordering: .acquiring) else {
            throw ReformerError(file: "experiment", "the worker did not stop within 30 s of quitting; the last checkpoints are kept in \(experiment.directory)")
        }
        print("reformer-tui: log \(logPath)")
        return result.withLock { $0 }
    }
}
