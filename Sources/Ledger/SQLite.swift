import CSQLite

/// A failure of SQLite, with its result code and the database it concerns.
public struct SQLiteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_BUSY`, `SQLITE_CORRUPT`, …).
    public let code: Int32
    public let message: String
    public let path: String

    /// The primary result code (the low byte of the extended one).
    public var primaryCode: Int32 { code & 0xff }
    /// The file is not a database, or is damaged.
    /// The file is not an SQLite database at all.
    public var isNotADatabase: Bool { primaryCode == SQLITE_NOTADB }

    public var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    public var description: String { "\(path): \(message) (SQLite code \(code))" }
}

/// One connection to an SQLite database: the only code that calls libsqlite3. Not shared between
/// threads; each user opens its own.
final class SQLiteConnection {
    let path: String
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens `path`; `create` makes the file when it is missing (`sqlite3_open_v2`). A reader
    /// (`checkpointOnClose` false) never folds the WAL into the database when it closes.
    init(path: String, create: Bool, readOnly: Bool = false, checkpointOnClose: Bool = true) throws(SQLiteError) {
        self.path = path
        var opened: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | (create && !readOnly ? SQLITE_OPEN_CREATE : 0)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let result = sqlite3_open_v2(path, &opened, flags, nil)
        guard result == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_close_v2(opened)
            throw SQLiteError(code: result, message: message, path: path)
        }
        handle = opened
        sqlite3_busy_timeout(handle, Self.patience)
        if !checkpointOnClose { _ = evsed_sqlite3_no_checkpoint_on_close(handle) }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows (`sqlite3_exec`).
    func execute(_ sql: String) throws(SQLiteError) {
        let result = sqlite3_exec(handle, sql, nil, nil, nil)
        guard result == SQLITE_OK else { throw error(result) }
    }

    /// A prepared statement for `sql`, cached: a statement run often is compiled once.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var prepared: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard result == SQLITE_OK, let prepared else { throw error(result) }
        let statement = SQLiteStatement(handle: prepared, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `values` bound in order, returning no rows.
    func run(_ sql: String, _ values: SQLiteValue...) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(values)
        while try statement.step() {}
    }

    /// The rows of `sql` with `values` bound, each read by `row`.
    func query<Row>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteStatement) throws(SQLiteError) -> Row) throws(SQLiteError) -> [Row] {
        let statement = try statement(sql)
        try statement.bind(values)
        var rows: [Row] = []
        while try statement.step() { rows.append(try row(statement)) }
        return rows
    }

    /// How long (ms) a statement waits for another connection's lock before it fails.
    static let patience: CInt = 5000
    /// Whether the last transaction failed: until one commits again, the next ones wait for a lock
    /// only 0.1 s, so that a database another program holds does not stall every write 5 s.
    private var failing = false

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE` … `COMMIT`); rolls back when it throws.
    func transaction<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        do throws(SQLiteError) {
            try execute("BEGIN IMMEDIATE")
            let result: Result
            do throws(SQLiteError) {
                result = try body()
                try execute("COMMIT")
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
            if failing {
                failing = false
                sqlite3_busy_timeout(handle, Self.patience)
            }
            return result
        } catch {
            if !failing {
                failing = true
                sqlite3_busy_timeout(handle, 100)
            }
            throw error
        }
    }

    /// The value of an integer pragma (`PRAGMA name`).
    func integerPragma(_ name: String) throws(SQLiteError) -> Int64 {
        try query("PRAGMA \(name)") { $0.integer(0) }.first ?? 0
    }

    /// The rowid of the last insert.
    var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(handle) }

    func error(_ result: Int32) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), path: path)
    }
}

/// A value bound to a statement's parameter.
enum SQLiteValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null

    static func int(_ value: Int) -> SQLiteValue { .integer(Int64(value)) }
    static func optional(_ value: Int64?) -> SQLiteValue { value.map { .integer($0) } ?? .null }
    static func optional(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
}

/// A compiled statement (`sqlite3_stmt`), owned by its connection.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            let result: Int32
            switch value {
            case .integer(let number): result = sqlite3_bind_int64(handle, position, number)
            case .real(let number): result = sqlite3_bind_double(handle, position, number)
            case .text(let text): result = sqlite3_bind_text(handle, position, text, -1, SQLITE_TRANSIENT)
            case .blob(let bytes):
                result = bytes.withUnsafeBytes { sqlite3_bind_blob(handle, position, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
            case .null: result = sqlite3_bind_null(handle, position)
            }
            guard result == SQLITE_OK else { throw connection.error(result) }
        }
    }

    /// Advances to the next row: true while there is one.
    func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let result: throw connection.error(result)
        }
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func optionalInteger(_ column: Int32) -> Int64? { isNull(column) ? nil : integer(column) }
    func real(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: bytes)
    }
    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}

/// SQLite's "copy the bound value now" destructor, which the C header spells as a cast of -1.
private let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
