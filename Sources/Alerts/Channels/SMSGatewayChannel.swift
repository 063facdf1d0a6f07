import EVSECore

/// SMS through an HTTP gateway: a POST whose body is the configured template with {to} and
/// {text} encoded for its content type. A long text goes as several numbered messages.
public final class SMSGatewayChannel: AlertChannel {
    public let kind = ChannelKind.sms
    private let url: String
    private let body: AlertTemplate
    private let contentType: String
    private let credentials: (String, String)?
    private let caFile: String?
    private let timeout: Duration
    private let charger: String

    public init(url: String, body: AlertTemplate, contentType: String, username: String?, password: String?, caFile: String?, timeout: Duration, charger: String) {
        self.url = url
        self.body = body
        self.contentType = contentType
        self.credentials = username.flatMap { user in password.map { (user, $0) } }
        self.caFile = caFile
        self.timeout = timeout
        self.charger = charger
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        for part in SMSText.split(message.sms) {
            let json = contentType == "application/json"
            func encode(_ value: String) -> String { json ? JSONLine.quote(value) : Self.formEncoded(value) }
            let text = body.render(["to": encode(message.address), "text": encode(part), "charger": encode(charger)])
            do throws(DeliveryError) {
                try HTTPPost.send(to: url, body: text, contentType: contentType, headers: ["X-Evsed-Delivery: \(message.deliveryID)"],
                                  credentials: credentials, timeout: timeout, caFile: caFile)
            } catch {
                throw DeliveryError("SMS gateway \(url) for \(message.address): \(error.problem)", permanent: error.permanent)
            }
        }
    }

    /// application/x-www-form-urlencoded: unreserved characters as they are, space as +, the rest %XX.
    static func formEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                result += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (byte < 16 ? "0" : "") + hex
            }
        }
        return result
    }
}
