import ConfigFile
import FoundationEssentials

/// A delivery channel an owner can be reached on.
public enum ChannelKind: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case email, sms, webhook, mqtt, ntfy, pushover, telegram
    public var description: String { rawValue }
}

/// The alerts file (`alerts.toml`): who the owners are and how to reach them, the channels' servers,
/// when the rules speak, how deliveries are retried, and any replaced message texts.
/// Each section is read on its own, so `problems(in:)` reports every mistake at once.
public struct AlertConfiguration: Sendable {
    public var owners: [OwnerProfile] = []
    /// The owner of a session started without one being named.
    public var defaultOwner: String?
    /// The owner profile of the charger's operator, who hears of refused cards (`card_refused`).
    public var operatorName: String?
    public var rules = RuleSettings()
    public var delivery = DeliverySettings()
    public var email: EmailSettings?
    public var sms: SMSSettings?
    /// Where the file names the modem, for a probe's report.
    public var modemLocation: ConfigError?
    public var webhook: WebhookSettings?
    public var mqtt: MQTTSettings?
    public var ntfy: NtfySettings?
    public var pushover: PushoverSettings?
    public var telegram: TelegramSettings?
    public var templates = AlertTemplates.standard

    public init() {}

    public func owner(named name: String?) -> OwnerProfile? {
        guard let name else { return nil }
        return owners.first { $0.name == name }
    }

    /// When the rules raise an alert.
    public struct RuleSettings: Sendable {
        /// How long before a predicted end the owner hears of it.
        public var lead: Duration = .seconds(600)
        /// Power below this fraction of the session's peak …
        public var nearlyFullFraction = 0.5
        /// … for this long means the car is nearly full.
        public var nearlyFullFor: Duration = .seconds(300)
        /// The same fault again within this is counted, not sent again.
        public var faultRepeatWindow: Duration = .seconds(900)
        /// Each owner gets the month's statement at the start of the next (`monthly_statement`).
        public var monthlyStatement = false
        public init() {}
    }

    /// How deliveries are retried.
    public struct DeliverySettings: Sendable {
        public var retry = RetryPolicy()
        /// How long one attempt may take.
        public var timeout: Duration = .seconds(15)
        public init() {}
    }

    /// Reads and checks the file; the first mistake is thrown.
    public static func load(_ path: String) throws(ConfigError) -> AlertConfiguration {
        let table = try ConfigDocument.load(path)
        var problems: [ConfigError] = []
        let configuration = read(table, problems: &problems)
        if let first = problems.first { throw first }
        return configuration
    }

    /// Every mistake of the file at `path`.
    public static func problems(in path: String) -> [ConfigError] {
        do throws(ConfigError) {
            var problems: [ConfigError] = []
            _ = read(try ConfigDocument.load(path), problems: &problems)
            return problems
        } catch {
            return [error]
        }
    }

    /// Reads each section on its own, collecting their mistakes in `problems`.
    public static func read(_ table: ConfigTable, problems: inout [ConfigError]) -> AlertConfiguration {
        var configuration = AlertConfiguration()
        func section(_ body: () throws(ConfigError) -> Void) {
            do throws(ConfigError) { try body() } catch { problems.append(error) }
        }
        section { () throws(ConfigError) in
            configuration.defaultOwner = try table.string("default_owner")
        }
        section { () throws(ConfigError) in
            configuration.operatorName = try table.string("operator")
        }
        section { () throws(ConfigError) in
            guard let rules = try table.table("rules") else { return }
            configuration.rules.lead = .seconds(try rules.integer("lead_min", default: 10, in: 1...240) * 60)
            configuration.rules.nearlyFullFraction = try rules.double("nearly_full_fraction", default: 0.5, in: 0.05...0.95)
            configuration.rules.nearlyFullFor = .seconds(try rules.integer("nearly_full_min", default: 5, in: 1...120) * 60)
            configuration.rules.faultRepeatWindow = .seconds(try rules.integer("fault_repeat_min", default: 15, in: 0...1440) * 60)
            configuration.rules.monthlyStatement = try rules.bool("monthly_statement", default: false)
            try rules.rejectUnknownKeys()
        }
        section { () throws(ConfigError) in
            guard let delivery = try table.table("delivery") else { return }
            configuration.delivery.retry.first = .seconds(try delivery.integer("retry_first_s", default: 10, in: 1...3600))
            configuration.delivery.retry.maximum = .seconds(try delivery.integer("retry_max_s", default: 3600, in: 1...86_400))
            configuration.delivery.retry.maximumAge = .seconds(try delivery.integer("max_age_h", default: 24, in: 1...720) * 3600)
            configuration.delivery.timeout = .seconds(try delivery.integer("timeout_s", default: 15, in: 1...300))
            try delivery.rejectUnknownKeys()
        }
        section { () throws(ConfigError) in configuration.email = try table.table("email").map { (t) throws(ConfigError) in try EmailSettings.read(t) } }
        section { () throws(ConfigError) in
            guard let sms = try table.table("sms") else { return }
            configuration.sms = try SMSSettings.read(sms)
            configuration.modemLocation = sms.error("modem", "")
        }
        section { () throws(ConfigError) in configuration.webhook = try table.table("webhook").map { (t) throws(ConfigError) in try WebhookSettings.read(t) } }
        section { () throws(ConfigError) in configuration.mqtt = try table.table("mqtt").map { (t) throws(ConfigError) in try MQTTSettings.read(t) } }
        section { () throws(ConfigError) in configuration.ntfy = try table.table("ntfy").map { (t) throws(ConfigError) in try NtfySettings.read(t) } }
        section { () throws(ConfigError) in configuration.pushover = try table.table("pushover").map { (t) throws(ConfigError) in try PushoverSettings.read(t) } }
        section { () throws(ConfigError) in configuration.telegram = try table.table("telegram").map { (t) throws(ConfigError) in try TelegramSettings.read(t) } }
        section { () throws(ConfigError) in configuration.templates = try AlertTemplates.read(try table.table("template")) }
        let ownerTables: [ConfigTable]
        do throws(ConfigError) { ownerTables = try table.tables("owner") } catch {
            problems.append(error)
            ownerTables = []
        }
        for ownerTable in ownerTables {
            section { () throws(ConfigError) in
                let owner = try OwnerProfile.read(ownerTable)
                if configuration.owners.contains(where: { $0.name == owner.name }) {
                    throw ownerTable.error("name", "a second owner named '\(owner.name)'")
                }
                // An owner subscribed on a channel the file does not configure would never hear.
                for channel in owner.channels where !table.contains(channel.rawValue) {
                    throw ownerTable.error(owner.addressKey(channel), "owner '\(owner.name)' is to be reached by \(channel), but the file has no [\(channel)] section")
                }
                configuration.owners.append(owner)
            }
        }
        if let name = configuration.defaultOwner, configuration.owner(named: name) == nil, !ownerTables.contains(where: { (try? $0.string("name")) == name }) {
            let names = ownerTables.compactMap { try? $0.string("name") }
            problems.append(table.error("default_owner", "no [[owner]] is named '\(name)'\(closestMatch(to: name, among: names).map { " (did you mean '\($0)'?)" } ?? "")"))
        }
        if let name = configuration.operatorName, !ownerTables.contains(where: { (try? $0.string("name")) == name }) {
            let names = ownerTables.compactMap { try? $0.string("name") }
            problems.append(table.error("operator", "no [[owner]] is named '\(name)'\(closestMatch(to: name, among: names).map { " (did you mean '\($0)'?)" } ?? "")"))
        }
        section { () throws(ConfigError) in
            try table.rejectUnknownKeys(besides: ["rules", "delivery", "email", "sms", "webhook", "mqtt", "ntfy", "pushover", "telegram", "template", "owner",
                                                  "default_owner", "operator"])
        }
        return configuration
    }

    public func hasChannel(_ kind: ChannelKind) -> Bool {
        switch kind {
        case .email: return email != nil
        case .sms: return sms != nil
        case .webhook: return webhook != nil
        case .mqtt: return mqtt != nil
        case .ntfy: return ntfy != nil
        case .pushover: return pushover != nil
        case .telegram: return telegram != nil
        }
    }
}

/// "22:00" as seconds since midnight.
func secondOfDay(_ text: String, table: ConfigTable, key: String) throws(ConfigError) -> Int {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...23).contains(hours), (0...59).contains(minutes) else {
        throw table.error(key, "'\(text)' is not a time of day (HH:MM)")
    }
    return hours * 3600 + minutes * 60
}
