import Console
import EVSECore
import Foundation
import Testing
import TestSupport

/// The console on a unix socket, driven as `evsed console` drives it: bytes in, screen out.
@Suite(.serialized) struct ConsoleServerTests {
    /// Answers every command with its name; records what it was asked.
    final class RecordingBackend: ConsoleBackend, @unchecked Sendable {
        private let lock = NSLock()
        private var commands: [(ParsedCommand, String)] = []
        /// What the consoles ran so far, with the console's name. Read under the lock: the server's
        /// thread may be adding to it (ThreadSanitizer saw a test read it bare).
        var executed: [(ParsedCommand, String)] { lock.withLock { commands } }
        func execute(_ command: ParsedCommand, console: String) -> [String] {
            lock.withLock { commands.append((command, console)) }
            if case .log(let count) = command.command { return (0..<count).map { "event \($0) " + String(repeating: "x", count: 200) } }
            return ["did \(ConsoleLanguage.spec(of: command.command).name)"]
        }
    }

    /// A console connected to the unix socket at `path`.
    static func console(at path: String) throws -> TerminalScreen {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard let address = UnixSocketAddress(path) else { throw POSIXError(.ENAMETOOLONG) }
        guard address.withSocketAddress({ connect(descriptor, $0, $1) }) == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        return TerminalScreen(descriptor: descriptor)
    }

    static let pin = ConsolePIN(ConsolePIN.make("4711", salt: Array(0..<16), rounds: 1000))!

    func server(_ backend: RecordingBackend) throws -> (ConsoleServer, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-console-\(UUID().uuidString.prefix(8)).sock").path
        return (try ConsoleServer(socketPath: path, pin: Self.pin, backend: backend), path)
    }

    @Test func aTechnicianTypesCommandsAndReadsTheAnswers() throws {
        let backend = RecordingBackend()
        let (server, path) = try server(backend)
        defer { server.stop() }
        let terminal = try Self.console(at: path)
        #expect(terminal.waitFor("help lists the commands"))
        #expect(terminal.waitFor("evsed> "))
        terminal.type("status\r")
        #expect(terminal.waitFor("status\r\ndid status\r\nevsed> "))
        terminal.type("stauts\r")
        #expect(terminal.waitFor("unknown command 'stauts' — did you mean 'status'?"))
        terminal.type("help\r")
        #expect(terminal.waitFor("* test contactor"))
        var attributes = stat()
        stat(path, &attributes)
        #expect(attributes.st_mode & 0o777 == 0o660)
    }

    @Test func privilegedCommandsNeedTheRightPINAndWrongOnesAreThrottled() throws {
        let backend = RecordingBackend()
        let (server, path) = try server(backend)
        defer { server.stop() }
        let terminal = try Self.console(at: path)
        terminal.type("limit 16\r")
        #expect(terminal.waitFor("limit changes the charger: login first"))
        terminal.type("login\r")
        #expect(terminal.waitFor("PIN:"))
        terminal.type("1234\r")
        #expect(terminal.waitFor("wrong PIN"))
        // The PIN is not echoed.
        #expect(!terminal.screen.contains("1234"))
        terminal.type("login\r1111\rlogin\r2222\r")
        #expect(terminal.waitFor("wrong PIN; the next try in 1 s"))
        terminal.type("login\r")
        #expect(terminal.waitFor("too many wrong PINs: try again in"))
        Thread.sleep(forTimeInterval: 1.1)
        terminal.type("login\r4711\r")
        #expect(terminal.waitFor("logged in"))
        terminal.type("limit 16\r")
        #expect(terminal.waitFor("did limit"))
        #expect(backend.executed.contains { $0.0.command == .limit(amps: 16) })
    }

    @Test func wrongPINsCountAcrossConnections() throws {
        // Reconnecting used to start the count afresh: 300 wrong PINs in 0.1 s.
        let (server, path) = try server(RecordingBackend())
        defer { server.stop() }
        for pin in ["1111", "2222", "3333"] {
            let terminal = try Self.console(at: path)
            terminal.type("login\r\(pin)\r")
            #expect(terminal.waitFor("wrong PIN"))
            terminal.type("logout\r")
            #expect(terminal.waitFor("bye"))
        }
        let next = try Self.console(at: path)
        next.type("login\r")
        #expect(next.waitFor("too many wrong PINs: try again in"))
        // The right PIN typed ahead, while blocked, is not even tried.
        next.type("4711\r")
        #expect(!next.waitFor("logged in", seconds: 0.3))
    }

    @Test func consolesThatNeverLogInTimeOutAndLockNobodyOut() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-console-\(UUID().uuidString.prefix(8)).sock").path
        let server = try ConsoleServer(socketPath: path, pin: Self.pin, backend: RecordingBackend(), idleTimeout: .seconds(30))
        defer { server.stop() }
        // Eight idle connections take every place; the ninth still gets a console, and the oldest
        // idle one is told why it closes.
        let idle = try (0..<ConsoleServer.maximumClients).map { _ in try Self.console(at: path) }
        for terminal in idle { #expect(terminal.waitFor("evsed> ")) }
        let technician = try Self.console(at: path)
        #expect(technician.waitFor("evsed> "))
        #expect(!technician.screen.contains("consoles are open already"))
        #expect(idle[0].waitFor("another console needed the place"))
        // And an idle one is closed after the idle time.
        let quick = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-console-\(UUID().uuidString.prefix(8)).sock").path
        let short = try ConsoleServer(socketPath: quick, pin: Self.pin, backend: RecordingBackend(), idleTimeout: .seconds(1))
        defer { short.stop() }
        let lingering = try Self.console(at: quick)
        #expect(lingering.waitFor("closed after 1 s without a login or a key", seconds: 5))
    }

    /// The idle time is the server's clock's: a minute on a clock the test moves, not a minute waited.
    @Test func anIdleConsoleClosesAfterTheIdleTimeOnTheServersClock() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-console-\(UUID().uuidString.prefix(8)).sock").path
        let clock = ManualMonotonicTime(.zero + .seconds(1000))
        let server = try ConsoleServer(socketPath: path, pin: Self.pin, backend: RecordingBackend(), idleTimeout: .seconds(60), clock: clock)
        defer { server.stop() }
        let console = try Self.console(at: path)
        #expect(console.waitFor("evsed> "))
        clock.advance(.seconds(59))
        // The server looks at least once a second: a second and a half later it is still open.
        #expect(!console.waitFor("closed after", seconds: 1.5))
        clock.advance(.seconds(1))
        #expect(console.waitFor("closed after 60 s without a login or a key", seconds: 5))
    }

    @Test func aSerialConsoleWhoseDeviceIsMissingIsReported() throws {
        let reports = Lock<[String]>([])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-console-\(UUID().uuidString.prefix(8)).sock").path
        let server = try ConsoleServer(socketPath: path, serialPorts: ["/dev/evsed-no-such-tty"], pin: Self.pin, backend: RecordingBackend(),
                                       report: { message in reports.withLock { $0.append(message) } })
        defer { server.stop() }
        Thread.sleep(forTimeInterval: 2.5)
        let said = reports.withLock { $0 }
        #expect(said.count == 1, "once, not at every try: \(said)")
        #expect(said.first?.contains("/dev/evsed-no-such-tty") == true && said.first?.contains("tried again every 2 s") == true, "\(said)")
    }

    @Test func badInputIsContainedAndOtherConsolesCarryOn() throws {
        let backend = RecordingBackend()
        let (server, path) = try server(backend)
        defer { server.stop() }
        let first = try Self.console(at: path), second = try Self.console(at: path)
        #expect(first.waitFor("evsed> ") && second.waitFor("evsed> "))
        first.type(String(repeating: "z", count: 5000) + "\r")
        #expect(first.waitFor("longer than 256 characters; dropped"))
        first.send([0xff, 0xfe, 0x0d])
        #expect(first.waitFor("not UTF-8 text were dropped"))
        // A console that asks for a lot and never reads is dropped; the other one is served.
        let stuck = try Self.console(at: path)
        for _ in 0..<40 { stuck.type("log 1000\r") }
        second.type("version\r")
        #expect(second.waitFor("did version"))
        first.type("logout\r")
        #expect(first.waitFor("bye"))
        #expect(backend.executed.contains { $0.1.hasPrefix("socket #") })
    }

    @Test func theSerialPortIsAConsoleThatOutlivesALogout() throws {
        let line = try PseudoTerminalPair()
        defer { line.close() }
        let backend = RecordingBackend()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-console-\(UUID().uuidString.prefix(8)).sock").path
        let server = try ConsoleServer(socketPath: path, serialPorts: [line.first], pin: Self.pin, backend: backend)
        defer { server.stop() }
        let laptop = try TerminalScreen(serial: line.second)
        laptop.type("\r")
        #expect(laptop.waitFor("evsed> "))
        laptop.type("status\r")
        #expect(laptop.waitFor("did status"))
        laptop.type("logout\r")
        #expect(laptop.waitFor("bye"))
        // The port stays: a new session greets the next technician.
        #expect(laptop.waitFor("evsed console (serial"))
        laptop.type("version\r")
        #expect(laptop.waitFor("did version"))
        #expect(backend.executed.contains { $0.1.hasPrefix("serial ") })
    }

    @Test func watchRepeatsTheStatusUntilAKeyIsPressed() throws {
        let backend = RecordingBackend()
        let (server, path) = try server(backend)
        defer { server.stop() }
        let terminal = try Self.console(at: path)
        #expect(terminal.waitFor("evsed> "))
        terminal.type("watch\r")
        #expect(terminal.waitFor("(any key stops)"))
        // Shown again a second later, after clearing the screen.
        #expect(terminal.waitFor("\u{1b}[H\u{1b}[2Jdid status"))
        terminal.type("q")
        terminal.type("version\r")
        #expect(terminal.waitFor("did version"))
        let statuses = backend.executed.filter { $0.0.command == .status }.count
        Thread.sleep(forTimeInterval: 1.5)
        #expect(backend.executed.filter { $0.0.command == .status }.count == statuses, "watch went on after a key")
    }

    @Test func theSocketGoesToTheConfiguredGroup() throws {
        let group = try #require(getgrgid(getgid()))
        let name = String(cString: group.pointee.gr_name)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-group-\(UUID().uuidString.prefix(8)).sock").path
        let server = try ConsoleServer(socketPath: path, pin: Self.pin, socketGroup: name, backend: RecordingBackend())
        defer { server.stop() }
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_gid == getgid() && status.st_mode & 0o777 == 0o660)
        #expect(throws: ConsoleError.self) {
            try ConsoleServer(socketPath: path + "2", pin: Self.pin, socketGroup: "no-such-group-evsed", backend: RecordingBackend())
        }
        #expect(!FileManager.default.fileExists(atPath: path + "2"), "no socket is left behind")
    }
}
