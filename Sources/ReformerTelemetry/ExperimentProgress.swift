// ExperimentProgress: the Table 2 experiment as the dashboard shows it — the grid filling in cell by
// cell beside the paper's, which model is training or being evaluated, ETAs and, once complete, the
// verdict lines. The engine's experiment runner fills it in; the TUI only renders it.

/// One criterion's verdict (R1–R6 of EXPERIMENTS.md §1.5).
public struct ExperimentVerdict: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case pass, fail, report, pending }
    /// "R1" … "R6".
    public var id: String
    public var status: Status
    /// The whole line as printed, e.g. "R1 pass full→full 100.0% (≥ 99%)".
    public var line: String

    public init(id: String, status: Status, line: String) {
        self.id = id
        self.status = status
        self.line = line
    }
}

/// The experiment's state, carried by `EngineSnapshot.experiment` (nil outside an experiment).
public struct ExperimentProgress: Sendable, Equatable {
    public enum Phase: String, Sendable { case training, evaluating, finished }

    /// "Table 2 · copy task · tier quick".
    public var title = ""
    /// Row labels (attention used in training), in the paper's order: "Full", "LSH-4", "LSH-2", "LSH-1".
    public var rows: [String] = []
    /// Column labels (attention used in evaluation): "Full", "LSH-8", "LSH-4", "LSH-2", "LSH-1".
    public var columns: [String] = []
    /// Accuracy in percent, median over the seeds that have the cell so far; nil = not measured yet.
    public var cells: [[Double?]] = []
    /// The paper's Table 2, percent, same shape.
    public var paper: [[Double]] = []
    /// Seeds of the experiment and how many are finished.
    public var seedCount = 0
    public var seedsDone = 0
    /// Cells measured over all seeds, and how many there will be (20 per seed).
    public var cellsDone = 0
    public var cellsTotal = 0
    public var phase = Phase.training
    /// "seed 0 · LSH-2" — the model being trained or evaluated.
    public var currentModel = ""
    /// Its row in `rows`, and the column being evaluated (nil while training).
    public var currentRow: Int?
    public var currentColumn: Int?
    /// 1-based index of the current model among all models of the experiment, and their number.
    public var modelIndex = 0
    public var modelCount = 0
    /// Estimated seconds left for the current model (training + evaluation) and for the experiment;
    /// nil until there is a measured rate.
    public var modelETASeconds: Double?
    public var experimentETASeconds: Double?
    /// Wall time of the experiment so far (all invocations).
    public var elapsedSeconds = 0.0
    /// R1–R6, filled once the grid is complete.
    public var verdicts: [ExperimentVerdict] = []
    /// Where the results go.
    public var directory = ""

    public init() {}
}
