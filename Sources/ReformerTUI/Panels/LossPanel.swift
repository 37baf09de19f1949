// LossPanel: training and validation loss against step (braille, shared x domain, legend with the
// latest values), and the task's metric — accuracy for copy, bits per byte for text — below or beside
// it; a watched run adds learning rate and gradient norm. `l` puts the loss on a log10 scale. When
// short, the other curves shrink to one summary line.

import ReformerTelemetry

/// The training-curves panel.
///
/// ```swift
/// LossPanel.render(snapshot, state, theme: .dark, in: layout.panels[.loss]!, into: &screen)
/// ```
public enum LossPanel {
    static func points(_ curve: [CurvePoint]) -> [LineChart.Point] {
        curve.map { LineChart.Point(x: Double($0.step), y: $0.value) }
    }

    static func style(_ theme: Theme, _ i: Int) -> Style { theme.series.isEmpty ? .plain : theme.series[i % theme.series.count] }

    public static func render(_ s: EngineSnapshot, _ state: ViewState, theme: Theme, in rect: Rect, into screen: inout Screen) {
        let metric = s.metricName.isEmpty ? "metric" : s.metricName
        let right = s.watch != nil ? "loss\(state.logScale ? " (log)" : "") · learning rate · grad norm" + (s.metricName.isEmpty ? "" : " · \(metric)")
            : "loss\(state.logScale ? " (log)" : "") · \(metric)"
        let inner = PanelFrame.draw(.loss, rightTitle: right, state: state, theme: theme, in: rect, into: &screen)
        guard !inner.isEmpty else { return }

        let curves = [s.trainLoss, s.validationLoss, s.trainMetric, s.validationMetric]
        let steps = curves.joined().map(\.step)
        let xRange: ClosedRange<Double>? = steps.isEmpty ? nil : Double(steps.min()!)...Double(max(steps.max()!, steps.min()! + 1))
        let waiting = s.runState == .failed ? "no curves" : s.watch != nil ? "waiting for the run's first log…" : "waiting for the first step…"
        let lossChart = LineChart(
            series: [.init(name: "train loss", points: points(s.trainLoss), style: style(theme, 0)),
                     .init(name: "val loss", points: points(s.validationLoss), style: style(theme, 1), dashed: true)],
            yScale: state.logScale ? .log10 : .linear, xRange: xRange, axisStyle: theme.dim, labelStyle: theme.dim,
            emptyText: waiting)
        let metricChart = LineChart(
            series: [.init(name: "train \(metric)", points: points(s.trainMetric), style: style(theme, 2)),
                     .init(name: "val \(metric)", points: points(s.validationMetric), style: style(theme, 3), dashed: true)],
            yRange: metric == "acc" ? 0...1 : nil, xRange: xRange, axisStyle: theme.dim, labelStyle: theme.dim,
            emptyText: steps.isEmpty ? "" : "no \(metric) yet")

        if s.watch != nil {
            renderWatched(s, lossChart: lossChart, metricChart: metricChart, xRange: xRange, theme: theme, in: inner, into: &screen)
        } else if inner.width >= 100 && inner.height >= 8 {
            let columns = inner.columns([3, 2])
            lossChart.render(Rect(x: columns[0].x, y: columns[0].y, width: columns[0].width - 2, height: columns[0].height), into: &screen)
            metricChart.render(columns[1], into: &screen)
        } else if inner.height >= 12 {
            let rows = inner.rows([3, 2])
            lossChart.render(rows[0], into: &screen)
            metricChart.render(rows[1], into: &screen)
        } else {
            let (chartRect, summaryRect) = inner.splitTop(inner.height - (inner.height >= 4 ? 1 : 0))
            lossChart.render(chartRect, into: &screen)
            renderMetricSummary(s, metric: metric, theme: theme, in: summaryRect, into: &screen)
        }
    }

    /// Watching: the loss curves on the left; learning rate, gradient norm and (our runs) the metric
    /// stacked on the right; when short, one summary row instead of the right column.
    static func renderWatched(_ s: EngineSnapshot, lossChart: LineChart, metricChart: LineChart, xRange: ClosedRange<Double>?,
                              theme: Theme, in inner: Rect, into screen: inout Screen) {
        func chart(_ name: String, _ curve: [CurvePoint], _ i: Int) -> LineChart {
            LineChart(series: [.init(name: name, points: points(curve), style: style(theme, i))], xRange: xRange,
                      axisStyle: theme.dim, labelStyle: theme.dim, emptyText: "no \(name) logged")
        }
        var side = [chart("learning rate", s.learningRate, 2), chart("grad norm", s.gradientNorm, 3)]
        if !s.trainMetric.isEmpty || !s.validationMetric.isEmpty { side.append(metricChart) }
        if inner.width >= 60 && inner.height >= 3 * side.count {
            let columns = inner.columns([3, 2])
            lossChart.render(Rect(x: columns[0].x, y: columns[0].y, width: columns[0].width - 2, height: columns[0].height), into: &screen)
            for (chart, rect) in zip(side, columns[1].rows(Array(repeating: 1, count: side.count))) { chart.render(rect, into: &screen) }
            return
        }
        let (chartRect, summaryRect) = inner.splitTop(inner.height - (inner.height >= 4 ? 1 : 0))
        lossChart.render(chartRect, into: &screen)
        guard !summaryRect.isEmpty else { return }
        var spans: [TextView.Span] = []
        if let lr = s.learningRate.last { spans.append(.init("lr \(Format.compact(lr.value))", style(theme, 2))) }
        if let g = s.gradientNorm.last { spans.append(.init("  grad norm \(Format.compact(g.value))", style(theme, 3))) }
        if let m = s.trainMetric.last { spans.append(.init("  \(s.metricName) \(Format.compact(m.value))", style(theme, 0))) }
        PanelFrame.line(spans, x: summaryRect.x, y: summaryRect.y, clip: summaryRect, into: &screen)
    }

    /// "acc 0.457 · val 0.461 ▁▂▃▅▇" on one row.
    static func renderMetricSummary(_ s: EngineSnapshot, metric: String, theme: Theme, in rect: Rect, into screen: inout Screen) {
        guard !rect.isEmpty else { return }
        var spans: [TextView.Span] = []
        if let last = s.trainMetric.last { spans.append(.init("\(metric) \(Format.compact(last.value))", style(theme, 2))) }
        if let last = s.validationMetric.last { spans.append(.init("  val \(Format.compact(last.value))", style(theme, 3))) }
        guard !spans.isEmpty else { return }
        let x = PanelFrame.line(spans, x: rect.x, y: rect.y, clip: rect, into: &screen)
        let room = rect.maxX - x - 2
        if room >= 4 {
            // The whole history squeezed into the room, oldest left.
            let values = s.trainMetric.map(\.value)
            let squeezed = Heatmap.groups(values.count, room).map { values[$0.upperBound - 1] }
            Sparkline(values: squeezed, style: style(theme, 2))
                .render(Rect(x: x + 2, y: rect.y, width: room, height: 1), into: &screen)
        }
    }
}
