// CRC32C: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TensorFlow's masking of it — the
// checksums that frame every record of a TensorBoard event file (INTEROP.md §4).

/// CRC-32C and its masked form.
///
/// ```swift
/// CRC32C.checksum(Array("123456789".utf8))        // 0xE306_9283
/// CRC32C.masked(CRC32C.checksum(lengthBytes))     // what an event file stores after the length
/// ```
public enum CRC32C {
    /// One entry per byte value: the CRC of that byte alone (the classic table-driven form).
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    /// CRC-32C of `bytes` (initial value and final XOR 0xFFFFFFFF).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in bytes { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// TensorFlow's mask: rotate right by 15 and add a constant, so a CRC of data holding CRCs stays strong.
    public static func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }
}
