import Crypto
import FoundationEssentials

/// The owner's webhook (their app's push endpoint): a POST of the alert as JSON. With a secret,
/// `X-Evsed-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body, so the receiver can
/// tell the charger sent it; `X-Evsed-Delivery` is the delivery's stable id.
public final class WebhookChannel: AlertChannel {
    public let kind = ChannelKind.webhook
    private let settings: WebhookSettings
    private let timeout: Duration

    public init(settings: WebhookSettings, timeout: Duration) {
        self.settings = settings
        self.timeout = timeout
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        var headers = ["X-Evsed-Delivery: \(message.deliveryID)", "X-Evsed-Alert: \(message.kind)"]
        if let secret = settings.secret { headers.append("X-Evsed-Signature: sha256=\(Self.signature(of: message.document, secret: secret))") }
        do throws(DeliveryError) {
            try HTTPPost.send(to: message.address, body: message.document, contentType: "application/json", headers: headers,
                              timeout: timeout, caFile: settings.caFile)
        } catch {
            throw DeliveryError("webhook \(message.address): \(error.problem)", permanent: error.permanent)
        }
    }

    /// HMAC-SHA256 of `body` under `secret`, lower-case hex.
    public static func signature(of body: String, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
