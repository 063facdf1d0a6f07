/// A JSON object on one line, with its keys in the order they were added.
public struct JSONLine: CustomStringConvertible {
    private var members: [String] = []

    public init() {}

    public mutating func add(_ key: String, _ value: String) { members.append("\(Self.quote(key)):\(Self.quote(value))") }
    public mutating func add(_ key: String, _ value: Bool) { members.append("\(Self.quote(key)):\(value)") }
    public mutating func add(_ key: String, _ value: Int) { members.append("\(Self.quote(key)):\(value)") }

    /// A number rounded to `decimals`; integral values print without a fraction, NaN and
    /// infinities (which JSON cannot carry) as null.
    public mutating func add(_ key: String, _ value: Double, decimals: Int = 3) {
        members.append("\(Self.quote(key)):\(Self.number(value, decimals: decimals))")
    }

    public var description: String { "{" + members.joined(separator: ",") + "}" }

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
