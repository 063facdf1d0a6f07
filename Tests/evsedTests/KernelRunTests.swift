#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KernelSimulators
import Testing
import TestSupport

/// `evsed run` on the shipped comparator board (boards/rpi4-comparators.toml) against the Linux
/// kernel: its GPIO lines on gpio-sim chips, a scripted car and RDC-DD behind them, the SDM120 an
/// `evsed sim-meter` on a pseudo terminal, the PWM a sysfs tree of plain files (no PWM simulator
/// exists in Linux). Runs in the guest stage of `make test`; skipped where gpio-sim is missing.
@Suite(.serialized, .enabled(if: GPIOSimulator.isAvailable, "needs the kernel's gpio-sim: `make test` runs it in its guest"))
struct KernelRunTests {
    /// The board's pilot comparators and RCM lines on one chip; the contactor's lines on a second,
    /// as behind an I/O expander, so the first can go away while the contactor's drive is read.
    final class Bench: @unchecked Sendable {
        // Unchecked: the car's fields are set by the test and read by the circuit's thread under `lock`.
        enum Car { case away, connected, charging }

        let sensors: GPIOSimulator
        let power: GPIOSimulator
        let directory: String
        let pwm = FakePWMTree()
        let board: String
        let line: PseudoTerminalPair
        let meter: ChildProcess
        private let lock = NSLock()
        private var car = Car.away
        private var residualCurrent = false
        private var running = true

        init() throws {
            sensors = try GPIOSimulator(names: [5: "PILOT_10V5", 6: "PILOT_7V5", 13: "PILOT_4V5", 19: "PILOT_1V5",
                                                26: "PILOT_LOW", 22: "RCM_FAULT", 23: "RCM_TEST"])
            power = try GPIOSimulator(names: [17: "CONTACTOR", 27: "CONTACTOR_AUX"])
            directory = try Peer.scratchDirectory("kernel-run")
            line = try PseudoTerminalPair()
            meter = try ChildProcess(CommandLineTests.executable, ["sim-meter", "--port", line.first, "--model", "sdm120",
                                                                   "--address", "1", "--baud", "9600", "--power", "3680"],
                                     output: directory + "/sim-meter.log")
            let text = try String(contentsOfFile: repositoryRoot + "/boards/rpi4-comparators.toml", encoding: .utf8)
                .replacingOccurrences(of: "\"gpiochip0\"", with: "\"\(sensors.chipName)\"")
                .replacingOccurrences(of: "drive = { chip = \"\(sensors.chipName)\"", with: "drive = { chip = \"\(power.chipName)\"")
                .replacingOccurrences(of: "feedback = { chip = \"\(sensors.chipName)\"", with: "feedback = { chip = \"\(power.chipName)\"")
                .replacingOccurrences(of: "port = \"/dev/ttyAMA0\"", with: "port = \"\(line.second)\"")
                .replacingOccurrences(of: "[pwm]\n", with: "[pwm]\nroot = \"\(pwm.root)\"\n")
            board = directory + "/board.toml"
            try text.write(toFile: board, atomically: true, encoding: .utf8)
            try setCircuit()
            Thread { [self] in
                while lock.withLock({ running }) {
                    try? setCircuit()
                    usleep(2_000)
                }
            }.start()
        }

        func stop() {
            lock.withLock { running = false }
            meter.signal(SIGKILL)
            line.close()
        }

        var vehicle: Car {
            get { lock.withLock { car } }
            set { lock.withLock { car = newValue } }
        }

        var tripped: Bool {
            get { lock.withLock { residualCurrent } }
            set { lock.withLock { residualCurrent = newValue } }
        }

        /// The pilot as the board's comparators see it, from the PWM's duty and the car; the RDC-DD's
        /// output (active low) from a leak or its self-test input; the auxiliary contact following
        /// the coil. A sensors' chip that went away is left alone.
        func setCircuit() throws {
            let (car, leak) = lock.withLock { (self.car, residualCurrent) }
            let duty = Int(pwm.read("duty_cycle").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let enabled = pwm.read("enable").hasPrefix("1")
            let high: Double
            switch (enabled, duty) {
            case (false, _), (true, 0): high = -12    // state F: the EVSE holds −12 V
            default:
                switch car {
                case .away: high = 12
                case .connected: high = 9
                case .charging: high = duty < 1_000_000 ? 6 : 9   // the car asks for energy once offered a PWM
                }
            }
            let low = high == -12 || (enabled && duty > 0 && duty < 1_000_000)
            if (try? sensors.value(23)) != nil {
                for (offset, threshold) in [(5, 10.5), (6, 7.5), (13, 4.5), (19, 1.5)] { try sensors.pull(offset, up: high > threshold) }
                try sensors.pull(26, up: low)
                let selfTest = try sensors.value(23)
                try sensors.pull(22, up: !(leak || selfTest))
            }
            try power.pull(27, up: !(try power.value(17)))
        }
    }

    func evsed(_ bench: Bench, ledger: String) throws -> ChildProcess {
        try ChildProcess(CommandLineTests.executable, ["run", "--board", bench.board, "--ledger", ledger],
                         environment: ["EVSED_LEDGER": ledger], output: bench.directory + "/evsed.log")
    }

    /// Starts evsed, connects the car and waits for the contactor's coil to be driven.
    func charging(_ bench: Bench, ledger: String) throws -> ChildProcess {
        let daemon = try evsed(bench, ledger: ledger)
        try #require(waitUntil(seconds: 20) { daemon.output.contains("steady +12 V") || daemon.wait(seconds: 0) != nil },
                     "evsed did not start: \(daemon.output)")
        bench.vehicle = .charging
        try #require(try waitUntil(seconds: 20) { try bench.power.value(17) }, "the contactor never closed: \(daemon.output)")
        return daemon
    }

    @Test func evsedChargesAScriptedCarAndStopsSafely() throws {
        let bench = try Bench()
        defer { bench.stop() }
        let ledger = bench.directory + "/ledger.sqlite"
        let daemon = try charging(bench, ledger: ledger)
        // The car has its fill: it goes back to B, the coil drops; it leaves.
        #expect(waitUntil(seconds: 20) { daemon.output.contains("reading") && daemon.output.contains("kW") })
        sleep(2)
        bench.vehicle = .connected
        #expect(try waitUntil(seconds: 20) { try !bench.power.value(17) }, "the contactor stayed closed: \(daemon.output)")
        bench.vehicle = .away
        #expect(waitUntil(seconds: 20) { daemon.output.contains("session_ended") }, "\(daemon.output)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(seconds: 30) == 0, "\(daemon.output)")
        #expect(daemon.output.contains("stopped: contactor open, pilot in state F"), "\(daemon.output)")
        #expect(try !bench.power.value(17))
        let list = try ChildProcess.run(CommandLineTests.executable, ["ledger", "list", "--ledger", ledger, "--json"],
                                        output: bench.directory + "/list.json")
        let sessions = try list.output.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
        #expect(sessions.count == 1, "\(list.output)")
        #expect(sessions.first?["status"] as? String != "open", "\(list.output)")
        #expect(((sessions.first?["energy_wh"] as? NSNumber)?.intValue ?? 0) > 0, "\(list.output)")
        #expect(daemon.output.contains("session_ended       session 1 (vehicle_unplugged)"), "\(daemon.output)")
    }

    @Test func aResidualCurrentTripOpensTheContactorLine() throws {
        let bench = try Bench()
        defer { bench.stop() }
        let daemon = try charging(bench, ledger: bench.directory + "/ledger.sqlite")
        bench.tripped = true
        #expect(try waitUntil(seconds: 5) { try !bench.power.value(17) }, "the contactor stayed closed: \(daemon.output)")
        #expect(waitUntil(seconds: 20) { daemon.output.contains("residual_current") }, "\(daemon.output)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(seconds: 30) == 0, "\(daemon.output)")
    }

    @Test func aChipThatGoesAwayMidSessionIsAHardwareErrorWithTheContactorReleased() throws {
        let bench = try Bench()
        defer { bench.stop() }
        let daemon = try charging(bench, ledger: bench.directory + "/ledger.sqlite")
        try bench.sensors.setLive(false)
        #expect(try waitUntil(seconds: 5) { try !bench.power.value(17) }, "the contactor stayed closed: \(daemon.output)")
        #expect(waitUntil(seconds: 20) { daemon.output.contains("hardware_io_error") }, "\(daemon.output)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(seconds: 30) == 0, "\(daemon.output)")
        #expect(try !bench.power.value(17))
    }
}
