import ConfigFile

/// The board file's `[console]` table: where the technician's console is offered and who may change
/// things. `evsed run`'s options, where given, take precedence.
///
/// ```toml
/// [console]
/// serial = ["/dev/ttyAMA0"]     # serial consoles, 115200 8N1
/// pin = "pbkdf2-sha256:…"       # read with a warning: the hash belongs in a file of mode 0600
/// socket_group = "evsed"        # the group that may open the unix socket (mode 0660)
/// ```
public struct ConsoleSettings: Hashable, Sendable {
    public var serialPorts: [String] = []
    public var pin: ConsolePIN?
    public var socketGroup: String?

    public init() {}

    /// Reads the table; nil gives the defaults (no serial console, no PIN).
    public static func read(_ table: ConfigTable?) throws(ConfigError) -> ConsoleSettings {
        var settings = ConsoleSettings()
        guard let table else { return settings }
        settings.serialPorts = try table.strings("serial") ?? []
        if let bad = settings.serialPorts.first(where: { !$0.hasPrefix("/dev/") }) {
            throw table.error("serial", "'\(bad)' is not a device (/dev/ttyAMA0, /dev/ttyGS0, …)")
        }
        if let text = try table.string("pin") {
            guard let pin = ConsolePIN(text) else { throw table.error("pin", "not a PIN hash (evsed console --hash-pin makes one)") }
            settings.pin = pin
        }
        settings.socketGroup = try table.string("socket_group")
        if let group = settings.socketGroup, group.isEmpty || group.contains(where: { $0 == " " || $0 == ":" }) {
            throw table.error("socket_group", "'\(group)' is not a group name")
        }
        try table.rejectUnknownKeys()
        return settings
    }
}
