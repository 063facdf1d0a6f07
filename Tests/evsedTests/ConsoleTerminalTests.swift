import Foundation
import Testing
import TestSupport

/// The technician at the charger's serial port: `evsed run --console-serial` on one end of a
/// pseudo-terminal pair, the technician's keystrokes on the other, every command of the console
/// typed and its answer read off the screen, the refusals included.
@Suite(.serialized) struct ConsoleTerminalTests {
    let cli = CommandLineTests()

    @Test func everyCommandAtTheSerialConsole() throws {
        let line = try PseudoTerminalPair()
        defer { line.close() }
        let directory = try Peer.scratchDirectory("serial-console")
        let ledger = directory + "/ledger.sqlite"
        let pin = try cli.evsed(["console", "--hash-pin"], input: "2468\n").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let daemon = try RunningDaemon(["run", "--console-serial", line.first, "--console-pin-file", try CommandLineTests.pinFile(pin)], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 60), "\(daemon.output.text)")
        let laptop = try TerminalScreen(serial: line.second)

        laptop.says("\r", "evsed> ")
        laptop.says("help\r", "status", "watch", "test contactor", "config set KEY VALUE", "logout")
        laptop.says("help limit\r", "limit AMPS")
        laptop.says("stauts\r", "did you mean 'status'?")
        laptop.says("status\r", "state               C", "contactor closed    true", "session             1")
        laptop.says("status --json\r", #""state":"C""#)
        laptop.says("watch\r", "contactor closed    true")
        laptop.says("q", "evsed> ")
        laptop.says("meter\r", "voltage_l1_v", "import_register_kwh")
        laptop.says("sessions\r", "1  ")
        laptop.says("session 1\r", "session 1")
        laptop.says("session 99\r", "no session 99")
        laptop.says("faults\r", "no active faults")
        laptop.says("faults --all\r", "no faults recorded")
        laptop.says("alerts\r", "the outbox is empty")
        laptop.says("log 3\r", "evsed> ")
        laptop.says("version\r", "evsed ")
        laptop.says("config show\r", "board file: boards/sim.toml", "current_limit_a = (not set)")
        // Changes need the PIN.
        laptop.says("limit 10\r", "limit changes the charger: login first")
        laptop.says("login\r", "PIN:")
        laptop.says("1111\r", "wrong PIN")
        laptop.says("login\r", "PIN:")
        laptop.says("2468\r", "logged in")
        #expect(!laptop.screen.contains("2468"), "the PIN is not echoed")
        laptop.says("limit 10\r", "limit 10.0 A: done")
        laptop.says("limit 900\r", "limit 900.0 A: refused")
        laptop.says("test contactor\r", "test contactor: refused: a vehicle is connected (the pilot is not in state A); unplug it first")
        laptop.says("test rcm\r", "test rcm: refused: the contactor is closed")
        laptop.says("clear contactor_welded\r", "clear contactor_welded: refused: contactor_welded is not active")
        laptop.says("pause\r", "pause: done")
        laptop.says("resume\r", "resume: done")
        laptop.says("stop\r", "stop: done")
        // The session ends once the contactor is open and the meter has its last reading.
        #expect(daemon.output.wait(for: "session_ended", seconds: 30))
        laptop.says("start\r", "start: done")
        laptop.says("start --owner kim\r", "start --owner: no owners are configured")
        laptop.says("config set current_limit_a 12\r", "current_limit_a = 12 (saved in", "applied now")
        laptop.says("config set current_limit_a 12x\r", "'12x' is not a number of amperes")
        // A number far out of range is refused in words (its message used to kill the daemon).
        laptop.says("config set current_limit_a 1e300\r", "current_limit_a: 1e+300 A is outside 6 … ")
        laptop.says("disable\r", "disable: done")
        laptop.says("enable\r", "enable: done")
        // Line editing: Ctrl-C drops the line, ↑ brings the last command back.
        laptop.says("stat\u{3}", "evsed> ")
        laptop.says("\u{1B}[A\r", "enable: ")
        // The car leaves: now the contactor test runs, closes and opens, and says how fast.
        daemon.type("unplug")
        let deadline = Date().addingTimeInterval(30)
        repeat {
            laptop.clear()
            laptop.type("status\r")
            laptop.waitFor("faults ", seconds: 5)
        } while !laptop.screen.contains("state               A") && Date() < deadline
        #expect(laptop.screen.contains("state               A"), "\(laptop.screen)")
        laptop.says("test contactor\r", "contactor test passed: closed in")
        laptop.says("test rcm\r", "residual-current monitor test passed: it tripped on its test input and released")
        laptop.says("logout\r", "bye")
        laptop.says("limit 10\r", "login first")
        let name = "serial " + (line.first.split(separator: "/").last.map(String.init) ?? "")
        #expect(daemon.output.wait(for: "console             \(name): limit 10.0 A", seconds: 10), "privileged commands are logged with the console")
        #expect(daemon.output.text.contains("console             \(name): test contactor"))

        // The setting outlives the daemon.
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        let again = try RunningDaemon(["run"], ledger: ledger)
        defer { again.stop() }
        #expect(again.output.wait(for: "PWM 20.0 % (12.0 A)", seconds: 60), "\(again.output.text)")
    }

    /// The technician's tests typed into `evsed run`'s own terminal: answered at once, and the
    /// result follows in the log (the terminal once waited on itself and gave up).
    @Test func theTestsTypedIntoRunsOwnTerminalShowTheirResult() throws {
        let daemon = try RunningDaemon(["run"], ledger: CommandLineTests.privateLedger())
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 60), "\(daemon.output.text)")
        daemon.type("unplug")
        #expect(daemon.output.wait(for: "state               A", seconds: 30), "\(daemon.output.text)")
        daemon.type("test contactor")
        #expect(daemon.output.wait(for: "test contactor: started; the result follows", seconds: 30), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "contactor test passed: closed in", seconds: 30), "\(daemon.output.text)")
        daemon.type("test rcm")
        #expect(daemon.output.wait(for: "residual-current monitor test passed", seconds: 30), "\(daemon.output.text)")
        #expect(!daemon.output.text.contains("its result will be in the log"))
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
    }
}

