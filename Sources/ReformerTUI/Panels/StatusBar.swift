// StatusBar: the top line — run state, task, `step N/M` (the tmux tests parse exactly that), tokens/s,
// elapsed time, hash rounds for training and evaluation, checkpoint age, model summary. Fields are
// dropped, least important first, until the line fits; state and step always stay. Watching another
// process's run: step, epoch, pace, log and checkpoint ages, the run's state, and any trouble.

import ReformerTelemetry

/// The status line.
///
/// ```swift
/// StatusBar.render(snapshot, theme: .dark, in: Rect(x: 0, y: 0, width: 120, height: 1), into: &screen)
/// // " RUNNING │ copy │ step 120/2000 │ 12,345 tok/s │ 01:23 │ hashes 4 · eval 4 │ ckpt 42s ago │ 1 LSH layer…"
/// ```
public enum StatusBar {
    struct Field {
        var text: String
        var style: Style
        var priority: Int
    }

    /// The state word and its style.
    static func stateBadge(_ state: EngineSnapshot.RunState, theme: Theme) -> (String, Style) {
        var style: Style
        switch state {
        case .starting, .stopping: style = theme.dim
        case .running: style = theme.good
        case .paused: style = theme.warning
        case .finished: style = theme.good
        case .failed: style = theme.bad
        }
        style.bold = true
        style.reverse = true
        return (" " + state.rawValue.uppercased() + " ", style)
    }

    static func hashesText(_ n: Int) -> String { n == 0 ? "full" : String(n) }

    static func fields(_ s: EngineSnapshot, theme: Theme) -> [Field] {
        if let w = s.watch { return watchFields(s, w, theme: theme) }
        let (badge, badgeStyle) = stateBadge(s.runState, theme: theme)
        var out = [Field(text: badge, style: badgeStyle, priority: 100)]
        if !s.task.isEmpty { out.append(Field(text: s.task, style: theme.title, priority: 75)) }
        out.append(Field(text: "step \(s.step)/\(s.totalSteps)", style: theme.text, priority: 99))
        let rate = s.tokensPerSecond.isFinite && s.tokensPerSecond >= 0 && s.tokensPerSecond < 1e15
            ? Format.grouped(Int(s.tokensPerSecond.rounded())) : "–"
        out.append(Field(text: "\(rate) tok/s", style: theme.text, priority: 80))
        out.append(Field(text: Format.duration(s.elapsedSeconds), style: theme.text, priority: 70))
        out.append(Field(text: "hashes \(hashesText(s.trainHashes)) · eval \(hashesText(s.evalHashes))", style: theme.text, priority: 50))
        let checkpoint = s.checkpointAgeSeconds.map { "ckpt \(Format.age($0)) ago" } ?? "no ckpt yet"
        out.append(Field(text: checkpoint, style: theme.dim, priority: 60))
        return out
    }

    /// `reformer-tui watch`: " WATCH │ step 37/120 │ epoch 1.25 │ 2.4 steps/s │ log 3s ago │ checkpoint-30 12s ago │ running".
    static func watchFields(_ s: EngineSnapshot, _ w: WatchStatus, theme: Theme) -> [Field] {
        var badgeStyle: Style
        let stateText: String
        switch w.state {
        case .waiting: (badgeStyle, stateText) = (theme.dim, "waiting: \(w.waitingFor)")
        case .running: (badgeStyle, stateText) = (theme.good, w.source == "model folder" ? "a model folder, reloaded when it changes" : "running")
        case .silent(let minutes): (badgeStyle, stateText) = (theme.warning, "silent for \(minutes) min")
        case .finished: (badgeStyle, stateText) = (theme.good, "finished")
        }
        badgeStyle.bold = true
        badgeStyle.reverse = true
        var out = [Field(text: " WATCH ", style: badgeStyle, priority: 100)]
        let modelFolder = w.source == "model folder"
        if w.state != .waiting {
            if !modelFolder { out.append(Field(text: "step \(s.step)" + (s.totalSteps > 0 ? "/\(s.totalSteps)" : ""), style: theme.text, priority: 99)) }
            if let e = w.epoch { out.append(Field(text: "epoch \(Format.fixed(e, 2))", style: theme.text, priority: 60)) }
            if let r = w.stepsPerSecond, r.isFinite { out.append(Field(text: "\(Format.compact(r)) steps/s", style: theme.text, priority: 70)) }
            if let age = w.lastLogAgeSeconds { out.append(Field(text: "log \(Format.age(age)) ago", style: theme.text, priority: 80)) }
            let checkpoint = w.newestCheckpoint.map { name in "\(name) \(w.newestCheckpointAgeSeconds.map { Format.age($0) + " ago" } ?? "")" }
            out.append(Field(text: checkpoint ?? "no complete checkpoint yet", style: theme.dim, priority: 85))
        }
        out.append(Field(text: stateText, style: w.state == .finished ? theme.good : theme.text, priority: 95))
        return out
    }

    public static func render(_ s: EngineSnapshot, theme: Theme, in rect: Rect, into screen: inout Screen) {
        guard rect.width > 0, rect.height > 0 else { return }
        let separator = " │ "
        var shown = fields(s, theme: theme)
        func total(_ f: [Field]) -> Int { f.reduce(0) { $0 + Format.width($1.text) } + max(0, f.count - 1) * separator.count }
        // Room kept for the trouble line: fields give way to it first.
        let reserve = s.watch?.trouble != nil ? min(48, rect.width / 3) : 0
        while total(shown) + reserve > rect.width, let drop = shown.enumerated().filter({ $0.element.priority < 99 })
            .min(by: { $0.element.priority < $1.element.priority }) {
            shown.remove(at: drop.offset)
        }
        var x = rect.x
        for (i, field) in shown.enumerated() {
            if i > 0 { x = screen.put(separator, x: x, y: rect.y, style: theme.dim, clip: rect) }
            x = screen.put(field.text, x: x, y: rect.y, style: field.style, clip: rect)
        }
        // Watching: why the newest checkpoint is not shown takes what is left; else the model summary.
        let room = rect.maxX - x - separator.count
        if let trouble = s.watch?.trouble, room >= 12 {
            x = screen.put(separator, x: x, y: rect.y, style: theme.dim, clip: rect)
            screen.put(Format.truncate("⚠ " + trouble, room), x: x, y: rect.y, style: theme.warning, clip: rect)
        } else if !s.modelSummary.isEmpty, room >= 12 {
            x = screen.put(separator, x: x, y: rect.y, style: theme.dim, clip: rect)
            screen.put(Format.truncate(s.modelSummary, room), x: x, y: rect.y, style: theme.dim, clip: rect)
        }
    }
}
