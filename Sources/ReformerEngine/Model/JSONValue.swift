// JSONValue: any JSON document as a value, so config.json can be read leniently (unknown keys
// ignored, defaults applied) and strictly (a wrong type names the field) at the same time.

import Foundation

public enum JSONValue: Sendable, Equatable, Decodable, Encodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses a UTF-8 JSON document; `file` names it in the error.
    public static func parse(_ data: Data, file: String) throws(ReformerError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ReformerError(file: file, "is not valid JSON (\(Self.describe(error)))")
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .dataCorrupted(let ctx): return ctx.underlyingError.map { "\($0)" } ?? ctx.debugDescription
            default: return "\(e)"
            }
        }
        return "\(error)"
    }

    /// Pretty JSON with sorted keys. Numbers under a key in `floatKeys` always carry a decimal point
    /// (`1.0`, not `1`): strict readers such as transformers' config dataclasses reject an int there.
    public func serialized(floatKeys: Set<String> = []) -> Data {
        var out = ""
        write(into: &out, indent: 0, key: nil, floatKeys: floatKeys)
        out += "\n"
        return Data(out.utf8)
    }

    private func write(into out: inout String, indent: Int, key: String?, floatKeys: Set<String>) {
        let pad = String(repeating: "  ", count: indent + 1), close = String(repeating: "  ", count: indent)
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            let asFloat = key.map { floatKeys.contains($0) } ?? false
            if !n.isFinite { out += "null" }
            else if n == n.rounded(), abs(n) < 1e15 { out += asFloat ? "\(Int64(n)).0" : "\(Int64(n))" }
            else { out += "\(n)" }
        case .string(let s): out += Self.quoted(s)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, e) in a.enumerated() {
                out += pad
                e.write(into: &out, indent: indent + 1, key: key, floatKeys: floatKeys)
                out += i + 1 < a.count ? ",\n" : "\n"
            }
            out += close + "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{\n"
            let keys = o.keys.sorted()
            for (i, k) in keys.enumerated() {
                out += pad + Self.quoted(k) + ": "
                o[k]!.write(into: &out, indent: indent + 1, key: k, floatKeys: floatKeys)
                out += i + 1 < keys.count ? ",\n" : "\n"
            }
            out += close + "}"
        }
    }

    static func quoted(_ s: String) -> String {
        var r = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            case "\r": r += "\\r"
            case "\t": r += "\\t"
            default:
                if u.value < 0x20 { r += String(format: "\\u%04x", u.value) } else { r.unicodeScalars.append(u) }
            }
        }
        return r + "\""
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}
