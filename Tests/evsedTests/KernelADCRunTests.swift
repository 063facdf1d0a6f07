#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KernelSimulators
import Synchronization
import Testing
import TestSupport

/// `evsed run` on the shipped ADS1115 board (boards/rpi4-ads1115.toml) against the Linux kernel:
/// the ADS1115 and the LM75 on i2c-stub, its GPIO lines on a gpio-sim chip, the SDM630 an `evsed
/// sim-meter` on a pseudo terminal, the PWM a sysfs tree of plain files. The pilot reaches the
/// loop through the ADC's own sampling thread. i2c-stub's chips are register files: both pilot
/// channels read the one conversion register the test sets, which is enough for A and B.
@Suite(.serialized, .enabled(if: GPIOSimulator.isAvailable && I2CStub.found != nil, "needs gpio-sim and i2c-stub: `make test` runs it in its guest"))
struct KernelADCRunTests {
    @Test func thePilotIsReadThroughTheADCsSamplingThread() throws {
        let stub = try #require(I2CStub.found)
        try stub.exclusively { try pilotThroughTheADC(stub) }
    }

    func pilotThroughTheADC(_ stub: I2CStub) throws {
        let chip = try GPIOSimulator(names: [17: "CONTACTOR", 27: "CONTACTOR_AUX", 22: "RCM_FAULT", 23: "RCM_TEST"])
        let directory = try Peer.scratchDirectory("kernel-adc-run")
        let pwm = FakePWMTree()
        let line = try PseudoTerminalPair()
        let meter = try ChildProcess(CommandLineTests.executable, ["sim-meter", "--port", line.first, "--model", "sdm630",
                                                                   "--address", "1", "--baud", "9600"],
                                     output: directory + "/sim-meter.log")
        defer {
            meter.signal(SIGKILL)
            line.close()
        }
        // The pilot through the board's divider (pilot = adc × 6 − 12): +12 V is 4.0 V, +9 V 3.5 V.
        func pilot(volts: Double) throws {
            try stub.setChipWord(address: 0x48, register: 0, UInt16((volts + 12) / 6 / 4.096 * 32768))
        }
        try pilot(volts: 12)
        try stub.setChipWord(address: 0x49, register: 0, 0x1900)  // the LM75: 25 °C
        // No proximity channel: i2c-stub would read it from the same conversion register.
        let text = try String(contentsOfFile: repositoryRoot + "/boards/rpi4-ads1115.toml", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("pp_") }.joined(separator: "\n")
            .replacingOccurrences(of: "\"gpiochip0\"", with: "\"\(chip.chipName)\"")
            .replacingOccurrences(of: "bus = 1 ", with: "bus = \(stub.bus) ")
            .replacingOccurrences(of: "bus = 1\n", with: "bus = \(stub.bus)\n")
            .replacingOccurrences(of: "port = \"/dev/ttyUSB0\"", with: "port = \"\(line.second)\"")
            .replacingOccurrences(of: "[pwm]\n", with: "[pwm]\nroot = \"\(pwm.root)\"\n")
        let board = directory + "/board.toml"
        try text.write(toFile: board, atomically: true, encoding: .utf8)
        // The RDC-DD answers its self-test (its output is active low); the auxiliary contact follows the coil.
        let running = Atomic<Bool>(true)
        let circuit = Thread {
            while running.load(ordering: .relaxed) {
                if let test = try? chip.value(23) { try? chip.pull(22, up: !test) }
                if let coil = try? chip.value(17) { try? chip.pull(27, up: !coil) }
                usleep(2_000)
            }
        }
        circuit.start()
        defer { running.store(false, ordering: .relaxed) }

        let ledger = directory + "/ledger.sqlite"
        let daemon = try ChildProcess(CommandLineTests.executable, ["run", "--board", board, "--ledger", ledger],
                                      environment: ["EVSED_LEDGER": ledger], output: directory + "/evsed.log")
        try #require(waitUntil(seconds: 20) { daemon.output.contains("steady +12 V") || daemon.wait(seconds: 0) != nil },
                     "evsed did not start: \(daemon.output)")
        #expect(!daemon.output.contains("hardware_io_error"), "\(daemon.output)")
        // A car connects: the ADC reads +9 V, and the loop sees B.
        try pilot(volts: 9)
        #expect(waitUntil(seconds: 20) { daemon.output.contains("state               B") }, "\(daemon.output)")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(seconds: 30) == 0, "\(daemon.output)")
        #expect(daemon.output.contains("stopped: contactor open, pilot in state F"), "\(daemon.output)")
        #expect(try !chip.value(17))
    }
}
