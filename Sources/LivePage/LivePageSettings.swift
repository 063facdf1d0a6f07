#if canImport(Glibc)
import Glibc
#endif
import ConfigFile

/// The `[page]` table of a board file: the owner's live page, off without it.
///
/// ```toml
/// [page]
/// listen = "0.0.0.0:8080"              # an IPv4 address and port (127.0.0.1:8080: this board only)
/// token_file = "/etc/evsed/page-token"  # mode 0600: the token that lets the page pause, resume, stop, set a limit
/// certificate = "/etc/evsed/page.crt"   # TLS, with key (PEM files); plain HTTP without them
/// key = "/etc/evsed/page.key"
/// ```
public struct LivePageSettings: Sendable, Equatable {
    public var address: String
    public var port: UInt16
    public var tokenFile: String?
    public var certificate: String?
    public var key: String?

    /// Reads the table; nil when the board has none.
    public static func read(_ table: ConfigTable?) throws(ConfigError) -> LivePageSettings? {
        guard let table else { return nil }
        let listen = try table.string("listen") ?? "0.0.0.0:8080"
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        var address = in_addr()
        guard parts.count == 2, inet_pton(AF_INET, String(parts[0]), &address) == 1, let port = UInt16(parts[1]), port > 0 else {
            throw table.error("listen", "'\(listen)' is not an IPv4 address and port (0.0.0.0:8080)")
        }
        let settings = LivePageSettings(address: String(parts[0]), port: port, tokenFile: try table.string("token_file"),
                                        certificate: try table.string("certificate"), key: try table.string("key"))
        if (settings.certificate == nil) != (settings.key == nil) {
            throw table.error(settings.certificate == nil ? "key" : "certificate", "TLS needs both a certificate and its key")
        }
        try table.rejectUnknownKeys()
        return settings
    }
}
