// SafeTensors: the safetensors file format only (huggingface/safetensors, "Format" section):
// u64 little-endian header length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets},
// "__metadata__": {string: string}}, then the data region that data_offsets index into.
// Every malformed input throws ReformerError naming the file and tensor; nothing traps.
// ~700 lines because the header needs its own small JSON parser (duplicate keys, exact integers).

/// Element type of a stored tensor, spelled as in the safetensors header.
public enum SafeTensorDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element: `SafeTensorDType.bf16.byteSize == 2`.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

/// Name, element type and shape of one tensor in a safetensors file.
public struct SafeTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorDType
    /// Dimensions, outermost first; `[]` is a scalar.
    public let shape: [Int]
    /// Product of `shape` (1 for a scalar), checked for overflow when the header was read.
    public let elementCount: Int
}

/// A whole safetensors file held in memory, header validated on load.
///
/// Errors are typed: every throwing member throws `ReformerError` and nothing else.
///
/// ```swift
/// let file = try SafeTensorsFile(contentsOf: "model.safetensors")
/// let embedding = try file.floats("reformer.embeddings.word_embeddings.weight")  // (vocab, hidden)
/// ```
public struct SafeTensorsFile: Sendable {
    /// Where the bytes came from, for messages; `"<memory>"` when built from bytes.
    public let path: String
    /// The header's `__metadata__` object; empty when absent.
    public let metadata: [String: String]
    /// Tensor names in ascending order.
    public let names: [String]

    private struct Entry: Sendable {
        let info: SafeTensorInfo
        /// Relative to the start of the data region, as written in `data_offsets`.
        let offsets: Range<Int>
    }

    /// The whole file: 8-byte length, header, data region.
    private let bytes: [UInt8]
    /// Index of the first byte after the header.
    private let dataStart: Int
    private let entries: [String: Entry]

    /// The largest header accepted; the reference implementation uses the same bound.
    static let maxHeaderLength = 100_000_000

    /// Reads and validates the file at `path` in one read.
    public init(contentsOf path: String) throws(ReformerError) {
        try self.init(bytes: AtomicFile.readContents(of: path), path: path)
    }

    /// Validates `bytes` as a safetensors file; `path` only names it in error messages.
    public init(bytes: [UInt8], path: String = "<memory>") throws(ReformerError) {
        guard bytes.count >= 8 else {
            throw ReformerError(
                file: path, "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw ReformerError(
                file: path,
                "header length \(headerLength) is absurdly large, expected at most \(Self.maxHeaderLength) bytes")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw ReformerError(
                file: path,
                "header length \(headerLength) runs past the end of the file "
                    + "(\(bytes.count - 8) bytes after the 8-byte length)")
        }
        let dataStart = 8 + Int(headerLength)
        let headerBytes = bytes[8..<dataStart]
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw ReformerError(file: path, "header is not valid UTF-8")
        }
        var parser = HeaderParser(bytes: headerBytes, file: path)
        guard case .object(let members) = try parser.parseDocument() else {
            throw ReformerError(
                file: path, "header is not a JSON object, expected {name: {dtype, shape, data_offsets}}")
        }

        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try Self.metadata(value, path)
            } else {
                entries[name] = try Self.entry(name, value, dataLength: dataLength, path)
            }
        }
        try Self.checkDisjoint(entries, path)

        self.path = path
        self.metadata = metadata
        self.names = entries.keys.sorted()
        self.bytes = bytes
        self.dataStart = dataStart
        self.entries = entries
    }

    /// Name, dtype and shape of `name`, or nil if the file has no such tensor.
    public func info(_ name: String) -> SafeTensorInfo? { entries[name]?.info }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// All elements of `name` as Float, row-major. F32 is exact; F16 and BF16 widen exactly;
    /// F64 and 64/32-bit integers round to nearest; BOOL gives 0 or 1.
    public func floats(_ name: String) throws(ReformerError) -> [Float] {
        let entry = try entry(named: name)
        if entry.info.dtype == .bool { try checkBools(entry) }
        return withData(entry) { TensorElements.floats($0, entry.info.dtype, count: entry.info.elementCount) }
    }

    /// All elements of `name` as Int64, row-major. Integer dtypes and BOOL widen; float dtypes
    /// are accepted only when every value is an integer in Int64 range.
    public func int64s(_ name: String) throws(ReformerError) -> [Int64] {
        let entry = try entry(named: name)
        switch entry.info.dtype {
        case .f64: return try integral(entry) { Double(bitPattern: $0.littleEndian($1, as: UInt64.self)) }
        case .f32: return try integral(entry) { Float(bitPattern: $0.littleEndian($1, as: UInt32.self)) }
        case .f16: return try integral(entry) { TensorElements.float(fromHalf: $0.littleEndian($1, as: UInt16.self)) }
        case .bf16: return try integral(entry) { TensorElements.float(fromBFloat16: $0.littleEndian($1, as: UInt16.self)) }
        case .i64: return mapped(entry) { $0.littleEndian($1, as: Int64.self) }
        case .i32: return mapped(entry) { Int64($0.littleEndian($1, as: Int32.self)) }
        case .i16: return mapped(entry) { Int64($0.littleEndian($1, as: Int16.self)) }
        case .i8: return mapped(entry) { Int64($0.littleEndian($1, as: Int8.self)) }
        case .u8: return mapped(entry) { Int64($0[$1]) }
        case .bool:
            try checkBools(entry)
            return mapped(entry) { Int64($0[$1]) }
        }
    }

    private func entry(named name: String) throws(ReformerError) -> Entry {
        guard let entry = entries[name] else {
            throw ReformerError(file: path, field: name, "no tensor with this name (the file has \(entries.count))")
        }
        return entry
    }

    /// `element(data, index)` for every element of `entry`, into one allocation.
    private func mapped<Element>(_ entry: Entry, _ element: (UnsafeRawBufferPointer, Int) -> Element) -> [Element] {
        withData(entry) { TensorElements.map($0, entry.info.elementCount, element) }
    }

    /// Float elements as Int64, throwing at the first one that is not an integer in Int64 range.
    private func integral<Value: BinaryFloatingPoint>(
        _ entry: Entry, _ value: (UnsafeRawBufferPointer, Int) -> Value
    ) throws(ReformerError) -> [Int64] {
        var rejectedIndex: Int?
        let integers = mapped(entry) { data, index -> Int64 in
            if let integer = Int64(exactly: value(data, index)) { return integer }
            if rejectedIndex == nil { rejectedIndex = index }
            return 0
        }
        if let index = rejectedIndex {
            let rejected = withData(entry) { value($0, index) }
            throw rejection(entry, index, "\(rejected)", expected: "to be an integer in Int64 range")
        }
        return integers
    }

    /// Throws at the first BOOL byte other than 0 or 1.
    private func checkBools(_ entry: Entry) throws(ReformerError) {
        let invalid = withData(entry) { TensorElements.firstInvalidBool($0, count: entry.info.elementCount) }
        if let (index, byte) = invalid { throw rejection(entry, index, "byte \(byte)", expected: "to be 0 or 1") }
    }

    private func rejection(_ entry: Entry, _ index: Int, _ value: String, expected: String) -> ReformerError {
        ReformerError(
            file: path, field: entry.info.name,
            "element \(index) (\(entry.info.dtype.rawValue)) is \(value), expected it \(expected)")
    }

    /// Calls `body` with the bytes of `entry`, which the header check placed inside the file.
    private func withData<Result>(_ entry: Entry, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let range = (dataStart + entry.offsets.lowerBound)..<(dataStart + entry.offsets.upperBound)
        return bytes.withUnsafeBytes { file in body(UnsafeRawBufferPointer(rebasing: file[range])) }
    }

    private static func metadata(_ value: HeaderValue, _ path: String) throws(ReformerError) -> [String: String] {
        guard case .object(let members) = value else {
            throw ReformerError(
                file: path, field: "__metadata__", "is \(value.summary), expected an object of string values")
        }
        var metadata: [String: String] = [:]
        for (key, member) in members {
            guard case .string(let text) = member else {
                throw ReformerError(
                    file: path, field: "__metadata__", "\"\(key)\" is \(member.summary), expected a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// Validates one header entry against the format and the data region's length.
    private static func entry(
        _ name: String, _ value: HeaderValue, dataLength: Int, _ path: String
    ) throws(ReformerError) -> Entry {
        func failure(_ detail: String) -> ReformerError { ReformerError(file: path, field: name, detail) }
        guard case .object(let fields) = value else {
            throw failure("entry is \(value.summary), expected an object with dtype, shape and data_offsets")
        }
        func field(_ key: String) throws(ReformerError) -> HeaderValue {
            guard let member = fields.first(where: { $0.key == key }) else {
                throw failure("entry lacks \"\(key)\", expected dtype, shape and data_offsets")
            }
            return member.value
        }

        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw failure("dtype is \(dtypeValue.summary), expected a string such as \"F32\"")
        }
        guard let dtype = SafeTensorDType(rawValue: dtypeName) else {
            let supported = SafeTensorDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw failure("unknown dtype \"\(dtypeName)\", expected one of \(supported)")
        }

        let shapeValue = try field("shape")
        guard case .array(let dimensions) = shapeValue else {
            throw failure("shape is \(shapeValue.summary), expected an array of non-negative integers")
        }
        var shape: [Int] = []
        var elementCount = 1
        for dimension in dimensions {
            guard case .integer(let size) = dimension else {
                throw failure("shape dimension \(dimension.summary) is not an integer, expected a non-negative integer")
            }
            guard size >= 0 else {
                throw failure("shape dimension \(size) is negative, expected a non-negative integer")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else { throw failure("shape \(shapeValue.summary) has too many elements to count") }
            elementCount = product
            shape.append(size)
        }

        let offsetsValue = try field("data_offsets")
        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
            case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1],
            begin >= 0, begin <= end
        else {
            throw failure(
                "data_offsets is \(offsetsValue.summary), "
                    + "expected two non-decreasing non-negative integers [begin, end]")
        }
        guard end <= dataLength else {
            throw failure("data_offsets end \(end) is past the end of the data region (\(dataLength) bytes)")
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, end - begin == byteCount else {
            throw failure(
                "data_offsets [\(begin), \(end)] hold \(end - begin) bytes, expected \(elementCount) elements × "
                    + "\(dtype.byteSize) bytes of \(dtype.rawValue) = \(overflow ? "too many" : String(byteCount))")
        }
        let info = SafeTensorInfo(name: name, dtype: dtype, shape: shape, elementCount: elementCount)
        return Entry(info: info, offsets: begin..<end)
    }

    /// Throws if two tensors share a byte; empty tensors occupy no bytes.
    private static func checkDisjoint(_ entries: [String: Entry], _ path: String) throws(ReformerError) {
        let byStart = entries.values.filter { !$0.offsets.isEmpty }.sorted {
            ($0.offsets.lowerBound, $0.info.name) < ($1.offsets.lowerBound, $1.info.name)
        }
        // Sorted by start, any overlap shows up between neighbours.
        for (previous, next) in zip(byStart, byStart.dropFirst())
        where next.offsets.lowerBound < previous.offsets.upperBound {
            throw ReformerError(
                file: path, field: next.info.name,
                "data_offsets [\(next.offsets.lowerBound), \(next.offsets.upperBound)] overlap tensor "
                    + "\"\(previous.info.name)\" at [\(previous.offsets.lowerBound), \(previous.offsets.upperBound)], "
                    + "expected disjoint byte ranges")
        }
    }
}

/// Builds a safetensors file: tensors sorted by name, data in the same order, header padded with
/// spaces to a multiple of 8 bytes so the data region starts 8-byte aligned. Throws only
/// `ReformerError` (typed).
///
/// ```swift
/// var writer = SafeTensorsWriter()
/// writer.metadata["format"] = "pt"
/// try writer.add("lm_head.bias", floats: bias, shape: [vocabularySize])
/// try writer.write(to: "checkpoint.safetensors")
/// ```
public struct SafeTensorsWriter: Sendable {
    /// Stored as the header's `__metadata__` object when not empty.
    public var metadata: [String: String] = [:]

    private struct Stored: Sendable {
        let dtype: SafeTensorDType
        let shape: [Int]
        /// Little-endian element bytes.
        let data: [UInt8]
    }

    private var tensors: [String: Stored] = [:]

    public init() {}

    /// Adds `floats` as F32; `floats.count` must equal the product of `shape`.
    public mutating func add(_ name: String, floats: [Float], shape: [Int]) throws(ReformerError) {
        try store(name, .f32, shape, count: floats.count, Self.littleEndianBytes(floats.lazy.map(\.bitPattern)))
    }

    /// Adds `int64s` as I64; `int64s.count` must equal the product of `shape`.
    public mutating func add(_ name: String, int64s: [Int64], shape: [Int]) throws(ReformerError) {
        try store(name, .i64, shape, count: int64s.count, Self.littleEndianBytes(int64s))
    }

    /// Adds `int32s` as I32; `int32s.count` must equal the product of `shape`.
    public mutating func add(_ name: String, int32s: [Int32], shape: [Int]) throws(ReformerError) {
        try store(name, .i32, shape, count: int32s.count, Self.littleEndianBytes(int32s))
    }

    /// The complete file: length, padded header, data.
    public func serialized() -> [UInt8] {
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { Self.quoted($0.key) + ":" + Self.quoted($0.value) }
            members.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        let sorted = tensors.sorted { $0.key < $1.key }
        var offset = 0
        for (name, tensor) in sorted {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            members.append(
                "\(Self.quoted(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + tensor.data.count)]}")
            offset += tensor.data.count
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var file: [UInt8] = []
        file.reserveCapacity(8 + header.count + offset)
        file.append(contentsOf: Self.littleEndianBytes([UInt64(header.count)]))
        file.append(contentsOf: header)
        for (_, tensor) in sorted { file.append(contentsOf: tensor.data) }
        return file
    }

    /// Writes `serialized()` to `path` atomically: a crash leaves the old file or the new one.
    public func write(to path: String) throws(ReformerError) {
        try AtomicFile.write(serialized(), to: path)
    }

    private mutating func store(
        _ name: String, _ dtype: SafeTensorDType, _ shape: [Int], count: Int, _ data: @autoclosure () -> [UInt8]
    ) throws(ReformerError) {
        func failure(_ detail: String) -> ReformerError { ReformerError(file: "<writer>", field: name, detail) }
        guard name != "__metadata__" else { throw failure("reserved name, expected a tensor name") }
        guard tensors[name] == nil else { throw failure("added twice, expected each tensor name once") }
        var elementCount = 1
        for size in shape {
            guard size >= 0 else { throw failure("shape \(shape) has a negative dimension") }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else { throw failure("shape \(shape) has too many elements to count") }
            elementCount = product
        }
        guard elementCount == count else {
            throw failure("\(count) values given, expected \(elementCount) for shape \(shape)")
        }
        tensors[name] = Stored(dtype: dtype, shape: shape, data: data())
    }

    private static func littleEndianBytes<Values: Collection>(_ values: Values) -> [UInt8]
    where Values.Element: FixedWidthInteger & BitwiseCopyable {
        let width = MemoryLayout<Values.Element>.size
        let byteCount = values.count * width
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: index * width, as: Values.Element.self)
            }
            initialized = byteCount
        }
    }

    /// `text` as a JSON string literal.
    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

// MARK: - Header JSON

/// A parsed JSON value; objects keep their members in file order.
private enum HeaderValue {
    case object([(key: String, value: HeaderValue)])
    case array([HeaderValue])
    case string(String)
    /// A literal without fraction or exponent that fits in Int.
    case integer(Int)
    /// Any other number literal, as written.
    case otherNumber(String)
    case bool(Bool)
    case null

    /// A short rendering for error messages.
    var summary: String { summary(depth: 0) }

    private func summary(depth: Int) -> String {
        switch self {
        case .object(let members): return members.isEmpty ? "{}" : "an object"
        case .array(let items):
            guard depth < 2 else { return "[…]" }
            let shown = items.prefix(4).map { $0.summary(depth: depth + 1) }
            return "[" + shown.joined(separator: ", ") + (items.count > 4 ? ", …]" : "]")
        case .string(let text): return "\"" + text.prefix(40) + (text.count > 40 ? "…\"" : "\"")
        case .integer(let value): return String(value)
        case .otherNumber(let literal): return String(literal.prefix(40))
        case .bool(let value): return String(value)
        case .null: return "null"
        }
    }
}

/// RFC 8259 JSON over the header bytes. Rejects duplicate object keys, which a dictionary-based
/// parser would silently merge, and keeps integer literals exact.
private struct HeaderParser {
    private let bytes: ArraySlice<UInt8>
    private let file: String
    private var position: Int

    /// Deep enough for any real header, shallow enough that recursion cannot exhaust the stack.
    private static let maxDepth = 64

    init(bytes: ArraySlice<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
        self.position = bytes.startIndex
    }

    mutating func parseDocument() throws(ReformerError) -> HeaderValue {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.endIndex else { throw failure("expected the header to end after the top-level value") }
        return value
    }

    private func failure(_ detail: String) -> ReformerError {
        // Slice indices are file offsets: the header starts at byte 8.
        ReformerError(file: file, "header is not valid JSON at file byte \(position): \(detail)")
    }

    private var current: UInt8? { position < bytes.endIndex ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func consume(_ character: Unicode.Scalar) -> Bool {
        guard current == UInt8(ascii: character) else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ character: Unicode.Scalar, _ context: String) throws(ReformerError) {
        guard consume(character) else { throw failure("expected '\(character)' \(context), found \(describeCurrent)") }
    }

    private var describeCurrent: String {
        guard let byte = current else { return "the end of the header" }
        return (0x21...0x7E).contains(byte) ? "'\(Unicode.Scalar(byte))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func parseValue(depth: Int) throws(ReformerError) -> HeaderValue {
        guard depth < Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth) levels") }
        skipWhitespace()
        guard let byte = current else { throw failure("expected a value, found the end of the header") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("expected a value, found \(describeCurrent)")
        }
    }

    private mutating func parseObject(depth: Int) throws(ReformerError) -> HeaderValue {
        position += 1
        var members: [(key: String, value: HeaderValue)] = []
        var seen: Set<String> = []
        skipWhitespace()
        if consume("}") { return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                throw failure("expected a string key, found \(describeCurrent)")
            }
            let key = try parseString()
            guard seen.insert(key).inserted else {
                throw ReformerError(file: file, field: key, "duplicate key in the header, expected each name once")
            }
            skipWhitespace()
            try expect(":", "after an object key")
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if consume(",") { continue }
            try expect("}", "or ',' in an object")
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws(ReformerError) -> HeaderValue {
        position += 1
        var items: [HeaderValue] = []
        skipWhitespace()
        if consume("]") { return .array(items) }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if consume(",") { continue }
            try expect("]", "or ',' in an array")
            return .array(items)
        }
    }

    private mutating func parseLiteral(_ word: String) throws(ReformerError) {
        for character in word.utf8 {
            guard current == character else { throw failure("expected \(word)") }
            position += 1
        }
    }

    private mutating func parseNumber() throws(ReformerError) -> HeaderValue {
        let start = position
        var isInteger = true
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (0x30...0x39).contains($0) } ?? false }
        func digits() throws(ReformerError) {
            guard isDigit(current) else { throw failure("expected a digit, found \(describeCurrent)") }
            while isDigit(current) { position += 1 }
        }
        _ = consume("-")
        if !consume("0") { try digits() }
        if consume(".") {
            isInteger = false
            try digits()
        }
        if consume("e") || consume("E") {
            isInteger = false
            if !consume("+") { _ = consume("-") }
            try digits()
        }
        let literal = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let value = Int(literal) { return .integer(value) }
        return .otherNumber(literal)
    }

    private mutating func parseString() throws(ReformerError) -> String {
        position += 1
        var utf8: [UInt8] = []
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw failure("unescaped control character 0x\(String(byte, radix: 16)) in a string")
            default:
                utf8.append(byte)
                position += 1
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(ReformerError) {
        guard let code = current else { throw failure("unterminated string") }
        position += 1
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(code)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var value = try parseHex4()
            if (0xD800..<0xDC00).contains(value) {
                guard consume("\\"), consume("u") else { throw failure("unpaired surrogate in a \\u escape") }
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate in a \\u escape") }
                value = 0x10000 + (value - 0xD800) << 10 + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw failure("unpaired surrogate in a \\u escape") }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            position -= 1
            throw failure("unknown escape \\\(describeCurrent)")
        }
    }

    private mutating func parseHex4() throws(ReformerError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexDigit(byte) else {
                throw failure("expected 4 hex digits after \\u, found \(describeCurrent)")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        default: nil
        }
    }
}
