/// A TOML 1.0 reader for evsed's files: tables, arrays of tables, dotted and quoted keys, the four
/// kinds of string, integers (decimal, hex, octal, binary), floats, booleans, arrays and inline
/// tables, with TOML's rules on what may be defined, extended or re-opened. Dates and times are
/// refused with a hint to quote them: no evsed setting is one.
///
/// Written for evsed rather than taken from a library so that every value keeps its line, and an
/// error can say "boards/sim.toml:12: charger.max_current: …". Nothing in a file can make it
/// recurse deeper than `maximumDepth` or build a key of more than `maximumKeyParts` parts, and an
/// error quotes at most a short excerpt of the text it is about.
struct TOMLParser {
    /// Nesting of arrays and inline tables, and parts of a dotted key: far beyond any real file.
    static let maximumDepth = 32
    static let maximumKeyParts = 32

    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private var depth = 0
    private let root: ConfigTable
    /// Tables defined by a `[header]`, to refuse a second definition.
    private var definedTables: Set<ObjectIdentifier> = []
    /// Tables made by dotted keys (`a.b = 1` makes `a`): no header may define them afterwards.
    private var dottedTables: Set<ObjectIdentifier> = []
    /// Inline tables and their sub-tables, and arrays written as values: complete where written.
    private var closedTables: Set<ObjectIdentifier> = []
    private var staticArrays: Set<String> = []

    init(text: String, file: String) {
        var bytes = Array(text.utf8)
        // A UTF-8 byte-order mark is allowed at the start and means nothing.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.bytes = bytes
        self.file = file
        self.root = ConfigTable(file: file, path: "", line: 1)
    }

    static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigTable {
        var parser = TOMLParser(text: text, file: file)
        return try parser.parseDocument()
    }

    // MARK: Document structure

    private mutating func parseDocument() throws(ConfigError) -> ConfigTable {
        var current = root
        while true {
            try skipBlankAndComments(newlines: true)
            guard let byte = peek() else { return root }
            if byte == UInt8(ascii: "[") {
                current = try parseHeader()
            } else {
                try parseKeyValue(into: current)
            }
            try endOfLine()
        }
    }

    private mutating func parseHeader() throws(ConfigError) -> ConfigTable {
        let headerLine = line
        advance()
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { advance() }
        skipSpaces()
        let keys = try parseKey()
        skipSpaces()
        try expect("]", "to close the table header")
        if isArray { try expect("]", "to close the array-of-tables header") }

        var table = root
        for (position, key) in keys.enumerated() {
            let last = position == keys.count - 1
            let path = table.keyPath(key)
            if last && isArray {
                if let existing = table.peek(key) {
                    guard case .array(var elements) = existing.kind, !staticArrays.contains(path),
                          elements.allSatisfy({ if case .table = $0.kind { true } else { false } }) else {
                        throw fail(path, "already defined as \(existing.typeName) on line \(existing.line)", line: headerLine)
                    }
                    let named = ConfigTable(file: file, path: "\(path)[\(elements.count + 1)]", line: headerLine)
                    elements.append(ConfigValue(.table(named), line: headerLine))
                    table.set(key, ConfigValue(.array(elements), line: existing.line))
                    return named
                }
                let named = ConfigTable(file: file, path: "\(path)[1]", line: headerLine)
                table.set(key, ConfigValue(.array([ConfigValue(.table(named), line: headerLine)]), line: headerLine))
                return named
            }
            if let existing = table.peek(key) {
                switch existing.kind {
                case .table(let child) where !closedTables.contains(ObjectIdentifier(child)):
                    table = child
                case .array(let elements) where !staticArrays.contains(path):
                    // `[fruit.variety]` after `[[fruit]]` continues the last element.
                    guard let lastElement = elements.last, case .table(let child) = lastElement.kind else {
                        throw fail(path, "already defined as \(existing.typeName) on line \(existing.line)", line: headerLine)
                    }
                    table = child
                default:
                    throw fail(path, "already defined as \(existing.typeName) on line \(existing.line)", line: headerLine)
                }
            } else {
                let child = ConfigTable(file: file, path: path, line: headerLine)
                table.set(key, ConfigValue(.table(child), line: headerLine))
                table = child
            }
            if last {
                let id = ObjectIdentifier(table)
                guard !definedTables.contains(id), !dottedTables.contains(id) else { throw fail(path, "table defined twice", line: headerLine) }
                definedTables.insert(id)
            }
        }
        return table
    }

    private mutating func parseKeyValue(into table: ConfigTable) throws(ConfigError) {
        let keyLine = line
        let keys = try parseKey()
        skipSpaces()
        try expect("=", "after the key '\(excerpt(keys.joined(separator: ".")))'")
        skipSpaces()
        let value = try parseValue(path: table.keyPath(keys.joined(separator: ".")))
        var target = table
        for key in keys.dropLast() {
            if let existing = target.peek(key) {
                // Dotted keys extend only tables that dotted keys made, and never an inline table.
                guard case .table(let child) = existing.kind, dottedTables.contains(ObjectIdentifier(child)),
                      !closedTables.contains(ObjectIdentifier(child)) else {
                    throw fail(target.keyPath(key), "already defined as \(existing.typeName) on line \(existing.line)", line: keyLine)
                }
                target = child
            } else {
                let child = ConfigTable(file: file, path: target.keyPath(key), line: keyLine)
                target.set(key, ConfigValue(.table(child), line: keyLine))
                dottedTables.insert(ObjectIdentifier(child))
                target = child
            }
        }
        let key = keys[keys.count - 1]
        if let existing = target.peek(key) {
            throw fail(target.keyPath(key), "defined twice (first on line \(existing.line))", line: keyLine)
        }
        if case .array = value.kind { staticArrays.insert(target.keyPath(key)) }
        target.set(key, value)
    }

    private mutating func parseKey() throws(ConfigError) -> [String] {
        var keys: [String] = []
        while true {
            guard keys.count < Self.maximumKeyParts else { throw fail(nil, "a key of more than \(Self.maximumKeyParts) parts") }
            skipSpaces()
            guard let byte = peek() else { throw fail(nil, "expected a key, found the end of the file") }
            if byte == UInt8(ascii: "\"") {
                guard !startsWith("\"\"\"") else { throw fail(nil, "a key cannot be a multi-line string") }
                keys.append(try parseBasicString())
            } else if byte == UInt8(ascii: "'") {
                guard !startsWith("'''") else { throw fail(nil, "a key cannot be a multi-line string") }
                keys.append(try parseLiteralString())
            } else {
                let start = index
                while let byte = peek(), isBareKeyByte(byte) { advance() }
                guard index > start else { throw fail(nil, "expected a key, found '\(describe(byte))'") }
                keys.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return keys }
            advance()
        }
    }

    // MARK: Values

    /// Parses a value; `path` names it in errors (and names an inline table).
    private mutating func parseValue(path: String) throws(ConfigError) -> ConfigValue {
        let valueLine = line
        guard let byte = peek() else { throw fail(nil, "expected a value, found the end of the file") }
        switch byte {
        case UInt8(ascii: "\""):
            if startsWith("\"\"\"") { return ConfigValue(.string(try parseMultilineString(quote: UInt8(ascii: "\""))), line: valueLine) }
            return ConfigValue(.string(try parseBasicString()), line: valueLine)
        case UInt8(ascii: "'"):
            if startsWith("'''") { return ConfigValue(.string(try parseMultilineString(quote: UInt8(ascii: "'"))), line: valueLine) }
            return ConfigValue(.string(try parseLiteralString()), line: valueLine)
        case UInt8(ascii: "["):
            return ConfigValue(.array(try nested { (parser: inout TOMLParser) throws(ConfigError) in try parser.parseArray(path: path) }), line: valueLine)
        case UInt8(ascii: "{"):
            return ConfigValue(.table(try nested { (parser: inout TOMLParser) throws(ConfigError) in try parser.parseInlineTable(path: path) }), line: valueLine)
        case UInt8(ascii: "t") where startsWith("true") && terminatesAt(index + 4):
            index += 4
            return ConfigValue(.boolean(true), line: valueLine)
        case UInt8(ascii: "f") where startsWith("false") && terminatesAt(index + 5):
            index += 5
            return ConfigValue(.boolean(false), line: valueLine)
        default:
            return try parseNumber()
        }
    }

    /// Runs `body` one level deeper, refusing a nesting no real file has (a stack overflow).
    private mutating func nested<Value>(_ body: (inout TOMLParser) throws(ConfigError) -> Value) throws(ConfigError) -> Value {
        guard depth < Self.maximumDepth else { throw fail(nil, "arrays and inline tables nested more than \(Self.maximumDepth) deep") }
        depth += 1
        defer { depth -= 1 }
        return try body(&self)
    }

    private mutating func parseNumber() throws(ConfigError) -> ConfigValue {
        let valueLine = line
        let start = index
        while let byte = peek(), !isValueTerminator(byte) { advance() }
        let token = String(decoding: bytes[start..<index], as: UTF8.self)
        guard !token.isEmpty else { throw fail(nil, "expected a value") }
        if token.contains(":") || (token.count >= 10 && token.dropFirst(4).first == "-" && token.first?.isNumber == true) {
            throw fail(nil, "dates and times are not supported here; write \(excerpt(token)) as a quoted string")
        }
        let integer: Int?
        do throws(ConfigError.Problem) { integer = try Self.integer(token) } catch { throw fail(nil, error.text) }
        if let integer { return ConfigValue(.integer(integer), line: valueLine) }
        if let value = Self.float(token) { return ConfigValue(.float(value), line: valueLine) }
        if token.first?.isLetter == true {
            throw fail(nil, "'\(excerpt(token))' is not a value; quote text (\"\(excerpt(token))\"), or write true, false or a number")
        }
        throw fail(nil, "'\(excerpt(token))' is not a number")
    }

    /// Digits with single underscores between them ("1_000"), in `alphabet`.
    static func digits(_ text: Substring, _ alphabet: (UInt8) -> Bool) -> String? {
        let utf8 = Array(text.utf8)
        guard let first = utf8.first, let last = utf8.last, alphabet(first), alphabet(last) else { return nil }
        var previousUnderscore = false
        for byte in utf8 {
            if byte == UInt8(ascii: "_") {
                guard !previousUnderscore else { return nil }
                previousUnderscore = true
            } else {
                guard alphabet(byte) else { return nil }
                previousUnderscore = false
            }
        }
        return String(decoding: utf8.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
    }

    static func isDecimalDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }

    /// A TOML integer: decimal with an optional sign and no leading zero, or unsigned 0x/0o/0b
    /// with lower-case prefix; nil when the token is not an integer; an error when it is one
    /// beyond 64 bits.
    static func integer(_ token: String) throws(ConfigError.Problem) -> Int? {
        let prefixes: [(String, Int, (UInt8) -> Bool)] = [
            ("0x", 16, { isDecimalDigit($0) || (97...102).contains($0) || (65...70).contains($0) }),
            ("0o", 8, { (48...55).contains($0) }),
            ("0b", 2, { $0 == 48 || $0 == 49 }),
        ]
        for (prefix, radix, alphabet) in prefixes where token.hasPrefix(prefix) {
            guard let digits = digits(token.dropFirst(2), alphabet) else { return nil }
            guard let value = Int(digits, radix: radix) else { throw .init("'\(excerptOf(token))' is beyond a 64-bit integer") }
            return value
        }
        let unsigned = token.first == "+" || token.first == "-" ? token.dropFirst() : Substring(token)
        guard let digits = digits(unsigned, isDecimalDigit) else { return nil }
        guard digits == "0" || !digits.hasPrefix("0") else { throw .init("'\(excerptOf(token))' has a leading zero") }
        guard let value = Int((token.first == "-" ? "-" : "") + digits) else { throw .init("'\(excerptOf(token))' is beyond a 64-bit integer") }
        return value
    }

    /// A TOML float: an integer part (no leading zero), a fraction and/or an exponent, or inf
    /// and nan with an optional sign; nil when the token is not one.
    static func float(_ token: String) -> Double? {
        let signed = token.first == "+" || token.first == "-"
        let unsigned = signed ? token.dropFirst() : Substring(token)
        switch unsigned {
        case "inf": return token.first == "-" ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        let exponentAt = unsigned.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = exponentAt.map { unsigned[..<$0] } ?? unsigned
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = digits(parts[0], isDecimalDigit), whole == "0" || !whole.hasPrefix("0") else { return nil }
        var text = (token.first == "-" ? "-" : "") + whole
        if parts.count == 2 {
            guard let fraction = digits(parts[1], isDecimalDigit) else { return nil }
            text += "." + fraction
        }
        if let exponentAt {
            var exponent = unsigned[unsigned.index(after: exponentAt)...]
            let sign = exponent.first == "+" || exponent.first == "-" ? String(exponent.removeFirst()) : ""
            guard let power = digits(exponent, isDecimalDigit) else { return nil }
            text += "e" + sign + power
        } else if parts.count == 1 {
            return nil  // an integer, not a float
        }
        return Double(text)
    }

    private mutating func parseArray(path: String) throws(ConfigError) -> [ConfigValue] {
        let openLine = line
        advance()
        var elements: [ConfigValue] = []
        while true {
            try skipBlankAndComments(newlines: true)
            guard let byte = peek() else { throw fail(nil, "array opened on line \(openLine) is never closed") }
            if byte == UInt8(ascii: "]") {
                advance()
                return elements
            }
            elements.append(try parseValue(path: "\(path)[\(elements.count + 1)]"))
            try skipBlankAndComments(newlines: true)
            if peek() == nil {
                throw fail(nil, "array opened on line \(openLine) is never closed")
            } else if peek() == UInt8(ascii: ",") {
                advance()
            } else if peek() != UInt8(ascii: "]") {
                throw fail(nil, "expected ',' or ']' in the array opened on line \(openLine)")
            }
        }
    }

    /// `{ a = 1, b.c = 2 }` on one line; complete as written: nothing may add to it later.
    private mutating func parseInlineTable(path: String) throws(ConfigError) -> ConfigTable {
        let table = ConfigTable(file: file, path: path, line: line)
        advance()
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            advance()
            closedTables.insert(ObjectIdentifier(table))
            return table
        }
        let dottedBefore = dottedTables
        while true {
            skipSpaces()
            try parseKeyValue(into: table)
            skipSpaces()
            guard let byte = peek() else { throw fail(nil, "inline table never closed") }
            advance()
            if byte == UInt8(ascii: "}") { break }
            guard byte == UInt8(ascii: ",") else { throw fail(nil, "expected ',' or '}' in the inline table") }
        }
        // Its sub-tables (from dotted keys inside it) are closed with it.
        for made in dottedTables.subtracting(dottedBefore) { closedTables.insert(made) }
        closedTables.insert(ObjectIdentifier(table))
        return table
    }

    // MARK: Strings

    private mutating func parseBasicString() throws(ConfigError) -> String {
        advance()
        var scalars = String.UnicodeScalarView()
        var pending: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw fail(nil, "string not closed on this line") }
            try refuseControl(byte, allowing: [])
            advance()
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                flush(&pending, into: &scalars)
                scalars.append(try parseEscape())
            } else {
                pending.append(byte)
            }
        }
        flush(&pending, into: &scalars)
        return String(scalars)
    }

    private mutating func parseLiteralString() throws(ConfigError) -> String {
        advance()
        let start = index
        while let byte = peek(), byte != UInt8(ascii: "'") {
            guard byte != UInt8(ascii: "\n") else { throw fail(nil, "string not closed on this line") }
            try refuseControl(byte, allowing: [])
            advance()
        }
        guard peek() != nil else { throw fail(nil, "string not closed") }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        advance()
        return text
    }

    /// `"""…"""` (escapes, and a line-ending backslash that trims the following whitespace) or
    /// `'''…'''` (raw). A newline right after the opening delimiter is dropped; up to two quotes
    /// may stand right before the closing one.
    private mutating func parseMultilineString(quote: UInt8) throws(ConfigError) -> String {
        let openLine = line
        let basic = quote == UInt8(ascii: "\"")
        index += 3
        if startsWith("\r\n") { index += 1 }
        if peek() == UInt8(ascii: "\n") { advance() }
        var scalars = String.UnicodeScalarView()
        var pending: [UInt8] = []
        while true {
            guard let byte = peek() else { throw fail(nil, "multi-line string opened on line \(openLine) is never closed") }
            if byte == quote {
                var run = 0
                while index + run < bytes.count && bytes[index + run] == quote { run += 1 }
                if run >= 3 {
                    guard run <= 5 else { throw fail(nil, "more than two quotes before the end of a multi-line string") }
                    pending += Array(repeating: quote, count: run - 3)
                    index += run
                    break
                }
                pending += Array(repeating: quote, count: run)
                index += run
                continue
            }
            if byte == UInt8(ascii: "\r") {
                guard startsWith("\r\n") else { throw fail(nil, "a carriage return must be followed by a line feed") }
                pending.append(byte)
                index += 1
                continue
            }
            try refuseControl(byte, allowing: [UInt8(ascii: "\n")])
            advance()
            if basic && byte == UInt8(ascii: "\\") {
                flush(&pending, into: &scalars)
                // A backslash at the end of a line (spaces may follow) trims up to the next text.
                var probe = index
                while probe < bytes.count && (bytes[probe] == UInt8(ascii: " ") || bytes[probe] == UInt8(ascii: "\t")) { probe += 1 }
                if probe < bytes.count && (bytes[probe] == UInt8(ascii: "\n") || bytes[probe] == UInt8(ascii: "\r")) {
                    while let next = peek(), next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n")
                        || next == UInt8(ascii: "\r") { advance() }
                } else {
                    scalars.append(try parseEscape())
                }
            } else {
                pending.append(byte)
            }
        }
        flush(&pending, into: &scalars)
        return String(scalars)
    }

    private mutating func parseEscape() throws(ConfigError) -> Unicode.Scalar {
        guard let byte = peek() else { throw fail(nil, "unfinished escape") }
        advance()
        switch byte {
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = byte == UInt8(ascii: "u") ? 4 : 8
            let hex = { (b: UInt8) in Self.isDecimalDigit(b) || (97...102).contains(b) || (65...70).contains(b) }
            guard index + count <= bytes.count, bytes[index..<index + count].allSatisfy(hex),
                let code = UInt32(String(decoding: bytes[index..<index + count], as: UTF8.self), radix: 16),
                let scalar = Unicode.Scalar(code)
            else { throw fail(nil, "invalid \\\(Character(Unicode.Scalar(byte))) escape") }
            index += count
            return scalar
        default:
            throw fail(nil, "unknown escape '\\\(describe(byte))'")
        }
    }

    private func flush(_ pending: inout [UInt8], into scalars: inout String.UnicodeScalarView) {
        guard !pending.isEmpty else { return }
        scalars.append(contentsOf: String(decoding: pending, as: UTF8.self).unicodeScalars)
        pending.removeAll(keepingCapacity: true)
    }

    /// TOML allows no control character but tab in strings and comments (and newlines where a
    /// multi-line string may have them).
    private func refuseControl(_ byte: UInt8, allowing allowed: [UInt8]) throws(ConfigError) {
        guard (byte < 0x20 && byte != UInt8(ascii: "\t") && !allowed.contains(byte)) || byte == 0x7F else { return }
        throw fail(nil, "control character \(describe(byte)) is not allowed here")
    }

    // MARK: Lexing helpers

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") { line += 1 }
        index += 1
    }

    private func startsWith(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        return index + utf8.count <= bytes.count && Array(bytes[index..<index + utf8.count]) == utf8
    }

    /// Whether a value ends at `position` (the end, a space, a comma, a bracket, a comment).
    private func terminatesAt(_ position: Int) -> Bool { position >= bytes.count || isValueTerminator(bytes[position]) }

    private mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    private mutating func skipBlankAndComments(newlines: Bool) throws(ConfigError) {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                advance()
            } else if byte == UInt8(ascii: "\r") && startsWith("\r\n") {
                guard newlines else { return }
                index += 1
            } else if newlines && byte == UInt8(ascii: "\n") {
                advance()
            } else if byte == UInt8(ascii: "#") {
                while let byte = peek(), byte != UInt8(ascii: "\n") {
                    if byte == UInt8(ascii: "\r") && startsWith("\r\n") { break }
                    try refuseControl(byte, allowing: [])
                    advance()
                }
            } else {
                return
            }
        }
    }

    /// After a key/value pair or a header: only spaces and a comment may follow on the line.
    private mutating func endOfLine() throws(ConfigError) {
        try skipBlankAndComments(newlines: false)
        guard let byte = peek() else { return }
        if startsWith("\r\n") { index += 1 }
        guard let end = peek(), end == UInt8(ascii: "\n") else {
            throw fail(nil, "unexpected '\(describe(byte))' after the value; one key = value per line")
        }
        advance()
    }

    private mutating func expect(_ character: Character, _ context: String) throws(ConfigError) {
        guard let byte = peek(), byte == character.asciiValue! else {
            throw fail(nil, "expected '\(character)' \(context)")
        }
        advance()
    }

    private func isBareKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private func isValueTerminator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "#")
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "byte 0x" + String(byte, radix: 16)
    }

    private func excerpt(_ text: String) -> String { Self.excerptOf(text) }

    /// At most 24 characters of `text`: an error repeats what it is about, not a whole bad line.
    static func excerptOf(_ text: String) -> String { text.count <= 24 ? text : String(text.prefix(21)) + "…" }

    private func fail(_ key: String?, _ problem: String, line: Int? = nil) -> ConfigError {
        // A key path is shown whole unless a file made it absurdly long.
        ConfigError(file: file, line: line ?? self.line, key: key.map { $0.count <= 120 ? $0 : String($0.prefix(117)) + "…" }, problem: problem)
    }
}

extension ConfigError {
    /// A problem found before its place is known (the caller adds file and line).
    struct Problem: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }
}
