import EVSECore
import Ledger
import Sessions

/// Puts the rules' alerts into words and into the outbox: each alert is rendered once from its
/// templates, routed to its owner's channels, and stored with its deliveries in one transaction
/// before anyone is told (the journal line comes after). Without a ledger (`evsed simulate`
/// without one) the alerts are only shown.
public struct AlertPublisher {
    public var rules: AlertRules
    public let ledger: Ledger?
    /// Called once alerts with deliveries were stored (the daemon wakes its delivery threads).
    public var stored: (@Sendable () -> Void)?

    /// An alert as it left the rules: its words, its deliveries, and whether the outbox took it.
    public struct Published: Sendable {
        public var alert: Alert
        public var message: AlertMessage
        public var deliveries: [NewDelivery]
        public var error: LedgerError?
    }

    public init(rules: AlertRules, ledger: Ledger?) {
        self.rules = rules
        self.ledger = ledger
    }

    public mutating func observe(_ event: TimedEvent, books: SessionBooks) -> [Published] {
        publish(rules.observe(event, books: books))
    }

    public mutating func observe(_ change: SessionBooks.Change) -> [Published] {
        publish(rules.observe(change))
    }

    public func publish(_ alerts: [Alert]) -> [Published] {
        let results = alerts.map { alert in
            let configuration = rules.configuration
            let message = configuration.templates[alert.kind].render(alert.facts)
            let deliveries = AlertRouting.deliveries(for: alert, configuration: configuration)
            var published = Published(alert: alert, message: message, deliveries: deliveries)
            if let ledger {
                var facts = JSONLine()
                for key in alert.facts.keys.sorted() { facts.add(key, alert.facts[key]!) }
                do throws(LedgerError) {
                    try ledger.enqueueAlert(NewAlert(
                        at: alert.at, kind: alert.kind.rawValue, session: alert.session.map { Int64($0.rawValue) }, owner: alert.owner,
                        subject: message.subject, text: message.text, sms: message.sms, facts: facts.description), deliveries: deliveries)
                } catch {
                    published.error = error
                }
            }
            return published
        }
        if results.contains(where: { $0.error == nil && $0.deliveries.contains { $0.skipped == nil } }) { stored?() }
        return results
    }
}
