#if canImport(Glibc)
import Glibc
#endif

/// A serial port set up for a program that does its own line handling (the console, a modem):
/// raw, 8N1, no flow control, modem control lines ignored, non-blocking.
public enum RawSerialPort {
    /// Opens `path` at `baudRate`; returns the descriptor, or throws the reason with the path.
    public static func open(_ path: String, baudRate: Int) throws(SerialPortError) -> Int32 {
        guard let speed = speed(baudRate) else { throw SerialPortError(path: path, problem: "\(baudRate) baud is not a standard rate") }
        let descriptor = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw SerialPortError(path: path, problem: "\(String(cString: strerror(errno)))") }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw SerialPortError(path: path, problem: "not a serial port (\(reason))")
        }
        cfmakeraw(&settings)
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        settings.c_cflag &= ~(tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw SerialPortError(path: path, problem: "cannot set \(baudRate) baud 8N1 (\(reason))")
        }
        return descriptor
    }

    static func speed(_ baudRate: Int) -> speed_t? {
        switch baudRate {
        case 1200: return speed_t(B1200)
        case 2400: return speed_t(B2400)
        case 4800: return speed_t(B4800)
        case 9600: return speed_t(B9600)
        case 19_200: return speed_t(B19200)
        case 38_400: return speed_t(B38400)
        case 57_600: return speed_t(B57600)
        case 115_200: return speed_t(B115200)
        case 230_400: return speed_t(B230400)
        case 460_800: return speed_t(B460800)
        case 921_600: return speed_t(B921600)
        default: return nil
        }
    }
}

/// A serial port that could not be opened or set up.
public struct SerialPortError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var description: String { "\(path): \(problem)" }
}
