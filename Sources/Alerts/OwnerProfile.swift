import Billing
import ConfigFile
import FoundationEssentials

/// A car owner the charger alerts: how to reach them, which alerts on which channel, when to stay
/// quiet, and the limits of their sessions.
public struct OwnerProfile: Hashable, Sendable {
    public var name: String
    public var email: String?
    /// In international form, "+4917612345678".
    public var phone: String?
    /// The owner's webhook (their app's push endpoint).
    public var webhook: String?
    /// The webhook's server, for `check-config`'s probe.
    public var webhookEndpoint: Endpoint?
    /// The MQTT topic of their alerts.
    public var mqttTopic: String?
    /// Their ntfy topic, Pushover user key and Telegram chat id.
    public var ntfyTopic: String?
    public var pushoverUser: String?
    public var telegramChat: String?
    /// Which alerts go out on each channel the owner can be reached on.
    public var subscriptions: [ChannelKind: Swift.Set<AlertKind>] = [:]
    public var quietHours: QuietHours?
    public var limits = SessionLimits()

    public init(name: String) { self.name = name }

    /// The channels the owner has an address for.
    public var channels: [ChannelKind] { ChannelKind.allCases.filter { address($0) != nil } }

    public func address(_ channel: ChannelKind) -> String? {
        switch channel {
        case .email: return email
        case .sms: return phone
        case .webhook: return webhook
        case .mqtt: return mqttTopic
        case .ntfy: return ntfyTopic
        case .pushover: return pushoverUser
        case .telegram: return telegramChat
        }
    }

    func addressKey(_ channel: ChannelKind) -> String {
        switch channel {
        case .email: return "email"
        case .sms: return "phone"
        case .webhook: return "webhook"
        case .mqtt: return "mqtt_topic"
        case .ntfy: return "ntfy"
        case .pushover: return "pushover"
        case .telegram: return "telegram"
        }
    }

    /// Whether `kind` goes out on `channel`.
    public func wants(_ kind: AlertKind, on channel: ChannelKind) -> Bool {
        address(channel) != nil && (subscriptions[channel]?.contains(kind) ?? true)
    }

    static func read(_ table: ConfigTable) throws(ConfigError) -> OwnerProfile {
        var owner = OwnerProfile(name: try table.required("name", table.string))
        guard !owner.name.isEmpty, owner.name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw table.error("name", "'\(owner.name)' is not a usable name (letters, digits, - _ .)")
        }
        owner.email = try table.string("email")
        if let email = owner.email, email.split(separator: "@").count != 2 || email.contains(" ") {
            throw table.error("email", "'\(email)' is not an email address")
        }
        owner.phone = try table.string("phone")
        if let phone = owner.phone, !(phone.first == "+" && phone.count >= 8 && phone.dropFirst().allSatisfy(\.isNumber)) {
            throw table.error("phone", "'\(phone)' is not a phone number in international form (+ and digits, e.g. +4917612345678)")
        }
        owner.webhook = try table.string("webhook")
        owner.webhookEndpoint = try owner.webhook.map { (url) throws(ConfigError) in try Endpoint(url, schemes: ["http", "https"], table: table, key: "webhook") }
        owner.mqttTopic = try table.string("mqtt_topic")
        if let topic = owner.mqttTopic, topic.isEmpty || topic.contains("+") || topic.contains("#") {
            throw table.error("mqtt_topic", "'\(topic)' is not a topic to publish to (no wildcards)")
        }
        owner.ntfyTopic = try table.string("ntfy")
        if let topic = owner.ntfyTopic, !NtfySettings.isTopic(topic) {
            throw table.error("ntfy", "'\(topic)' is not an ntfy topic (1 to 64 letters, digits, _ and -)")
        }
        owner.pushoverUser = try table.string("pushover")
        if let key = owner.pushoverUser, !PushoverSettings.isKey(key) {
            throw table.error("pushover", "'\(key)' is not a Pushover user key (30 letters and digits)")
        }
        owner.telegramChat = try table.string("telegram")
        if let chat = owner.telegramChat, !TelegramSettings.isChat(chat) {
            throw table.error("telegram", "'\(chat)' is not a Telegram chat id (digits, - for a group) or @channel")
        }
        if let events = try table.table("events") {
            for key in events.keys {
                guard let channel = ChannelKind(rawValue: key) else {
                    throw events.error(key, "unknown channel\(closestMatch(to: key, among: ChannelKind.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? "")")
                }
                var kinds: Swift.Set<AlertKind> = []
                for name in try events.strings(key) ?? [] {
                    if name == "all" {
                        kinds.formUnion(AlertKind.allCases)
                    } else if name == "problems" {
                        kinds.formUnion(AlertKind.allCases.filter(\.isProblem))
                    } else if let kind = AlertKind(rawValue: name) {
                        kinds.insert(kind)
                    } else {
                        let names = AlertKind.allCases.map(\.rawValue) + ["all", "problems"]
                        throw events.error(key, "unknown alert '\(name)'\(closestMatch(to: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""); alerts: \(names.joined(separator: ", "))")
                    }
                }
                if owner.address(channel) == nil {
                    throw events.error(key, "owner '\(owner.name)' has no \(owner.addressKey(channel)) for \(channel) alerts")
                }
                owner.subscriptions[channel] = kinds
            }
        }
        if let text = try table.string("quiet_hours") {
            let parts = text.split(separator: "-").map { $0.filter { $0 != " " } }
            guard parts.count == 2 else { throw table.error("quiet_hours", "'\(text)' is not a span of the day (HH:MM-HH:MM)") }
            owner.quietHours = QuietHours(start: try secondOfDay(parts[0], table: table, key: "quiet_hours"),
                                          end: try secondOfDay(parts[1], table: table, key: "quiet_hours"))
        }
        if let limits = try table.table("limits") {
            if let kWh = try limits.double("energy_kwh") {
                guard kWh > 0 && kWh <= 1000 else { throw limits.error("energy_kwh", "\(kWh) is outside 0 … 1000 kWh") }
                owner.limits.energyWh = Int64((kWh * 1000).rounded())
            }
            if let cost = try limits.string("cost") {
                guard let amount = Decimal(string: cost), amount > 0 else { throw limits.error("cost", "'\(cost)' is not an amount (write it as a string, \"12.50\")") }
                owner.limits.cost = amount
            }
            if let minutes = try limits.integer("duration_min") {
                guard (1...10_080).contains(minutes) else { throw limits.error("duration_min", "\(minutes) is outside 1 … 10080 minutes") }
                owner.limits.duration = .seconds(minutes * 60)
            }
            if let departure = try limits.string("departure") {
                owner.limits.departure = try secondOfDay(departure, table: limits, key: "departure")
            }
            try limits.rejectUnknownKeys()
        }
        try table.rejectUnknownKeys()
        return owner
    }
}

/// A span of the local day when only problems are sent; it may run past midnight (22:00-07:00).
public struct QuietHours: Hashable, Sendable {
    /// Seconds since local midnight.
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public func contains(secondOfDay second: Int) -> Bool {
        start <= end ? (start..<end).contains(second) : (second >= start || second < end)
    }
}

/// Where an owner's sessions should end; the charger stops a session at its energy, cost or time
/// limit, and warns ahead of each (the departure time only warns).
public struct SessionLimits: Hashable, Sendable {
    public var energyWh: Int64?
    /// Including VAT, in the tariff's currency.
    public var cost: Decimal?
    public var duration: Duration?
    /// Seconds since local midnight.
    public var departure: Int?

    public init() {}

    public var isEmpty: Bool { energyWh == nil && cost == nil && duration == nil && departure == nil }
}
