#if canImport(Glibc)
import Glibc
#endif
import CModbus

/// How to reach a Modbus device.
public enum ModbusTransport: Hashable, Sendable, CustomStringConvertible {
    /// RTU on a serial line: device path, baud rate, parity ("N", "E" or "O"), data and stop bits.
    case rtu(device: String, baud: Int, parity: Character, dataBits: Int, stopBits: Int)
    /// Modbus TCP (a meter behind a gateway).
    case tcp(host: String, port: Int)

    /// The name used in messages: the device path or host:port.
    public var name: String {
        switch self {
        case .rtu(let device, _, _, _, _): return device
        case .tcp(let host, let port): return "\(host):\(port)"
        }
    }

    public var description: String {
        switch self {
        case .rtu(let device, let baud, let parity, let data, let stop): return "\(device) \(baud) \(data)\(parity)\(stop)"
        case .tcp(let host, let port): return "tcp://\(host):\(port)"
        }
    }
}

/// The `modbus_t` a context owns: closed and freed exactly once, when the owner goes away,
/// also when connecting failed.
private final class ModbusHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit {
        // modbus_close does nothing on a context that never connected.
        modbus_close(pointer)
        modbus_free(pointer)
    }
}

/// A libmodbus context: the only place evsed calls libmodbus. Not thread-safe: one owner at a time.
public final class ModbusContext: @unchecked Sendable {
    public let transport: ModbusTransport
    private let handle: ModbusHandle
    private var context: OpaquePointer { handle.pointer }

    /// Creates and connects a context (`modbus_new_rtu`/`modbus_new_tcp`, `modbus_connect`). Every
    /// figure is checked before it reaches libmodbus; a device that is missing, is not a serial
    /// line or refuses the connection is an error naming it.
    public init(_ transport: ModbusTransport, responseTimeout: Duration = .milliseconds(500),
                byteTimeout: Duration = .milliseconds(100)) throws(ModbusError) {
        self.transport = transport
        let created: OpaquePointer?
        switch transport {
        case .rtu(let device, let baud, let parity, let dataBits, let stopBits):
            guard (50...4_000_000).contains(baud) else { throw .cannotOpen(device: device, reason: "\(baud) is not a baud rate (50 … 4000000)") }
            guard ["N", "E", "O"].contains(parity) else { throw .cannotOpen(device: device, reason: "parity \(parity) is not N, E or O") }
            guard (5...8).contains(dataBits), (1...2).contains(stopBits) else {
                throw .cannotOpen(device: device, reason: "\(dataBits) data and \(stopBits) stop bits are not a serial frame")
            }
            created = modbus_new_rtu(device, Int32(baud), CChar(parity.asciiValue!), Int32(dataBits), Int32(stopBits))
        case .tcp(let host, let port):
            guard (1...65_535).contains(port) else { throw .cannotOpen(device: transport.name, reason: "\(port) is not a TCP port (1 … 65535)") }
            created = modbus_new_tcp(host, Int32(port))
        }
        guard let created else { throw .cannotOpen(device: transport.name, reason: Self.lastError()) }
        let handle = ModbusHandle(created)
        Self.set(responseTimeout) { modbus_set_response_timeout(created, $0, $1) }
        Self.set(byteTimeout) { modbus_set_byte_timeout(created, $0, $1) }
        guard modbus_connect(created) == 0 else {
            // `handle` frees the context as this init gives up; self never owned it.
            throw .cannotOpen(device: transport.name, reason: Self.connectProblem(transport))
        }
        self.handle = handle
    }

    /// Why `modbus_connect` failed, in words a technician can act on.
    private static func connectProblem(_ transport: ModbusTransport) -> String {
        let code = errno
        let reason = String(cString: modbus_strerror(code))
        guard case .rtu(let device, _, _, _, _) = transport else { return reason }
        switch code {
        case ENOENT: return "\(reason) (no such device: is the adapter plugged in?)"
        case ENOTTY, EINVAL: return "\(reason) (not a serial line)"
        case EACCES: return "\(reason) (the user may not open \(device): add it to the dialout group)"
        default: return reason
        }
    }

    private static func set(_ duration: Duration, _ body: (UInt32, UInt32) -> Int32) {
        // 1 µs … 1 h: what a serial line can mean, and what fits libmodbus's 32-bit seconds.
        let microseconds = min(max(1, duration.nanoseconds / 1000), 3_600_000_000)
        _ = body(UInt32(microseconds / 1_000_000), UInt32(microseconds % 1_000_000))
    }

    private static func lastError() -> String { String(cString: modbus_strerror(errno)) }

    /// Reads `count` registers from `address` of `slave` with function 3 or 4.
    public func readRegisters(slave: Int, function: UInt8, address: UInt16, count: Int) throws(ModbusError) -> [UInt16] {
        precondition((1...125).contains(count), "a Modbus read takes 1 … 125 registers")
        guard (0...247).contains(slave), modbus_set_slave(context, Int32(slave)) == 0 else {
            throw .badReply(device: transport.name, slave: slave, reason: "invalid slave address \(slave)")
        }
        var registers = [UInt16](repeating: 0, count: count)
        let result = registers.withUnsafeMutableBufferPointer { buffer in
            function == 4
                ? modbus_read_input_registers(context, Int32(address), Int32(count), buffer.baseAddress)
                : modbus_read_registers(context, Int32(address), Int32(count), buffer.baseAddress)
        }
        guard result == Int32(count) else {
            let code = errno
            // Drop what is left of a bad frame so the next request starts clean.
            _ = modbus_flush(context)
            throw Self.error(code, device: transport.name, slave: slave, function: function, address: address,
                             got: result)
        }
        return registers
    }

    static func error(_ code: Int32, device: String, slave: Int, function: UInt8, address: UInt16, got: Int32) -> ModbusError {
        let base = Int32(MODBUS_ENOBASE)
        switch code {
        case ETIMEDOUT: return .timeout(device: device, slave: slave)
        case base + 1...base + 11: return .exception(device: device, slave: slave, code: Int(code - base), function: function, address: address)
        case base + 12: return .badCRC(device: device, slave: slave)
        case base + 13...base + 17: return .badReply(device: device, slave: slave, reason: String(cString: modbus_strerror(code)))
        default:
            if got >= 0 { return .badReply(device: device, slave: slave, reason: "\(got) registers instead of the requested count") }
            return .io(device: device, reason: String(cString: modbus_strerror(code)))
        }
    }

    // MARK: Serving (the simulated meter)

    /// Waits up to `timeout` for a request addressed to `slave` (`modbus_receive` after a poll);
    /// returns the request's bytes (the RTU frame without its CRC), or nil when none came.
    public func receiveRequest(slave: Int, timeout: Duration) throws(ModbusError) -> [UInt8]? {
        guard (1...247).contains(slave) else { throw .badReply(device: transport.name, slave: slave, reason: "invalid slave address \(slave)") }
        _ = modbus_set_slave(context, Int32(slave))
        var descriptor = pollfd(fd: modbus_get_socket(context), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(clamping: timeout.nanoseconds / 1_000_000))
        guard ready > 0 else { return nil }
        var request = [UInt8](repeating: 0, count: Int(MODBUS_RTU_MAX_ADU_LENGTH))
        let length = request.withUnsafeMutableBufferPointer { modbus_receive(context, $0.baseAddress) }
        if length < 0 {
            let code = errno
            if code == ETIMEDOUT || code == Int32(MODBUS_ENOBASE) + 12 { return nil }  // a partial or corrupt request
            throw .io(device: transport.name, reason: String(cString: modbus_strerror(code)))
        }
        // 0: a request for another slave, which a serial slave ignores.
        return length == 0 ? nil : Array(request[0..<Int(length)])
    }

    /// Writes raw bytes to the line (a reply frame built by the caller, CRC included).
    public func writeRaw(_ bytes: [UInt8]) throws(ModbusError) {
        let descriptor = modbus_get_socket(context)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(device: transport.name, reason: "write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
