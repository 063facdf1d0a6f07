#if canImport(Glibc)
import Glibc
#endif
import ConfigFile
import Runtime

/// What `evsed check-config --alerts` tries before the first alert is due: every server the file
/// names must resolve and accept a TCP connection, and the modem must be a serial port that
/// opens. A failure is reported where the file names the server.
public enum ServerProbe {
    /// The problems of `configuration`'s servers; empty when all answer.
    public static func problems(_ configuration: AlertConfiguration, timeout: Duration = .seconds(3)) -> [ConfigError] {
        var endpoints: [Endpoint] = []
        if let email = configuration.email { endpoints.append(email.server) }
        if let mqtt = configuration.mqtt { endpoints.append(mqtt.broker) }
        endpoints += [configuration.ntfy?.server, configuration.pushover?.endpoint, configuration.telegram?.api].compactMap { $0 }
        var problems: [ConfigError] = []
        switch configuration.sms {
        case .gateway(let endpoint, _, _, _, _, _)?:
            endpoints.append(endpoint)
        case .modem(let device, let baudRate, _)?:
            do throws(SerialPortError) {
                close(try RawSerialPort.open(device, baudRate: baudRate))
            } catch {
                var problem = configuration.modemLocation ?? ConfigError(file: "alerts", line: nil, key: "sms.modem", problem: "")
                problem.problem = "the modem does not open: \(error)"
                problems.append(problem)
            }
        case nil:
            break
        }
        endpoints += configuration.owners.compactMap(\.webhookEndpoint)
        for endpoint in endpoints {
            if let problem = reach(endpoint.host, port: endpoint.port, timeout: timeout) {
                var error = endpoint.location
                error.problem = "\(endpoint.host):\(endpoint.port): \(problem)"
                problems.append(error)
            }
        }
        return problems
    }

    /// nil when `host` resolves and `port` accepts a connection within `timeout`, else why not.
    public static func reach(_ host: String, port: Int, timeout: Duration) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else { return "the host name does not resolve (\(String(cString: gai_strerror(status))))" }
        defer { freeaddrinfo(results) }
        var reason = "no address to connect to"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let descriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), address.pointee.ai_protocol)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            if connect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return nil }
            guard errno == EINPROGRESS else {
                reason = String(cString: strerror(errno))
                continue
            }
            var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&entry, 1, Int32(timeout.seconds * 1000)) == 1 else {
                reason = "no answer within \(Int(timeout.seconds)) s (a firewall, or the wrong host)"
                continue
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return nil }
            reason = String(cString: strerror(error)) + (error == ECONNREFUSED ? " (nothing listens on that port)" : "")
        }
        return reason
    }
}
