#if canImport(Glibc)
import Glibc
#endif

/// A program started with posix_spawn, its output and errors in a file: the guest's tests start
/// programs this way, because Foundation's `Process` waits for its child through a socket pair the
/// guest's Foundation cannot make ("Could not create wakeup socket pair for CFSocket").
public final class ChildProcess: @unchecked Sendable {
    // Unchecked: `wait` and `signal` from one thread at a time.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let identifier: pid_t
    /// Where its standard output and error go.
    public let outputPath: String
    private var status: Int32?

    /// Starts `path` with `arguments`; `environment` adds to (or replaces in) this process's own.
    public init(_ path: String, _ arguments: [String], environment: [String: String] = [:], output: String) throws {
        outputPath = output
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") { variables[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            entry += 1
        }
        variables.merge(environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else { throw Failure(description: "cannot start \(path): \(String(cString: strerror(result)))") }
        identifier = pid
    }

    /// Runs `path` to its end and returns its status and output.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                           output: String) throws -> (status: Int32, output: String) {
        let child = try ChildProcess(path, arguments, environment: environment, output: output)
        let status = child.wait(seconds: 120) ?? -1
        return (status, child.output)
    }

    /// What it wrote so far.
    public var output: String {
        let descriptor = open(outputPath, O_RDONLY)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Its exit status (128 + the signal when killed), or nil if it still runs after `seconds`.
    public func wait(seconds: Double) -> Int32? {
        if let status { return status }
        var reaped: Int32?
        _ = waitUntil(seconds: seconds) {
            var raw: Int32 = 0
            guard waitpid(identifier, &raw, WNOHANG) == identifier else { return false }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
            let signal = raw & 0x7f
            reaped = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return true
        }
        status = reaped
        return reaped
    }

    public func signal(_ number: Int32) { if status == nil { kill(identifier, number) } }

    deinit {
        if status == nil {
            kill(identifier, SIGKILL)
            var raw: Int32 = 0
            waitpid(identifier, &raw, 0)
        }
    }
}
