// Widgets rendered into a Screen and compared with literal lines and styles.

import Testing
@testable import ReformerTUI

@Suite struct WidgetTests {
    // MARK: Braille

    @Test func singleDotsFollowTheUnicodeBitLayout() {
        let expected: [[UInt32]] = [[0x2801, 0x2802, 0x2804, 0x2840], [0x2808, 0x2810, 0x2820, 0x2880]]
        for column in 0..<2 {
            for row in 0..<4 {
                var canvas = BrailleCanvas(cols: 1, rows: 1)
                canvas.set(column, row)
                #expect(canvas.scalar(col: 0, row: 0).value == expected[column][row], "dot (\(column), \(row))")
            }
        }
        var canvas = BrailleCanvas(cols: 1, rows: 1)
        canvas.set(1, 3)
        #expect(canvas.scalar(col: 0, row: 0) == "\u{2880}")
        for x in 0..<2 { for y in 0..<4 { canvas.set(x, y) } }
        #expect(canvas.scalar(col: 0, row: 0) == "\u{28FF}")
    }

    @Test func dotsLandInTheirCellAndOutsideDotsAreIgnored() {
        var canvas = BrailleCanvas(cols: 3, rows: 2)
        canvas.set(5, 7)            // last cell, right column, bottom row
        canvas.set(-1, 0)
        canvas.set(6, 0)
        canvas.set(0, 8)
        #expect(canvas.scalar(col: 2, row: 1) == "\u{2880}")
        #expect(canvas.bits.filter { $0 != 0 }.count == 1)
    }

    // MARK: LineChart

    /// A rising line starts bottom-left and ends top-right; y labels sit on the first and last plot rows.
    @Test func risingLineGoesBottomLeftToTopRight() {
        var screen = Screen(width: 24, height: 8)
        LineChart(series: [.init(name: "up", points: [.init(x: 0, y: 0), .init(x: 10, y: 10)])])
            .render(screen.bounds, into: &screen)
        // Rows: 0 legend, 1…5 plot, 6 axis, 7 x labels. Labels "10.0" and "0" are right-aligned in 4 columns.
        #expect(screen.row(0).hasPrefix("     ── up 10.0"))
        #expect(screen.row(1).hasPrefix("10.0┤"))
        #expect(screen.row(5).hasPrefix("   0┤"))
        #expect(screen.row(3).hasPrefix("  5.0┤") || screen.row(3).hasPrefix(" 5.00┤") || screen.row(3).dropFirst(4).hasPrefix("┤"))
        #expect(screen.row(6).hasPrefix("    └┴"))
        #expect(screen.row(7).hasPrefix("     0"))
        #expect(screen.row(7).hasSuffix("10"))
        let plotX = 5, lastX = 23
        func braille(_ x: Int, _ y: Int) -> Bool { (0x2801...0x28FF).contains(screen[x, y].scalar?.value ?? 0) }
        #expect(braille(plotX, 5), "bottom-left cell has the start")
        #expect(braille(lastX, 1), "top-right cell has the end")
        #expect(!braille(plotX, 1), "top-left is empty")
        #expect(!braille(lastX, 5), "bottom-right is empty")
        // The start dot is the bottom-left dot of its cell (0x40), the end the top-right (0x08).
        #expect(screen[plotX, 5].scalar!.value & 0x40 != 0)
        #expect(screen[lastX, 1].scalar!.value & 0x08 != 0)
    }

    @Test func logScaleLabelsAreDataValues() {
        var screen = Screen(width: 30, height: 8)
        LineChart(series: [.init(name: "loss", points: [.init(x: 0, y: 100), .init(x: 1, y: 10), .init(x: 2, y: 1)])],
                  yScale: .log10).render(screen.bounds, into: &screen)
        #expect(screen.row(1).hasPrefix(" 100┤"))
        #expect(screen.row(5).hasPrefix("1.00┤"))
        #expect(screen.row(3).hasPrefix("10.0┤"), "the middle row of a log axis is the geometric middle")
    }

    @Test func emptyAndNonFiniteSeriesDrawTheEmptyTextAndNoFakeScale() {
        var screen = Screen(width: 30, height: 8)
        LineChart(series: [.init(name: "loss", points: [.init(x: 0, y: .nan), .init(x: .infinity, y: 1)])], emptyText: "nothing yet")
            .render(screen.bounds, into: &screen)
        #expect(screen.text.contains("nothing yet"))
        #expect(!screen.text.contains("┤"))
        var log = Screen(width: 30, height: 8)
        LineChart(series: [.init(name: "loss", points: [.init(x: 0, y: 0), .init(x: 1, y: -1)])], yScale: .log10, emptyText: "none")
            .render(log.bounds, into: &log)
        #expect(log.text.contains("none"))
    }

    @Test func seriesKeepTheirStylesAndTheDashedOneIsMarkedInTheLegend() {
        var screen = Screen(width: 40, height: 8)
        let a = Style(foreground: .indexed(81)), b = Style(foreground: .indexed(214))
        LineChart(series: [.init(name: "train", points: [.init(x: 0, y: 2), .init(x: 9, y: 2)], style: a),
                           .init(name: "val", points: [.init(x: 0, y: 1), .init(x: 9, y: 1)], style: b, dashed: true)])
            .render(screen.bounds, into: &screen)
        #expect(screen.row(0).contains("── train 2.00"))
        #expect(screen.row(0).contains("╌╌ val 1.00"))
        #expect(screen[6, 1].style == a)
        #expect(screen[5, 5].style == b, "dashes: two dots on (this cell), two off")
    }

    // MARK: Heatmap

    @Test func maskedCellsUseTheMaskedStyleAndValuesTheRamp() {
        let theme = Theme.dark
        var screen = Screen(width: 6, height: 2)
        Heatmap(values: [[0, 1], [0.5, 0.25]], marks: [[nil, "×"], [nil, nil]], range: 0...1, maxCellWidth: 3,
                showLegend: false, theme: theme).render(screen.bounds, into: &screen)
        #expect(screen.row(0) == "███ × ")
        #expect(screen.row(1) == "██████")
        #expect(screen[4, 0].style == theme.masked)
        #expect(screen[0, 0].style.foreground == theme.ramp.first)
        #expect(screen[3, 1].style.foreground == theme.ramp[4])
        #expect(screen[0, 1].style.foreground == theme.ramp[8])
    }

    @Test func upperHalfBlocksDoubleTheRowsWithForegroundAndBackground() {
        let theme = Theme.dark
        var screen = Screen(width: 2, height: 1)
        Heatmap(values: [[1, 0], [0, 1]], marks: [[nil, nil], [nil, "·"]], range: 0...1, showLegend: false, theme: theme)
            .render(screen.bounds, into: &screen)
        #expect(screen.row(0) == "▀▀")
        #expect(screen[0, 0].style == Style(foreground: theme.ramp.last!, background: theme.ramp.first!))
        #expect(screen[1, 0].style == Style(foreground: theme.ramp.first!), "a masked lower half leaves the background")
    }

    @Test func monoHeatmapUsesShadesAndNoColour() {
        var screen = Screen(width: 5, height: 3)
        Heatmap(values: [[0, 0.3, 0.5, 0.7, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], marks: [[], [nil, "×"], []], range: 0...1,
                maxCellWidth: 1, showLegend: false, theme: .mono).render(screen.bounds, into: &screen)
        #expect(screen.row(0) == " ░▒▓█")
        #expect(screen.row(1) == "█×███")
        #expect(screen.cells.allSatisfy { $0.style.foreground == .default && $0.style.background == .default })
    }

    @Test func heatmapPoolsWhenTheMatrixIsLargerThanTheRect() {
        var screen = Screen(width: 4, height: 2)
        let big = (0..<40).map { r in (0..<40).map { c in Float(r == c ? 1 : 0) } }
        let g = Heatmap(values: big, showLegend: false, theme: .mono).render(screen.bounds, into: &screen)
        #expect(g.columnGroups.count == 4 && g.lineRows.count == 2)
        #expect(screen.row(0) == "██  " && screen.row(1) == "  ██", "the diagonal survives max-pooling")
    }

    // MARK: CategoricalStrip

    @Test func stripDownsamplesByMajorityWithTiesToTheFirst() {
        #expect(CategoricalStrip.downsample([1, 1, 2, 2, 2, 3], to: 2) == [1, 2])
        #expect(CategoricalStrip.downsample([5, 7, 7, 5], to: 1) == [5])
        #expect(CategoricalStrip.downsample([4, 4, 9], to: 5) == [4, 4, 9])
        #expect(CategoricalStrip.downsample([1, 2, 3], to: 0) == [])
    }

    @Test func stripDrawsCellsAndLabelsWhenTheyFit() {
        var screen = Screen(width: 8, height: 2)
        let drawn = CategoricalStrip(values: [0, 1, 1, -1], labels: ["a", "b", "c", "d"], palette: [.indexed(1), .indexed(2)])
            .render(screen.bounds, into: &screen)
        #expect(drawn == CategoricalStrip.Drawn(cellWidth: 2, cells: 4, labelsDrawn: true))
        #expect(screen.row(0) == "██████··")
        #expect(screen.row(1) == "a b c d ")
        #expect(screen[2, 0].style.foreground == .indexed(2))

        var narrow = Screen(width: 3, height: 2)
        let squeezed = CategoricalStrip(values: [0, 0, 1, 1, 1, 1], labels: ["a", "b", "c", "d", "e", "f"], palette: [])
            .render(narrow.bounds, into: &narrow)
        #expect(narrow.row(0) == "011", "mono shows base-36 digits")
        #expect(!squeezed.labelsDrawn && narrow.row(1) == "   ")
    }

    // MARK: Bars

    @Test func horizontalBarsUseEighthPartials() {
        #expect(BarList.bar(fraction: 0.5, width: 3) == "█▌")
        #expect(BarList.bar(fraction: 1, width: 3) == "███")
        #expect(BarList.bar(fraction: 1.0 / 24, width: 3) == "▏")
        #expect(BarList.bar(fraction: 0.001, width: 3) == "▏", "tiny but positive still shows")
        #expect(BarList.bar(fraction: 0, width: 3) == "")
        #expect(BarList.bar(fraction: .nan, width: 3) == "")
        #expect(BarList.bar(fraction: 7.0 / 8 / 2, width: 2) == "▉")
        var screen = Screen(width: 20, height: 2)
        BarList(items: [.init(label: "a", value: 4, valueText: "4 B"), .init(label: "bb", value: 1, valueText: "1 B")])
            .render(screen.bounds, into: &screen)
        // 20 columns: label 2 + space, bar 13, space, value 3. 1/4 of 13 cells = 26 eighths = 3 full + ▎.
        #expect(screen.row(0) == "a  █████████████ 4 B")
        #expect(screen.row(1) == "bb ███▎          1 B")
    }

    @Test func verticalHistogramUsesEighthPartials() {
        #expect(Histogram.column(fraction: 0.5, height: 3) == ["█", "▄", " "])
        #expect(Histogram.column(fraction: 1, height: 2) == ["█", "█"])
        #expect(Histogram.column(fraction: 0.01, height: 2) == ["▁", " "])
        var screen = Screen(width: 6, height: 3)
        Histogram(values: [2, 1, 0], labels: ["0", "1", "2"]).render(screen.bounds, into: &screen)
        #expect(screen.row(0) == "█     ")
        #expect(screen.row(1) == "█ █   ")
        #expect(screen.row(2) == "0 1 2 ")
    }

    @Test func gaugeAndSparkline() {
        var screen = Screen(width: 16, height: 1)
        Gauge(fraction: 0.5, text: "50%").render(screen.bounds, into: &screen)
        #expect(screen.row(0) == "▕█████     ▏ 50%")
        var partial = Screen(width: 6, height: 1)
        Gauge(fraction: 0.3, text: "").render(partial.bounds, into: &partial)
        #expect(partial.row(0) == "▕█▎  ▏", "0.3 of 4 cells = 9.6 eighths → one full block and ▎")
        #expect(Gauge.thresholdStyle(0.95, styles: [Theme.dark.good, Theme.dark.warning, Theme.dark.bad]) == Theme.dark.bad)
        #expect(Sparkline(values: [0, 1]).glyphs(width: 2) == ["▁", "█"])
        var spark = Screen(width: 3, height: 1)
        Sparkline(values: [9, 0, 0, 1]).render(spark.bounds, into: &spark)
        #expect(spark.row(0) == "▁▁█", "newest on the right, oldest dropped")
    }

    // MARK: TextView and Box

    @Test func textWrapsAtSpacesBreaksLongWordsAndClips() {
        var screen = Screen(width: 11, height: 2)
        let total = TextView("hello world foo supercalifragilistic").render(screen.bounds, into: &screen)
        #expect(screen.row(0) == "hello world")
        #expect(screen.row(1) == "foo        ")
        #expect(total == 4)
        var end = Screen(width: 11, height: 1)
        TextView(spans: [.init("one two three")], pinToEnd: true).render(end.bounds, into: &end)
        #expect(end.row(0) == "three      ")
    }

    @Test func boxDrawsTitleAndFocusAndReturnsTheInside() {
        var screen = Screen(width: 14, height: 3)
        let theme = Theme.dark
        let inner = Box(title: "Loss", rightTitle: "x", focused: true, theme: theme).render(screen.bounds, into: &screen)
        #expect(inner == Rect(x: 1, y: 1, width: 12, height: 1))
        #expect(screen.row(0) == "┏ Loss ━━ x ━┓")
        #expect(screen.row(2) == "┗━━━━━━━━━━━━┛")
        var crowded = Screen(width: 12, height: 3)
        Box(title: "Loss", rightTitle: "x", focused: true, theme: theme).render(crowded.bounds, into: &crowded)
        #expect(crowded.row(0) == "┏ Loss ━━━━┓", "the right title gives way to the title")
        #expect(screen[0, 0].style == theme.borderFocused)
        var plain = Screen(width: 5, height: 3)
        Box(title: "a long title", focused: false, theme: theme).render(plain.bounds, into: &plain)
        #expect(plain.row(0) == "┌───┐" && plain[0, 0].style == theme.border)
    }

    // MARK: Format

    @Test func numbersFormatWithoutTrapping() {
        #expect(Format.fixed(3.14159, 2) == "3.14")
        #expect(Format.fixed(-0.004, 2) == "0.00")
        #expect(Format.fixed(-1.5, 1) == "-1.5")
        #expect(Format.fixed(.nan, 2) == "nan")
        #expect(Format.fixed(1e300, 2).hasPrefix("1.0e300"))
        #expect(Format.compact(0.00123) == "1.2e-3")
        #expect(Format.compact(0.5) == "0.50")
        #expect(Format.compact(12345) == "12,345")
        #expect(Format.compact(9.99e9) == "1.0e10")
        #expect(Format.grouped(-1234567) == "-1,234,567")
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(1_572_864) == "1.5 MiB")
        #expect(Format.bytes(13_207_024_435) == "12.3 GiB")
        #expect(Format.duration(83.4) == "01:23")
        #expect(Format.duration(3723) == "1:02:03")
        #expect(Format.duration(.infinity) == "--:--")
        #expect(Format.age(42) == "42s" && Format.age(7500) == "2h05m")
        #expect(Format.truncate("abcdef", 4) == "abc…")
    }
}
