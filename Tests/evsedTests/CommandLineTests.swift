import Foundation
import Testing
import TestSupport

/// The `evsed` executable, driven as a user drives it.
@Suite struct CommandLineTests {
    static let root = repositoryRoot

    /// The evsed binary next to this test bundle (same build directory).
    static let executable: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var directory = bundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("evsed").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("evsed").path
    }()

    /// A ledger of the test's own, so no test touches /var/lib/evsed or another test's books.
    static func privateLedger() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-test-\(UUID().uuidString)")
        return directory.appendingPathComponent("ledger.sqlite").path
    }

    /// The environment of an evsed started by a test: its own ledger.
    /// A file of mode 0600 holding the PIN's hash, as --console-pin-file wants it.
    static func pinFile(_ hash: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-pin-\(UUID().uuidString)").path
        try (hash + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }

    static func environment(ledger: String = privateLedger()) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["EVSED_LEDGER"] = ledger
        environment.removeValue(forKey: "STATE_DIRECTORY")
        return environment
    }

    struct Outcome {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs evsed to completion with `arguments` in the repository root.
    func evsed(_ arguments: [String], input: String? = nil, ledger: String = privateLedger()) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.environment = Self.environment(ledger: ledger)
        process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        let output = Pipe(), error = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                       error: String(decoding: errorData, as: UTF8.self))
    }

    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    @Test func simulateJSONSpeaksTheDocumentedEvents() throws {
        let outcome = try evsed(["simulate", "--scenario", "boards/scenarios/normal-session.toml", "--json"])
        #expect(outcome.status == 0)
        let events = try jsonLines(outcome.output)
        #expect(events.allSatisfy { $0["t"] is NSNumber && $0["event"] is String })
        let times = events.compactMap { ($0["t"] as? NSNumber)?.doubleValue }
        #expect(times == times.sorted())
        func first(_ name: String) -> [String: Any]? { events.first { $0["event"] as? String == name } }
        #expect(first("state")?["state"] as? String == "B")
        // The first is the start-up release of the pilot from F (steady, no current offered).
        #expect(first("pwm")?["output"] as? String == "steady")
        let pwm = try #require(events.first { $0["event"] as? String == "pwm" && $0["output"] as? String == "pwm" })
        #expect((pwm["duty"] as? NSNumber)?.doubleValue == 53.3)
        #expect((pwm["amps"] as? NSNumber)?.doubleValue == 32)
        #expect(events.contains { $0["event"] as? String == "contactor" && $0["closed"] as? Bool == true })
        let started = try #require(first("session_started"))
        #expect(started["session"] is String)
        let ended = try #require(first("session_ended"))
        #expect(ended["session"] as? String == started["session"] as? String)
        let energy = try #require((ended["energy_wh"] as? NSNumber)?.doubleValue)
        #expect(energy > 10_500 && energy < 11_200)
        #expect(((ended["duration_s"] as? NSNumber)?.doubleValue ?? 0) > 3500)
    }

    @Test func simulateReportsFaultsAndTheirClearing() throws {
        let outcome = try evsed(["simulate", "--scenario", "boards/scenarios/residual-current.toml", "--json", "--check"])
        #expect(outcome.status == 0, "\(outcome.error)")
        let events = try jsonLines(outcome.output)
        let fault = try #require(events.first { $0["event"] as? String == "fault" })
        #expect(fault["code"] as? String == "residual_current")
        #expect(events.contains { $0["event"] as? String == "fault_cleared" && $0["code"] as? String == "residual_current" })
        #expect(outcome.error.contains("check passed"))
    }

    /// Writes `contents` to a fresh temporary file and returns its path.
    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid()).toml").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aBrokenScenarioIsNamedWithItsLineAndNothingRuns() throws {
        let path = try temporaryFile("broken", "name = \"x\"\nduration_s = 10\n[[step]]\nat_s = 1\naction = \"plgu\"\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try evsed(["simulate", "--scenario", path])
        #expect(outcome.status == 2)
        #expect(outcome.output.isEmpty)
        #expect(outcome.error.contains("\(path):5: step[1].action: 'plgu' is not one of"))
        #expect(outcome.error.contains("did you mean 'plug'?"))
    }

    @Test func aBrokenBoardFileIsNamedWithItsKey() throws {
        let path = try temporaryFile("board", "[board]\nname = \"x\"\nkind = \"simulated\"\n[charger]\nmax_current_a = \"lots\"\n[simulation]\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try evsed(["run", "--board", path])
        #expect(outcome.status == 2)
        #expect(outcome.error.contains("\(path):5: charger.max_current_a: expected a number, found a string"))
        #expect(!outcome.output.contains("contactor"))
    }

    @Test func aFailedExpectationFailsTheCheck() throws {
        let path = try temporaryFile("expect", "name = \"x\"\nduration_s = 5\n[expect]\nsessions = 1\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try evsed(["simulate", "--scenario", path, "--check"])
        #expect(outcome.status == 1)
        #expect(outcome.error.contains("sessions: expected 1, got 0"))
    }

    @Test func runChargesTheSimulatedCarAndStopsWithTheContactorOpen() throws {
        // The car plugs in 2 s after start; the commands come after it charges.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["run", "--board", "boards/sim.toml"]
        process.environment = Self.environment()
        process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        let output = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = stdin
        let collected = LockedText()
        output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        #expect(collected.wait(for: "contactor           closed", seconds: 60))
        stdin.fileHandleForWriting.write(Data("stauts\ntrip rcm\n".utf8))
        #expect(collected.wait(for: "fault               residual_current", seconds: 30))
        #expect(collected.wait(for: "did you mean 'status'?", seconds: 30))
        stdin.fileHandleForWriting.write(Data("quit\n".utf8))
        #expect(Self.waitForExit(process, seconds: 30))
        output.fileHandleForReading.readabilityHandler = nil
        let text = collected.text
        #expect(process.terminationStatus == 0)
        #expect(text.contains("session_started"))
        #expect(text.contains("stopped: contactor open, pilot in state F"))
    }

    @Test func ctrlCStopsRunCleanly() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["run"]
        process.environment = Self.environment()
        process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = Pipe()
        let collected = LockedText()
        output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(collected.wait(for: "session_started", seconds: 60))
        kill(process.processIdentifier, SIGINT)
        #expect(Self.waitForExit(process, seconds: 30))
        output.fileHandleForReading.readabilityHandler = nil
        #expect(process.terminationStatus == 0)
        #expect(collected.text.contains("stopped: contactor open, pilot in state F"))
    }

    /// Waits for `process` to exit, at most `seconds`; kills it and returns false past that.
    static func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    @Test func faultsListsTheCatalogue() throws {
        let outcome = try evsed(["faults", "--json"])
        #expect(outcome.status == 0)
        let entries = try jsonLines(outcome.output)
        #expect(entries.count == 18)
        #expect(entries.last?["code"] as? String == "ledger_write_failed")
        #expect(entries.allSatisfy { ($0["owner_instruction"] as? String)?.isEmpty == false })
        #expect(entries.first?["code"] as? String == "diode_missing")
    }

    @Test func versionNamesTheLinkedLibraries() throws {
        let outcome = try evsed(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.output.contains("evsed 0.1.0"))
        #expect(outcome.output.contains("libmodbus 3."))
        #expect(outcome.output.contains("libgpiod 1."))
    }
}

/// Text collected from a pipe on another thread.
final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits until the text contains `needle`, at most `seconds` (the machine may be busy).
    func wait(for needle: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if text.contains(needle) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return text.contains(needle)
    }
}

/// `evsed run` under a fake systemd: readiness, keep-alives while the loop keeps time, none while
/// it hangs.
@Suite struct ServiceTests {
    @Test func runNotifiesReadyAndKeepsTheWatchdogOnlyWhileTheLoopTicks() throws {
        let socket = try FakeSystemdSocket()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        process.arguments = ["run"]
        process.currentDirectoryURL = URL(fileURLWithPath: CommandLineTests.root)
        var environment = CommandLineTests.environment()
        environment["NOTIFY_SOCKET"] = socket.path
        environment["WATCHDOG_USEC"] = "400000"
        environment.removeValue(forKey: "WATCHDOG_PID")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        process.environment = environment
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // READY=1 first, with a status line.
        var messages: [(Date, String)] = []
        func collect(until deadline: Date, stopWhen: (String) -> Bool = { _ in false }) {
            while Date() < deadline {
                guard let message = socket.receive(timeout: .milliseconds(200)) else { continue }
                messages.append((Date(), message))
                if stopWhen(message) { return }
            }
        }
        collect(until: Date().addingTimeInterval(60)) { $0.hasPrefix("READY=1") }
        let ready = try #require(messages.first { $0.1.hasPrefix("READY=1") })
        #expect(ready.1.contains("STATUS="))

        // Keep-alives at about a quarter of the timeout while the loop runs.
        messages.removeAll()
        collect(until: Date().addingTimeInterval(1.5))
        let keepAlives = messages.filter { $0.1 == "WATCHDOG=1" }
        #expect(keepAlives.count >= 2)

        // The loop hangs for 2 s: no keep-alive during the hang (a gap of about 2 s where they
        // came every 0.1 s), so systemd would restart evsed; then they come back.
        // (The keep-alives before the command stay in `messages`: the gap starts at the last one.)
        stdin.fileHandleForWriting.write(Data("stall 2\n".utf8))
        collect(until: Date().addingTimeInterval(6))
        let times = messages.filter { $0.1 == "WATCHDOG=1" }.map(\.0)
        let gaps = zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }
        #expect(gaps.contains { $0 >= 1.5 }, "keep-alive gaps: \(gaps)")
        let hangEnd = zip(times, gaps).first { $0.1 >= 1.5 }.map { $0.0.addingTimeInterval($0.1) }
        #expect(times.contains { hangEnd != nil && $0 > hangEnd! }, "no keep-alive after the hang")

        kill(process.processIdentifier, SIGTERM)
        collect(until: Date().addingTimeInterval(10)) { $0.hasPrefix("STOPPING=1") }
        #expect(messages.contains { $0.1.hasPrefix("STOPPING=1") })
        #expect(CommandLineTests.waitForExit(process, seconds: 30))
        #expect(process.terminationStatus == 0)
    }
}

@Suite struct RealBoardTests {
    @Test func runOnARealBoardWithoutItsHardwareNamesTheMissingDevice() throws {
        let outcome = try CommandLineTests().evsed(["run", "--board", "boards/rpi4-ads1115.toml"])
        #expect(outcome.status == 1)
        #expect(outcome.error.contains("boards/rpi4-ads1115.toml: contactor: gpiochip0 line 17: cannot open GPIO chip gpiochip0"))
        #expect(outcome.error.contains("nothing was started"))
        #expect(!outcome.output.contains("contactor           closed"))
    }
}

@Suite struct ConsolePINTests {
    /// The PIN's hash is not taken on the command line, nor from a file others may read.
    @Test func thePINsHashComesFromAPrivateFileOnly() throws {
        let cli = CommandLineTests()
        let hash = try cli.evsed(["console", "--hash-pin"], input: "2468\n").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.hasPrefix("pbkdf2-sha256:210000:"))
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-pin-\(UUID().uuidString.prefix(8)).sock").path
        let onTheCommandLine = try cli.evsed(["run", "--console", socket, "--console-pin", hash])
        #expect(onTheCommandLine.status == 2)
        #expect(onTheCommandLine.error.contains("does not belong on the command line"), "\(onTheCommandLine.error)")
        let file = try CommandLineTests.pinFile(hash)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let readable = try cli.evsed(["run", "--console", socket, "--console-pin-file", file])
        #expect(readable.status == 2)
        #expect(readable.error.contains("mode 644 lets others read the PIN's hash; chmod 600 \(file)"), "\(readable.error)")
    }
}

@Suite struct CheckConfigTests {
    @Test func everyShippedBoardIsUsable() throws {
        for board in ["boards/sim.toml", "boards/rpi4-ads1115.toml", "boards/rpi4-comparators.toml"] {
            let outcome = try CommandLineTests().evsed(["check-config", "--board", board])
            #expect(outcome.status == 0, "\(board): \(outcome.error)")
            #expect(outcome.output.contains("\(board): ok"))
        }
    }

    @Test func everyBrokenSectionIsReportedWithItsLine() throws {
        let path = try CommandLineTests().temporaryFile("check", """
            [board]
            name = "bad"
            kind = "linux"
            [charger]
            max_current_a = 90
            [pilot]
            source = "ads1115"
            [pwm]
            chip = 0
            [contactor]
            drive = { chip = "gpiochip0", line = 17 }
            [rcm]
            fault = { chip = "gpiochip0", line = 22 }
            test = { chip = "gpiochip0", line = 17 }
            [meter]
            model = "sdm360"
            port = "/dev/ttyUSB0"
            [temprature]
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try CommandLineTests().evsed(["check-config", "--board", path])
        #expect(outcome.status == 1)
        #expect(outcome.error.contains("\(path):5: charger.max_current_a: 90 is outside 6 … 80"))
        #expect(outcome.error.contains("\(path):14: rcm.test: gpiochip0 line 17 is already used by contactor.drive"))
        #expect(outcome.error.contains("\(path):16: meter.model: 'sdm360' is not one of"))
        #expect(outcome.error.contains("\(path):18: temprature: unknown key (did you mean 'temperature'?)"))
        #expect(outcome.error.contains("4 problem(s)"))
    }
}

/// The meter commands against `evsed sim-meter` across a pseudo-terminal pair, as a technician
/// would use them.
@Suite(.serialized) struct MeterCommandTests {
    func withSimulatedMeter(model: String, address: Int, _ body: (PseudoTerminalPair) throws -> Void) throws {
        let line = try PseudoTerminalPair()
        defer { line.close() }
        let meter = Process()
        meter.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        meter.arguments = ["sim-meter", "--port", line.first, "--model", model, "--address", "\(address)", "--baud", "38400", "--power", "7360"]
        meter.standardError = FileHandle.nullDevice
        try meter.run()
        defer {
            kill(meter.processIdentifier, SIGKILL)
            meter.waitUntilExit()
        }
        Thread.sleep(forTimeInterval: 0.3)
        try body(line)
    }

    @Test(arguments: ["sdm630", "sdm120", "sdm72d-m", "em340", "abb-b23", "iem3155"])
    func meterReadPrintsWhatTheSimulatedMeterServes(model: String) throws {
        try withSimulatedMeter(model: model, address: 7) { line in
            let outcome = try CommandLineTests().evsed(
                ["meter", "read", "--port", line.second, "--model", model, "--address", "7", "--baud", "38400", "--json"])
            #expect(outcome.status == 0, "\(outcome.error)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any])
            #expect((object["voltage_l1"] as? NSNumber)?.doubleValue == 230)
            let phases = model == "sdm120" ? 1.0 : 3.0
            #expect(abs(((object["current_l1"] as? NSNumber)?.doubleValue ?? 0) - 7360.0 / phases / 230) < 0.01)
            #expect(abs(((object["total_power"] as? NSNumber)?.doubleValue ?? 0) - 7360) < 1)
            #expect(((object["import_energy"] as? NSNumber)?.doubleValue ?? 0) >= 1_234_500)
        }
    }

    @Test func meterScanFindsTheAddressAndTheModelsThatFit() throws {
        try withSimulatedMeter(model: "sdm630", address: 3) { line in
            let outcome = try CommandLineTests().evsed(
                // A whole second per address: on a busy machine the simulated meter may answer late,
                // and a late answer must not read as "no meter" (a real scan uses 100 ms).
                ["meter", "scan", "--port", line.second, "--baud", "38400", "--from", "1", "--to", "4", "--timeout", "1000"])
            #expect(outcome.status == 0, "\(outcome.error)")
            // The SDM72D-M shares the SDM630's registers for these values, and the SDM120's are a
            // subset of them: all three fit, the most complete first.
            #expect(outcome.output.contains("address 3: answers; fits sdm630, sdm72d-m, sdm120"))
            #expect(!outcome.output.contains("address 2"))
            #expect(outcome.output.contains("1 meter(s) answered"))
        }
    }

    /// A port that is not there, a file that is not a serial line and a refused TCP connection are
    /// errors that say so, in `meter read` and `meter scan` alike (they used to free libmodbus's
    /// context twice and crash).
    @Test(arguments: [
        (["--port", "/dev/evsed-no-such-adapter"], "/dev/evsed-no-such-adapter: cannot open: No such file or directory (no such device: is the adapter plugged in?)"),
        (["--port", "/etc/hostname"], "/etc/hostname: cannot open: Inappropriate ioctl for device (not a serial line)"),
        (["--tcp", "127.0.0.1:1"], "127.0.0.1:1: cannot open: Connection refused"),
    ])
    func aLineThatCannotBeOpenedIsNamedAndNothingCrashes(line: [String], message: String) throws {
        let read = try CommandLineTests().evsed(["meter", "read", "--model", "sdm630"] + line)
        #expect(read.status == 1, "\(read.error)")
        #expect(read.error.contains(message), "\(read.error)")
        let scan = try CommandLineTests().evsed(["meter", "scan", "--from", "1", "--to", "2"] + line)
        #expect(scan.status == 1, "\(scan.error)")
        #expect(scan.error.contains(message), "\(scan.error)")
    }

    @Test func aMeterThatDoesNotAnswerIsATimeoutNamingThePort() throws {
        let line = try PseudoTerminalPair()
        defer { line.close() }
        let outcome = try CommandLineTests().evsed(["meter", "read", "--port", line.second, "--model", "sdm630"])
        #expect(outcome.status == 1)
        #expect(outcome.error.contains("\(line.second): meter 1 did not answer (timeout)"))
    }
}

@Suite struct SimulatedBillingTests {
    @Test func readingsCarryTheLiveCostAndTheSessionItsBill() throws {
        let tariff = try CommandLineTests().temporaryFile("tariff", """
            id = "flat-rate"
            currency = "EUR"
            [[element]]
            components = [{ type = "ENERGY", price = "0.30", vat = "20" }]
            """)
        defer { try? FileManager.default.removeItem(atPath: tariff) }
        let outcome = try CommandLineTests().evsed(
            ["simulate", "--scenario", "boards/scenarios/normal-session.toml", "--json", "--tariff", tariff, "--readings", "300"])
        #expect(outcome.status == 0, "\(outcome.error)")
        let events = try CommandLineTests().jsonLines(outcome.output)
        let costs = events.filter { $0["event"] as? String == "reading" }.compactMap { ($0["cost"] as? NSNumber)?.doubleValue }
        #expect(costs.count >= 10)
        #expect(costs == costs.sorted())
        let ended = try #require(events.first { $0["event"] as? String == "session_ended" })
        let energy = try #require((ended["energy_wh"] as? NSNumber)?.doubleValue)
        let cost = try #require((ended["cost"] as? NSNumber)?.doubleValue)
        // 0.30 EUR per kWh plus 20 % VAT, to the cent.
        #expect(abs(cost - (energy / 1000 * 0.30 * 1.2)) <= 0.011)
        #expect(ended["currency"] as? String == "EUR")
        let line = try #require(events.first { $0["event"] as? String == "bill_line" })
        #expect(line["dimension"] as? String == "ENERGY")
        // Exact decimals, as strings: the tariff's "0.30" is kept to the digit it has.
        #expect(line["unit_price"] as? String == "0.3")
        #expect(line["unit"] as? String == "kWh")
    }

    @Test func aBrokenTariffIsNamedAndNothingRuns() throws {
        let tariff = try CommandLineTests().temporaryFile("bad-tariff", "id = \"x\"\ncurrency = \"EUR\"\n[[element]]\ncomponents = [{ type = \"ENERGY\", price = 0.30 }]\n")
        defer { try? FileManager.default.removeItem(atPath: tariff) }
        let outcome = try CommandLineTests().evsed(["simulate", "--scenario", "boards/scenarios/normal-session.toml", "--tariff", tariff])
        #expect(outcome.status == 2)
        #expect(outcome.output.isEmpty)
        #expect(outcome.error.contains("\(tariff):4: element[1].components[1].price: write it as a string"))
    }
}
