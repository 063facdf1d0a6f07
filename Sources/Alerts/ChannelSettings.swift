import ConfigFile

/// A server's URL taken apart, checked when the alerts file is read.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var url: String
    public var scheme: String
    public var host: String
    public var port: Int
    /// Where the file names it, for a probe's report.
    public var location: ConfigError

    static let defaultPorts = ["http": 80, "https": 443, "smtp": 25, "smtps": 465]

    init(_ url: String, schemes: [String], table: ConfigTable, key: String) throws(ConfigError) {
        self.url = url
        location = table.error(key, "")
        guard let separator = url.firstRange(of: "://") else { throw table.error(key, "'\(url)' is not a URL (\(schemes.map { "\($0)://" }.joined(separator: " or "))…)") }
        scheme = String(url[..<separator.lowerBound]).lowercased()
        guard schemes.contains(scheme) else { throw table.error(key, "'\(url)': the scheme must be \(schemes.joined(separator: " or ")), not '\(scheme)'") }
        let rest = url[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        if hostPort.hasPrefix("[") {
            // [::1]:8080
            let close = hostPort.firstIndex(of: "]") ?? hostPort.endIndex
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[close...].dropFirst()
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : Self.defaultPorts[scheme] ?? 0
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            port = Int(hostPort[hostPort.index(after: colon)...]) ?? -1
        } else {
            host = hostPort
            port = Self.defaultPorts[scheme] ?? 0
        }
        guard !host.isEmpty else { throw table.error(key, "'\(url)' names no host") }
        guard (1...65_535).contains(port) else { throw table.error(key, "'\(url)': the port must be a number 1 … 65535") }
    }

    init(host: String, port: Int, location: ConfigError) {
        self.location = location
        self.url = "\(host):\(port)"
        self.scheme = "tcp"
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// `[email]`: an SMTP server. `smtp://` with `security = "starttls"` (the default) upgrades the
/// connection; `smtps://` is TLS from the first byte; `security = "none"` only for a relay on the
/// board's own network.
public struct EmailSettings: Sendable {
    public enum Security: String, Sendable { case starttls, tls, none }
    public var server: Endpoint
    public var security: Security
    public var from: String
    public var username: String?
    public var password: String?
    /// "PLAIN" or "LOGIN"; nil lets the server and libcurl choose.
    public var authentication: String?
    /// A CA bundle for a server whose certificate is not in the system's store.
    public var caFile: String?

    static func read(_ table: ConfigTable) throws(ConfigError) -> EmailSettings {
        let server = try Endpoint(try table.required("url", table.string), schemes: ["smtp", "smtps"], table: table, key: "url")
        let security = try Security(rawValue: table.choice("security", of: ["starttls", "tls", "none"], default: server.scheme == "smtps" ? "tls" : "starttls"))!
        if server.scheme == "smtps" && security != .tls { throw table.error("security", "smtps:// is TLS from the start; security must be \"tls\"") }
        if server.scheme == "smtp" && security == .tls { throw table.error("security", "implicit TLS needs an smtps:// URL") }
        let from = try table.required("from", table.string)
        guard from.contains("@") else { throw table.error("from", "'\(from)' has no email address") }
        let settings = EmailSettings(
            server: server, security: security, from: from, username: try table.string("username"), password: try table.string("password"),
            authentication: try table.string("auth").map { (text) throws(ConfigError) in
                let upper = text.uppercased()
                guard ["PLAIN", "LOGIN"].contains(upper) else { throw table.error("auth", "'\(text)' is not PLAIN or LOGIN") }
                return upper
            },
            caFile: try table.string("ca_file"))
        if (settings.username == nil) != (settings.password == nil) { throw table.error(settings.username == nil ? "password" : "username", "username and password go together") }
        if settings.username != nil && security == .none { throw table.error("security", "a password is not sent without TLS; use starttls or tls") }
        try table.rejectUnknownKeys()
        return settings
    }

    /// The address part of `from` ("Charger <c@example.org>" → "c@example.org").
    public var fromAddress: String {
        guard let open = from.firstIndex(of: "<"), let close = from.lastIndex(of: ">"), open < close else { return from }
        return String(from[from.index(after: open)..<close])
    }
}

/// `[sms]`: a GSM modem on a serial port (`modem`), or an HTTP SMS gateway (`gateway_url`).
public enum SMSSettings: Sendable {
    case modem(device: String, baudRate: Int, simPIN: String?)
    /// `body` is a template with {to} and {text}; the values are encoded for `contentType`.
    case gateway(endpoint: Endpoint, body: AlertTemplate, contentType: String, username: String?, password: String?, caFile: String?)

    static func read(_ table: ConfigTable) throws(ConfigError) -> SMSSettings {
        let device = try table.string("modem")
        let url = try table.string("gateway_url")
        let settings: SMSSettings
        switch (device, url) {
        case (let device?, nil):
            let baud = try table.integer("baud", default: 115_200, in: 1200...921_600)
            guard [1200, 2400, 4800, 9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600].contains(baud) else {
                throw table.error("baud", "\(baud) is not a standard baud rate")
            }
            settings = .modem(device: device, baudRate: baud, simPIN: try table.string("sim_pin"))
        case (nil, let url?):
            let endpoint = try Endpoint(url, schemes: ["http", "https"], table: table, key: "gateway_url")
            let contentType = try table.choice("gateway_content_type", of: ["application/x-www-form-urlencoded", "application/json"],
                                               default: "application/x-www-form-urlencoded")
            let source = try table.string("gateway_body") ?? (contentType == "application/json" ? "{{\"to\": {to}, \"text\": {text}}}" : "to={to}&text={text}")
            let body: AlertTemplate
            do throws(TemplateError) { body = try AlertTemplate(source, allowed: ["to", "text", "charger"]) } catch {
                throw table.error("gateway_body", error.problem)
            }
            settings = .gateway(endpoint: endpoint, body: body, contentType: contentType, username: try table.string("username"),
                                password: try table.string("password"), caFile: try table.string("ca_file"))
        case (nil, nil):
            throw table.error(nil, "[sms] needs either modem = \"/dev/tty…\" or gateway_url = \"https://…\"")
        case (.some, .some):
            throw table.error("gateway_url", "[sms] takes a modem or a gateway, not both")
        }
        try table.rejectUnknownKeys()
        return settings
    }
}

/// `[webhook]`: how owners' webhooks are called. Each POST carries the JSON alert and, with a
/// secret, `X-Evsed-Signature: sha256=<HMAC-SHA256 of the body, hex>`.
public struct WebhookSettings: Sendable {
    public var secret: String?
    public var caFile: String?

    static func read(_ table: ConfigTable) throws(ConfigError) -> WebhookSettings {
        let settings = WebhookSettings(secret: try table.string("secret"), caFile: try table.string("ca_file"))
        if let secret = settings.secret, secret.utf8.count < 16 { throw table.error("secret", "a secret of \(secret.utf8.count) bytes is too short to sign with (16 or more)") }
        try table.rejectUnknownKeys()
        return settings
    }
}

/// `[mqtt]`: the broker. Alerts go to each owner's topic with QoS 1; the charger's live state to
/// `state_topic`, retained.
public struct MQTTSettings: Sendable {
    public var broker: Endpoint
    public var username: String?
    public var password: String?
    public var clientID: String?
    /// "{charger}" is replaced by the charger's name.
    public var stateTopic: String
    public var caFile: String?
    /// Home Assistant's MQTT discovery (`home_assistant = true`) under `discovery_prefix`.
    public var homeAssistant = false
    public var discoveryPrefix = "homeassistant"
    /// Commands on the charger's own topics (`commands = true`; needs username and password).
    public var commands = false

    static func read(_ table: ConfigTable) throws(ConfigError) -> MQTTSettings {
        let host = try table.required("host", table.string)
        let tls = try table.string("ca_file")
        let port = try table.integer("port", default: tls == nil ? 1883 : 8883, in: 1...65_535)
        var settings = MQTTSettings(
            broker: Endpoint(host: host, port: port, location: table.error("host", "")), username: try table.string("username"), password: try table.string("password"),
            clientID: try table.string("client_id"), stateTopic: try table.string("state_topic") ?? "evsed/{charger}/state", caFile: tls)
        if settings.stateTopic.contains("+") || settings.stateTopic.contains("#") { throw table.error("state_topic", "no wildcards in a topic to publish to") }
        settings.homeAssistant = try table.bool("home_assistant", default: false)
        settings.discoveryPrefix = try table.string("discovery_prefix") ?? "homeassistant"
        if settings.discoveryPrefix.isEmpty || settings.discoveryPrefix.contains("+") || settings.discoveryPrefix.contains("#") {
            throw table.error("discovery_prefix", "'\(settings.discoveryPrefix)' is not a topic prefix (no wildcards)")
        }
        settings.commands = try table.bool("commands", default: false)
        if settings.commands && (settings.username == nil || settings.password == nil) {
            throw table.error("commands", "commands change the charger: they need an authenticated broker connection (username and password)")
        }
        try table.rejectUnknownKeys()
        return settings
    }
}

/// `[ntfy]`: an ntfy server (ntfy.sh or one's own). Each owner's `ntfy` is their topic; an access
/// token is needed for a protected topic.
public struct NtfySettings: Sendable {
    public var server: Endpoint
    public var token: String?
    public var caFile: String?

    static func read(_ table: ConfigTable) throws(ConfigError) -> NtfySettings {
        let url = try table.string("server") ?? "https://ntfy.sh"
        let settings = NtfySettings(server: try Endpoint(url.hasSuffix("/") ? String(url.dropLast()) : url, schemes: ["http", "https"], table: table, key: "server"),
                                    token: try table.string("token"), caFile: try table.string("ca_file"))
        if let token = settings.token, token.isEmpty || !token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
            throw table.error("token", "an access token is letters, digits, _ and - (tk_…)")
        }
        try table.rejectUnknownKeys()
        return settings
    }

    /// A topic ntfy takes: 1 to 64 letters, digits, `_` and `-`.
    static func isTopic(_ text: String) -> Bool {
        (1...64).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}

/// `[pushover]`: the charger's Pushover application token. Each owner's `pushover` is their
/// user (or group) key.
public struct PushoverSettings: Sendable {
    public var token: String
    /// The API's messages endpoint (changed for tests only).
    public var endpoint: Endpoint
    public var caFile: String?

    static func read(_ table: ConfigTable) throws(ConfigError) -> PushoverSettings {
        let token = try table.required("token", table.string)
        guard isKey(token) else { throw table.error("token", "a Pushover application token is 30 letters and digits") }
        let url = try table.string("api_url") ?? "https://api.pushover.net/1/messages.json"
        let settings = PushoverSettings(token: token, endpoint: try Endpoint(url, schemes: ["http", "https"], table: table, key: "api_url"),
                                        caFile: try table.string("ca_file"))
        try table.rejectUnknownKeys()
        return settings
    }

    /// Pushover's application tokens and user keys: 30 letters and digits.
    static func isKey(_ text: String) -> Bool { text.count == 30 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
}

/// `[telegram]`: the charger's Telegram bot. Each owner's `telegram` is the chat id the bot
/// writes to (the owner starts a chat with the bot first), or `@channel`.
public struct TelegramSettings: Sendable {
    public var botToken: String
    /// The Bot API's base URL (changed for tests, or a local Bot API server).
    public var api: Endpoint
    public var caFile: String?

    static func read(_ table: ConfigTable) throws(ConfigError) -> TelegramSettings {
        let token = try table.required("bot_token", table.string)
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isNumber), parts[1].count >= 20,
              parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { throw table.error("bot_token", "a bot token is the bot's number, ':' and its secret (123456789:AA…), as BotFather gives it") }
        let url = try table.string("api_url") ?? "https://api.telegram.org"
        let settings = TelegramSettings(botToken: token, api: try Endpoint(url.hasSuffix("/") ? String(url.dropLast()) : url, schemes: ["http", "https"],
                                                                           table: table, key: "api_url"),
                                        caFile: try table.string("ca_file"))
        try table.rejectUnknownKeys()
        return settings
    }

    /// A chat id (digits, negative for a group) or a public channel's `@name`.
    static func isChat(_ text: String) -> Bool {
        if text.hasPrefix("@") { return text.count >= 6 && text.count <= 33 && text.dropFirst().allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        return (1...20).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
