/// A mistake in a configuration file, located precisely enough to fix it: the file, the line and
/// the key, and what is wrong.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file's path as the user gave it.
    public var file: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The dotted key path (`charger.max_current`), when the mistake belongs to a key.
    public var key: String?
    /// What is wrong, in words.
    public var problem: String

    public init(file: String, line: Int?, key: String?, problem: String) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
    }

    /// "boards/sim.toml:12: charger.max_current: expected a number, found a string"
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + problem
    }
}
