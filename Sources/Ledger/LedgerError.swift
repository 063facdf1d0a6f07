/// Why the ledger could not be opened, read or written. Each names the file and what to do.
public enum LedgerError: Error, Sendable, CustomStringConvertible {
    /// The file is an SQLite database of something else; evsed leaves it alone.
    case notALedger(path: String)
    /// The file is not a database at all, or is damaged.
    case corrupt(path: String, detail: String)
    /// Written by a newer evsed: this one does not know its schema and will not touch it.
    case newerVersion(path: String, found: Int64, supported: Int64)
    /// The signing key is missing, unreadable or does not match the ledger.
    case signingKey(path: String, problem: String)
    /// The database's directory or file could not be created or opened.
    case unavailable(path: String, problem: String)
    case sqlite(SQLiteError)
    case noSuchSession(Int64)
    /// The chain fails its check or lost records: evsed adds nothing to such books.
    case chainBroken(path: String, problem: String)

    public var description: String {
        switch self {
        case .notALedger(let path):
            return "\(path): an SQLite database, but not an evsed ledger; it was not changed (name another file with --ledger)"
        case .corrupt(let path, let detail):
            return "\(path): not a readable ledger (\(detail)); it was not changed. Keep it for inspection and restore a backup"
        case .newerVersion(let path, let found, let supported):
            return "\(path): written by a newer evsed (schema \(found); this evsed knows up to \(supported)); it was not changed. Update evsed"
        case .signingKey(let path, let problem):
            return "\(path): signing key \(problem)"
        case .unavailable(let path, let problem):
            return "\(path): \(problem)"
        case .sqlite(let error):
            return error.isCorruption ? "\(error.path): the database is damaged (\(error.message)); it was not changed" : error.description
        case .noSuchSession(let id):
            return "no session \(id) in the ledger"
        case .chainBroken(let path, let problem):
            return "\(path): \(problem); evsed adds nothing to these books. `evsed ledger verify` lists what is wrong; keep the file for inspection, and restore a backup or move it aside (with its .key and .head) to start afresh"
        }
    }
}
