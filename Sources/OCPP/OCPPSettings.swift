import ConfigFile
import FoundationEssentials

/// The `[ocpp]` table of a board file: which central system, who this charge point is to it,
/// and how it proves it (OCPP 1.6 security profiles 0, 1 and 2).
///
/// ```toml
/// [ocpp]
/// central_system = "wss://csms.example.net/ocpp"   # the charge box id is appended
/// charge_box_id = "garage-1"
/// security_profile = 2                             # 0: none, 1: Basic auth over ws://, 2: Basic auth over wss://
/// authorization_key = "0123456789abcdef0123"         # profiles 1 and 2
/// ca_file = "/etc/evsed/csms-ca.pem"                # profile 2; default: the system's CAs
/// id_tag = "evsed"                                  # the idTag of sessions no card or central system named
/// reconnect_first_s = 5
/// reconnect_max_s = 300
/// set_clock = false                                 # the central system's time while NTP has not set the clock
/// ```
public struct OCPPSettings: Sendable, Equatable {
    public var centralSystem: WebSocketURL
    public var chargeBoxId: String
    public var securityProfile: Int
    public var authorizationKey: String?
    public var caFile: String?
    public var idTag: String
    public var reconnectFirst: Duration
    public var reconnectMaximum: Duration
    /// Set the system clock from the central system's time (boot and heartbeat answers) while
    /// NTP has not synchronised it: for boards with no battery-backed clock and no NTP server.
    public var setClock = false

    /// The URL evsed connects to: the central system's with the charge box id as its last segment.
    public var url: WebSocketURL { centralSystem.appending(pathSegment: chargeBoxId) }

    /// The `Authorization` header of profiles 1 and 2: the charge box id and the key (RFC 7617).
    public var authorization: String? {
        guard securityProfile >= 1, let key = authorizationKey else { return nil }
        return "Basic " + Data("\(chargeBoxId):\(key)".utf8).base64EncodedString()
    }

    public var endpoint: WebSocketClient.Endpoint {
        WebSocketClient.Endpoint(url: url, caFile: caFile, authorization: authorization, subprotocol: "ocpp1.6")
    }

    /// Reads the table; nil when the board has none (no central system: nothing of OCPP runs).
    public static func read(_ table: ConfigTable?) throws(ConfigError) -> OCPPSettings? {
        guard let table else { return nil }
        let urlText = try table.required("central_system") { (key) throws(ConfigError) in try table.string(key) }
        let url: WebSocketURL
        do throws(WebSocketURLError) { url = try WebSocketURL(urlText) } catch { throw table.error("central_system", error.description) }
        let id = try table.required("charge_box_id") { (key) throws(ConfigError) in try table.string(key) }
        // OCPP 1.6's chargeBoxIdentity is CiString25; it travels in the URL and the user name.
        guard (1...25).contains(id.count), id.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != ":" && $0 != "/" }) else {
            throw table.error("charge_box_id", "'\(id)' must be 1 to 25 ASCII characters without spaces, ':' or '/'")
        }
        let profile = try table.integer("security_profile", default: 0, in: 0...2)
        let key = try table.string("authorization_key")
        if profile >= 1 {
            guard let key else { throw table.error("authorization_key", "security profile \(profile) needs the key the central system gave this charge point") }
            guard (16...40).contains(key.utf8.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw table.error("authorization_key", "must be 16 to 40 ASCII characters without spaces (OCPP 1.6 security whitepaper)")
            }
        }
        if profile == 1 && url.secure {
            throw table.error("security_profile", "profile 1 is Basic auth over ws://; with wss:// use profile 2")
        }
        if profile == 2 && !url.secure {
            throw table.error("central_system", "security profile 2 needs a wss:// URL (TLS)")
        }
        let ca = try table.string("ca_file")
        if ca != nil && !url.secure { throw table.error("ca_file", "only a wss:// central system has a certificate to check") }
        let idTag = try table.string("id_tag") ?? "evsed"
        guard OCPP16.isIdTag(idTag) else {
            throw table.error("id_tag", "'\(idTag)' must be 1 to 20 ASCII characters without spaces (OCPP's IdToken)")
        }
        let first = try table.seconds("reconnect_first_s", in: 1...3600) ?? .seconds(5)
        let maximum = try table.seconds("reconnect_max_s", in: 1...86_400) ?? .seconds(300)
        guard maximum >= first else { throw table.error("reconnect_max_s", "must not be shorter than reconnect_first_s") }
        let setClock = try table.bool("set_clock", default: false)
        try table.rejectUnknownKeys()
        var settings = OCPPSettings(centralSystem: url, chargeBoxId: id, securityProfile: profile, authorizationKey: key, caFile: ca,
                                    idTag: idTag, reconnectFirst: first, reconnectMaximum: maximum)
        settings.setClock = setClock
        return settings
    }
}

