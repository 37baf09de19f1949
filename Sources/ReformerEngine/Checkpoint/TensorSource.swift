// TensorSource: what a checkpoint loader needs from a weights file (names, dtypes, shapes, values
// as Float), so safetensors files, torch checkpoints and sharded folders load through one path.
// Also the element decoding they share: packed little-endian bytes of a dtype → [Float].

/// A read-only set of named tensors. Every throwing member throws `ReformerError` only.
///
/// ```swift
/// let weights: any TensorSource = try TorchCheckpoint(contentsOf: "model/pytorch_model.bin")
/// if let info = weights.info("lm_head.decoder.bias") { print(info.shape) }
/// let bias = try weights.floats("lm_head.decoder.bias")
/// ```
public protocol TensorSource {
    /// The file (or shard index) the tensors come from, for messages.
    var path: String { get }
    /// Name, element type and shape of `name`, or nil when the source has no such tensor.
    func info(_ name: String) -> SafeTensorInfo?
    /// Whether the source holds a tensor called `name`.
    func contains(_ name: String) -> Bool
    /// All elements of `name` as Float, row-major (F16 and BF16 widen exactly).
    func floats(_ name: String) throws(ReformerError) -> [Float]
    /// The file that holds `name`, for messages: `path` unless the source spans several files.
    func path(of name: String) -> String
}

extension TensorSource {
    public func contains(_ name: String) -> Bool { info(name) != nil }
    public func path(of name: String) -> String { path }
}

extension SafeTensorsFile: TensorSource {}

/// Decoding of packed little-endian elements, shared by every tensor source.
enum TensorElements {
    /// `count` elements of `dtype` at the start of `data` as Float: F32 exact, F16/BF16 widen
    /// exactly, F64 and integers round to nearest, U8/BOOL as their byte value.
    /// `data` must hold at least `count × dtype.byteSize` bytes.
    static func floats(_ data: UnsafeRawBufferPointer, _ dtype: SafeTensorDType, count: Int) -> [Float] {
        // One loop per dtype, so each loop body is a plain load and convert.
        switch dtype {
        case .f64: map(data, count) { Float(Double(bitPattern: $0.littleEndian($1, as: UInt64.self))) }
        case .f32: map(data, count) { Float(bitPattern: $0.littleEndian($1, as: UInt32.self)) }
        case .f16: map(data, count) { float(fromHalf: $0.littleEndian($1, as: UInt16.self)) }
        case .bf16: map(data, count) { float(fromBFloat16: $0.littleEndian($1, as: UInt16.self)) }
        case .i64: map(data, count) { Float($0.littleEndian($1, as: Int64.self)) }
        case .i32: map(data, count) { Float($0.littleEndian($1, as: Int32.self)) }
        case .i16: map(data, count) { Float($0.littleEndian($1, as: Int16.self)) }
        case .i8: map(data, count) { Float($0.littleEndian($1, as: Int8.self)) }
        case .u8, .bool: map(data, count) { Float($0[$1]) }
        }
    }

    /// `element(data, index)` for `index` in `0..<count`, into one allocation.
    static func map<Element>(
        _ data: UnsafeRawBufferPointer, _ count: Int, _ element: (UnsafeRawBufferPointer, Int) -> Element
    ) -> [Element] {
        // Not through the initializer when empty: it would write to the shared empty-array storage.
        guard count > 0 else { return [] }
        return [Element](unsafeUninitializedCapacity: count) { output, initialized in
            for index in 0..<count { output.initializeElement(at: index, to: element(data, index)) }
            initialized = count
        }
    }

    /// Index and value of the first BOOL byte other than 0 or 1 among the first `count`.
    static func firstInvalidBool(_ data: UnsafeRawBufferPointer, count: Int) -> (index: Int, byte: UInt8)? {
        UnsafeRawBufferPointer(rebasing: data.prefix(count)).firstIndex { $0 > 1 }.map { ($0, data[$0]) }
    }

    /// IEEE 754 binary16 → binary32, exact for every input: subnormals, ±0, ±inf, NaN payloads.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2⁻²⁴, exact because mantissa < 2¹⁰.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            // Rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// bfloat16 is the top half of a binary32, so widening is a shift.
    static func float(fromBFloat16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}

extension UnsafeRawBufferPointer {
    /// Element `index` of a packed little-endian array, read without assuming alignment.
    func littleEndian<Value: FixedWidthInteger & BitwiseCopyable>(_ index: Int, as type: Value.Type) -> Value {
        Value(littleEndian: loadUnaligned(fromByteOffset: index * MemoryLayout<Value>.size, as: Value.self))
    }
}

extension String {
    /// The string as it may appear inside a one-line message: control characters escaped,
    /// at most 120 characters. Names read from untrusted files go through this.
    var forMessage: String {
        var result = ""
        for scalar in unicodeScalars.prefix(120) {
            if scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return unicodeScalars.count > 120 ? result + "…" : result
    }
}
