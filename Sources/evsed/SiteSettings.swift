#if canImport(Glibc)
import Glibc
#endif
import ChargerService
import ConfigFile
import EVSECore

/// What a technician sets at the console with `config set KEY VALUE` and evsed keeps across
/// restarts: a small TOML file next to the ledger (`settings.toml` in the state directory, which
/// the hardened unit may write, unlike /etc/evsed). The board file stays the installer's; these
/// settings are applied on top of it at each start.
struct SiteSettings: Equatable {
    /// The operating current limit (A), within the board's maximum.
    var currentLimit: Double?
    /// Whether the charger is enabled after a restart: false keeps a charger in maintenance (state F).
    var startEnabled: Bool?
    /// Whether a card is needed to charge (overrides the board's `[cards] mode`).
    var cardMode: CardMode?

    /// One settable key: its name, what it means, and its check.
    struct Key {
        let name: String
        let summary: String
    }

    static let keys = [
        Key(name: "current_limit_a", summary: "the operating current limit in A (6 … the board's max_current_a); applies at once"),
        Key(name: "start_enabled", summary: "true or false: whether the charger is enabled after a restart (false keeps it in maintenance)"),
        Key(name: "card_mode", summary: "free, card or same_card: whether a card is needed to start (and the same card to stop); applies at the next start"),
    ]

    /// The value set for `key` as the file writes it; nil when not set.
    func value(of key: String) -> String? {
        switch key {
        case "current_limit_a": return currentLimit.map { fixed($0, 1) }
        case "start_enabled": return startEnabled.map { "\($0)" }
        case "card_mode": return cardMode.map { "\"\($0.rawValue)\"" }
        default: return nil
        }
    }

    /// The file next to `ledgerPath`.
    static func path(besides ledgerPath: String) -> String {
        guard let slash = ledgerPath.lastIndex(of: "/") else { return "settings.toml" }
        return String(ledgerPath[...slash]) + "settings.toml"
    }

    /// Reads the file; a missing file is no settings, a broken one an error with its line.
    static func load(_ path: String, maximumCurrent: Double) throws(ConfigError) -> SiteSettings {
        guard access(path, F_OK) == 0 else { return SiteSettings() }
        let table = try ConfigDocument.load(path)
        var settings = SiteSettings()
        if let limit = try table.double("current_limit_a") {
            guard (6...maximumCurrent).contains(limit) else { throw table.error("current_limit_a", "\(fixed(limit, 1)) A is outside 6 … \(fixed(maximumCurrent, 1)) A") }
            settings.currentLimit = limit
        }
        settings.startEnabled = try table.bool("start_enabled")
        if let mode = try table.string("card_mode") {
            guard let parsed = CardMode(rawValue: mode) else {
                throw table.error("card_mode", "'\(mode)' is not a card mode: \(CardMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.cardMode = parsed
        }
        try table.rejectUnknownKeys()
        return settings
    }

    /// `value` checked for `key`; the error says what is allowed.
    mutating func set(_ key: String, to value: String, maximumCurrent: Double) throws(SettingError) {
        switch key {
        case "current_limit_a":
            guard let amps = Double(value), amps.isFinite else { throw SettingError("current_limit_a: '\(value)' is not a number of amperes") }
            guard (6...maximumCurrent).contains(amps) else { throw SettingError("current_limit_a: \(fixed(amps, 1)) A is outside 6 … \(fixed(maximumCurrent, 1)) A") }
            currentLimit = amps
        case "start_enabled":
            guard let flag = Bool(value) else { throw SettingError("start_enabled: '\(value)' is not true or false") }
            startEnabled = flag
        case "card_mode":
            let text = value.trimmingPrefix("\"").split(separator: "\"").first.map(String.init) ?? value
            guard let mode = CardMode(rawValue: text) else {
                throw SettingError("card_mode: '\(value)' is not a card mode: \(CardMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            cardMode = mode
        default:
            let names = Self.keys.map(\.name)
            throw SettingError("no setting '\(key)'\(closestMatch(to: key, among: names).map { " (did you mean '\($0)'?)" } ?? ""); settings: \(names.joined(separator: ", "))")
        }
    }

    /// The file's text.
    var text: String {
        var lines = ["# Set with `config set` at evsed's console; applied on top of the board file at each start."]
        for key in Self.keys { if let value = value(of: key.name) { lines.append("\(key.name) = \(value)") } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the file durably: a temporary file, fsync, rename, fsync of the directory.
    func save(to path: String) throws(SettingError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw SettingError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SettingError("cannot write \(path): \(reason)")
        }
        if let slash = path.lastIndex(of: "/") {
            let directory = open(String(path[..<slash].isEmpty ? "/" : path[..<slash]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
    }
}

/// A setting that cannot be made; the message says why.
struct SettingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The site settings shared by every console of the daemon: checked, saved, then kept.
final class SiteSettingsStore: Sendable {
    let path: String
    let maximumCurrent: Double
    private let current: Lock<SiteSettings>

    init(path: String, maximumCurrent: Double, settings: SiteSettings) {
        self.path = path
        self.maximumCurrent = maximumCurrent
        current = Lock(settings)
    }

    var settings: SiteSettings { current.withLock { $0 } }

    /// The settings with `key` set to `value`, checked but not saved.
    func checked(_ key: String, _ value: String) throws(SettingError) -> SiteSettings {
        var changed = settings
        try changed.set(key, to: value, maximumCurrent: maximumCurrent)
        return changed
    }

    /// Saves `settings` and keeps them.
    func save(_ settings: SiteSettings) throws(SettingError) {
        try current.withLock { (current) throws(SettingError) in
            try settings.save(to: path)
            current = settings
        }
    }
}
