// LineChart: several (x, y) series as braille lines over a shared x domain, with a y axis labelled on
// its first and last plot rows (and the middle when tall enough), x-axis end labels and a legend.
// Linear or log10 y; points that are not finite (or not positive on a log scale) are skipped.

import Foundation

/// A braille line chart.
///
/// ```swift
/// let chart = LineChart(series: [
///     .init(name: "train", points: [.init(x: 0, y: 4.8), .init(x: 100, y: 2.1)], style: theme.series[0]),
///     .init(name: "val", points: [.init(x: 100, y: 2.3)], style: theme.series[1], dashed: true),
/// ], axisStyle: theme.dim)
/// chart.render(rect, into: &screen)
/// ```
///
/// Rows of `rect`, top to bottom: legend, plot, x axis line, x labels (the legend, then the axis
/// line, are dropped when the rect is short).
public struct LineChart {
    public struct Point: Sendable, Equatable {
        public var x: Double, y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }

    public struct Series: Sendable {
        public var name: String
        public var points: [Point]
        public var style: Style
        /// Drawn with gaps (the second cue besides colour); the legend shows "╌╌".
        public var dashed: Bool
        public init(name: String, points: [Point], style: Style = .plain, dashed: Bool = false) {
            self.name = name
            self.points = points
            self.style = style
            self.dashed = dashed
        }
    }

    public enum Scale: Sendable, Equatable { case linear, log10 }

    public var series: [Series]
    public var yScale: Scale
    /// Fixed y bounds in data units (e.g. 0...1 for accuracy); nil = the data's range.
    public var yRange: ClosedRange<Double>?
    /// Fixed x bounds; nil = the data's range.
    public var xRange: ClosedRange<Double>?
    public var axisStyle: Style
    public var labelStyle: Style
    public var showLegend: Bool
    /// Shown in the middle of the plot when no series has a point.
    public var emptyText: String
    /// Formats x-axis labels (default: whole numbers).
    public var xFormat: @Sendable (Double) -> String

    public init(series: [Series], yScale: Scale = .linear, yRange: ClosedRange<Double>? = nil,
                xRange: ClosedRange<Double>? = nil, axisStyle: Style = .plain, labelStyle: Style = .plain,
                showLegend: Bool = true, emptyText: String = "no data",
                xFormat: @escaping @Sendable (Double) -> String = { $0.isFinite && abs($0) < 1e15 ? String(Int($0.rounded())) : Format.compact($0) }) {
        self.series = series
        self.yScale = yScale
        self.yRange = yRange
        self.xRange = xRange
        self.axisStyle = axisStyle
        self.labelStyle = labelStyle
        self.showLegend = showLegend
        self.emptyText = emptyText
        self.xFormat = xFormat
    }

    /// The y value as plotted (log10 on a log scale); nil when it cannot be plotted.
    func transform(_ y: Double) -> Double? {
        guard y.isFinite else { return nil }
        switch yScale {
        case .linear: return y
        case .log10: return y > 0 ? Foundation.log10(y) : nil
        }
    }

    func untransform(_ t: Double) -> Double { yScale == .log10 ? pow(10, t) : t }

    public func render(_ rect: Rect, into screen: inout Screen) {
        guard rect.width >= 1, rect.height >= 1 else { return }
        // Rows.
        let legendRows = showLegend && rect.height >= 4 ? 1 : 0
        let labelRows = rect.height >= 3 ? 1 : 0
        let axisRows = rect.height - legendRows - labelRows >= 3 ? 1 : 0
        let plotRows = rect.height - legendRows - labelRows - axisRows
        let plotTop = rect.y + legendRows

        // Points in plot space.
        let plotted: [[Point]] = series.map { s in
            s.points.compactMap { p in
                guard p.x.isFinite, let ty = transform(p.y) else { return nil }
                return Point(x: p.x, y: ty)
            }
        }
        let all = plotted.joined()
        var xLow = xRange?.lowerBound ?? all.map(\.x).min() ?? 0
        var xHigh = xRange?.upperBound ?? all.map(\.x).max() ?? 1
        if !(xLow.isFinite && xHigh.isFinite) { xLow = 0; xHigh = 1 }
        if xHigh < xLow { swap(&xLow, &xHigh) }
        var yLow = yRange.flatMap { transform($0.lowerBound) } ?? all.map(\.y).min() ?? 0
        var yHigh = yRange.flatMap { transform($0.upperBound) } ?? all.map(\.y).max() ?? 1
        if yHigh < yLow { swap(&yLow, &yHigh) }
        if yHigh - yLow < 1e-12 {
            let pad = yScale == .log10 ? 0.1 : max(abs(yLow) * 0.05, 0.5)
            yLow -= pad
            yHigh += pad
        }

        // Y labels (first, last and middle plot rows) and the axis column.
        var yLabels: [(row: Int, text: String)] = []
        if plotRows >= 1 && (!all.isEmpty || yRange != nil) {
            yLabels.append((0, Format.compact(untransform(yHigh))))
            if plotRows >= 2 { yLabels.append((plotRows - 1, Format.compact(untransform(yLow)))) }
            if plotRows >= 5 {
                let mid = (plotRows - 1) / 2
                let t = yHigh - (yHigh - yLow) * Double(mid) / Double(plotRows - 1)
                yLabels.append((mid, Format.compact(untransform(t))))
            }
        }
        var labelWidth = yLabels.map { Format.width($0.text) }.max() ?? 0
        if rect.width - labelWidth - 1 < 4 { labelWidth = 0; yLabels = [] }
        let axisX = rect.x + labelWidth
        let hasAxis = labelWidth > 0
        let plotX = hasAxis ? axisX + 1 : rect.x
        let plotWidth = rect.maxX - plotX
        guard plotWidth >= 1, plotRows >= 1 else { return }

        // Dots.
        var canvas = BrailleCanvas(cols: plotWidth, rows: plotRows)
        func dot(_ p: Point) -> (Int, Int) {
            let fx = xHigh > xLow ? (p.x - xLow) / (xHigh - xLow) : 0
            let fy = (yHigh - p.y) / (yHigh - yLow)
            let dx = Int((min(max(fx, 0), 1) * Double(canvas.dotWidth - 1)).rounded())
            let dy = Int((min(max(fy, 0), 1) * Double(canvas.dotHeight - 1)).rounded())
            return (dx, dy)
        }
        for (i, points) in plotted.enumerated() {
            var previous: (Int, Int)?
            for p in points {
                let d = dot(p)
                if let q = previous { canvas.line(from: q, to: d, series: i, dashed: series[i].dashed) } else { canvas.set(d.0, d.1, series: i) }
                previous = d
            }
        }
        for row in 0..<plotRows {
            for col in 0..<plotWidth {
                let owner = canvas.owner(col: col, row: row)
                guard owner >= 0 else { continue }
                screen.set(plotX + col, plotTop + row, canvas.scalar(col: col, row: row), series[owner].style)
            }
        }
        if all.isEmpty, !emptyText.isEmpty {
            let text = Format.truncate(emptyText, plotWidth)
            screen.put(text, x: plotX + (plotWidth - Format.width(text)) / 2, y: plotTop + (plotRows - 1) / 2,
                       style: labelStyle, clip: rect)
        }

        // Y axis.
        if hasAxis {
            for row in 0..<plotRows {
                let labelled = yLabels.first { $0.row == row }
                screen.set(axisX, plotTop + row, labelled == nil ? "│" : "┤", axisStyle)
                if let l = labelled {
                    screen.put(Format.padLeft(l.text, labelWidth), x: rect.x, y: plotTop + row, style: labelStyle, clip: rect)
                }
            }
        }

        // X axis line with ticks, then labels at the start, end and (if room) middle.
        var ticks: [(x: Int, text: String, align: Int)] = []   // align: -1 left, 0 centre, 1 right
        if !all.isEmpty || xRange != nil {
            ticks.append((plotX, xFormat(xLow), -1))
            if plotWidth >= 2 && xHigh > xLow { ticks.append((plotX + plotWidth - 1, xFormat(xHigh), 1)) }
            if plotWidth >= 24 && xHigh > xLow {
                ticks.append((plotX + (plotWidth - 1) / 2, xFormat((xLow + xHigh) / 2), 0))
            }
        }
        let axisY = plotTop + plotRows
        if axisRows == 1 {
            if hasAxis { screen.set(axisX, axisY, "└", axisStyle) }
            for x in plotX..<rect.maxX { screen.set(x, axisY, "─", axisStyle) }
            for t in ticks { screen.set(t.x, axisY, "┴", axisStyle) }
        }
        if labelRows == 1 {
            let y = axisY + axisRows
            var occupied: [Range<Int>] = []
            for t in ticks {
                let w = Format.width(t.text)
                let start = t.align < 0 ? t.x : (t.align > 0 ? t.x - w + 1 : t.x - w / 2)
                let x = max(rect.x, min(start, rect.maxX - w))
                let span = (x - 1)..<(x + w + 1)
                if occupied.contains(where: { $0.overlaps(span) }) { continue }
                occupied.append(x..<(x + w))
                screen.put(t.text, x: x, y: y, style: labelStyle, clip: rect)
            }
        }

        // Legend: "── name last-value" per series, from the plot's left edge.
        if legendRows == 1 {
            var x = plotX
            for (i, s) in series.enumerated() {
                let last = s.points.last { $0.y.isFinite }.map { " " + Format.compact($0.y) } ?? ""
                let label = s.name + last
                let need = 3 + Format.width(label)
                if x + need > rect.maxX { break }
                x = screen.put(s.dashed ? "╌╌" : "──", x: x, y: rect.y, style: s.style, clip: rect)
                x = screen.put(" " + label, x: x, y: rect.y, style: labelStyle, clip: rect)
                x += 2
                _ = i
            }
        }
    }
}
