#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Sessions

/// The charger's books: one SQLite database (WAL, `synchronous=FULL`) holding every session,
/// reading, fault and bill, each change appended to a hash chain, each closed session signed.
///
/// Every write method returns once its change is on disk (fsync'd): the caller may then tell the
/// world. One connection, used by one thread at a time; readers open their own.
public final class Ledger {
    /// The database file.
    public let path: String
    /// The public half of the signing key (base64 DER), as recorded when the ledger was created.
    public let publicKey: String
    /// The charger this ledger belongs to.
    public let chargerID: String
    let database: SQLiteConnection
    /// The schema version of the file as opened (older than `LedgerSchema.version` only for a reader).
    private(set) var schemaVersion = LedgerSchema.version
    private(set) var signingKey: SigningKey?
    /// Opened by `outbox(path:)`: writes the outbox only, never the chain.
    private let outboxOnly: Bool
    private var lastSequence: Int64 = 0
    private var lastHash = ChainRecord.genesis

    /// Where the signing key of the ledger at `path` lives.
    public static func keyPath(for path: String) -> String { path + ".key" }

    /// Opens the ledger at `path`.
    ///
    /// - Parameters:
    ///   - create: make the ledger (and its directory and signing key) when the file is missing.
    ///   - writable: open for writing, which needs the signing key; readers (list, show, export,
    ///     verify) need only the file.
    ///   - chargerID: recorded in a new ledger and in each signed record.
    ///
    /// A file that is not an evsed ledger, is damaged or comes from a newer evsed is an error and
    /// is left exactly as it was.
    public convenience init(path: String, create: Bool = false, writable: Bool = true, chargerID: String = "evsed") throws(LedgerError) {
        try self.init(path: path, create: create, writable: writable, chargerID: chargerID, outboxOnly: false)
    }

    /// The ledger as an alert delivery thread needs it: it records delivery attempts in the outbox
    /// and adds nothing to the chain. The daemon's writer has checked the whole file, its chain and
    /// its key, and upgraded its schema, before any delivery thread starts; this checks only that
    /// the file is an evsed ledger of this schema, so opening it again after an error is cheap.
    public static func outbox(path: String) throws(LedgerError) -> Ledger {
        try Ledger(path: path, create: false, writable: true, chargerID: "evsed", outboxOnly: true)
    }

    private init(path: String, create: Bool, writable: Bool, chargerID: String, outboxOnly: Bool) throws(LedgerError) {
        self.path = path
        self.outboxOnly = outboxOnly
        let exists = access(path, F_OK) == 0
        if !exists {
            guard create && writable else { throw .unavailable(path: path, problem: "no ledger here (evsed run creates it; name another with --ledger)") }
            try Self.makeDirectory(of: path)
        } else if writable {
            try Self.checkWritable(path)
        }
        let database: SQLiteConnection
        do throws(SQLiteError) {
            // A reader that may write the files opens them read-write (with query_only on): it can
            // then share the running daemon's WAL index instead of rebuilding it from the WAL.
            database = try SQLiteConnection(path: path, create: create && writable, readOnly: !writable && access(path, W_OK) != 0,
                                            checkpointOnClose: writable)
            if !writable { try database.execute("PRAGMA query_only=1") }
        } catch {
            throw error.isCorruption ? .corrupt(path: path, detail: error.message) : .sqlite(error)
        }
        self.database = database
        do throws(any Error) {
            let application = try database.integerPragma("application_id")
            let version = try database.integerPragma("user_version")
            let tables = try database.query("SELECT count(*) FROM sqlite_master") { $0.integer(0) }.first ?? 0
            let fresh = application == 0 && version == 0 && tables == 0
            if fresh && exists, let head = LedgerHead.read(for: path), head.sequence > 0 {
                // No books in the file, but its head says they had reached a record: they are gone.
                throw LedgerError.chainBroken(path: path, problem: "holds no records but the books had reached record #\(head.sequence) (a removed or damaged -wal file, or a truncated database?)")
            }
            if fresh && exists && Self.size(of: path) == 0 && access(Self.keyPath(for: path), F_OK) == 0 {
                // An empty file beside a signing key: books that were here are gone. Not a new ledger.
                throw LedgerError.unavailable(path: path, problem: "is empty (0 bytes) but its signing key is there: the books it held are gone. evsed will not start new ones over them: restore the file from a backup, or move the file and its .key aside to start afresh")
            }
            if !fresh && application != LedgerSchema.applicationID { throw LedgerError.notALedger(path: path) }
            if version > LedgerSchema.version {
                throw LedgerError.newerVersion(path: path, found: version, supported: LedgerSchema.version)
            }
            // A writer checks the whole file once before adding to it (linear in its size); readers
            // meet damage as SQLITE_CORRUPT on the pages they read, reported the same way.
            if outboxOnly && (fresh || version != LedgerSchema.version) {
                throw LedgerError.unavailable(path: path, problem: "schema \(version), not \(LedgerSchema.version): `evsed run` opens and upgrades the ledger before it delivers alerts")
            }
            if !fresh && writable && !outboxOnly {
                let check = try database.query("PRAGMA quick_check") { $0.text(0) }
                guard check == ["ok"] else { throw LedgerError.corrupt(path: path, detail: check.prefix(3).joined(separator: "; ")) }
            }
            if writable {
                _ = try database.query("PRAGMA journal_mode=WAL") { $0.text(0) }
                // FULL: a commit returns once the WAL is fsync'd, so what was written survives a power cut.
                // The WAL is truncated back to 4 MiB after checkpoints, so it cannot grow on the SD card.
                try database.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=4194304")
            } else if fresh {
                throw LedgerError.unavailable(path: path, problem: "an empty ledger: evsed has not written to it yet")
            }
            if fresh {
                // Only possible before the first table: lets retention return pages to the file system.
                try database.execute("PRAGMA auto_vacuum=INCREMENTAL")
            }
            if !writable && !fresh { schemaVersion = version }
            // A reader leaves an older schema as it is (what it lacks reads as empty); a writer upgrades it.
            if version < LedgerSchema.version && (writable || fresh) {
                try database.transaction { () throws(SQLiteError) in
                    for migration in LedgerSchema.migrations[Int(version)...] { try database.execute(migration) }
                    try database.execute("PRAGMA application_id=\(LedgerSchema.applicationID); PRAGMA user_version=\(LedgerSchema.version)")
                }
            }
            let meta = Dictionary(try database.query("SELECT key, value FROM meta") { ($0.text(0), $0.text(1)) }, uniquingKeysWith: { $1 })
            if let last = try database.query("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1", [], { ($0.integer(0), $0.blob(1)) }).first {
                (lastSequence, lastHash) = last
            }
            if writable && !fresh && !outboxOnly {
                // Nothing is added to books that fail their chain or lost their tail.
                if let problem = try Self.chainProblem(database, path: path) { throw LedgerError.chainBroken(path: path, problem: problem) }
                if LedgerHead.read(for: path) == nil { LedgerHead(sequence: lastSequence, hash: lastHash).write(for: path) }
            }
            if let key = meta["public_key"], let charger = meta["charger_id"] {
                publicKey = key
                self.chargerID = charger
                if writable && !outboxOnly {
                    let signing = try Self.loadKey(for: path)
                    guard signing.publicKeyBase64 == key else {
                        throw LedgerError.signingKey(path: signing.path, problem: "does not belong to this ledger (its public key differs)")
                    }
                    signingKey = signing
                }
            } else {
                guard writable else {
                    // Nothing chained yet: a first start was cut short; otherwise the key's record was removed.
                    if lastSequence == 0 { throw LedgerError.unavailable(path: path, problem: "an empty ledger: evsed has not written to it yet") }
                    throw LedgerError.corrupt(path: path, detail: "no public key recorded")
                }
                // A new ledger: its key (an existing key file is kept and used), then the first record.
                let keyPath = Self.keyPath(for: path)
                let signing = access(keyPath, F_OK) == 0 ? try SigningKey.load(from: keyPath) : try SigningKey.create(at: keyPath)
                signingKey = signing
                publicKey = signing.publicKeyBase64
                self.chargerID = chargerID
                let now = Timestamp.now()
                try database.transaction { () throws(SQLiteError) in
                    try database.run("INSERT INTO meta(key, value) VALUES ('public_key', ?), ('charger_id', ?), ('created', ?)",
                                     .text(publicKey), .text(chargerID), .text(now.description))
                    var body = JSONLine()
                    body.add("charger", chargerID)
                    body.add("schema", Int(LedgerSchema.version))
                    body.add("public_key", publicKey)
                    try appendRecord("ledger_created", session: nil, at: now, body: body)
                }
            }
        } catch let error as LedgerError {
            throw error
        } catch let error as SQLiteError {
            // A file that is not SQLite at all is found by SQLite's first read, which writes nothing.
            // (Not by reading its header ourselves: closing any descriptor of the file would drop the
            // POSIX locks of this process's other connections, and another process could then take
            // the WAL from under them.)
            if error.isNotADatabase { throw .corrupt(path: path, detail: "not an SQLite database") }
            throw error.isCorruption ? .corrupt(path: path, detail: error.message) : .sqlite(error)
        } catch {
            throw .unavailable(path: path, problem: "\(error)")
        }
    }

    private static func loadKey(for path: String) throws(LedgerError) -> SigningKey {
        try SigningKey.load(from: keyPath(for: path))
    }

    /// Creates the directories above `path` (mode 0750), like `mkdir -p`.
    private static func makeDirectory(of path: String) throws(LedgerError) {
        var directory = ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (index, part) in parts.enumerated() {
            directory += (index == 0 ? "" : "/") + part
            guard !part.isEmpty, access(directory, F_OK) != 0 else { continue }
            guard mkdir(directory, 0o750) == 0 || errno == EEXIST else {
                throw .unavailable(path: path, problem: "cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Turns the fsync at each commit off (false) or back on: for generating large test ledgers in
    /// benchmarks only. evsed itself never turns it off.
    public func setDurable(_ durable: Bool) throws(LedgerError) {
        try read { () throws(SQLiteError) in try database.execute("PRAGMA synchronous=\(durable ? "FULL" : "OFF")") }
    }

    /// Runs `body` in one durable transaction; the chain's head follows only a commit, and is
    /// then recorded beside the database.
    func write<Result>(_ body: () throws(SQLiteError) -> Result) throws(LedgerError) -> Result {
        let (sequence, hash) = (lastSequence, lastHash)
        do throws(SQLiteError) {
            let result = try database.transaction(body)
            if lastSequence != sequence { LedgerHead(sequence: lastSequence, hash: lastHash).write(for: path) }
            return result
        } catch {
            (lastSequence, lastHash) = (sequence, hash)
            throw .sqlite(error)
        }
    }

    /// What is wrong with the chain, if anything: a record whose hash does not follow from the
    /// one before, a gap, or a chain that ends before the head recorded beside the database.
    /// Linear in the chain's length (hashes only; `verify` checks the rows as well).
    /// The first thing wrong with the chain or its head, for a reader to warn of (`verify` says
    /// more); nil when the chain is whole.
    public func integrityProblem() throws(LedgerError) -> String? {
        try read { () throws(SQLiteError) in try Self.chainProblem(database, path: path) }
    }

    /// The chain's shape, in three indexed reads whatever the ledger's size: no record missing,
    /// and the head the file beside the database recorded still there. A lost tail, deleted
    /// records and rewritten books show; a record changed in place only `integrityProblem()` and
    /// `verify()` find.
    public func shapeProblem() throws(LedgerError) -> String? {
        try read { () throws(SQLiteError) -> String? in
            let (count, last) = try database.query("SELECT count(*), coalesce(max(seq), 0) FROM chain") { ($0.integer(0), $0.integer(1)) }.first ?? (0, 0)
            if count != last { return "\(last - count) record(s) are missing from the chain, which reaches #\(last)" }
            guard let head = LedgerHead.read(for: path) else { return nil }
            if head.sequence > last { return Self.lostTail(last: last, head: head.sequence) }
            let hash = try database.query("SELECT hash FROM chain WHERE seq = ?", [.integer(head.sequence)]) { $0.blob(0) }.first
            if let hash, hash != head.hash { return Self.rewritten(head.sequence) }
            return nil
        }
    }

    private static func lostTail(last: Int64, head: Int64) -> String {
        "the books end at record #\(last) but had reached #\(head): \(head - last) record(s) were lost (a removed or damaged -wal file?)"
    }

    private static func rewritten(_ sequence: Int64) -> String {
        "record #\(sequence) differs from the chain's head recorded beside the database: the books were rewritten"
    }

    static func chainProblem(_ database: SQLiteConnection, path: String) throws(SQLiteError) -> String? {
        var previous = ChainRecord.genesis
        var expected: Int64 = 1
        var problem: String?
        var last: (Int64, [UInt8])?
        let head = LedgerHead.read(for: path)
        let statement = try database.statement("SELECT seq, at_ms, kind, session, body, hash FROM chain ORDER BY seq")
        while try statement.step() {
            let sequence = statement.integer(0)
            let hash = statement.blob(5)
            if problem == nil {
                if sequence != expected {
                    problem = "record #\(expected) is missing from the chain"
                } else if ChainRecord.hash(previous: previous, sequence: sequence, at: Timestamp(milliseconds: statement.integer(1)),
                                           kind: statement.text(2), session: statement.optionalInteger(3), body: statement.text(4)) != hash {
                    problem = "record #\(sequence) (\(statement.text(2))) was changed: its hash does not match"
                }
            }
            if let head, head.sequence == sequence, head.hash != hash, problem == nil {
                problem = rewritten(sequence)
            }
            previous = hash
            expected = sequence + 1
            last = (sequence, hash)
        }
        if problem == nil, let head, head.sequence > (last?.0 ?? 0) {
            problem = lostTail(last: last?.0 ?? 0, head: head.sequence)
        }
        return problem
    }

    /// Whether this process may write the ledger and its directory (the WAL lives beside it); an
    /// error names the file, the user and who owns it.
    private static func checkWritable(_ path: String) throws(LedgerError) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        for target in [path, directory.isEmpty ? "/" : directory] where access(target, W_OK) != 0 {
            let reason = String(cString: strerror(errno))
            var info = stat()
            let owner = stat(target, &info) == 0 ? ", which belongs to uid \(info.st_uid) with mode \(String(info.st_mode & 0o7777, radix: 8))" : ""
            throw .unavailable(path: path, problem: "cannot write \(target) as \(Self.userName()) (uid \(geteuid()))\(owner): \(reason)")
        }
    }

    private static func userName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "this user" }
        return String(cString: name)
    }

    private static func size(of path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : -1
    }

    /// Appends a record to the chain (inside a transaction).
    @discardableResult
    func appendRecord(_ kind: String, session: Int64?, at: Timestamp, body: JSONLine) throws(SQLiteError) -> Int64 {
        // Two connections appending would fork the chain: only the daemon's writer appends.
        precondition(!outboxOnly, "a ledger opened for the outbox adds nothing to the chain")
        let sequence = lastSequence + 1
        let text = body.description
        let hash = ChainRecord.hash(previous: lastHash, sequence: sequence, at: at, kind: kind, session: session, body: text)
        try database.run("INSERT INTO chain(seq, at_ms, kind, session, body, hash) VALUES (?, ?, ?, ?, ?, ?)",
                         .integer(sequence), .integer(at.milliseconds), .text(kind), .optional(session), .text(text), .blob(hash))
        lastSequence = sequence
        lastHash = hash
        return sequence
    }
}
