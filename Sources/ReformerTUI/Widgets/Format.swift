// Format: numbers, byte counts and durations as short screen text. Never traps: NaN and ±inf become
// "nan" / "inf", and huge magnitudes switch to scientific notation before any Int conversion.

import Foundation

/// Short, trap-free number formatting for panels and axis labels.
///
/// ```swift
/// Format.fixed(3.14159, 2)      // "3.14"
/// Format.compact(0.00123)       // "1.2e-3"
/// Format.grouped(12345)         // "12,345"
/// Format.bytes(1_572_864)       // "1.5 MiB"
/// ```
public enum Format {
    /// `x` with exactly `digits` decimals.
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let d = max(0, min(9, digits))
        let scale = pow(10.0, Double(d))
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e17 else { return scientific(x) }
        let n = Int(scaled)
        let whole = n / Int(scale)
        var s = (x < 0 && n != 0 ? "-" : "") + String(whole)
        if d > 0 {
            let fraction = String(n % Int(scale))
            s += "." + String(repeating: "0", count: d - fraction.count) + fraction
        }
        return s
    }

    /// About four significant characters: "0", "12.3", "0.012", "1.2e-3", "12,345", "1.2e6".
    public static func compact(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let a = abs(x)
        if a == 0 { return "0" }
        if a >= 1e6 { return scientific(x) }
        if a >= 1000 { return (x < 0 ? "-" : "") + grouped(Int(a.rounded())) }
        if a >= 100 { return fixed(x, 0) }
        if a >= 10 { return fixed(x, 1) }
        if a >= 0.1 { return fixed(x, 2) }
        if a >= 0.01 { return fixed(x, 3) }
        return scientific(x)
    }

    /// "1.2e-3" style.
    public static func scientific(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        if x == 0 { return "0" }
        var exponent = Int(floor(log10(abs(x))))
        var mantissa = x / pow(10.0, Double(exponent))
        if abs((mantissa * 10).rounded()) >= 100 { mantissa /= 10; exponent += 1 }
        return fixed(mantissa, 1) + "e" + String(exponent)
    }

    /// Thousands separated by commas; negative numbers keep their sign.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Binary units: "512 B", "3.4 KiB", "45.6 MiB", "12.3 GiB".
    public static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(n)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(n) B" }
        return (abs(value) >= 100 ? fixed(value, 0) : fixed(value, 1)) + " " + units[unit]
    }

    /// Elapsed time: "00:42", "12:05", "1:02:03".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return "--:--" }
        let s = Int(seconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if s >= 3600 { return "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" }
        return "\(two(s / 60)):\(two(s % 60))"
    }

    /// An age: "42s", "3m", "2h05m", "3d".
    public static func age(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e9 else { return "?" }
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { let m = s / 60 % 60; return "\(s / 3600)h" + (m < 10 ? "0\(m)" : "\(m)") + "m" }
        return "\(s / 86400)d"
    }

    /// Display columns of `text` (wide characters count two, controls and marks zero).
    public static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + Screen.displayWidth($1) }
    }

    /// `text` cut to at most `columns` display columns, ending in "…" when cut.
    public static func truncate(_ text: String, _ columns: Int) -> String {
        guard columns > 0 else { return "" }
        if width(text) <= columns { return text }
        var out = ""
        var used = 0
        for scalar in text.unicodeScalars {
            let w = Screen.displayWidth(scalar)
            if used + w > columns - 1 { break }
            out.unicodeScalars.append(scalar)
            used += w
        }
        return out + "…"
    }

    /// `text` padded with spaces on the left to `columns`.
    public static func padLeft(_ text: String, _ columns: Int) -> String {
        String(repeating: " ", count: max(0, columns - width(text))) + text
    }

    /// `text` padded with spaces on the right to `columns`.
    public static func padRight(_ text: String, _ columns: Int) -> String {
        text + String(repeating: " ", count: max(0, columns - width(text)))
    }
}
