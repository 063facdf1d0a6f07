import Sessions

/// OCPP's durable queue and state, kept with the books: a transaction message is stored before
/// it is first sent, in the same database as the session it is about, and leaves the queue only
/// when the central system answered it (or after its last attempt).
extension Ledger {
    /// A queued transaction message.
    public struct OCPPMessage: Hashable, Sendable {
        public var seq: Int64
        public var session: Int64
        /// `StartTransaction`, `StopTransaction` or `MeterValues`.
        public var action: String
        /// A MeterValues' payload (without its transactionId, which is known when it is sent);
        /// nil for Start and Stop, made from the session's row when they are sent.
        public var payload: String?
        public var createdAt: Timestamp
        public var attempts: Int
    }

    /// Queues a transaction message; returns its sequence number.
    @discardableResult
    public func enqueueOCPP(session: Int64, action: String, payload: String?, at now: Timestamp) throws(LedgerError) -> Int64 {
        try write { () throws(SQLiteError) in
            try database.run("INSERT INTO ocpp_messages(session, action, payload, created_ms) VALUES (?, ?, ?, ?)",
                             .integer(session), .text(action), .optional(payload), .integer(now.milliseconds))
            return try database.query("SELECT last_insert_rowid()") { $0.integer(0) }.first ?? 0
        }
    }

    /// The pending messages, oldest first.
    public func pendingOCPPMessages(limit: Int = 64) throws(LedgerError) -> [OCPPMessage] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT seq, session, action, payload, created_ms, attempts FROM ocpp_messages WHERE state = 'pending' ORDER BY seq LIMIT ?",
                               [.int(limit)]) { row in
                OCPPMessage(seq: row.integer(0), session: row.integer(1), action: row.text(2), payload: row.optionalText(3),
                            createdAt: Timestamp(milliseconds: row.integer(4)), attempts: Int(row.integer(5)))
            }
        }
    }

    /// How many messages wait, and how many were given up.
    public func ocppQueueCounts() throws(LedgerError) -> (pending: Int, failed: Int) {
        try read { () throws(SQLiteError) in
            let pending = try database.query("SELECT COUNT(*) FROM ocpp_messages WHERE state = 'pending'") { $0.integer(0) }.first ?? 0
            let failed = try database.query("SELECT COUNT(*) FROM ocpp_messages WHERE state = 'failed'") { $0.integer(0) }.first ?? 0
            return (Int(pending), Int(failed))
        }
    }

    /// The actions queued for `session` so far (any state).
    public func ocppActions(session: Int64) throws(LedgerError) -> [String] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT action FROM ocpp_messages WHERE session = ? ORDER BY seq", [.integer(session)]) { $0.text(0) }
        }
    }

    /// An attempt at message `seq`: answered (`error` nil: it leaves the queue), failed and kept,
    /// or failed for the last time (`giveUp`).
    public func recordOCPPAttempt(_ seq: Int64, at now: Timestamp, error: String?, giveUp: Bool = false) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            if error == nil {
                try database.run("UPDATE ocpp_messages SET attempts = attempts + 1, state = 'done', done_ms = ? WHERE seq = ?",
                                 .integer(now.milliseconds), .integer(seq))
            } else {
                try database.run("UPDATE ocpp_messages SET attempts = attempts + 1, last_error = ?, state = ?, done_ms = ? WHERE seq = ?",
                                 .optional(error), .text(giveUp ? "failed" : "pending"), giveUp ? .integer(now.milliseconds) : .null, .integer(seq))
            }
        }
    }

    /// The OCPP transaction of a session: the idTag it started with and, once the central system
    /// answered its StartTransaction, the transaction id.
    public struct OCPPTransaction: Hashable, Sendable {
        public var session: Int64
        public var idTag: String
        public var transactionId: Int64?
        public var idTagStatus: String?
        /// Why the central system's own request stopped it (Remote, SoftReset, …), when it did.
        public var stopReason: String?
    }

    /// Records the idTag a session starts with (once: a resumed session keeps its transaction).
    public func beginOCPPTransaction(session: Int64, idTag: String) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("INSERT OR IGNORE INTO ocpp_transactions(session, id_tag) VALUES (?, ?)", .integer(session), .text(idTag))
        }
    }

    /// The central system's answer to a session's StartTransaction.
    public func recordOCPPTransactionId(session: Int64, transactionId: Int64, idTagStatus: String) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("UPDATE ocpp_transactions SET transaction_id = ?, id_tag_status = ? WHERE session = ?",
                             .integer(transactionId), .text(idTagStatus), .integer(session))
        }
    }

    /// Records why a session is being stopped at the central system's request, before the stop:
    /// its StopTransaction says so even when it is sent after a restart.
    public func recordOCPPStopReason(session: Int64, reason: String) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("UPDATE ocpp_transactions SET stop_reason = ? WHERE session = ?", .text(reason), .integer(session))
        }
    }

    public func ocppTransaction(session: Int64) throws(LedgerError) -> OCPPTransaction? {
        try read { () throws(SQLiteError) in
            try database.query("SELECT session, id_tag, transaction_id, id_tag_status, stop_reason FROM ocpp_transactions WHERE session = ?",
                               [.integer(session)]) { row in
                OCPPTransaction(session: row.integer(0), idTag: row.text(1), transactionId: row.optionalInteger(2), idTagStatus: row.optionalText(3),
                                stopReason: row.optionalText(4))
            }.first
        }
    }

    /// The session whose transaction has id `transactionId`.
    public func ocppSession(transactionId: Int64) throws(LedgerError) -> Int64? {
        try read { () throws(SQLiteError) in
            try database.query("SELECT session FROM ocpp_transactions WHERE transaction_id = ? ORDER BY session DESC LIMIT 1", [.integer(transactionId)]) {
                $0.integer(0)
            }.first
        }
    }

    /// The first session reported to a central system: set when OCPP first runs on this ledger
    /// (sessions before it are not sent), read on every start after.
    public func ocppFirstSession(otherwise next: Int64) throws(LedgerError) -> Int64 {
        try write { () throws(SQLiteError) in
            if let stored = try database.query("SELECT value FROM meta WHERE key = 'ocpp_first_session'", [], { $0.text(0) }).first.flatMap({ Int64($0) }) {
                return stored
            }
            try database.run("INSERT INTO meta(key, value) VALUES ('ocpp_first_session', ?)", .text(String(next)))
            return next
        }
    }

    /// Sessions from `first` on, with whether each is closed and has its Start and its Stop
    /// queued: what a restart checks, in case the power went between a session's record and its
    /// message.
    public func ocppReconciliation(from first: Int64) throws(LedgerError) -> [(session: Int64, closed: Bool, start: Bool, stop: Bool)] {
        try read { () throws(SQLiteError) in
            try database.query("""
                SELECT s.id, s.closed,
                  EXISTS(SELECT 1 FROM ocpp_messages m WHERE m.session = s.id AND m.action = 'StartTransaction'),
                  EXISTS(SELECT 1 FROM ocpp_messages m WHERE m.session = s.id AND m.action = 'StopTransaction')
                FROM sessions s WHERE s.id >= ? ORDER BY s.id
                """, [.integer(first)]) { ($0.integer(0), $0.integer(1) != 0, $0.integer(2) != 0, $0.integer(3) != 0) }
        }
    }

    /// The configuration keys the central system set.
    public func ocppConfiguration() throws(LedgerError) -> [String: String] {
        try read { () throws(SQLiteError) in
            Dictionary(try database.query("SELECT key, value FROM ocpp_configuration") { ($0.text(0), $0.text(1)) }, uniquingKeysWith: { $1 })
        }
    }

    public func setOCPPConfiguration(_ key: String, _ value: String) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("INSERT INTO ocpp_configuration(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                             .text(key), .text(value))
        }
    }

    /// The charging profiles installed, as (id, connector, the profile's JSON).
    public func ocppProfiles() throws(LedgerError) -> [(id: Int64, connector: Int, profile: String)] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT id, connector, profile FROM ocpp_profiles ORDER BY id") { ($0.integer(0), Int($0.integer(1)), $0.text(2)) }
        }
    }

    /// Replaces the installed charging profiles with `profiles` (a few; written whole).
    public func replaceOCPPProfiles(_ profiles: [(id: Int64, connector: Int, profile: String)]) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.execute("DELETE FROM ocpp_profiles")
            for entry in profiles {
                try database.run("INSERT INTO ocpp_profiles(id, connector, profile) VALUES (?, ?, ?)",
                                 .integer(entry.id), .int(entry.connector), .text(entry.profile))
            }
        }
    }

    /// An idTag the central system told about, with its IdTagInfo's fields.
    public struct OCPPIdTag: Hashable, Sendable {
        public var idTag: String
        public var status: String
        public var expiry: String?
        public var parent: String?

        public init(idTag: String, status: String, expiry: String?, parent: String?) {
            self.idTag = idTag
            self.status = status
            self.expiry = expiry
            self.parent = parent
        }
    }

    /// The local authorization list (`local` true) or the authorization cache.
    public func ocppIdTags(local: Bool) throws(LedgerError) -> [OCPPIdTag] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT id_tag, status, expiry, parent FROM ocpp_id_tags WHERE list = ? ORDER BY id_tag", [.int(local ? 1 : 0)]) { row in
                OCPPIdTag(idTag: row.text(0), status: row.text(1), expiry: row.optionalText(2), parent: row.optionalText(3))
            }
        }
    }

    /// What the local list (`local` true) or the cache holds of `idTag`, or nil.
    public func ocppIdTag(_ idTag: String, local: Bool) throws(LedgerError) -> OCPPIdTag? {
        try read { () throws(SQLiteError) in
            try database.query("SELECT id_tag, status, expiry, parent FROM ocpp_id_tags WHERE list = ? AND id_tag = ?",
                               [.int(local ? 1 : 0), .text(idTag)]) { row in
                OCPPIdTag(idTag: row.text(0), status: row.text(1), expiry: row.optionalText(2), parent: row.optionalText(3))
            }.first
        }
    }

    /// Changes the local list or the cache: `replace` empties it first; an entry with no status is removed.
    public func updateOCPPIdTags(local: Bool, replace: Bool, _ entries: [(idTag: String, info: OCPPIdTag?)], version: Int?) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            let list = SQLiteValue.int(local ? 1 : 0)
            if replace { try database.run("DELETE FROM ocpp_id_tags WHERE list = ?", list) }
            for entry in entries {
                if let info = entry.info {
                    try database.run("""
                        INSERT INTO ocpp_id_tags(list, id_tag, status, expiry, parent) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(list, id_tag) DO UPDATE SET status = excluded.status, expiry = excluded.expiry, parent = excluded.parent
                        """, list, .text(entry.idTag), .text(info.status), .optional(info.expiry), .optional(info.parent))
                } else {
                    try database.run("DELETE FROM ocpp_id_tags WHERE list = ? AND id_tag = ?", list, .text(entry.idTag))
                }
            }
            if let version {
                try database.run("INSERT INTO meta(key, value) VALUES ('ocpp_local_list_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                 .text(String(version)))
            }
        }
    }

    /// The local list's version (0: none installed).
    public func ocppLocalListVersion() throws(LedgerError) -> Int {
        try read { () throws(SQLiteError) in
            try database.query("SELECT value FROM meta WHERE key = 'ocpp_local_list_version'") { Int($0.text(0)) ?? 0 }.first ?? 0
        }
    }
}
