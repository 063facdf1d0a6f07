import Billing
import EVSECore
import FoundationEssentials
import Sessions

/// Writing the books. Each method is one transaction, durable when it returns.
extension Ledger {
    /// Records a new session. `startRegisterWh` is the register read just before the start,
    /// when one was.
    public func openSession(_ id: Int64, at: Timestamp, startRegisterWh: Int64?, owner: String?, card: String? = nil, meter: String,
                            tariff: TariffSnapshot?, clock: ClockStatus) throws(LedgerError) {
        var record = SessionRecord(
            id: id, connector: 1, owner: owner, startedAt: at, closed: false, startRegisterWh: startRegisterWh, energyWh: 0,
            chargingSeconds: 0, idleSeconds: 0, outageSeconds: 0, meter: meter)
        record.tariffID = tariff?.tariff.id
        record.tariffText = tariff?.text
        record.currency = tariff?.tariff.currency.code
        record.clockStatus = clock
        record.card = card
        try write { () throws(SQLiteError) in
            try database.run("""
                INSERT INTO sessions(id, connector, owner, started_ms, start_register_wh, meter, tariff_id, tariff, currency, clock, card)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, .integer(id), .int(record.connector), .optional(owner), .integer(at.milliseconds), .optional(startRegisterWh),
                .text(meter), .optional(record.tariffID), .optional(record.tariffText), .optional(record.currency), .text(clock.rawValue),
                .optional(card))
            try appendRecord("session_started", session: id, at: at, body: RecordBody.started(record))
        }
    }

    /// Stores a batch of readings of an open session and its figures so far (energy, times,
    /// live cost); the chain records the batch's digest.
    public func storeReadings(_ samples: [MeterSample], session: Int64, figures: MeteredSession) throws(LedgerError) {
        guard let first = samples.first, let last = samples.last else { return }
        // The batch's record carries its count, first time and digest; the rows carry the rest.
        try write { () throws(SQLiteError) in
            var body = JSONLine()
            body.add("count", samples.count)
            body.add("from_ms", first.milliseconds)
            body.add("digest", ReadingsDigest.of(samples))
            let batch = try appendRecord("readings", session: session, at: Timestamp(milliseconds: last.milliseconds), body: body)
            for sample in samples { try insert(sample, session: session, batch: batch) }
            try updateFigures(session, figures)
        }
    }

    /// Stores one reading or change of activity (inside a transaction).
    func insert(_ sample: MeterSample, session: Int64, batch: Int64) throws(SQLiteError) {
        try database.run("""
            INSERT INTO readings(session, at_ms, register_wh, power_w, current_ca, voltage_dv, activity, batch)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, .integer(session), .integer(sample.milliseconds), .optional(sample.registerWh), .integer(sample.powerWatts),
            .integer(sample.currentCentiamps), .integer(sample.voltageDecivolts),
            .integer(Int64(Self.activityCodes.firstIndex(of: sample.activity) ?? 1)), .integer(batch))
    }

    /// The stored codes of the activities, by position (3, settling, only in rows written before schema 3).
    static let activityCodes: [SegmentActivity] = [.charging, .idle, .outage, .settling, .unavailable]

    /// The columns a reading is read from, in `sample(_:)`'s order.
    static let readingColumns = "at_ms, register_wh, activity, current_ca, power_w, voltage_dv"

    /// A reading from `readingColumns` starting at column `first`.
    static func sample(_ row: SQLiteStatement, from first: Int32 = 0) -> MeterSample {
        let code = Int(row.integer(first + 2))
        return MeterSample(
            milliseconds: row.integer(first), registerWh: row.optionalInteger(first + 1),
            activity: activityCodes.indices.contains(code) ? activityCodes[code] : .idle,
            storedCurrent: row.integer(first + 3), storedPower: row.integer(first + 4), storedVoltage: row.integer(first + 5))
    }

    /// The running figures of a session (not chained: they are checked when the session closes).
    private func updateFigures(_ session: Int64, _ figures: MeteredSession) throws(SQLiteError) {
        let bill = figures.bill
        try database.run("""
            UPDATE sessions SET start_register_wh = ?, end_register_wh = ?, energy_wh = ?, charging_s = ?, idle_s = ?, outage_s = ?,
                unavailable_s = ?, cost_excl = ?, cost_vat = ?, cost_incl = ?, adjustment = ? WHERE id = ?
            """, .optional(figures.startRegisterWh), .optional(figures.lastRegisterWh), .integer(figures.energyWh),
            .integer(figures.chargingSeconds), .integer(figures.idleSeconds), .integer(figures.outageSeconds),
            .integer(figures.unavailableSeconds),
            .optional(bill.map { $0.totalExcludingVAT.plainText }), .optional(bill.map { $0.totalVAT.plainText }),
            .optional(bill.map { $0.totalIncludingVAT.plainText }), .optional(bill.map { Self.adjustment(of: $0) }),
            .integer(session))
    }

    /// The minimum or maximum price's change to the total excluding VAT, rounded ("0.00" when none).
    static func adjustment(of bill: Bill) -> String {
        bill.adjustments.reduce(ExactAmount.zero) { $0 + $1.excludingVAT }.rounded(bill.currency).plainText
    }

    /// The session stopped charging without ending (a fault, a pause, a power cut, a restart).
    public func beginInterruption(_ session: Int64, at: Timestamp, cause: String) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("INSERT INTO interruptions(session, start_ms, cause) VALUES (?, ?, ?)",
                             .integer(session), .integer(at.milliseconds), .text(cause))
            var body = JSONLine()
            body.add("cause", cause)
            try appendRecord("interrupted", session: session, at: at, body: body)
        }
    }

    /// The session's open interruption ended: it charges again.
    public func endInterruption(_ session: Int64, at: Timestamp) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("UPDATE interruptions SET end_ms = ? WHERE session = ? AND end_ms IS NULL",
                             .integer(at.milliseconds), .integer(session))
            try appendRecord("resumed", session: session, at: at, body: JSONLine())
        }
    }

    /// The session ended (its final register comes with the next reading: `closeSession`).
    public func markEnded(_ session: Int64, at: Timestamp, reason: String) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("UPDATE interruptions SET end_ms = ? WHERE session = ? AND end_ms IS NULL",
                             .integer(at.milliseconds), .integer(session))
            try database.run("UPDATE sessions SET ended_ms = ?, end_reason = ? WHERE id = ?",
                             .integer(at.milliseconds), .text(reason), .integer(session))
            var body = JSONLine()
            body.add("reason", reason)
            try appendRecord("ended", session: session, at: at, body: body)
        }
    }

    /// Makes a session's figures final: its end register (`source`: `meter` or
    /// `last_stored_reading`), energy, times and bill; signs it and chains the result.
    public func closeSession(_ session: Int64, figures: MeteredSession, source: String, at: Timestamp) throws(LedgerError) {
        guard try self.session(session) != nil else { throw .noSuchSession(session) }
        guard let signingKey else { throw .signingKey(path: Self.keyPath(for: path), problem: "not loaded (read-only ledger)") }
        // One transaction: a session is closed together with its signed record, or not at all
        // (a crash in between would leave it closed and unsigned, and recovery would not see it).
        var signingFailure: LedgerError?
        do throws(LedgerError) {
            try write { () throws(SQLiteError) in
                try updateFigures(session, figures)
                try database.run("UPDATE sessions SET closed = 1, end_register_source = ?, ended_ms = coalesce(ended_ms, ?) WHERE id = ?",
                                 .text(source), .integer(at.milliseconds), .integer(session))
                if let bill = figures.bill {
                    for (position, row) in bill.rows.enumerated() {
                        try database.run("""
                            INSERT INTO bill_lines(session, position, dimension, quantity, unit, unit_price, vat_percent, excl_vat, vat, incl_vat)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """, .integer(session), .int(position), .text(row.kind), .text(row.quantity), .text(row.unit), .text(row.unitPrice),
                            .text(row.vatPercent), .text(row.excludingVAT), .text(row.vat), .text(row.includingVAT))
                    }
                    try database.run("UPDATE sessions SET periods = ? WHERE id = ?",
                                     .text(ChargingPeriodsText.encode(figures.cost?.periods ?? [])), .integer(session))
                }
                guard let record = try sessionRow(session) else { return }
                let payload = SignedRecord.payload(of: record, charger: chargerID)
                let signature: String
                do throws(LedgerError) {
                    signature = try signingKey.sign(payload)
                } catch {
                    signingFailure = error
                    throw SQLiteError(code: 4, message: "signing failed; the close was rolled back", path: path)  // SQLITE_ABORT
                }
                try database.run("INSERT INTO signed_sessions(session, payload, signature) VALUES (?, ?, ?)",
                                 .integer(session), .text(payload), .text(signature))
                try appendRecord("session_closed", session: session, at: at, body: RecordBody.closed(record, signature: signature))
            }
        } catch {
            throw signingFailure ?? error
        }
    }

    /// Records a fault raised; returns its id, for `clearFault`.
    @discardableResult
    public func raiseFault(_ code: String, at: Timestamp, session: Int64?, context: String) throws(LedgerError) -> Int64 {
        return try write { () throws(SQLiteError) in
            try database.run("INSERT INTO faults(code, raised_ms, session, context) VALUES (?, ?, ?, ?)",
                             .text(code), .integer(at.milliseconds), .optional(session), .text(context))
            let id = database.lastInsertedRow
            try appendRecord("fault_raised", session: session, at: at,
                             body: RecordBody.faultRaised(FaultRecord(id: id, code: code, raisedAt: at, session: session, context: context)))
            return id
        }
    }

    /// Records that the fault `id` cleared.
    public func clearFault(_ id: Int64, at: Timestamp) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("UPDATE faults SET cleared_ms = ? WHERE id = ?", .integer(at.milliseconds), .integer(id))
            var body = JSONLine()
            body.add("fault", id)
            try appendRecord("fault_cleared", session: nil, at: at, body: body)
        }
    }

    /// Appends an event with no table of its own (daemon started or stopped, a fault latched, a
    /// recovery attempt, a derating step, a recovery decision) to the chain.
    public func note(_ kind: String, at: Timestamp, session: Int64? = nil, _ fields: JSONLine = JSONLine()) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            _ = try appendRecord(kind, session: session, at: at, body: fields)
        }
    }
}
