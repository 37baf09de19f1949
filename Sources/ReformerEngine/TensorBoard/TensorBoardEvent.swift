// TensorBoardEvent: the part of TensorFlow's `Event` protobuf that training curves need — wall time,
// step, file version, and summary values that are scalars (`simple_value`, as PyTorch and HF write
// them, or a one-element float/double/int `tensor`, as TF2 writes them) or text (a string tensor,
// HF's `args`). Everything else in an event (graphs, images, histograms, session logs) is skipped.
// Field numbers: tensorflow/core/util/event.proto, summary.proto, tensor.proto (INTEROP.md §4).

/// One event-file record's `Event` message.
///
/// ```swift
/// let event = TensorBoardEvent(wallTime: 1_700_000_000, step: 37,
///                              scalars: [.init(tag: "train/loss", value: 1.84)])
/// let decoded = try TensorBoardEvent.decode(event.encoded()[...])
/// ```
public struct TensorBoardEvent: Sendable, Equatable {
    public struct Scalar: Sendable, Equatable {
        public var tag: String
        public var value: Double
        public init(tag: String, value: Double) { self.tag = tag; self.value = value }
    }

    public struct Text: Sendable, Equatable {
        public var tag: String
        public var text: String
        public init(tag: String, text: String) { self.tag = tag; self.text = text }
    }

    /// Seconds since 1970 when the event was written.
    public var wallTime: Double
    public var step: Int64
    /// "brain.Event:2" in a file's first record.
    public var fileVersion: String?
    public var scalars: [Scalar]
    public var texts: [Text]

    public init(wallTime: Double, step: Int64 = 0, fileVersion: String? = nil, scalars: [Scalar] = [], texts: [Text] = []) {
        self.wallTime = wallTime
        self.step = step
        self.fileVersion = fileVersion
        self.scalars = scalars
        self.texts = texts
    }

    // Event fields.
    static let wallTimeField = 1, stepField = 2, fileVersionField = 3, summaryField = 5
    // Summary.value; Summary.Value fields.
    static let valueField = 1, tagField = 1, simpleValueField = 2, tensorField = 8, metadataField = 9
    // TensorProto fields and the dtypes read.
    static let dtypeField = 1, shapeField = 2, contentField = 4, floatValField = 5, doubleValField = 6
    static let intValField = 7, stringValField = 8, int64ValField = 10
    static let dtFloat: UInt64 = 1, dtDouble: UInt64 = 2, dtInt32: UInt64 = 3, dtString: UInt64 = 7, dtInt64: UInt64 = 9

    /// The protobuf bytes: scalars as `simple_value`, texts as the text plugin's string tensors.
    public func encoded() -> [UInt8] {
        var w = ProtoWire.Writer()
        w.double(Self.wallTimeField, wallTime)
        if step != 0 { w.varint(Self.stepField, UInt64(bitPattern: step)) }
        if let fileVersion { w.bytes(Self.fileVersionField, Array(fileVersion.utf8)) }
        if !scalars.isEmpty || !texts.isEmpty {
            w.message(Self.summaryField) { summary in
                for scalar in scalars {
                    summary.message(Self.valueField) { value in
                        value.bytes(Self.tagField, Array(scalar.tag.utf8))
                        value.float(Self.simpleValueField, Float(scalar.value))
                    }
                }
                for text in texts {
                    summary.message(Self.valueField) { value in
                        value.bytes(Self.tagField, Array(text.tag.utf8))
                        // SummaryMetadata.plugin_data.plugin_name = "text": TensorBoard's Text tab.
                        value.message(Self.metadataField) { metadata in
                            metadata.message(1) { plugin in plugin.bytes(1, Array("text".utf8)) }
                        }
                        value.message(Self.tensorField) { tensor in
                            tensor.varint(Self.dtypeField, Self.dtString)
                            tensor.message(Self.shapeField) { shape in shape.message(2) { dim in dim.varint(1, 1) } }
                            tensor.bytes(Self.stringValField, Array(text.text.utf8))
                        }
                    }
                }
            }
        }
        return w.bytes
    }

    /// Reads an `Event`; unknown fields are skipped, malformed ones throw (one line, no file name).
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(ReformerError) -> TensorBoardEvent {
        var event = TensorBoardEvent(wallTime: 0)
        var r = ProtoWire.Reader(bytes)
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (wallTimeField, .fixed64(let bits)): event.wallTime = Double(bitPattern: bits)
            case (stepField, .varint(let v)): event.step = Int64(bitPattern: v)
            case (fileVersionField, .bytes(let b)): event.fileVersion = String(decoding: b, as: UTF8.self)
            case (summaryField, .bytes(let b)): try readSummary(b, into: &event)
            default: break
            }
        }
        return event
    }

    static func readSummary(_ bytes: ArraySlice<UInt8>, into event: inout TensorBoardEvent) throws(ReformerError) {
        var r = ProtoWire.Reader(bytes)
        while let (field, value) = try r.next() {
            guard field == valueField, case .bytes(let b) = value else { continue }
            var tag = ""
            var simple: Float?
            var tensor: ArraySlice<UInt8>?
            var v = ProtoWire.Reader(b)
            while let (f, x) = try v.next() {
                switch (f, x) {
                case (tagField, .bytes(let t)): tag = String(decoding: t, as: UTF8.self)
                case (simpleValueField, .fixed32(let bits)): simple = Float(bitPattern: bits)
                case (tensorField, .bytes(let t)): tensor = t
                default: break
                }
            }
            if let simple {
                event.scalars.append(Scalar(tag: tag, value: Double(simple)))
            } else if let tensor {
                switch try readTensor(tensor) {
                case .scalar(let x): event.scalars.append(Scalar(tag: tag, value: x))
                case .text(let s): event.texts.append(Text(tag: tag, text: s))
                case .other: break
                }
            }
        }
    }

    enum TensorValue { case scalar(Double), text(String), other }

    /// A one-element numeric tensor as a scalar, a string tensor's first string as text.
    static func readTensor(_ bytes: ArraySlice<UInt8>) throws(ReformerError) -> TensorValue {
        var dtype: UInt64 = 0
        var content: ArraySlice<UInt8>?
        var numbers: [Double] = []
        var strings: [String] = []
        var r = ProtoWire.Reader(bytes)
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (dtypeField, .varint(let v)): dtype = v
            case (contentField, .bytes(let b)): content = b
            case (floatValField, .fixed32(let bits)): numbers.append(Double(Float(bitPattern: bits)))
            case (floatValField, .bytes(let packed)): numbers += try unpack(packed, width: 4).map { Double(Float(bitPattern: UInt32($0))) }
            case (doubleValField, .fixed64(let bits)): numbers.append(Double(bitPattern: bits))
            case (doubleValField, .bytes(let packed)): numbers += try unpack(packed, width: 8).map { Double(bitPattern: $0) }
            case (intValField, .varint(let v)), (int64ValField, .varint(let v)): numbers.append(Double(Int64(bitPattern: v)))
            case (intValField, .bytes(let packed)), (int64ValField, .bytes(let packed)):
                var p = ProtoWire.Reader(packed)
                while p.position < packed.endIndex { numbers.append(Double(Int64(bitPattern: try p.varint()))) }
            case (stringValField, .bytes(let b)): strings.append(String(decoding: b, as: UTF8.self))
            default: break
            }
        }
        if dtype == dtString { return strings.first.map { .text($0) } ?? .other }
        if let content {
            switch (dtype, content.count) {
            case (dtFloat, 4): return .scalar(Double(Float(bitPattern: UInt32(littleEndianBytes: content))))
            case (dtDouble, 8): return .scalar(Double(bitPattern: UInt64(littleEndianBytes: content)))
            case (dtInt32, 4): return .scalar(Double(Int32(bitPattern: UInt32(littleEndianBytes: content))))
            case (dtInt64, 8): return .scalar(Double(Int64(bitPattern: UInt64(littleEndianBytes: content))))
            default: return .other
            }
        }
        return numbers.count == 1 && [dtFloat, dtDouble, dtInt32, dtInt64].contains(dtype) ? .scalar(numbers[0]) : .other
    }

    /// Packed fixed-width values (little-endian).
    static func unpack(_ packed: ArraySlice<UInt8>, width: Int) throws(ReformerError) -> [UInt64] {
        guard packed.count % width == 0 else { throw ReformerError("packed fixed\(width * 8) field of \(packed.count) bytes") }
        return stride(from: packed.startIndex, to: packed.endIndex, by: width).map { start in
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(packed[start + $1]) << UInt64(8 * $1) }
        }
    }
}

extension UInt32 {
    /// Four little-endian bytes (the caller checked the count).
    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        self = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[bytes.startIndex + $1]) << UInt32(8 * $1) }
    }
}

extension UInt64 {
    /// Eight little-endian bytes (the caller checked the count).
    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        self = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[bytes.startIndex + $1]) << UInt64(8 * $1) }
    }
}
