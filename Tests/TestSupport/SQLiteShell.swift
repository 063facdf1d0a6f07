import Foundation

/// Debian's `sqlite3` run on a database: another process's view of it, as `evsed ledger` or an
/// operator's shell would have.
public enum SQLiteShell {
    /// The lines `sqlite3 PATH QUERY` prints (one row per line, columns joined by '|').
    public static func rows(_ path: String, _ query: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, query]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // Read before waiting: a large answer would fill the pipe and never let the process end.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
