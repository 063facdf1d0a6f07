import Billing
import CCurl
import FoundationEssentials
import Ledger
import Sessions

/// Email through an SMTP server (libcurl): STARTTLS on smtp://, TLS from the start on smtps://,
/// AUTH PLAIN or LOGIN. The Message-ID carries the delivery id, so a retried mail is recognisable.
public final class EmailChannel: AlertChannel {
    public let kind = ChannelKind.email
    private let settings: EmailSettings
    private let timeout: Duration
    /// The mail's `Date`: when it is sent.
    private let wallTime: any WallTime

    public init(settings: EmailSettings, timeout: Duration, wallTime: any WallTime = SystemWallTime()) {
        self.settings = settings
        self.timeout = timeout
        self.wallTime = wallTime
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        let transfer = try CurlTransfer(url: settings.server.url, timeout: timeout, caFile: settings.caFile)
        switch settings.security {
        case .starttls, .tls: try transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        case .none: try transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        }
        try transfer.set(CURLOPT_MAIL_FROM, string: "<\(settings.fromAddress)>")
        try transfer.set(CURLOPT_MAIL_RCPT, list: ["<\(message.address)>"])
        if let username = settings.username, let password = settings.password {
            try transfer.set(CURLOPT_USERNAME, string: username)
            try transfer.set(CURLOPT_PASSWORD, string: password)
            if let mechanism = settings.authentication { try transfer.set(CURLOPT_LOGIN_OPTIONS, string: "AUTH=\(mechanism)") }
        }
        try transfer.setUpload(Array(mail(message).utf8))
        do throws(DeliveryError) {
            try transfer.perform()
        } catch {
            throw DeliveryError("email to \(message.address) via \(settings.server): \(error.problem)", permanent: error.permanent)
        }
    }

    /// The mail: RFC 5322 headers, a UTF-8 plain-text body, CRLF line ends.
    func mail(_ message: OutgoingMessage) -> String {
        let domain = settings.fromAddress.split(separator: "@").last.map(String.init) ?? "evsed.invalid"
        let headers = [
            "Date: \(Self.date(wallTime.now()))",
            "From: \(settings.from)",
            "To: <\(message.address)>",
            "Subject: \(Self.encodedWord(message.subject))",
            "Message-ID: <\(message.deliveryID)@\(domain)>",
            "X-Evsed-Alert: \(message.kind)",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        let body = message.text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }

    /// A header value: as is when ASCII, else an RFC 2047 encoded word.
    static func encodedWord(_ text: String) -> String {
        text.allSatisfy(\.isASCII) ? text : "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    /// "Wed, 25 Nov 2026 13:36:13 +0000" (RFC 5322, in UTC).
    static func date(_ timestamp: Timestamp) -> String {
        let civil = CivilTime(utcMilliseconds: timestamp.milliseconds, offsetSeconds: 0)
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[civil.weekday - 1]), \(two(civil.day)) \(months[civil.month - 1]) \(civil.year) \(two(civil.secondOfDay / 3600)):\(two(civil.secondOfDay / 60 % 60)):\(two(civil.secondOfDay % 60)) +0000"
    }
}
