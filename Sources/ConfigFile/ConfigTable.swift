/// A TOML table being read by evsed. It remembers which keys were read, so that a key nobody
/// reads — a typo — becomes an error instead of being silently ignored.
public final class ConfigTable {
    /// The file the table came from, as the user named it.
    public let file: String
    /// The dotted path of the table (`charger`, `step[3]`); empty for the document.
    public let path: String
    /// The line of the table's header (1 for the document).
    public let line: Int

    public private(set) var keys: [String] = []
    private var values: [String: ConfigValue] = [:]
    private var read: Set<String> = []

    init(file: String, path: String, line: Int) {
        self.file = file
        self.path = path
        self.line = line
    }

    /// The raw value of `key`, marked as read.
    public func value(_ key: String) -> ConfigValue? {
        read.insert(key)
        return values[key]
    }

    /// Whether the table has `key` (without marking it read).
    public func contains(_ key: String) -> Bool { values[key] != nil }

    func set(_ key: String, _ value: ConfigValue) {
        if values[key] == nil { keys.append(key) }
        values[key] = value
    }

    func peek(_ key: String) -> ConfigValue? { values[key] }

    /// The dotted path of `key` in this table.
    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key` (or the table itself when nil), located on the key's line.
    public func error(_ key: String?, _ problem: String) -> ConfigError {
        let line = key.flatMap { values[$0]?.line } ?? line
        return ConfigError(file: file, line: line, key: key.map(keyPath) ?? (path.isEmpty ? nil : path), problem: problem)
    }

    private func mismatch(_ key: String, expected: String, found: ConfigValue) -> ConfigError {
        error(key, "expected \(expected), found \(found.typeName)")
    }

    // MARK: Typed readers. Each returns nil when the key is absent and throws when it has the wrong type.

    public func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value.kind else { throw mismatch(key, expected: "a string", found: value) }
        return string
    }

    public func integer(_ key: String) throws(ConfigError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let integer) = value.kind else { throw mismatch(key, expected: "an integer", found: value) }
        return integer
    }

    /// A finite number; integers are accepted (`32` for `32.0`). TOML's `inf` and `nan` are
    /// refused here: no setting of evsed means them, and they must not reach a conversion.
    public func double(_ key: String) throws(ConfigError) -> Double? {
        guard let value = value(key) else { return nil }
        switch value.kind {
        case .float(let double):
            guard double.isFinite else { throw error(key, "\(double) is not a finite number") }
            return double
        case .integer(let integer): return Double(integer)
        default: throw mismatch(key, expected: "a number", found: value)
        }
    }

    public func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .boolean(let bool) = value.kind else { throw mismatch(key, expected: "true or false", found: value) }
        return bool
    }

    public func table(_ key: String) throws(ConfigError) -> ConfigTable? {
        guard let value = value(key) else { return nil }
        guard case .table(let table) = value.kind else { throw mismatch(key, expected: "a table", found: value) }
        return table
    }

    /// An array of tables (`[[step]]`); empty when absent.
    public func tables(_ key: String) throws(ConfigError) -> [ConfigTable] {
        guard let value = value(key) else { return [] }
        guard case .array(let elements) = value.kind else { throw mismatch(key, expected: "an array of tables", found: value) }
        var tables: [ConfigTable] = []
        for element in elements {
            guard case .table(let table) = element.kind else {
                throw mismatch(key, expected: "an array of tables", found: element)
            }
            tables.append(table)
        }
        return tables
    }

    /// An array of strings.
    public func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value.kind else { throw mismatch(key, expected: "an array of strings", found: value) }
        var strings: [String] = []
        for element in elements {
            guard case .string(let string) = element.kind else {
                throw mismatch(key, expected: "an array of strings", found: element)
            }
            strings.append(string)
        }
        return strings
    }

    // MARK: Validated readers.

    /// A number that must lie in `range`; `fallback` when absent.
    public func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let value = try double(key) else { return fallback }
        guard range.contains(value) else { throw error(key, "\(format(value)) is outside \(format(range.lowerBound)) … \(format(range.upperBound))") }
        return value
    }

    /// A time in seconds (a number) that must lie in `range`, as a `Duration`; nil when absent.
    public func seconds(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Duration? {
        guard let value = try double(key) else { return nil }
        guard range.contains(value) else { throw error(key, "\(format(value)) s is outside \(format(range.lowerBound)) … \(format(range.upperBound)) s") }
        return .nanoseconds(Int64((value * 1e9).rounded()))
    }

    /// An integer that must lie in `range`; `fallback` when absent.
    public func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = try integer(key) else { return fallback }
        guard range.contains(value) else { throw error(key, "\(value) is outside \(range.lowerBound) … \(range.upperBound)") }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        try bool(key) ?? fallback
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, of choices: [String], default fallback: String? = nil) throws(ConfigError) -> String {
        guard let value = try string(key) else {
            if let fallback { return fallback }
            throw error(nil, "missing key '\(key)' (one of: \(choices.joined(separator: ", ")))")
        }
        guard choices.contains(value) else {
            throw error(key, "'\(value)' is not one of: \(choices.joined(separator: ", "))\(suggestion(for: value, among: choices))")
        }
        return value
    }

    /// A key that must be present.
    public func required<Value>(_ key: String, _ read: (String) throws(ConfigError) -> Value?) throws(ConfigError) -> Value {
        guard let value = try read(key) else { throw error(nil, "missing key '\(key)'") }
        return value
    }

    /// Throws for the first key that no reader asked for: a misspelt or unsupported key. `others`
    /// are keys another reader of the same table owns (and reports itself).
    public func rejectUnknownKeys(besides others: [String] = []) throws(ConfigError) {
        for key in keys where !read.contains(key) && !others.contains(key) {
            let known = Array(read) + others
            throw error(key, "unknown key\(suggestion(for: key, among: known))")
        }
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// " (did you mean 'max_current'?)" when a candidate is close to `word`.
func suggestion(for word: String, among candidates: [String]) -> String {
    closestMatch(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
}

/// The candidate closest to `word` by edit distance, when it is close enough to be a typo.
public func closestMatch(to word: String, among candidates: [String]) -> String? {
    // A typo of a key or command is a short word; comparing long ones costs their product.
    guard word.count <= 40 else { return nil }
    let scored: [(String, Int)] = candidates.filter { $0.count <= 40 }.map { ($0, editDistance(word, $0)) }
    let best = scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    guard let best, best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
}

/// The edit distance between two strings, by characters, counting a swap of two neighbours as
/// one edit (optimal string alignment): "stauts" is one edit from "status".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
            }
        }
    }
    return table[a.count][b.count]
}
