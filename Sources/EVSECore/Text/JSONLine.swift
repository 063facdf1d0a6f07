/// A JSON object on one line, with its keys in the order they were added.
public struct JSONLine: CustomStringConvertible, Sendable {
    /// One member: its key, its value as JSON, and its value as plain text.
    public struct Member: Sendable {
        public var key: String
        public var json: String
        public var plain: String
    }

    public private(set) var members: [Member] = []

    public init() {}

    public mutating func add(_ key: String, _ value: String) { members.append(Member(key: key, json: Self.quote(value), plain: value)) }
    public mutating func add(_ key: String, _ value: Bool) { members.append(Member(key: key, json: "\(value)", plain: "\(value)")) }
    public mutating func add(_ key: String, _ value: Int) { members.append(Member(key: key, json: "\(value)", plain: "\(value)")) }
    public mutating func add(_ key: String, _ value: Int64) { members.append(Member(key: key, json: "\(value)", plain: "\(value)")) }

    /// A value that is JSON already (an array, a nested object).
    public mutating func add(_ key: String, json text: String) {
        members.append(Member(key: key, json: text, plain: text))
    }

    /// A number rounded to `decimals`; integral values print without a fraction, NaN and
    /// infinities (which JSON cannot carry) as null.
    public mutating func add(_ key: String, _ value: Double, decimals: Int = 3) {
        let text = Self.number(value, decimals: decimals)
        members.append(Member(key: key, json: text, plain: text))
    }

    /// A number given as its decimal text (an exact amount of money).
    public mutating func add(_ key: String, number text: String) {
        members.append(Member(key: key, json: text, plain: text))
    }

    /// Appends the members of `other`.
    public mutating func append(contentsOf other: JSONLine) { members += other.members }

    public var description: String {
        "{" + members.map { "\(Self.quote($0.key)):\($0.json)" }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "null" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
        return String(rounded)
    }

    /// `text` as a JSON string literal.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
