import Billing
import EVSECore
import Sessions

/// How long readings stay at full resolution, so an SD card does not fill up.
public struct RetentionPolicy: Sendable {
    /// Readings of a session stay as stored until it has been closed this long.
    public var fullResolution: Duration = .seconds(30 * 86_400)
    /// After that, one reading per this interval is kept (and each session's first and last, and
    /// every change of activity).
    public var keepEvery: Duration = .seconds(300)
    /// Alerts whose deliveries are all done (delivered, given up, skipped) are removed from the
    /// outbox this long after they were raised; the sessions they were about stay.
    public var alertsKept: Duration = .seconds(90 * 86_400)

    public init(fullResolution: Duration = .seconds(30 * 86_400), keepEvery: Duration = .seconds(300),
                alertsKept: Duration = .seconds(90 * 86_400)) {
        self.fullResolution = fullResolution
        self.keepEvery = keepEvery
        self.alertsKept = alertsKept
    }
}

extension Ledger {
    /// Thins the readings of sessions closed longer ago than the policy's full-resolution time, and
    /// removes alerts that are done and older than the policy's alert time.
    /// The sessions' totals, bills and signed records are kept forever; the chain records which
    /// batches were thinned and the digest of what was kept, so `verify` still checks every
    /// reading that remains. Returns the number of sessions thinned.
    @discardableResult
    public func applyRetention(_ policy: RetentionPolicy, now: Timestamp) throws(LedgerError) -> Int {
        let cutoff = now.milliseconds - policy.fullResolution.nanoseconds / 1_000_000
        let due = try read { () throws(SQLiteError) in
            try database.query(
                "SELECT id FROM sessions WHERE closed = 1 AND readings_downsampled = 0 AND ended_ms < ? ORDER BY id",
                [.integer(cutoff)]) { $0.integer(0) }
        }
        let interval = max(1, policy.keepEvery.nanoseconds / 1_000_000)
        for session in due {
            let stored = try readings(of: session)
            var kept: [MeterSample] = []
            var lastBucket: Int64?
            for (index, reading) in stored.enumerated() {
                let bucket = reading.sample.milliseconds / interval
                // Changes of activity are few and say how the time was billed: all of them stay.
                if index == 0 || index == stored.count - 1 || bucket != lastBucket || reading.sample.registerWh == nil { kept.append(reading.sample) }
                lastBucket = bucket
            }
            let batches = Array(Set(stored.map(\.batch))).sorted()
            try write { () throws(SQLiteError) in
                var body = JSONLine()
                body.add("batches", batches.map(String.init).joined(separator: " "))
                body.add("before", stored.count)
                body.add("count", kept.count)
                body.add("keep_every_ms", interval)
                body.add("digest", ReadingsDigest.of(kept))
                let sequence = try appendRecord("readings_downsampled", session: session, at: now, body: body)
                try database.run("DELETE FROM readings WHERE session = ?", .integer(session))
                for sample in kept { try insert(sample, session: session, batch: sequence) }
                try database.run("UPDATE sessions SET readings_downsampled = 1 WHERE id = ?", .integer(session))
            }
        }
        let alertCutoff = now.milliseconds - policy.alertsKept.nanoseconds / 1_000_000
        let alertsRemoved = try write { () throws(SQLiteError) in
            let old = "SELECT id FROM alerts WHERE created_ms < ? AND id NOT IN (SELECT alert FROM deliveries WHERE state = 'pending')"
            try database.run("DELETE FROM delivery_attempts WHERE delivery IN (SELECT id FROM deliveries WHERE alert IN (\(old)))", .integer(alertCutoff))
            try database.run("DELETE FROM deliveries WHERE alert IN (\(old))", .integer(alertCutoff))
            try database.run("DELETE FROM alerts WHERE id IN (\(old))", .integer(alertCutoff))
            return try database.query("SELECT changes()") { $0.integer(0) }.first ?? 0
        }
        if !due.isEmpty || alertsRemoved > 0 {
            // Give the freed pages back to the file system (auto_vacuum is incremental).
            try read { () throws(SQLiteError) in try database.execute("PRAGMA incremental_vacuum") }
        }
        return due.count
    }
}
