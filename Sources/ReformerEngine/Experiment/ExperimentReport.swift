// ExperimentReport: the experiment's results as text — the grid beside the paper's for the terminal,
// results.md, and the tier's section of a repository document (docs/results/table2.md) replaced in
// place between HTML-comment markers, so the document is produced by the command itself.

import Foundation
import ReformerTelemetry

public enum ExperimentReport {
    static func cell(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "·" }

    /// The median grid beside the paper's, one row per line, for stdout.
    ///
    /// ```
    /// Train \ Eval    Full  LSH-8  LSH-4  LSH-2  LSH-1  │   Full  LSH-8  LSH-4  LSH-2  LSH-1
    /// Full           100.0   97.1   96.0   91.2   80.3  │  100.0   94.8   92.5   76.9   52.5
    /// ```
    public static func textGrid(_ grid: Table2.Grid, paper: Table2.Grid = Table2.paper, heading: String) -> [String] {
        let columns = Table2.Column.allCases
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        func half(_ g: Table2.Grid, _ row: Table2.Row) -> String { columns.map { pad(cell(g[row, $0]), 6) }.joined(separator: " ") }
        let header = columns.map { pad($0.label, 6) }.joined(separator: " ")
        let left = "ours: \(heading)"
        let label = "Train \\ Eval"
        var lines = [left.padding(toLength: max(left.count, label.count + 2 + header.count), withPad: " ", startingAt: 0) + "  │  paper (Kitaev et al. 2020, Table 2)"]
        lines.append(label.padding(toLength: 13, withPad: " ", startingAt: 0) + " " + header + "  │  " + header)
        for row in Table2.Row.allCases {
            lines.append(row.label.padding(toLength: 13, withPad: " ", startingAt: 0) + " " + half(grid, row) + "  │  " + half(paper, row))
        }
        return lines
    }

    static func minutes(_ seconds: Double) -> String {
        seconds < 90 ? String(format: "%.0f s", seconds) : String(format: "%.1f min", seconds / 60)
    }

    /// The Markdown body for one tier: settings, the grid beside the paper's, R1–R6, command, seeds,
    /// machine and time; per-seed grids folded away.
    public static func markdown(_ r: ExperimentResults, headingLevel: Int = 2) -> String {
        let h = String(repeating: "#", count: headingLevel)
        var out = "\(h) Tier \(r.tier.rawValue) — preset `\(r.preset)`\n\n"
        out += "Setting: \(r.setting); \(r.steps) training steps per model\(r.stepsOverridden ? " (--steps)" : ""); "
        out += "\(r.evalSequences) evaluation sequences; each LSH cell averaged over \(r.hashDraws) draws of the rotations.\n\n"
        let seedList = r.seeds.map(String.init).joined(separator: ", ")
        out += "Accuracy (%) on the second copy of w, **median over \(r.seeds.count) seed\(r.seeds.count == 1 ? "" : "s")** (\(seedList)); "
        out += "in brackets the paper's Table 2. Rows: attention in training; columns: attention in evaluation.\n\n"
        let columns = Table2.Column.allCases
        out += "| Train \\ Eval | " + columns.map(\.label).joined(separator: " | ") + " |\n"
        out += "|---|" + String(repeating: "---:|", count: columns.count) + "\n"
        for row in Table2.Row.allCases {
            out += "| \(row.label) | " + columns.map { c in "\(cell(r.median[row, c])) (\(cell(r.paper[row, c])))" }.joined(separator: " | ") + " |\n"
        }
        out += "\nCriteria (EXPERIMENTS.md §1.5, judged on the printed medians; R5 and R6 are reported, not judged):\n\n"
        for v in r.criteria { out += "- `\(v.line)`\n" }
        let done = r.cellsDone, total = r.cellsTotal
        if done < total { out += "\n**Incomplete:** \(done) of \(total) cells measured.\n" }
        out += "\n"
        out += "- Command: `\(r.commands.first ?? "")`"
        if r.commands.count > 1 { out += " (continued \(r.commands.count - 1)× with `--resume`)" }
        out += "\n- Seeds: \(seedList)\n"
        out += "- Machine: \(r.machine.summary)\n"
        let train = r.models.reduce(0) { $0 + $1.trainSeconds }, eval = r.models.reduce(0) { $0 + $1.evalSeconds }
        out += "- Time: \(minutes(r.wallSeconds)) wall (training \(minutes(train)), evaluation \(minutes(eval))); "
        out += "started \(r.startedAt)\(r.finishedAt.map { ", finished \($0)" } ?? "")\n"
        do {
            out += "\n<details><summary>Per seed</summary>\n\n"
            for seed in r.seeds {
                let g = r.grid(seed: seed)
                out += "Seed \(seed):\n\n| Train \\ Eval | " + columns.map(\.label).joined(separator: " | ") + " |\n"
                out += "|---|" + String(repeating: "---:|", count: columns.count) + "\n"
                for row in Table2.Row.allCases {
                    out += "| \(row.label) | " + columns.map { cell(g[row, $0]) }.joined(separator: " | ") + " |\n"
                }
                let perModel = Table2.Row.trainingOrder.compactMap { row -> String? in
                    guard let m = r.record(seed: seed, row: row), let sps = m.secondsPerStep else { return nil }
                    return "\(row.label) \(m.trainSteps) steps at \(String(format: "%.3f", sps)) s/step, eval \(minutes(m.evalSeconds))"
                }
                if !perModel.isEmpty { out += "\n" + perModel.joined(separator: "; ") + ".\n" }
                out += "\n"
            }
            out += "</details>\n"
        }
        return out
    }

    /// results.md: a title and the tier's section.
    public static func resultsFile(_ r: ExperimentResults) -> String {
        "# Table 2 of the Reformer paper: duplication task, tier \(r.tier.rawValue)\n\n"
            + "Written by `reformer-tui experiment copy`; the machine-readable results are in results.json.\n\n"
            + markdown(r, headingLevel: 2)
    }

    // MARK: - A section of a repository document

    public static func beginMarker(_ tier: ExperimentTier) -> String { "<!-- experiment-copy:\(tier.rawValue):begin -->" }
    public static func endMarker(_ tier: ExperimentTier) -> String { "<!-- experiment-copy:\(tier.rawValue):end -->" }

    static let documentHeader = """
        # Table 2 of the Reformer paper, reproduced

        The duplication task of Kitaev et al. (2020), Table 2: models trained with full attention or with
        1, 2 or 4 hash rounds, each evaluated with full attention and with 8, 4, 2 and 1 rounds. Each
        section below is written by the command named in it
        (`reformer-tui experiment copy --tier <tier> --report docs/results/table2.md`), which replaces only
        its own tier's section.

        """

    /// `document` (nil: a new file) with `tier`'s section replaced by `body`, or added when absent
    /// (quick before hard); the other tier's section and all text outside the markers stay as they are.
    public static func replacingSection(in document: String?, tier: ExperimentTier, body: String) throws(ReformerError) -> String {
        let begin = beginMarker(tier), end = endMarker(tier)
        let section = begin + "\n" + body + (body.hasSuffix("\n") ? "" : "\n") + end + "\n"
        guard var text = document, !text.isEmpty else { return documentHeader + "\n" + section }
        if let b = text.range(of: begin) {
            guard let e = text.range(of: end, range: b.upperBound..<text.endIndex) else {
                throw ReformerError(file: "--report", "has \(begin) without \(end) after it; fix the file's markers")
            }
            var upper = e.upperBound
            if upper < text.endIndex && text[upper] == "\n" { upper = text.index(after: upper) }
            text.replaceSubrange(b.lowerBound..<upper, with: section)
            return text
        }
        if text.contains(end) {
            throw ReformerError(file: "--report", "has \(end) without \(begin) before it; fix the file's markers")
        }
        // Quick goes before an existing hard section; otherwise at the end.
        if tier == .quick, let hard = text.range(of: beginMarker(.hard)) {
            text.insert(contentsOf: section + "\n", at: hard.lowerBound)
            return text
        }
        if !text.hasSuffix("\n") { text += "\n" }
        return text + "\n" + section
    }

    /// Rewrites `path`'s section for the results' tier (creating the file and its folder if needed).
    public static func updateDocument(at path: String, with r: ExperimentResults) throws(ReformerError) {
        var existing: String?
        if FileManager.default.fileExists(atPath: path) {
            existing = String(decoding: try AtomicFile.readContents(of: path), as: UTF8.self)
        } else {
            let folder = AtomicFile.directoryName(of: path)
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ReformerError(file: "--report", "cannot create the folder \(folder) (\(error.localizedDescription))")
            }
        }
        let updated = try replacingSection(in: existing, tier: r.tier, body: markdown(r, headingLevel: 2))
        try AtomicFile.write(Array(updated.utf8), to: path)
    }
}
