/// A value read from a TOML file, with the line it was on.
public struct ConfigValue {
    /// The kinds of TOML value evsed reads. (Dates and times are read as strings by the keys that
    /// need them, e.g. "07:30".)
    public enum Kind {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case array([ConfigValue])
        case table(ConfigTable)
    }

    public var kind: Kind
    /// The 1-based line where the value starts.
    public var line: Int

    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// A name for the value's type, for error messages.
    public var typeName: String {
        switch kind {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a number"
        case .boolean: return "true or false"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}
