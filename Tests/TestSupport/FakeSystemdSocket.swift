#if canImport(Glibc)
import Glibc
#endif

/// Binding the fake socket failed.
public struct FakeSocketError: Error {
    public let errno: Int32
}

/// A unix datagram socket in a fresh temporary directory, standing in for systemd's.
public final class FakeSystemdSocket: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32

    public init() throws {
        var template = Array("/tmp/evsed-notify-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        path = directory + "/notify"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw FakeSocketError(errno: errno) }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(String(path.dropLast("/notify".count)))
    }

    /// The next datagram, or nil after `timeout`.
    public func receive(timeout: Duration = .seconds(5)) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

