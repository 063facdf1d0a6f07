import EVSECore
import FoundationEssentials
import Sessions

/// An owner's statement of a period: their closed sessions with energy, cost and the card that
/// started each, and the totals — the document an employer reimburses. Read from the ledger's
/// bills; the totals are their sums, exact, per currency.
public struct Statement: Sendable {
    public struct Line: Sendable, Equatable {
        public var session: Int64
        public var start: Timestamp
        public var end: Timestamp?
        public var energyWh: Int64
        public var currency: String?
        /// The bill's amounts as the ledger keeps them (exact decimals); nil without a tariff.
        public var excludingVAT: String?
        public var vat: String?
        public var includingVAT: String?
        public var tariff: String?
        /// Whether the session's times were taken with a synchronised clock (nil: not recorded).
        public var clock: ClockStatus?
        /// The card (RFID UID, OCPP idTag) the session started with, when one did.
        public var card: String?
    }

    public struct Total: Sendable, Equatable {
        public var currency: String?
        public var sessions: Int
        public var energyWh: Int64
        public var excludingVAT: Decimal
        public var vat: Decimal
        public var includingVAT: Decimal
    }

    public var charger: String
    public var owner: String
    public var from: Timestamp
    public var until: Timestamp
    public var lines: [Line]
    /// Sessions of the owner in the period that are not closed yet: not on the statement.
    public var openSessions: Int

    /// The tariffs in force, by id, in the order they first appear.
    public var tariffs: [String] {
        var seen: [String] = []
        for line in lines { if let tariff = line.tariff, !seen.contains(tariff) { seen.append(tariff) } }
        return seen
    }

    /// The totals per currency (sessions without a tariff count under no currency).
    public var totals: [Total] {
        var totals: [Total] = []
        for line in lines {
            let index = totals.firstIndex { $0.currency == line.currency } ?? {
                totals.append(Total(currency: line.currency, sessions: 0, energyWh: 0, excludingVAT: 0, vat: 0, includingVAT: 0))
                return totals.count - 1
            }()
            totals[index].sessions += 1
            totals[index].energyWh += line.energyWh
            totals[index].excludingVAT += line.excludingVAT.flatMap { Decimal(string: $0) } ?? 0
            totals[index].vat += line.vat.flatMap { Decimal(string: $0) } ?? 0
            totals[index].includingVAT += line.includingVAT.flatMap { Decimal(string: $0) } ?? 0
        }
        return totals
    }
}

extension Ledger {
    /// The owners with sessions started in [from, until).
    public func owners(from: Timestamp, until: Timestamp) throws(LedgerError) -> [String] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT DISTINCT owner FROM sessions WHERE owner IS NOT NULL AND started_ms >= ? AND started_ms < ? ORDER BY owner",
                               [.integer(from.milliseconds), .integer(until.milliseconds)]) { $0.text(0) }
        }
    }

    /// Whether `owner`'s statement of `month` is in the outbox already (an alert of kind
    /// `statement`): the alert itself is the record that it was sent, once.
    public func statementAlerted(owner: String, month: String) throws(LedgerError) -> Bool {
        try read { () throws(SQLiteError) in
            var fact = JSONLine()
            fact.add("month", month)
            let pattern = "%" + String(fact.description.dropFirst().dropLast()) + "%"
            return try !database.query("SELECT 1 FROM alerts WHERE kind = 'statement' AND owner = ? AND facts LIKE ? LIMIT 1",
                                       [.text(owner), .text(pattern)]) { $0.integer(0) }.isEmpty
        }
    }

    /// `owner`'s statement of the sessions started in [from, until).
    public func statement(owner: String, from: Timestamp, until: Timestamp) throws(LedgerError) -> Statement {
        let sessions = try self.sessions(since: from, until: until).filter { $0.owner == owner }
        let cards = try read { () throws(SQLiteError) in
            guard schemaVersion >= 5 else { return [Int64: String]() }
            return Dictionary(try database.query("SELECT session, id_tag FROM ocpp_transactions WHERE session >= ?",
                                                 [.integer(sessions.first?.id ?? 0)]) { ($0.integer(0), $0.text(1)) }, uniquingKeysWith: { $1 })
        }
        let lines = sessions.filter(\.closed).map { session in
            Statement.Line(session: session.id, start: session.startedAt, end: session.endedAt, energyWh: session.energyWh, currency: session.currency,
                           excludingVAT: session.costExcludingVAT, vat: session.costVAT, includingVAT: session.costIncludingVAT,
                           tariff: session.tariffID, clock: session.clockStatus, card: session.card ?? cards[session.id])
        }
        return Statement(charger: chargerID, owner: owner, from: from, until: until, lines: lines,
                         openSessions: sessions.count - lines.count)
    }
}
