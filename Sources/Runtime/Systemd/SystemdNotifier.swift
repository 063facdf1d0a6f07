#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify protocol, spoken directly over `NOTIFY_SOCKET` (no libsystemd): readiness,
/// a status line, watchdog keep-alives and stopping.
public struct SystemdNotifier: Sendable {
    /// The socket systemd listens on (`@…` for the abstract namespace).
    public let socketPath: String
    /// How often systemd expects `WATCHDOG=1` (`WATCHDOG_USEC`), when the unit has a watchdog.
    public let watchdogTimeout: Duration?

    public init(socketPath: String, watchdogTimeout: Duration?) {
        self.socketPath = socketPath
        self.watchdogTimeout = watchdogTimeout
    }

    /// The notifier of a service started by systemd, or nil outside systemd (no `NOTIFY_SOCKET`).
    public static func fromEnvironment() -> SystemdNotifier? {
        guard let path = environment("NOTIFY_SOCKET"), !path.isEmpty else { return nil }
        var watchdog: Duration?
        if let text = environment("WATCHDOG_USEC"), let microseconds = Int64(text), microseconds > 0 {
            // WATCHDOG_PID, when set, names the process the watchdog is for.
            let pid = environment("WATCHDOG_PID").flatMap { Int32($0) }
            if pid == nil || pid == getpid() { watchdog = .microseconds(microseconds) }
        }
        return SystemdNotifier(socketPath: path, watchdogTimeout: watchdog)
    }

    /// Sends `KEY=value` lines; returns false when systemd could not be told.
    @discardableResult
    public func notify(_ fields: [(String, String)]) -> Bool {
        let text = fields.map { "\($0.0)=\($0.1.replacingNewlines())" }.joined(separator: "\n")
        return sendDatagram(Array(text.utf8), to: socketPath) == 0
    }

    /// The service is initialised and its hardware safe.
    @discardableResult
    public func ready(status: String) -> Bool { notify([("READY", "1"), ("STATUS", status)]) }

    /// A one-line summary for `systemctl status`.
    @discardableResult
    public func status(_ text: String) -> Bool { notify([("STATUS", text)]) }

    /// The watchdog keep-alive: send only while the service really works.
    @discardableResult
    public func watchdog() -> Bool { notify([("WATCHDOG", "1")]) }

    /// The service is stopping.
    @discardableResult
    public func stopping(status: String) -> Bool { notify([("STOPPING", "1"), ("STATUS", status)]) }
}

extension String {
    /// The protocols here are line based: a newline in a value would start a new field.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
