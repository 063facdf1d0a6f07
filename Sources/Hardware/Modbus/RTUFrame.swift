/// Modbus RTU framing: the CRC, reply frames, and the line time of a frame.
public enum RTUFrame {
    /// The Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), sent low byte first.
    public static func crc(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return crc
    }

    /// `body` followed by its CRC.
    public static func sealed(_ body: [UInt8]) -> [UInt8] {
        let value = crc(body)
        return body + [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    /// The reply to a read of registers: slave, function, byte count, the registers big-endian, CRC.
    public static func readReply(slave: UInt8, function: UInt8, registers: [UInt16]) -> [UInt8] {
        var body: [UInt8] = [slave, function, UInt8(registers.count * 2)]
        for register in registers { body += [UInt8(register >> 8), UInt8(register & 0xFF)] }
        return sealed(body)
    }

    /// An exception reply: the function with its high bit set, and the exception code.
    public static func exceptionReply(slave: UInt8, function: UInt8, code: UInt8) -> [UInt8] {
        sealed([slave, function | 0x80, code])
    }

    /// Bits on the line per byte: start, 8 data bits, parity if any, stop bits.
    public static func bitsPerCharacter(parity: Character, stopBits: Int) -> Int {
        1 + 8 + (parity == "N" ? 0 : 1) + stopBits
    }

    /// The time `byteCount` bytes take at `baud`, plus the 3.5-character silence that ends an RTU
    /// frame (at least 1.75 ms above 19200 baud, as the standard fixes it).
    public static func lineTime(bytes byteCount: Int, baud: Int, parity: Character, stopBits: Int) -> Duration {
        let bits = bitsPerCharacter(parity: parity, stopBits: stopBits)
        let character = Double(bits) / Double(baud)
        let gap = baud > 19200 ? 0.00175 : 3.5 * character
        return .nanoseconds(Int64((Double(byteCount) * character + gap) * 1e9))
    }
}
