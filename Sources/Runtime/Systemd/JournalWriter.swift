#if canImport(Glibc)
import Glibc
#endif

/// Writes entries to the systemd journal with its native protocol (a datagram of `KEY=value`
/// lines to `/run/systemd/journal/socket`), so each keeps its priority and structured fields
/// (`SESSION_ID`, `FAULT_CODE`, …) for `journalctl -o verbose` and `journalctl FAULT_CODE=…`.
public struct JournalWriter: Sendable {
    public let socketPath: String
    public let identifier: String

    public init(socketPath: String = "/run/systemd/journal/socket", identifier: String = "evsed") {
        self.socketPath = socketPath
        self.identifier = identifier
    }

    /// The journal, when standard output already goes to it (`JOURNAL_STREAM`, set by systemd).
    public static func fromEnvironment() -> JournalWriter? {
        guard let stream = environment("JOURNAL_STREAM"), !stream.isEmpty else { return nil }
        // JOURNAL_STREAM is "device:inode" of the stream; it must still be our standard output.
        var info = stat()
        guard fstat(1, &info) == 0, stream == "\(info.st_dev):\(info.st_ino)" else { return nil }
        return JournalWriter()
    }

    /// The datagram of one entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and `fields`.
    /// Keys must be upper-case letters, digits and underscores, not starting with `_`.
    public func datagram(message: String, priority: Int, fields: [(String, String)]) -> [UInt8] {
        var lines = [
            "MESSAGE=\(message.replacingNewlines())", "PRIORITY=\(priority)", "SYSLOG_IDENTIFIER=\(identifier)",
        ]
        for (key, value) in fields where Self.isValidKey(key) {
            lines.append("\(key)=\(value.replacingNewlines())")
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Sends one entry; returns false when the journal could not be reached.
    @discardableResult
    public func send(message: String, priority: Int, fields: [(String, String)]) -> Bool {
        sendDatagram(datagram(message: message, priority: priority, fields: fields), to: socketPath) == 0
    }

    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, first != UInt8(ascii: "_"), key.utf8.count <= 64 else { return false }
        return key.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
