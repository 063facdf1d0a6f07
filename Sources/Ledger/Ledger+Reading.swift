import Billing
import EVSECore
import Sessions

/// Reading the books.
extension Ledger {
    /// The columns of a session row; a ledger read with an older schema reads what it lacks as empty.
    var sessionColumns: String {
        """
        id, connector, owner, started_ms, ended_ms, end_reason, closed, end_register_source, start_register_wh, end_register_wh,
        energy_wh, charging_s, idle_s, outage_s, meter, tariff_id, tariff, currency, cost_excl, cost_vat, cost_incl, adjustment,
        \(schemaVersion >= 3 ? "unavailable_s, periods" : "0, NULL"), \(schemaVersion >= 4 ? "clock" : "NULL"), \(schemaVersion >= 6 ? "card" : "NULL")
        """
    }

    private static func sessionRow(_ row: SQLiteStatement) -> SessionRecord {
        var session = SessionRecord(
            id: row.integer(0), connector: Int(row.integer(1)), owner: row.optionalText(2),
            startedAt: Timestamp(milliseconds: row.integer(3)), endedAt: row.optionalInteger(4).map(Timestamp.init(milliseconds:)),
            endReason: row.optionalText(5), closed: row.integer(6) != 0, endRegisterSource: row.optionalText(7),
            startRegisterWh: row.optionalInteger(8), endRegisterWh: row.optionalInteger(9), energyWh: row.integer(10),
            chargingSeconds: row.integer(11), idleSeconds: row.integer(12), outageSeconds: row.integer(13), meter: row.text(14),
            tariffID: row.optionalText(15), tariffText: row.optionalText(16), currency: row.optionalText(17),
            costExcludingVAT: row.optionalText(18), costVAT: row.optionalText(19), costIncludingVAT: row.optionalText(20),
            adjustment: row.optionalText(21))
        session.unavailableSeconds = row.integer(22)
        session.periods = row.optionalText(23)
        session.clockStatus = row.optionalText(24).flatMap(ClockStatus.init(rawValue:))
        session.card = row.optionalText(25)
        return session
    }

    /// The session `id` with its interruptions and bill, or nil.
    public func session(_ id: Int64) throws(LedgerError) -> SessionRecord? {
        try read { () throws(SQLiteError) in try sessionRow(id) }
    }

    /// The session `id` as this connection sees it (inside a transaction, with its changes).
    func sessionRow(_ id: Int64) throws(SQLiteError) -> SessionRecord? {
        guard var session = try database.query("SELECT \(sessionColumns) FROM sessions WHERE id = ?", [.integer(id)], Self.sessionRow).first else {
            return nil
        }
        try complete(&session)
        return session
    }

    private func complete(_ session: inout SessionRecord) throws(SQLiteError) {
        session.interruptions = try database.query(
            "SELECT start_ms, end_ms, cause FROM interruptions WHERE session = ? ORDER BY rowid", [.integer(session.id)]
        ) { row in
            SessionRecord.Interruption(start: Timestamp(milliseconds: row.integer(0)), end: row.optionalInteger(1).map(Timestamp.init(milliseconds:)), cause: row.text(2))
        }
        session.billLines = try database.query(
            "SELECT dimension, quantity, unit_price, vat_percent, excl_vat, vat, incl_vat, \(schemaVersion >= 3 ? "unit" : "NULL") FROM bill_lines WHERE session = ? ORDER BY position",
            [.integer(session.id)]
        ) { row in
            BillLineRecord(dimension: row.text(0), quantity: row.text(1), unit: row.optionalText(7), unitPrice: row.text(2),
                           vatPercent: row.text(3), excludingVAT: row.text(4), vat: row.text(5), includingVAT: row.text(6))
        }
    }

    /// Sessions started in [since, until), oldest first; the newest `limit` when a limit is given.
    public func sessions(since: Timestamp? = nil, until: Timestamp? = nil, limit: Int? = nil, details: Bool = false) throws(LedgerError) -> [SessionRecord] {
        try read { () throws(SQLiteError) in
            // Without a period, no WHERE: the newest sessions come straight off the primary key.
            let period = since == nil && until == nil ? "" : "WHERE started_ms >= ? AND started_ms < ?"
            let bounds: [SQLiteValue] = period.isEmpty ? [] : [.integer(since?.milliseconds ?? Int64.min), .integer(until?.milliseconds ?? Int64.max)]
            var sessions: [SessionRecord]
            if let limit {
                sessions = try database.query(
                    "SELECT \(sessionColumns) FROM sessions \(period) ORDER BY id DESC LIMIT ?", bounds + [.int(limit)], Self.sessionRow)
                sessions.reverse()
            } else {
                sessions = try database.query("SELECT \(sessionColumns) FROM sessions \(period) ORDER BY id", bounds, Self.sessionRow)
            }
            if details {
                for index in sessions.indices { try complete(&sessions[index]) }
            }
            return sessions
        }
    }

    /// Sessions whose figures are not final (open, or ended and waiting for their end register).
    public func unclosedSessions() throws(LedgerError) -> [SessionRecord] {
        try read { () throws(SQLiteError) in
            var sessions = try database.query("SELECT \(sessionColumns) FROM sessions WHERE closed = 0 ORDER BY id", [], Self.sessionRow)
            for index in sessions.indices { try complete(&sessions[index]) }
            return sessions
        }
    }

    /// The highest session id, 0 when there is none.
    public func lastSessionID() throws(LedgerError) -> Int64 {
        try read { () throws(SQLiteError) in try database.query("SELECT coalesce(max(id), 0) FROM sessions") { $0.integer(0) }.first ?? 0 }
    }

    /// The stored readings of a session, in time order.
    public func readings(of session: Int64) throws(LedgerError) -> [StoredReading] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT \(Self.readingColumns), batch FROM readings WHERE session = ? ORDER BY rowid", [.integer(session)]) { row in
                StoredReading(sample: Self.sample(row), batch: row.integer(6))
            }
        }
    }

    /// Faults raised since `since` (all when nil), oldest first.
    /// Faults not cleared, oldest first.
    public func openFaults() throws(LedgerError) -> [FaultRecord] {
        try faults().filter { $0.clearedAt == nil }
    }

    /// The latch of an open fault, from the last `fault_latched` record for its code since it
    /// was raised; nil when it was not latched.
    public func latch(of fault: FaultRecord) throws(LedgerError) -> RecoveryPolicy.Latch? {
        let bodies = try read { () throws(SQLiteError) in
            try database.query("SELECT body FROM chain WHERE kind = 'fault_latched' AND at_ms >= ? ORDER BY seq",
                               [.integer(fault.raisedAt.milliseconds)]) { $0.text(0) }
        }
        let latches = bodies.filter { Self.textField("code", in: $0) == fault.code }.compactMap { Self.textField("until", in: $0) }
        return latches.last.flatMap(RecoveryPolicy.Latch.init(rawValue:))
    }

    public func faults(since: Timestamp? = nil) throws(LedgerError) -> [FaultRecord] {
        try read { () throws(SQLiteError) in
            try database.query(
                "SELECT id, code, raised_ms, cleared_ms, session, context FROM faults WHERE raised_ms >= ? ORDER BY id",
                [.integer(since?.milliseconds ?? Int64.min)]
            ) { row in
                FaultRecord(id: row.integer(0), code: row.text(1), raisedAt: Timestamp(milliseconds: row.integer(2)),
                            clearedAt: row.optionalInteger(3).map(Timestamp.init(milliseconds:)), session: row.optionalInteger(4), context: row.text(5))
            }
        }
    }

    /// The chain's records about a session, or all of them, in order.
    public func records(session: Int64? = nil) throws(LedgerError) -> [ChainRecord] {
        try read { () throws(SQLiteError) in
            let sql = "SELECT seq, at_ms, kind, session, body, hash FROM chain" + (session == nil ? " ORDER BY seq" : " WHERE session = ? ORDER BY seq")
            return try database.query(sql, session.map { [.integer($0)] } ?? []) { row in
                ChainRecord(sequence: row.integer(0), at: Timestamp(milliseconds: row.integer(1)), kind: row.text(2),
                            session: row.optionalInteger(3), body: row.text(4), hash: row.blob(5))
            }
        }
    }

    /// The chain's last record, or the last of `kind`.
    public func lastRecord(ofKind kind: String? = nil) throws(LedgerError) -> ChainRecord? {
        try read { () throws(SQLiteError) in
            try database.query("SELECT seq, at_ms, kind, session, body, hash FROM chain \(kind == nil ? "" : "WHERE kind = ?") ORDER BY seq DESC LIMIT 1",
                               kind.map { [SQLiteValue.text($0)] } ?? []) { row in
                ChainRecord(sequence: row.integer(0), at: Timestamp(milliseconds: row.integer(1)), kind: row.text(2),
                            session: row.optionalInteger(3), body: row.text(4), hash: row.blob(5))
            }.first
        }
    }

    /// The latest instant the ledger recorded anything (chain and readings).
    public func lastRecordedTime() throws(LedgerError) -> Timestamp? {
        try read { () throws(SQLiteError) in
            // The ledger's creation is stamped with the wall clock; a simulation's virtual clock may be earlier.
            try database.query("""
                SELECT max(coalesce((SELECT max(at_ms) FROM chain WHERE kind != 'ledger_created'), 0),
                           coalesce((SELECT max(at_ms) FROM readings), 0))
                """) {
                $0.integer(0)
            }.first.flatMap { $0 > 0 ? Timestamp(milliseconds: $0) : nil }
        }
    }

    /// The database's size on disk, in bytes (pages × page size).
    public func sizeInBytes() throws(LedgerError) -> Int64 {
        try read { () throws(SQLiteError) in try database.integerPragma("page_count") * database.integerPragma("page_size") }
    }

    func read<Result>(_ body: () throws(SQLiteError) -> Result) throws(LedgerError) -> Result {
        do throws(SQLiteError) {
            return try body()
        } catch {
            throw error.isCorruption ? .corrupt(path: path, detail: error.message) : .sqlite(error)
        }
    }
}
