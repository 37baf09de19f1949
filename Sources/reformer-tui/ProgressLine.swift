// ProgressLine: progress of a long computation on stderr, so stdout keeps only results. Silent for
// the first second (short runs, and every bad-input failure, which happens before the work, print
// nothing); then on a terminal one line rewritten in place, elsewhere a line every 5 s.

import Foundation

final class ProgressLine {
    private let label: String
    private let started = Date()
    private var lastPrinted: Date?
    private var printedInPlace = false
    private let terminal = isatty(STDERR_FILENO) == 1

    init(label: String) { self.label = label }

    /// Reports that `done` of `total` units are finished.
    func update(_ done: Int, _ total: Int, unit: String) {
        let now = Date()
        let elapsed = now.timeIntervalSince(started)
        guard elapsed >= 1 else { return }
        if let last = lastPrinted, now.timeIntervalSince(last) < (terminal ? 0.2 : 5) { return }
        lastPrinted = now
        let line = "\(label): \(done)/\(total) \(unit), \(Int(elapsed)) s"
        if terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            printedInPlace = true
        } else {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    /// Ends an in-place line with a newline (nothing when none was printed).
    func finish() {
        if printedInPlace { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        printedInPlace = false
    }
}
