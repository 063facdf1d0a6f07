#if canImport(Glibc)
import Glibc
#endif

/// Reading a TOML file from disk.
public enum ConfigDocument {
    /// Parses `text` as the contents of `file`.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigTable {
        try TOMLParser.parse(text, file: file)
    }

    /// Reads and parses the file at `path`. A missing or unreadable file is a `ConfigError` that
    /// names the path and the system's reason.
    public static func load(_ path: String) throws(ConfigError) -> ConfigTable {
        try parse(text(at: path), file: path)
    }

    /// The text of the file at `path` (UTF-8, at most 4 MiB).
    public static func text(at path: String) throws(ConfigError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigError(file: path, line: nil, key: nil, problem: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigError(file: path, line: nil, key: nil, problem: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= 4 * 1024 * 1024 else {
                throw ConfigError(file: path, line: nil, key: nil, problem: "larger than 4 MiB; not a configuration file")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(file: path, line: nil, key: nil, problem: "not UTF-8 text")
        }
        return text
    }
}
