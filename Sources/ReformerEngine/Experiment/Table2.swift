// Table2: the duplication-task grid of the Reformer paper (Kitaev et al. 2020, Table 2) — its rows
// (attention in training), columns (attention in evaluation), the paper's numbers, medians over seeds
// and the criteria R1–R6 of shared/docs/EXPERIMENTS.md §1.5 that judge a reproduced grid.

import Foundation
import ReformerTelemetry

public enum Table2 {
    /// Attention used in training, in the paper's row order.
    public enum Row: Int, CaseIterable, Sendable, Codable {
        case full, lsh4, lsh2, lsh1

        /// Hash rounds in training; 0 = full attention (shared-QK).
        public var trainHashes: Int {
            switch self {
            case .full: 0
            case .lsh4: 4
            case .lsh2: 2
            case .lsh1: 1
            }
        }
        /// "Full", "LSH-4", …
        public var label: String { self == .full ? "Full" : "LSH-\(trainHashes)" }
        /// Checkpoint folder and JSON key: "full", "lsh4", …
        public var key: String { self == .full ? "full" : "lsh\(trainHashes)" }
        public init?(key: String) {
            guard let row = Row.allCases.first(where: { $0.key == key }) else { return nil }
            self = row
        }
        /// The order models are trained in: Full, then the cheapest LSH model first.
        public static let trainingOrder: [Row] = [.full, .lsh1, .lsh2, .lsh4]
    }

    /// Attention used in evaluation, in the paper's column order.
    public enum Column: Int, CaseIterable, Sendable, Codable {
        case full, lsh8, lsh4, lsh2, lsh1

        /// Hash rounds in evaluation; 0 = full attention.
        public var evalHashes: Int {
            switch self {
            case .full: 0
            case .lsh8: 8
            case .lsh4: 4
            case .lsh2: 2
            case .lsh1: 1
            }
        }
        public var label: String { self == .full ? "Full" : "LSH-\(evalHashes)" }
        public var key: String { self == .full ? "full" : "lsh\(evalHashes)" }
        public init?(key: String) {
            guard let column = Column.allCases.first(where: { $0.key == key }) else { return nil }
            self = column
        }
    }

    /// The paper's Table 2, accuracy in percent (EXPERIMENTS.md §1.3), rows and columns as above.
    public static let paper = Grid(cells: [
        [100, 94.8, 92.5, 76.9, 52.5],
        [0.8, 100, 99.9, 99.4, 91.9],
        [0.8, 100, 99.9, 98.1, 86.8],
        [0.8, 99.9, 99.6, 94.8, 77.9],
    ])

    /// A 4 × 5 grid of accuracies in percent; nil = not measured.
    public struct Grid: Sendable, Equatable, Codable {
        public var cells: [[Double?]]

        public init() { cells = Array(repeating: Array(repeating: nil, count: Column.allCases.count), count: Row.allCases.count) }
        public init(cells: [[Double?]]) {
            self.init()
            for (r, row) in cells.prefix(Row.allCases.count).enumerated() {
                for (c, value) in row.prefix(Column.allCases.count).enumerated() { self.cells[r][c] = value }
            }
        }

        public subscript(row: Row, column: Column) -> Double? {
            get { cells[row.rawValue][column.rawValue] }
            set { cells[row.rawValue][column.rawValue] = newValue }
        }

        public var filledCount: Int { cells.joined().compactMap { $0 }.count }
        public var isComplete: Bool { filledCount == Row.allCases.count * Column.allCases.count }

        /// Every cell rounded to one decimal: the grid as printed, which the criteria judge.
        public var rounded: Grid { Grid(cells: cells.map { $0.map { $0.map(Table2.round1) } }) }
    }

    static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    /// Median of the values (mean of the middle two for an even count); nil for none.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Cell by cell, the median over the grids that have the cell.
    public static func median(_ grids: [Grid]) -> Grid {
        var out = Grid()
        for row in Row.allCases {
            for column in Column.allCases { out[row, column] = median(grids.compactMap { $0[row, column] }) }
        }
        return out
    }

    // MARK: - Criteria (EXPERIMENTS.md §1.5)

    /// Tolerance of R2, R3 and R5, in points.
    public static let tolerance = 1.0
    /// R1's threshold and R4's minimum gain, in percent / points.
    public static let r1Minimum = 99.0
    public static let r4MinimumGain = 10.0
    /// Float slack for comparisons of one-decimal values.
    static let slack = 1e-6

    /// R1–R6 for `grid` (judged on its values rounded to one decimal, as printed).
    ///
    /// ```swift
    /// Table2.criteria(Table2.paper).map(\.line)
    /// // ["R1 pass full→full 100.0% (≥ 99%)", …, "R4 pass +22.0 points (≥ 10)", …]
    /// ```
    public static func criteria(_ grid: Grid) -> [ExperimentVerdict] {
        let g = grid.rounded
        return [r1(g), r2(g), r3(g), r4(g), r5(g), r6(g)]
    }

    static func f1(_ x: Double) -> String { String(format: "%.1f", x) }
    static func pending(_ id: String, _ what: String) -> ExperimentVerdict {
        ExperimentVerdict(id: id, status: .pending, line: "\(id) pending \(what) not measured yet")
    }

    static func r1(_ g: Grid) -> ExperimentVerdict {
        guard let v = g[.full, .full] else { return pending("R1", "full→full") }
        let ok = v >= r1Minimum - slack
        return ExperimentVerdict(id: "R1", status: ok ? .pass : .fail, line: "R1 \(ok ? "pass" : "fail") full→full \(f1(v))% (≥ 99%)")
    }

    /// Every LSH-trained row non-decreasing LSH-1 → LSH-2 → LSH-4 → LSH-8 within the tolerance: the
    /// smallest of the nine steps decides.
    static func r2(_ g: Grid) -> ExperimentVerdict {
        let ladder: [Column] = [.lsh1, .lsh2, .lsh4, .lsh8]
        var worst: (step: Double, row: Row, from: Column, to: Column)?
        for row in [Row.lsh4, .lsh2, .lsh1] {
            for (a, b) in zip(ladder, ladder.dropFirst()) {
                guard let x = g[row, a], let y = g[row, b] else { return pending("R2", "the LSH rows are") }
                let step = y - x
                if worst == nil || step < worst!.step - slack { worst = (step, row, a, b) }
            }
        }
        let w = worst!
        let ok = w.step >= -tolerance - slack
        return ExperimentVerdict(
            id: "R2", status: ok ? .pass : .fail,
            line: "R2 \(ok ? "pass" : "fail") smallest step \(String(format: "%+.1f", w.step)) points, \(w.row.label) row \(w.from.label)→\(w.to.label) (≥ -1)")
    }

    /// The train = eval diagonal rises with hashes within the tolerance.
    static func r3(_ g: Grid) -> ExperimentVerdict {
        guard let d1 = g[.lsh1, .lsh1], let d2 = g[.lsh2, .lsh2], let d4 = g[.lsh4, .lsh4] else {
            return pending("R3", "the diagonal is")
        }
        let first = d2 >= d1 - tolerance - slack, second = d4 >= d2 - tolerance - slack
        let ok = first && second
        return ExperimentVerdict(
            id: "R3", status: ok ? .pass : .fail,
            line: "R3 \(ok ? "pass" : "fail") diagonal \(f1(d1)) \(relation(d1, d2)) \(f1(d2)) \(relation(d2, d4)) \(f1(d4)) (tolerance 1)")
    }

    /// "≤" when x ≤ y, "≈" when y is below x by at most the tolerance, ">" beyond it.
    static func relation(_ x: Double, _ y: Double) -> String {
        y >= x - slack ? "≤" : (y >= x - tolerance - slack ? "≈" : ">")
    }

    /// Train cheap, evaluate expensive: LSH-1-trained gains ≥ 10 points from eval LSH-1 to LSH-8.
    static func r4(_ g: Grid) -> ExperimentVerdict {
        guard let eight = g[.lsh1, .lsh8], let one = g[.lsh1, .lsh1] else { return pending("R4", "the LSH-1 row is") }
        let gain = eight - one
        let ok = gain >= r4MinimumGain - slack
        return ExperimentVerdict(id: "R4", status: ok ? .pass : .fail,
                                 line: "R4 \(ok ? "pass" : "fail") \(String(format: "%+.1f", gain)) points (≥ 10)")
    }

    /// Report only: the full-trained row LSH-1 ≤ LSH-2 ≤ LSH-4 ≤ LSH-8 ≤ Full (tolerance 1).
    static func r5(_ g: Grid) -> ExperimentVerdict {
        let order: [Column] = [.lsh1, .lsh2, .lsh4, .lsh8, .full]
        let values = order.compactMap { g[.full, $0] }
        guard values.count == order.count else { return pending("R5", "the Full row is") }
        var text = f1(values[0]), holds = true
        for (x, y) in zip(values, values.dropFirst()) {
            holds = holds && y >= x - tolerance - slack
            text += " \(relation(x, y)) \(f1(y))"
        }
        return ExperimentVerdict(id: "R5", status: .report,
                                 line: "R5 report Full row LSH-1→Full \(text): \(holds ? "rises" : "does not rise") (paper: rises)")
    }

    /// Report only: LSH-trained models evaluated with full attention (the paper: 0.8%, chance).
    static func r6(_ g: Grid) -> ExperimentVerdict {
        let rows: [Row] = [.lsh4, .lsh2, .lsh1]
        guard rows.allSatisfy({ g[$0, .full] != nil }) else { return pending("R6", "the Full column is") }
        let parts = rows.map { "\($0.label) \(f1(g[$0, .full]!))%" }.joined(separator: ", ")
        return ExperimentVerdict(id: "R6", status: .report, line: "R6 report LSH-trained → full attention: \(parts) (paper: 0.8%, chance)")
    }
}
