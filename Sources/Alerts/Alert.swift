import EVSECore
import Ledger
import Sessions

/// One alert, as the rules raise it: what happened, to which session and owner, and the facts its
/// templates fill in (already formatted, with their units and currency).
public struct Alert: Hashable, Sendable {
    public var kind: AlertKind
    public var at: Timestamp
    public var session: SessionID?
    /// The owner it is for; nil when the charger has no owner for it (then only the journal hears).
    public var owner: String?
    public var facts: [String: String]

    public init(kind: AlertKind, at: Timestamp, session: SessionID?, owner: String?, facts: [String: String] = [:]) {
        self.kind = kind
        self.at = at
        self.session = session
        self.owner = owner
        self.facts = facts
    }
}

/// An alert in words, once: what every channel sends and what the outbox keeps.
public struct AlertMessage: Hashable, Sendable {
    public var subject: String
    /// The full text (email, webhook, MQTT, the journal).
    public var text: String
    /// The short text for SMS, in GSM-7 characters where the template allows.
    public var sms: String

    public init(subject: String, text: String, sms: String) {
        self.subject = subject
        self.text = text
        self.sms = sms
    }
}
