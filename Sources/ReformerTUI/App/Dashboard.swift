// Dashboard: the whole frame as a pure function of (snapshot, view state, theme, size) — STYLE habit 8.
// Status line, panels, message line and key hints from DashboardLayout; the help overlay on top;
// below 80×24 only the "Terminal too small" message. With the hashing explorer open (h), the status
// line stays on top and the explorer takes the body, with its own message and hint rows. A snapshot of
// the Table 2 experiment gets ExperimentView's body (grid, progress, curves).

import ReformerTelemetry

/// Renders one frame.
///
/// ```swift
/// let screen = Dashboard.render(store.current(), state, theme: .dark, width: 120, height: 40)
/// backend.draw(screen)
/// ```
public enum Dashboard {
    public static func render(_ snapshot: EngineSnapshot, _ state: ViewState, theme: Theme, width: Int, height: Int) -> Screen {
        var screen = Screen(width: width, height: height)
        let layout = DashboardLayout(width: width, height: height, zoomed: state.zoomed ? state.focus : nil)
        if layout.tooSmall {
            let lines = layout.tooSmallLines
            let top = (height - lines.count) / 2
            for (i, line) in lines.enumerated() {
                screen.put(line, x: max(0, (width - Format.width(line)) / 2), y: top + i, style: theme.warning)
            }
            return screen
        }
        StatusBar.render(snapshot, theme: theme, in: layout.status, into: &screen)
        if let experiment = snapshot.experiment {
            ExperimentView.renderBody(snapshot, experiment, state, theme: theme, layout: layout, into: &screen)
            return screen
        }
        if let explorer = state.explorer {
            ExplorerView.renderScreenBody(snapshot.hashTrace, explorer, tracing: snapshot.tracing, message: snapshot.message,
                                          theme: theme, layout: layout, into: &screen)
            return screen
        }
        for panel in PanelID.allCases {
            guard let rect = layout.panels[panel] else { continue }
            switch panel {
            case .loss: LossPanel.render(snapshot, state, theme: theme, in: rect, into: &screen)
            case .buckets: BucketPanel.render(snapshot, state, theme: theme, in: rect, into: &screen)
            case .attention: AttentionPanel.render(snapshot, state, theme: theme, in: rect, into: &screen)
            case .memory: MemoryPanel.render(snapshot, state, theme: theme, in: rect, into: &screen)
            case .samples: SamplePanel.render(snapshot, state, theme: theme, in: rect, into: &screen)
            }
        }
        MessageLine.render(snapshot, theme: theme, in: layout.message, into: &screen)
        HintBar.render(snapshot, state, theme: theme, in: layout.hints, into: &screen)
        if state.helpVisible {
            HelpOverlay.render(snapshot, theme: theme, in: layout.body, into: &screen)
        }
        return screen
    }
}
