// ProtobufReader: the protocol buffers wire format, read defensively (protobuf.dev "Encoding"):
// a message is a run of (tag varint = field number << 3 | wire type, payload); wire types 0 varint,
// 1 fixed64, 2 length-delimited, 5 fixed32, 3/4 group start/end. Every length is checked against the
// bytes that remain before anything is sliced, and every failure names the file and field path.

/// One message's bytes, walked field by field.
///
/// ```swift
/// var r = ProtobufReader(bytes: data, file: "spiece.model")
/// while let field = try r.nextField(in: "ModelProto") {
///     switch field.number {
///     case 1: let piece = try r.message(field, path: "pieces[0]")   // a reader over the submessage
///     default: try r.skip(field, path: "ModelProto")
///     }
/// }
/// ```
struct ProtobufReader {
    enum WireType: Int {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5

        var name: String {
            switch self {
            case .varint: "varint"
            case .fixed64: "fixed64"
            case .lengthDelimited: "length-delimited"
            case .startGroup: "group start"
            case .endGroup: "group end"
            case .fixed32: "fixed32"
            }
        }
    }

    struct Field {
        let number: Int
        let wireType: WireType
    }

    let bytes: [UInt8]
    let file: String
    private(set) var position: Int
    let end: Int

    /// Groups nested deeper than this are refused (they only occur in unknown, legacy fields).
    static let maxGroupDepth = 32

    init(bytes: [UInt8], file: String) {
        self.init(bytes: bytes, file: file, range: 0..<bytes.count)
    }

    private init(bytes: [UInt8], file: String, range: Range<Int>) {
        self.bytes = bytes
        self.file = file
        position = range.lowerBound
        end = range.upperBound
    }

    /// The next field's tag, or nil at the end of the message.
    mutating func nextField(in path: String) throws(ReformerError) -> Field? {
        guard position < end else { return nil }
        let tag = try varint(path)
        let number = tag >> 3
        guard let wireType = WireType(rawValue: Int(tag & 7)) else {
            throw ReformerError(file: file, field: path, "wire type \(tag & 7) of field \(number) is not a protobuf wire type (0–5)")
        }
        guard number >= 1, number <= 536_870_911 else {
            throw ReformerError(file: file, field: path, "field number \(number) is outside 1...536870911")
        }
        return Field(number: Int(number), wireType: wireType)
    }

    /// Fails unless `field` has the wire type its declaration implies.
    func expect(_ field: Field, _ wireType: WireType, path: String) throws(ReformerError) {
        guard field.wireType == wireType else {
            throw ReformerError(file: file, field: path, "has wire type \(field.wireType.rawValue) (\(field.wireType.name)), expected \(wireType.rawValue) (\(wireType.name))")
        }
    }

    /// A base-128 varint of at most 10 bytes (the tenth may only hold bit 63).
    mutating func varint(_ path: String) throws(ReformerError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw truncated(path, "inside a varint") }
            let byte = bytes[position]
            position += 1
            if shift == 63, byte > 1 { throw ReformerError(file: file, field: path, "varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// An int32 field: a varint whose 64-bit two's-complement value must fit 32 bits.
    mutating func int32(_ field: Field, path: String) throws(ReformerError) -> Int {
        try expect(field, .varint, path: path)
        let value = Int64(bitPattern: try varint(path))
        guard let v = Int32(exactly: value) else {
            throw ReformerError(file: file, field: path, "value \(value) is outside the int32 range")
        }
        return Int(v)
    }

    mutating func bool(_ field: Field, path: String) throws(ReformerError) -> Bool {
        try expect(field, .varint, path: path)
        return try varint(path) != 0
    }

    /// An enum field: its number, which must be one of `known`.
    mutating func enumeration(_ field: Field, path: String, known: ClosedRange<Int>) throws(ReformerError) -> Int {
        let value = try int32(field, path: path)
        guard known.contains(value) else {
            throw ReformerError(file: file, field: path, "enum value \(value) is unknown, expected \(known.lowerBound)...\(known.upperBound)")
        }
        return value
    }

    mutating func float(_ field: Field, path: String) throws(ReformerError) -> Float {
        try expect(field, .fixed32, path: path)
        guard end - position >= 4 else { throw truncated(path, "inside a 4-byte float") }
        var raw: UInt32 = 0
        for k in 0..<4 { raw |= UInt32(bytes[position + k]) << (8 * UInt32(k)) }
        position += 4
        return Float(bitPattern: raw)
    }

    /// The byte range of a length-delimited payload (string, bytes or submessage), bounds-checked.
    mutating func payload(_ field: Field, path: String) throws(ReformerError) -> Range<Int> {
        try expect(field, .lengthDelimited, path: path)
        let length = try varint(path)
        guard length <= UInt64(end - position) else {
            throw ReformerError(file: file, field: path, "length \(length) runs past the end of its message (\(end - position) bytes left)")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    mutating func data(_ field: Field, path: String) throws(ReformerError) -> [UInt8] {
        Array(bytes[try payload(field, path: path)])
    }

    /// A reader over a submessage's bytes.
    mutating func message(_ field: Field, path: String) throws(ReformerError) -> ProtobufReader {
        ProtobufReader(bytes: bytes, file: file, range: try payload(field, path: path))
    }

    /// Skips a field this reader does not interpret, groups included.
    mutating func skip(_ field: Field, path: String, depth: Int = 0) throws(ReformerError) {
        switch field.wireType {
        case .varint: _ = try varint(path)
        case .fixed64, .fixed32:
            let size = field.wireType == .fixed64 ? 8 : 4
            guard end - position >= size else { throw truncated(path, "inside field \(field.number)") }
            position += size
        case .lengthDelimited: _ = try payload(field, path: path)
        case .startGroup:
            guard depth < Self.maxGroupDepth else {
                throw ReformerError(file: file, field: path, "groups nested deeper than \(Self.maxGroupDepth)")
            }
            while true {
                guard let inner = try nextField(in: path) else { throw truncated(path, "inside group \(field.number)") }
                if inner.wireType == .endGroup {
                    guard inner.number == field.number else {
                        throw ReformerError(file: file, field: path, "group \(field.number) is closed by end-group \(inner.number)")
                    }
                    return
                }
                try skip(inner, path: path, depth: depth + 1)
            }
        case .endGroup:
            throw ReformerError(file: file, field: path, "end-group \(field.number) without a matching group start")
        }
    }

    private func truncated(_ path: String, _ place: String) -> ReformerError {
        ReformerError(file: file, field: path, "ends \(place), expected more bytes (truncated file?)")
    }
}
