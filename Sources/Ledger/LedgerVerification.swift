import EVSECore
import Billing

/// What `verify` found.
public struct VerificationReport: Sendable {
    public var records = 0
    public var sessions = 0
    public var signatures = 0
    public var readingBatches = 0
    public var faults = 0
    public var cards = 0
    /// Every discrepancy, in the order found; the first names the first bad record.
    public var problems: [Problem] = []

    public struct Problem: Sendable, CustomStringConvertible {
        /// The chain record concerned, when there is one.
        public var record: Int64?
        public var session: Int64?
        public var what: String

        public var description: String {
            var place: [String] = []
            if let record { place.append("record #\(record)") }
            if let session { place.append("session \(session)") }
            return (place.isEmpty ? "" : place.joined(separator: ", ") + ": ") + what
        }
    }

    public var isIntact: Bool { problems.isEmpty }
}

extension Ledger {
    /// Checks the whole ledger: every chain hash, every table row against the record that made
    /// it, every reading batch against its digest, and every signed session against the public key.
    public func verify() throws(LedgerError) -> VerificationReport {
        var report = VerificationReport()
        func problem(_ record: Int64?, _ session: Int64?, _ what: String) {
            report.problems.append(.init(record: record, session: session, what: what))
        }
        let chain = try records()
        report.records = chain.count

        // 1. The chain itself.
        var previous = ChainRecord.genesis
        var expected: Int64 = 1
        for record in chain {
            if record.sequence != expected {
                problem(expected, nil, "missing from the chain (the next record is #\(record.sequence))")
            }
            let hash = ChainRecord.hash(previous: previous, sequence: record.sequence, at: record.at, kind: record.kind,
                                        session: record.session, body: record.body)
            if hash != record.hash {
                problem(record.sequence, record.session, "\(record.kind) was changed: its hash does not match")
            }
            previous = record.hash
            expected = record.sequence + 1
        }
        // The head recorded beside the database: the chain reaches it, with the same record there.
        if let head = LedgerHead.read(for: path) {
            let last = chain.last?.sequence ?? 0
            if head.sequence > last {
                problem(last + 1, nil, "the books end at record #\(last) but had reached #\(head.sequence): \(head.sequence - last) record(s) were lost (a removed or damaged -wal file?)")
            } else if let record = chain.first(where: { $0.sequence == head.sequence }), record.hash != head.hash {
                problem(head.sequence, record.session, "differs from the chain's head recorded beside the database: the books were rewritten")
            }
        }
        if let first = chain.first, first.kind != "ledger_created" || !first.body.contains(JSONLine.quote(publicKey)) {
            problem(first.sequence, nil, "the first record does not hold this ledger's public key")
        }

        // 2. Sessions against their records and signatures.
        var started: [Int64: ChainRecord] = [:]
        var closed: [Int64: ChainRecord] = [:]
        var faultRecords: [Int64: ChainRecord] = [:]
        var clearings: [Int64: ChainRecord] = [:]
        var batches: [Int64: ChainRecord] = [:]
        var superseded = Set<Int64>()
        for record in chain {
            switch record.kind {
            case "session_started": if let session = record.session { started[session] = record }
            case "session_closed": if let session = record.session { closed[session] = record }
            case "fault_raised": if let id = Self.integerField("fault", in: record.body) { faultRecords[id] = record }
            case "fault_cleared": if let id = Self.integerField("fault", in: record.body) { clearings[id] = record }
            case "readings": batches[record.sequence] = record
            case "readings_downsampled":
                batches[record.sequence] = record
                for batch in Self.listField("batches", in: record.body) { superseded.insert(batch) }
            default: break
            }
        }
        let signed = try read { () throws(SQLiteError) in
            Dictionary(try database.query("SELECT session, payload, signature FROM signed_sessions") { ($0.integer(0), ($0.text(1), $0.text(2))) },
                       uniquingKeysWith: { first, _ in first })
        }
        let sessions = try self.sessions(details: true)
        report.sessions = sessions.count
        for session in sessions {
            guard let start = started[session.id] else {
                problem(nil, session.id, "has no session_started record: the row was added afterwards")
                continue
            }
            if start.body != RecordBody.started(session).description {
                problem(start.sequence, session.id, "its start (time, owner, meter or tariff) differs from the record made when it began")
            }
            guard session.closed else {
                if let record = closed[session.id] { problem(record.sequence, session.id, "was closed, but its row says open") }
                continue
            }
            guard let (payload, signature) = signed[session.id] else {
                problem(closed[session.id]?.sequence, session.id, "its signed record is missing")
                continue
            }
            guard let record = closed[session.id] else {
                problem(nil, session.id, "closed without a session_closed record")
                continue
            }
            if record.body != RecordBody.closed(session, signature: signature).description {
                problem(record.sequence, session.id, "its figures (energy, registers, times, bill) differ from the record made when it closed")
            }
            if payload != SignedRecord.payload(of: session, charger: chargerID) {
                problem(record.sequence, session.id, "its signed record does not describe the session as stored")
            }
            if SigningKey.isValid(signature: signature, of: payload, publicKey: publicKey) {
                report.signatures += 1
            } else {
                problem(record.sequence, session.id, "its signature is not valid for this ledger's key")
            }
        }
        for (id, record) in started where !sessions.contains(where: { $0.id == id }) {
            problem(record.sequence, id, "was recorded but its row is gone")
        }

        // 3. Faults.
        let faults = try self.faults()
        report.faults = faults.count
        for fault in faults {
            guard let record = faultRecords[fault.id] else {
                problem(nil, fault.session, "fault \(fault.id) (\(fault.code)) has no record: the row was added afterwards")
                continue
            }
            if record.body != RecordBody.faultRaised(fault).description || record.at != fault.raisedAt || record.session != fault.session {
                problem(record.sequence, fault.session, "fault \(fault.id) differs from the record made when it was raised")
            }
            if fault.clearedAt != clearings[fault.id]?.at {
                problem(clearings[fault.id]?.sequence ?? record.sequence, fault.session, "fault \(fault.id)'s clearing time differs from its record")
            }
        }
        for (id, record) in faultRecords where !faults.contains(where: { $0.id == id }) {
            problem(record.sequence, record.session, "fault \(id) was recorded but its row is gone")
        }

        // 4. Readings against the digests of their batches.
        let rows = try read { () throws(SQLiteError) in
            try database.query("SELECT batch, \(Self.readingColumns) FROM readings ORDER BY rowid") { row in
                (row.integer(0), Self.sample(row, from: 1))
            }
        }
        var byBatch: [Int64: [MeterSample]] = [:]
        for (batch, sample) in rows { byBatch[batch, default: []].append(sample) }
        for (sequence, record) in batches.sorted(by: { $0.key < $1.key }) {
            let stored = byBatch.removeValue(forKey: sequence) ?? []
            if superseded.contains(sequence) {
                if !stored.isEmpty { problem(sequence, record.session, "readings of a downsampled batch are still there") }
                continue
            }
            report.readingBatches += 1
            if Self.textField("digest", in: record.body) != ReadingsDigest.of(stored) {
                problem(sequence, record.session, "its \(Self.integerField("count", in: record.body) ?? 0) readings were changed (\(stored.count) stored)")
            }
        }
        for (batch, stored) in byBatch.sorted(by: { $0.key < $1.key }) {
            problem(batch, nil, "\(stored.count) readings belong to no batch record")
        }

        // 5. Cards against the records of their changes.
        report.cards = try cards().count
        try verifyCards(chain) { record, what in problem(record, nil, what) }
        return report
    }

    /// A top-level integer field of a record body (`"fault":12`).
    static func integerField(_ key: String, in body: String) -> Int64? {
        rawField(key, in: body).flatMap { Int64($0) }
    }

    static func textField(_ key: String, in body: String) -> String? {
        guard let raw = rawField(key, in: body), raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 else { return nil }
        return String(raw.dropFirst().dropLast())
    }

    /// A field holding space-separated numbers as text (`"batches":"3 7 9"`).
    static func listField(_ key: String, in body: String) -> [Int64] {
        (textField(key, in: body) ?? "").split(separator: " ").compactMap { Int64($0) }
    }

    /// The raw JSON of a scalar field of a flat body written by JSONLine (keys are unique and
    /// plain; string values here hold no quotes or commas).
    private static func rawField(_ key: String, in body: String) -> String? {
        guard let range = body.firstRange(of: "\"\(key)\":") else { return nil }
        let rest = body[range.upperBound...]
        let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) ?? rest.endIndex
        return String(rest[..<end])
    }
}
