import EVSECore
import Sessions

/// Push notifications to the apps owners already have: ntfy, Pushover and Telegram, each through
/// its documented HTTPS API and libcurl. A problem (a fault, a power cut) goes with a high
/// priority; the text is cut to what each service takes, and a 4xx answer is not retried.
enum PushText {
    /// `text` cut to `limit` characters, ending with "…" when cut.
    static func cut(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    static func isProblem(_ message: OutgoingMessage) -> Bool { AlertKind(rawValue: message.kind)?.isProblem ?? false }
}

/// ntfy: the alert published as JSON to the server's root (`topic`, `title`, `message`,
/// `priority` 4 for a problem, 3 otherwise, `tags`); a protected topic with `Authorization: Bearer`.
public final class NtfyChannel: AlertChannel {
    public let kind = ChannelKind.ntfy
    private let settings: NtfySettings
    private let timeout: Duration

    public init(settings: NtfySettings, timeout: Duration) {
        self.settings = settings
        self.timeout = timeout
    }

    /// The request's body for `message`.
    static func body(_ message: OutgoingMessage) -> String {
        var body = JSONLine()
        body.add("topic", message.address)
        body.add("title", PushText.cut(message.subject, to: 250))
        body.add("message", PushText.cut(message.text, to: 4000))
        body.add("priority", PushText.isProblem(message) ? 4 : 3)
        body.add("tags", json: PushText.isProblem(message) ? "[\"warning\",\"electric_plug\"]" : "[\"electric_plug\"]")
        return body.description
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        var headers = ["X-Evsed-Delivery: \(message.deliveryID)"]
        if let token = settings.token { headers.append("Authorization: Bearer \(token)") }
        do throws(DeliveryError) {
            try HTTPPost.send(to: settings.server.url, body: Self.body(message), contentType: "application/json", headers: headers,
                              timeout: timeout, caFile: settings.caFile)
        } catch {
            throw DeliveryError("ntfy \(message.address): \(error.problem)", permanent: error.permanent)
        }
    }
}

/// Pushover: `token`, `user`, `title`, `message` (1024 characters at most), `priority` (1 for a
/// problem: it sounds in the user's quiet hours) and `timestamp`, form-encoded.
public final class PushoverChannel: AlertChannel {
    public let kind = ChannelKind.pushover
    private let settings: PushoverSettings
    private let timeout: Duration

    public init(settings: PushoverSettings, timeout: Duration) {
        self.settings = settings
        self.timeout = timeout
    }

    static func body(_ message: OutgoingMessage, token: String) -> String {
        var fields = [("token", token), ("user", message.address), ("title", PushText.cut(message.subject, to: 250)),
                      ("message", PushText.cut(message.text, to: 1024)), ("priority", PushText.isProblem(message) ? "1" : "0")]
        // Pushover's timestamp is a Unix time in whole seconds.
        if let raised = Timestamp(parsing: message.raisedAt) { fields.append(("timestamp", String(raised.milliseconds / 1000))) }
        return fields.map { "\($0.0)=\(SMSGatewayChannel.formEncoded($0.1))" }.joined(separator: "&")
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        do throws(DeliveryError) {
            try HTTPPost.send(to: settings.endpoint.url, body: Self.body(message, token: settings.token), contentType: "application/x-www-form-urlencoded",
                              timeout: timeout, caFile: settings.caFile)
        } catch {
            throw DeliveryError("pushover \(message.address.prefix(6))…: \(error.problem)", permanent: error.permanent)
        }
    }
}

/// Telegram: the bot's `sendMessage` with `chat_id` and `text` (the subject, then the text; 4096
/// characters at most), plain text, silent for news and not for problems.
public final class TelegramChannel: AlertChannel {
    public let kind = ChannelKind.telegram
    private let settings: TelegramSettings
    private let timeout: Duration

    public init(settings: TelegramSettings, timeout: Duration) {
        self.settings = settings
        self.timeout = timeout
    }

    static func body(_ message: OutgoingMessage) -> String {
        var body = JSONLine()
        if message.address.hasPrefix("@") { body.add("chat_id", message.address) } else { body.add("chat_id", json: message.address) }
        body.add("text", PushText.cut(message.subject + "\n\n" + message.text, to: 4096))
        body.add("disable_notification", !PushText.isProblem(message))
        return body.description
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        do throws(DeliveryError) {
            try HTTPPost.send(to: "\(settings.api.url)/bot\(settings.botToken)/sendMessage", body: Self.body(message), contentType: "application/json",
                              timeout: timeout, caFile: settings.caFile)
        } catch {
            // The bot's token is in the URL: the error names the chat, never the URL.
            let problem = error.problem.replacing(settings.botToken, with: "<bot token>")
            throw DeliveryError("telegram \(message.address): \(problem)", permanent: error.permanent)
        }
    }
}
