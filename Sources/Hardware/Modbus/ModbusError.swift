/// What can go wrong talking to a meter, specifically enough to act on.
public enum ModbusError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The device or connection could not be opened (`errno` text).
    case cannotOpen(device: String, reason: String)
    /// No reply within the response timeout.
    case timeout(device: String, slave: Int)
    /// A reply whose CRC did not match (line noise, a wrong baud rate or parity).
    case badCRC(device: String, slave: Int)
    /// The meter answered with a Modbus exception.
    case exception(device: String, slave: Int, code: Int, function: UInt8, address: UInt16)
    /// A reply that made no sense (wrong length, wrong slave, wrong function).
    case badReply(device: String, slave: Int, reason: String)
    /// Another system error while reading or writing (`errno` text).
    case io(device: String, reason: String)

    /// The meaning of a Modbus exception code.
    public static func exceptionName(_ code: Int) -> String {
        switch code {
        case 1: return "illegal function"
        case 2: return "illegal data address"
        case 3: return "illegal data value"
        case 4: return "slave device failure"
        case 5: return "acknowledge"
        case 6: return "slave device busy"
        case 8: return "memory parity error"
        case 10: return "gateway path unavailable"
        case 11: return "gateway target failed to respond"
        default: return "exception \(code)"
        }
    }

    /// Whether trying again may help (noise, a busy meter), as opposed to a wrong configuration.
    public var isTransient: Bool {
        switch self {
        case .timeout, .badCRC, .badReply, .io: return true
        case .exception(_, _, let code, _, _): return code == 5 || code == 6 || code == 11
        case .cannotOpen: return false
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let device, let reason): return "\(device): cannot open: \(reason)"
        case .timeout(let device, let slave): return "\(device): meter \(slave) did not answer (timeout)"
        case .badCRC(let device, let slave): return "\(device): reply from meter \(slave) failed its CRC (noise, baud rate or parity?)"
        case .exception(let device, let slave, let code, let function, let address):
            return "\(device): meter \(slave) refused function \(function) at register \(address): \(Self.exceptionName(code)) (\(code))"
        case .badReply(let device, let slave, let reason): return "\(device): bad reply from meter \(slave): \(reason)"
        case .io(let device, let reason): return "\(device): \(reason)"
        }
    }
}
