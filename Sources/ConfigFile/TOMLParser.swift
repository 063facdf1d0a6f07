/// A parser for the TOML that evsed's files use: tables, arrays of tables, dotted and quoted keys,
/// basic, literal and multi-line strings, integers (decimal, hex, octal, binary), floats, booleans,
/// arrays and inline tables. Dates and times are refused with a hint to quote them.
///
/// Written for evsed rather than taken from a library so that every value keeps its line, and an
/// error can say "boards/sim.toml:12: charger.max_current: …".
struct TOMLParser {
    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private let root: ConfigTable
    /// Tables defined by a `[header]`, to refuse a second definition.
    private var definedTables: Set<ObjectIdentifier> = []

    init(text: String, file: String) {
        self.bytes = Array(text.utf8)
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
            skipBlankAndComments(newlines: true)
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
                    guard case .array(var elements) = existing.kind, elements.allSatisfy({ if case .table = $0.kind { true } else { false } }) else {
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
                case .table(let child):
                    table = child
                case .array(let elements):
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
                guard !definedTables.contains(id) else { throw fail(path, "table defined twice", line: headerLine) }
                definedTables.insert(id)
            }
        }
        return table
    }

    private mutating func parseKeyValue(into table: ConfigTable) throws(ConfigError) {
        let keyLine = line
        let keys = try parseKey()
        skipSpaces()
        try expect("=", "after the key '\(keys.joined(separator: "."))'")
        skipSpaces()
        let value = try parseValue(path: table.keyPath(keys.joined(separator: ".")))
        var target = table
        for key in keys.dropLast() {
            if let existing = target.peek(key) {
                guard case .table(let child) = existing.kind else {
                    throw fail(target.keyPath(key), "already defined as \(existing.typeName) on line \(existing.line)", line: keyLine)
                }
                target = child
            } else {
                let child = ConfigTable(file: file, path: target.keyPath(key), line: keyLine)
                target.set(key, ConfigValue(.table(child), line: keyLine))
                target = child
            }
        }
        let key = keys[keys.count - 1]
        if let existing = target.peek(key) {
            throw fail(target.keyPath(key), "defined twice (first on line \(existing.line))", line: keyLine)
        }
        target.set(key, value)
    }

    private mutating func parseKey() throws(ConfigError) -> [String] {
        var keys: [String] = []
        while true {
            skipSpaces()
            guard let byte = peek() else { throw fail(nil, "expected a key, found the end of the file") }
            if byte == UInt8(ascii: "\"") {
                keys.append(try parseBasicString())
            } else if byte == UInt8(ascii: "'") {
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
            if startsWith("\"\"\"") { return ConfigValue(.string(try parseMultilineBasicString()), line: valueLine) }
            return ConfigValue(.string(try parseBasicString()), line: valueLine)
        case UInt8(ascii: "'"):
            if startsWith("'''") { return ConfigValue(.string(try parseMultilineLiteralString()), line: valueLine) }
            return ConfigValue(.string(try parseLiteralString()), line: valueLine)
        case UInt8(ascii: "["):
            return ConfigValue(.array(try parseArray(path: path)), line: valueLine)
        case UInt8(ascii: "{"):
            return ConfigValue(.table(try parseInlineTable(path: path)), line: valueLine)
        case UInt8(ascii: "t") where startsWith("true"):
            index += 4
            return ConfigValue(.boolean(true), line: valueLine)
        case UInt8(ascii: "f") where startsWith("false"):
            index += 5
            return ConfigValue(.boolean(false), line: valueLine)
        default:
            return try parseNumber()
        }
    }

    private mutating func parseNumber() throws(ConfigError) -> ConfigValue {
        let valueLine = line
        let start = index
        while let byte = peek(), !isValueTerminator(byte) { advance() }
        let token = String(decoding: bytes[start..<index], as: UTF8.self)
        guard !token.isEmpty else { throw fail(nil, "expected a value") }
        if token.contains(":") || (token.count >= 10 && token.dropFirst(4).first == "-" && token.first?.isNumber == true) {
            throw fail(nil, "dates and times are not supported here; write \(token) as a quoted string")
        }
        let digits = String(token.filter { $0 != "_" })
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) {
            guard let value = Int(digits.dropFirst(2), radix: radix) else { throw fail(nil, "'\(token)' is not a number") }
            return ConfigValue(.integer(value), line: valueLine)
        }
        if let value = Int(digits) { return ConfigValue(.integer(value), line: valueLine) }
        switch digits {
        case "inf", "+inf": return ConfigValue(.float(.infinity), line: valueLine)
        case "-inf": return ConfigValue(.float(-.infinity), line: valueLine)
        case "nan", "+nan", "-nan": return ConfigValue(.float(.nan), line: valueLine)
        default: break
        }
        if let value = Double(digits), digits.first != ".", digits.last != "." {
            return ConfigValue(.float(value), line: valueLine)
        }
        if token.first?.isLetter == true {
            throw fail(nil, "'\(token)' is not a value; quote text (\"\(token)\"), or write true, false or a number")
        }
        throw fail(nil, "'\(token)' is not a number")
    }

    private mutating func parseArray(path: String) throws(ConfigError) -> [ConfigValue] {
        let openLine = line
        advance()
        var elements: [ConfigValue] = []
        while true {
            skipBlankAndComments(newlines: true)
            guard let byte = peek() else { throw fail(nil, "array opened on line \(openLine) is never closed") }
            if byte == UInt8(ascii: "]") {
                advance()
                return elements
            }
            elements.append(try parseValue(path: "\(path)[\(elements.count + 1)]"))
            skipBlankAndComments(newlines: true)
            if peek() == nil {
                throw fail(nil, "array opened on line \(openLine) is never closed")
            } else if peek() == UInt8(ascii: ",") {
                advance()
            } else if peek() != UInt8(ascii: "]") {
                throw fail(nil, "expected ',' or ']' in the array opened on line \(openLine)")
            }
        }
    }

    private mutating func parseInlineTable(path: String) throws(ConfigError) -> ConfigTable {
        let table = ConfigTable(file: file, path: path, line: line)
        advance()
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            advance()
            return table
        }
        while true {
            skipSpaces()
            try parseKeyValue(into: table)
            skipSpaces()
            guard let byte = peek() else { throw fail(nil, "inline table never closed") }
            advance()
            if byte == UInt8(ascii: "}") { return table }
            guard byte == UInt8(ascii: ",") else { throw fail(nil, "expected ',' or '}' in the inline table") }
        }
    }

    // MARK: Strings

    private mutating func parseBasicString() throws(ConfigError) -> String {
        advance()
        var scalars = String.UnicodeScalarView()
        var pending: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw fail(nil, "string not closed on this line") }
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

    private mutating func parseMultilineBasicString() throws(ConfigError) -> String {
        let openLine = line
        index += 3
        if peek() == UInt8(ascii: "\n") { advance() }
        var scalars = String.UnicodeScalarView()
        var pending: [UInt8] = []
        while true {
            guard let byte = peek() else { throw fail(nil, "multi-line string opened on line \(openLine) is never closed") }
            if startsWith("\"\"\"") {
                index += 3
                break
            }
            advance()
            if byte == UInt8(ascii: "\\") {
                flush(&pending, into: &scalars)
                if let next = peek(), next == UInt8(ascii: "\n") || next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") {
                    skipBlankAndComments(newlines: true, comments: false)
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

    private mutating func parseLiteralString() throws(ConfigError) -> String {
        advance()
        let start = index
        while let byte = peek(), byte != UInt8(ascii: "'") {
            guard byte != UInt8(ascii: "\n") else { throw fail(nil, "string not closed on this line") }
            advance()
        }
        guard peek() != nil else { throw fail(nil, "string not closed") }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        advance()
        return text
    }

    private mutating func parseMultilineLiteralString() throws(ConfigError) -> String {
        let openLine = line
        index += 3
        if peek() == UInt8(ascii: "\n") { advance() }
        let start = index
        while !startsWith("'''") {
            guard peek() != nil else { throw fail(nil, "multi-line string opened on line \(openLine) is never closed") }
            advance()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        index += 3
        return text
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
            guard index + count <= bytes.count,
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

    private mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    private mutating func skipBlankAndComments(newlines: Bool, comments: Bool = true) {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                advance()
            } else if newlines && byte == UInt8(ascii: "\n") {
                advance()
            } else if comments && byte == UInt8(ascii: "#") {
                while let byte = peek(), byte != UInt8(ascii: "\n") { advance() }
            } else {
                return
            }
        }
    }

    /// After a key/value pair or a header: only spaces and a comment may follow on the line.
    private mutating func endOfLine() throws(ConfigError) {
        skipBlankAndComments(newlines: false)
        guard let byte = peek() else { return }
        guard byte == UInt8(ascii: "\n") else { throw fail(nil, "unexpected '\(describe(byte))' after the value; one key = value per line") }
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

    private func fail(_ key: String?, _ problem: String, line: Int? = nil) -> ConfigError {
        ConfigError(file: file, line: line ?? self.line, key: key, problem: problem)
    }
}
