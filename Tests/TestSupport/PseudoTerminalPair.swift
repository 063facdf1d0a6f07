#if canImport(Glibc)
import Glibc
#endif

/// Two pseudo terminals joined by `socat`, like the two ends of an RS-485 line: what is written on
/// one is read on the other. `close()` (or deinit) stops socat and removes the links.
public final class PseudoTerminalPair: @unchecked Sendable {
    public let first: String
    public let second: String
    private let directory: String
    private var socat: pid_t = 0

    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public init() throws {
        var template = Array("/tmp/evsed-pty-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        first = directory + "/a"
        second = directory + "/b"
        try start()
    }

    /// Starts socat on the pair's two paths and waits for its links.
    private func start() throws {
        let arguments = ["socat", "pty,raw,echo=0,link=\(first)", "pty,raw,echo=0,link=\(second)"]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The test's thread may block signals; socat must not inherit that, or SIGTERM never lands.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let result = posix_spawnp(&socat, "socat", &actions, &attributes, &argv, environ)
        guard result == 0 else {
            throw Unavailable(reason: "cannot start socat: \(String(cString: strerror(result))) (make deps installs it)")
        }
        for _ in 0..<500 {
            if access(first, F_OK) == 0 && access(second, F_OK) == 0 { return }
            usleep(20_000)
        }
        close()
        throw Unavailable(reason: "socat did not create the pseudo terminals within 10 s")
    }

    /// The line is cut, as when a USB RS-485 adapter falls off the bus: socat stops and both
    /// paths disappear; `reconnect()` brings them back.
    public func cut() {
        stopSocat()
        unlink(first)
        unlink(second)
    }

    /// The adapter is back, at the same paths.
    public func reconnect() throws {
        guard socat == 0 else { return }
        try start()
    }

    /// Stops socat and removes the links.
    public func close() {
        stopSocat()
        unlink(first)
        unlink(second)
        rmdir(directory)
    }

    private func stopSocat() {
        guard socat > 0 else { return }
        kill(socat, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 where waitpid(socat, &status, WNOHANG) == 0 { usleep(10_000) }
        if kill(socat, 0) == 0 {
            kill(socat, SIGKILL)
            waitpid(socat, &status, 0)
        }
        socat = 0
    }

    deinit { close() }
}
