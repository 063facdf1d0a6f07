import Sessions

/// The alerts outbox: alerts and their deliveries, kept with the books so that an alert is as
/// durable as the session it is about. The control side adds alerts; the delivery worker, on its
/// own connection, takes the due deliveries and records each attempt.
extension Ledger {
    /// Stores `alert` and its deliveries in one transaction; returns the alert's id.
    @discardableResult
    public func enqueueAlert(_ alert: NewAlert, deliveries: [NewDelivery]) throws(LedgerError) -> Int64 {
        try write { () throws(SQLiteError) in
            try database.run("INSERT INTO alerts(created_ms, kind, session, owner, subject, text, sms, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             .integer(alert.at.milliseconds), .text(alert.kind), .optional(alert.session), .optional(alert.owner),
                             .text(alert.subject), .text(alert.text), .text(alert.sms), .text(alert.facts))
            let id = try database.query("SELECT last_insert_rowid()") { $0.integer(0) }.first ?? 0
            for delivery in deliveries {
                try database.run("""
                    INSERT OR IGNORE INTO deliveries(alert, channel, address, state, next_attempt_ms, last_error, done_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, .integer(id), .text(delivery.channel), .text(delivery.address), .text(delivery.skipped == nil ? "pending" : "skipped"),
                    .integer(delivery.notBefore.milliseconds), .optional(delivery.skipped), .optional(delivery.skipped == nil ? nil : alert.at.milliseconds))
            }
            return id
        }
    }

    /// Pending deliveries on `channel` whose time has come, oldest first.
    public func dueDeliveries(on channel: String, at now: Timestamp, limit: Int = 16) throws(LedgerError) -> [OutboxEntry] {
        try read { () throws(SQLiteError) in
            try database.query(OutboxEntry.select + " WHERE d.state = 'pending' AND d.channel = ? AND d.next_attempt_ms <= ? ORDER BY d.next_attempt_ms, d.id LIMIT ?",
                               [.text(channel), .integer(now.milliseconds), .int(limit)], OutboxEntry.init)
        }
    }

    /// Records an attempt at delivery `id`: delivered (`error` nil), or failed and tried again at
    /// `retryAt`, or failed for good (`retryAt` nil: expired).
    public func recordAttempt(_ id: Int64, at now: Timestamp, error: String?, retryAt: Timestamp?) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("INSERT INTO delivery_attempts(delivery, at_ms, error) VALUES (?, ?, ?)", .integer(id), .integer(now.milliseconds), .optional(error))
            if error == nil {
                try database.run("UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, done_ms = ? WHERE id = ?", .integer(now.milliseconds), .integer(id))
            } else if let retryAt {
                try database.run("UPDATE deliveries SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE id = ?",
                                 .integer(retryAt.milliseconds), .optional(error), .integer(id))
            } else {
                try database.run("UPDATE deliveries SET state = 'expired', attempts = attempts + 1, last_error = ?, done_ms = ? WHERE id = ?",
                                 .optional(error), .integer(now.milliseconds), .integer(id))
            }
        }
    }

    /// The outbox, newest first: every delivery, or only the pending ones.
    public func outbox(pendingOnly: Bool = false, limit: Int = 50) throws(LedgerError) -> [OutboxEntry] {
        guard schemaVersion >= 2 else { return [] }
        return try read { () throws(SQLiteError) in
            try database.query(OutboxEntry.select + (pendingOnly ? " WHERE d.state = 'pending'" : "") + " ORDER BY a.id DESC, d.id LIMIT ?",
                               [.int(limit)], OutboxEntry.init)
        }
    }

    /// The alerts newest first, with or without deliveries (an alert for nobody has none).
    public func alerts(limit: Int = 50) throws(LedgerError) -> [StoredAlert] {
        guard schemaVersion >= 2 else { return [] }
        return try read { () throws(SQLiteError) in
            try database.query("SELECT id, created_ms, kind, session, owner, subject, text, sms FROM alerts ORDER BY id DESC LIMIT ?", [.int(limit)]) { row in
                StoredAlert(id: row.integer(0), at: Timestamp(milliseconds: row.integer(1)), kind: row.text(2), session: row.optionalInteger(3),
                            owner: row.optionalText(4), subject: row.text(5), text: row.text(6), sms: row.text(7))
            }
        }
    }

    /// The attempts at delivery `id`, in order.
    public func attempts(ofDelivery id: Int64) throws(LedgerError) -> [(at: Timestamp, error: String?)] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT at_ms, error FROM delivery_attempts WHERE delivery = ? ORDER BY rowid", [.integer(id)]) {
                (Timestamp(milliseconds: $0.integer(0)), $0.optionalText(1))
            }
        }
    }
}

/// An alert to store, in words.
public struct NewAlert: Sendable {
    public var at: Timestamp
    public var kind: String
    public var session: Int64?
    public var owner: String?
    public var subject: String
    public var text: String
    public var sms: String
    /// The facts as a JSON object, for the webhook and MQTT documents.
    public var facts: String

    public init(at: Timestamp, kind: String, session: Int64?, owner: String?, subject: String, text: String, sms: String, facts: String) {
        self.at = at
        self.kind = kind
        self.session = session
        self.owner = owner
        self.subject = subject
        self.text = text
        self.sms = sms
        self.facts = facts
    }
}

/// A delivery to store with its alert.
public struct NewDelivery: Hashable, Sendable {
    public var channel: String
    public var address: String
    /// Not attempted before this.
    public var notBefore: Timestamp
    /// Why it is not sent at all ("quiet hours"); nil for a delivery to make.
    public var skipped: String?

    public init(channel: String, address: String, notBefore: Timestamp, skipped: String? = nil) {
        self.channel = channel
        self.address = address
        self.notBefore = notBefore
        self.skipped = skipped
    }
}

/// A stored alert.
public struct StoredAlert: Hashable, Sendable {
    public var id: Int64
    public var at: Timestamp
    public var kind: String
    public var session: Int64?
    public var owner: String?
    public var subject: String
    public var text: String
    public var sms: String
}

/// A delivery with its alert, as the outbox holds it.
public struct OutboxEntry: Hashable, Sendable {
    public var id: Int64
    public var alert: Int64
    public var channel: String
    public var address: String
    /// pending, delivered, expired or skipped.
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Timestamp
    public var lastError: String?
    public var doneAt: Timestamp?
    public var createdAt: Timestamp
    public var kind: String
    public var session: Int64?
    public var owner: String?
    public var subject: String
    public var text: String
    public var sms: String
    public var facts: String

    static let select = """
        SELECT d.id, d.alert, d.channel, d.address, d.state, d.attempts, d.next_attempt_ms, d.last_error, d.done_ms,
               a.created_ms, a.kind, a.session, a.owner, a.subject, a.text, a.sms, a.facts
        FROM deliveries d JOIN alerts a ON a.id = d.alert
        """

    init(_ row: SQLiteStatement) {
        id = row.integer(0)
        alert = row.integer(1)
        channel = row.text(2)
        address = row.text(3)
        state = row.text(4)
        attempts = Int(row.integer(5))
        nextAttemptAt = Timestamp(milliseconds: row.integer(6))
        lastError = row.optionalText(7)
        doneAt = row.optionalInteger(8).map(Timestamp.init(milliseconds:))
        createdAt = Timestamp(milliseconds: row.integer(9))
        kind = row.text(10)
        session = row.optionalInteger(11)
        owner = row.optionalText(12)
        subject = row.text(13)
        text = row.text(14)
        sms = row.text(15)
        facts = row.text(16)
    }
}
