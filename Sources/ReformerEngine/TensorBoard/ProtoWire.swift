// ProtoWire: the protobuf wire format, as far as TensorBoard's Event messages need it — a writer that
// appends tagged fields, and a reader that walks fields of a byte slice and never reads past its end
// (a varint longer than 10 bytes, a length beyond the slice or an unknown wire type is an error).

/// Appends protobuf fields to a byte array.
///
/// ```swift
/// var w = ProtoWire.Writer()
/// w.double(1, 1_700_000_000.5)     // wall_time
/// w.varint(2, 37)                  // step
/// w.bytes(3, Array("brain.Event:2".utf8))
/// ```
public enum ProtoWire {
    public enum WireType: UInt8, Sendable { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    public struct Writer: Sendable {
        public private(set) var bytes: [UInt8] = []
        public init() {}

        mutating func key(_ field: Int, _ type: WireType) { rawVarint(UInt64(field) << 3 | UInt64(type.rawValue)) }

        mutating func rawVarint(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }

        public mutating func varint(_ field: Int, _ value: UInt64) {
            key(field, .varint)
            rawVarint(value)
        }

        public mutating func double(_ field: Int, _ value: Double) {
            key(field, .fixed64)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }

        public mutating func float(_ field: Int, _ value: Float) {
            key(field, .fixed32)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }

        public mutating func bytes(_ field: Int, _ value: [UInt8]) {
            key(field, .lengthDelimited)
            rawVarint(UInt64(value.count))
            bytes.append(contentsOf: value)
        }

        public mutating func message(_ field: Int, _ build: (inout Writer) -> Void) {
            var inner = Writer()
            build(&inner)
            bytes(field, inner.bytes)
        }
    }

    /// One field as read: its number and value.
    public enum Value: Sendable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(ArraySlice<UInt8>)
    }

    /// Walks the fields of one message.
    ///
    /// ```swift
    /// var r = ProtoWire.Reader(bytes[...])
    /// while let (field, value) = try r.next() { … }
    /// ```
    public struct Reader {
        let bytes: ArraySlice<UInt8>
        var position: Int

        public init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        /// The next field, nil at the end of the message.
        public mutating func next() throws(ReformerError) -> (field: Int, value: Value)? {
            guard position < bytes.endIndex else { return nil }
            let key = try varint()
            let field = key >> 3
            guard field > 0, field <= 0x1FFF_FFFF else { throw ReformerError("protobuf field number \(field) is out of range") }
            switch key & 7 {
            case 0: return (Int(field), .varint(try varint()))
            case 1: return (Int(field), .fixed64(try fixed(8)))
            case 5: return (Int(field), .fixed32(UInt32(truncatingIfNeeded: try fixed(4))))
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.endIndex - position) else {
                    throw ReformerError("protobuf field \(field) claims \(length) bytes, \(bytes.endIndex - position) remain")
                }
                let start = position
                position += Int(length)
                return (Int(field), .bytes(bytes[start..<position]))
            default:
                throw ReformerError("protobuf field \(field) has wire type \(key & 7), expected 0, 1, 2 or 5")
            }
        }

        mutating func varint() throws(ReformerError) -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 70, by: 7) {
                guard position < bytes.endIndex else { throw ReformerError("protobuf varint runs past the end of the message") }
                let byte = bytes[position]
                position += 1
                if shift == 63 && byte > 1 { throw ReformerError("protobuf varint overflows 64 bits") }
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte & 0x80 == 0 { return value }
            }
            throw ReformerError("protobuf varint is longer than 10 bytes")
        }

        mutating func fixed(_ count: Int) throws(ReformerError) -> UInt64 {
            guard bytes.endIndex - position >= count else {
                throw ReformerError("protobuf fixed\(count * 8) field runs past the end of the message")
            }
            var value: UInt64 = 0
            for i in 0..<count { value |= UInt64(bytes[position + i]) << UInt64(8 * i) }
            position += count
            return value
        }
    }
}
