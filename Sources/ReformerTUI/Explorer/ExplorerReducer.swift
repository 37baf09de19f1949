// ExplorerReducer: the explorer's keys → ExplorerState changes and what the app should do (STYLE habit
// 11). The scheme is listed below and, for users, by ExplorerHelp.

import ReformerTelemetry

/// What the app does after an explorer key.
public enum ExplorerAction: Sendable, Equatable {
    /// Stay in the explorer (the state may have changed).
    case none
    /// Leave the explorer (back to the dashboard; standalone: quit).
    case close
    /// Quit the app.
    case quit
}

/// Key → explorer state change and action.
///
/// - `←` / `→`: previous / next stage (leaves a drill)
/// - `↑` / `↓` (`k` / `j`): hash round in stages 1–5 (a new round re-centres the chunk on the
///   position) · position in stage 6
/// - `,` / `.` (`<` / `>`): previous / next position (stage 5: the query row within the chunk, the
///   position following it)
/// - `PgUp` / `PgDn`: 16 positions (stage 5: query rows) back / forward · `Home` / `End`: first / last
/// - `[` / `]`: previous / next chunk over all rounds, in stages 4–5 (the round follows the chunk; in
///   stage 5 the position follows the query row)
/// - `Enter`: drill into Attention — the selected chunk (stage 4) or the chunk holding the selected
///   position in the selected round (stages 1–3, 6)
/// - `Esc`: out of the drill, back to the stage it started from; else `.close`
/// - `?`: help (modal; `Esc` or `?` closes it) · `q` / `Q` / Ctrl-C: `.quit`, even with help open
///
/// ```swift
/// var state = ExplorerState(layer: 0, head: 0)
/// ExplorerReducer.reduce(&state, key: .right, trace: trace)    // .none, state.stage == .hashing
/// ExplorerReducer.reduce(&state, key: .escape, trace: trace)   // .close
/// ```
public enum ExplorerReducer {
    /// Positions (or query rows) one PgUp/PgDn moves.
    public static let pageSize = 16

    public static func reduce(_ s: inout ExplorerState, key: Key, trace: HashTrace) -> ExplorerAction {
        switch key {
        case .controlC, .character("q"), .character("Q"): return .quit
        default: break
        }
        if s.helpVisible {
            if key == .escape || key == .character("?") { s.helpVisible = false }
            return .none
        }
        let index = TraceIndex(trace)
        switch key {
        case .character("?"):
            s.helpVisible = true
        case .escape:
            guard let origin = s.drilledFrom else { return .close }
            s.stage = origin
            s.drilledFrom = nil
        case .left, .right:
            let next = s.stage.rawValue + (key == .left ? -1 : 1)
            if let stage = ExplorerState.Stage(rawValue: next) { s.stage = stage }
            s.drilledFrom = nil
        case .up, .down, .character("k"), .character("j"):
            let delta = key == .up || key == .character("k") ? -1 : 1
            if s.stage == .merging {
                movePosition(&s, index, by: delta)
            } else {
                let round = ExplorerState.clamp(s.round + delta, index.rounds)
                if round != s.round { s.round = round; s.chunk = nil; s.query = nil }
            }
        case .character(","), .character("<"): movePosition(&s, index, by: -1)
        case .character("."), .character(">"): movePosition(&s, index, by: 1)
        case .pageUp: movePosition(&s, index, by: -pageSize)
        case .pageDown: movePosition(&s, index, by: pageSize)
        case .home: movePosition(&s, index, by: -Int(Int32.max))
        case .end: movePosition(&s, index, by: Int(Int32.max))
        case .character("["), .character("]"):
            guard s.stage == .chunking || s.stage == .attention, index.chunkCount > 0 else { break }
            let r = s.resolved(index)
            let chunk = ExplorerState.clamp(r.chunk + (key == .character("[") ? -1 : 1), index.chunkCount)
            s.chunk = chunk
            s.round = index.round(ofChunk: chunk)
            s.query = r.query
            // In Attention the selected position is the selected query's (its twin is highlighted).
            if s.stage == .attention, let p = index.position(ofSlot: chunk * index.chunkLength + r.query) { s.position = p }
        case .enter:
            guard s.stage != .attention else { break }
            let r = s.resolved(index)
            s.drilledFrom = s.stage
            if s.stage == .chunking {
                s.chunk = r.chunk
                s.round = index.round(ofChunk: r.chunk)
            } else {
                s.chunk = nil
                s.query = nil
            }
            s.stage = .attention
        default:
            break
        }
        return .none
    }

    /// Moves the selected position (stage 5: the query row within the chunk, the position following it).
    static func movePosition(_ s: inout ExplorerState, _ index: TraceIndex, by delta: Int) {
        guard !index.isEmpty else { return }
        let r = s.resolved(index)
        if s.stage == .attention {
            let query = ExplorerState.clamp(r.query + max(-index.chunkLength, min(index.chunkLength, delta)), index.chunkLength)
            s.chunk = r.chunk
            s.query = query
            if let p = index.position(ofSlot: r.chunk * index.chunkLength + query) { s.position = p }
            return
        }
        let step = max(-index.length, min(index.length, delta))
        s.position = ExplorerState.clamp(r.position + step, index.length)
        s.chunk = nil
        s.query = nil
    }
}
