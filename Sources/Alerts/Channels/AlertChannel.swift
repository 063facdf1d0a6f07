/// A message on its way to one address through one channel.
public struct OutgoingMessage: Hashable, Sendable {
    /// Stable across attempts ("<charger>-<alert>-<delivery>"), so a receiver can drop duplicates.
    public var deliveryID: String
    public var address: String
    public var kind: String
    public var subject: String
    public var text: String
    public var sms: String
    /// The alert as a JSON object (webhook and MQTT documents).
    public var document: String
    /// When the alert was raised, RFC 3339 UTC.
    public var raisedAt: String

    public init(deliveryID: String, address: String, kind: String, subject: String, text: String, sms: String, document: String, raisedAt: String) {
        self.deliveryID = deliveryID
        self.address = address
        self.kind = kind
        self.subject = subject
        self.text = text
        self.sms = sms
        self.document = document
        self.raisedAt = raisedAt
    }
}

/// One way of reaching an owner. `deliver` returns once the peer took the message (the SMTP
/// server queued it, the webhook answered 2xx, the broker acknowledged it, the modem reported
/// the SMS's reference) and throws otherwise. Called from the delivery worker's thread only.
public protocol AlertChannel: AnyObject {
    var kind: ChannelKind { get }
    func deliver(_ message: OutgoingMessage) throws(DeliveryError)
}

/// Why a delivery failed, in words for the outbox; `permanent` when trying again cannot help
/// (a recipient the server refuses, a webhook that answers 4xx).
public struct DeliveryError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problem: String
    public var permanent: Bool

    public init(_ problem: String, permanent: Bool = false) {
        self.problem = problem
        self.permanent = permanent
    }

    public var description: String { problem }
}
