#if canImport(Glibc)
import Glibc
#endif
import ConfigFile
import EVSECore
import Foundation
import Hardware
import KernelSimulators
import Runtime
import Synchronization
import Testing
import TestSupport

/// libgpiod against the Linux kernel: the shipped comparator board's lines on a gpio-sim chip,
/// driven through gpio-sim's pulls and read back from its values. These run in the guest stage
/// of `make test` (Tests/guest/run.sh), whose kernel has gpio-sim; elsewhere they are skipped.
@Suite(.serialized, .enabled(if: GPIOSimulator.isAvailable, "needs the kernel's gpio-sim: `make test` runs it in its guest"))
struct KernelGPIOTests {
    /// rpi4-comparators.toml's lines, named as on the board's wiring table.
    static let names = [5: "PILOT_10V5", 6: "PILOT_7V5", 13: "PILOT_4V5", 19: "PILOT_1V5", 26: "PILOT_LOW",
                        17: "CONTACTOR", 27: "CONTACTOR_AUX", 22: "RCM_FAULT", 23: "RCM_TEST"]

    /// The shipped board file with its chip replaced by the simulator's.
    static func board(on chip: GPIOSimulator) throws -> LinuxBoardConfiguration {
        let text = try String(contentsOfFile: repositoryRoot + "/boards/rpi4-comparators.toml", encoding: .utf8)
            .replacingOccurrences(of: "\"gpiochip0\"", with: "\"\(chip.chipName)\"")
        return try #require(try BoardDescription.read(ConfigDocument.parse(text, file: "rpi4-comparators.toml")).linux)
    }

    @Test func theComparatorsReadEveryPilotStateThroughTheKernel() throws {
        let chip = try GPIOSimulator(names: Self.names)
        guard case .comparators(let a10, let a7, let a4, let a1, let low) = try Self.board(on: chip).pilot else {
            Issue.record("the shipped board is not a comparator board")
            return
        }
        let sensor = try ComparatorPilotSensor(provider: LibGPIOD(), above10V5: a10, above7V5: a7, above4V5: a4,
                                               above1V5: a1, lowBelowMinus10V5: low)
        // Each state's high level as the four comparators see it (IEC 61851-1's bands), with the
        // PWM's low level at −12 V (the vehicle's diode).
        let levels: [(PilotLevel, [Bool])] = [
            (.a, [true, true, true, true]), (.b, [false, true, true, true]), (.c, [false, false, true, true]),
            (.d, [false, false, false, true]), (.e, [false, false, false, false]),
        ]
        for (level, above) in levels {
            for (offset, up) in zip([5, 6, 13, 19], above) { try chip.pull(offset, up: up) }
            try chip.pull(26, up: true)
            let sample = try sensor.sample()
            #expect(PilotLevel.decode(high: sample.high) == level, "\(above) read as \(sample)")
            #expect(sample.low == Volts(-12))
        }
        // Comparators that disagree (above 7.5 V but not above 4.5 V) are never a state.
        for (offset, up) in zip([5, 6, 13, 19], [false, true, false, true]) { try chip.pull(offset, up: up) }
        #expect(PilotLevel.decode(high: try sensor.sample().high) == .unknown)
    }

    @Test func outputsStartReleasedAndTheChipShowsWhatEvsedDrives() throws {
        let chip = try GPIOSimulator(names: Self.names)
        // A coil held on (here by the line's pull) must drop at evsed's request.
        try chip.pull(17, up: true)
        try chip.pull(23, up: true)
        #expect(try chip.value(17) == true && chip.value(23) == true)
        let board = try Self.board(on: chip)
        let contactor = try GPIOContactor(provider: LibGPIOD(), drive: board.contactorDrive, feedback: board.contactorFeedback)
        let rcm = try GPIOResidualCurrentMonitor(provider: LibGPIOD(), fault: board.rcmFault, test: board.rcmTest)
        #expect(try chip.value(17) == false)
        #expect(try chip.value(23) == false)
        try contactor.command(closed: true)
        #expect(try chip.value(17) == true)
        try rcm.setSelfTest(true)
        #expect(try chip.value(23) == true)
        try rcm.setSelfTest(false)
        try contactor.command(closed: false)
        #expect(try chip.value(17) == false && chip.value(23) == false)
    }

    @Test func biasAndActiveLowAreHonoured() throws {
        let chip = try GPIOSimulator(names: Self.names)
        try chip.pull(27, up: false)
        try chip.pull(22, up: false)
        let board = try Self.board(on: chip)
        // The auxiliary contact and the RDC-DD's output are open collectors with the SoC's pull-up:
        // requesting them must turn that pull-up on (the simulator's level follows the bias).
        let contactor = try GPIOContactor(provider: LibGPIOD(), drive: board.contactorDrive, feedback: board.contactorFeedback)
        let rcm = try GPIOResidualCurrentMonitor(provider: LibGPIOD(), fault: board.rcmFault, test: board.rcmTest)
        #expect(try chip.value(27) == true, "the feedback line's pull-up was not applied")
        #expect(try chip.value(22) == true, "the RCM line's pull-up was not applied")
        // Active low: high is released, low is active.
        #expect(try contactor.feedback() == false)
        #expect(try rcm.isTripped() == false)
        try chip.pull(27, up: false)
        try chip.pull(22, up: false)
        #expect(try contactor.feedback() == true)
        #expect(try rcm.isTripped() == true)
        // And a pull-down where the board asks for one.
        try chip.pull(6, up: true)
        let down = try LibGPIOD().input(GPIOLineSpec(chip: chip.chipName, line: .name("PILOT_7V5"), bias: .pullDown),
                                        edges: false, device: .pilotSensor)
        #expect(try chip.value(6) == false)
        #expect(try down.read() == false)
    }

    @Test func anRCMTripWakesTheLoopThroughTheLineRequestsDescriptor() throws {
        let chip = try GPIOSimulator(names: Self.names)
        let board = try Self.board(on: chip)
        let rcm = try GPIOResidualCurrentMonitor(provider: LibGPIOD(), fault: board.rcmFault, test: board.rcmTest)
        #expect(rcm.wakeSources.count == 1)
        let seen = Lock<[Bool]>([])
        // A period far longer than the test: only the edge can run the body.
        let loop = PeriodicThread(name: "kernel-edges", period: .seconds(600), wakeSources: rcm.wakeSources) { _, _ in
            let tripped = (try? rcm.isTripped()) ?? false
            seen.withLock { $0.append(tripped) }
        }
        defer { loop.stop() }
        let before = MonotonicClock.now()
        try chip.pull(22, up: false)
        #expect(waitUntil(seconds: 10) { seen.withLock { $0 } == [true] }, "no wake-up for the trip: \(seen.withLock { $0 })")
        let edge = try #require(rcm.fault.lastEdgeTime, "no kernel timestamp for the edge")
        #expect(edge >= before && edge <= MonotonicClock.now())
        try chip.pull(22, up: true)
        #expect(waitUntil(seconds: 10) { seen.withLock { $0 } == [true, false] }, "no wake-up for the release: \(seen.withLock { $0 })")
        #expect(loop.statistics.wakeUps == 2 && loop.statistics.ticks == 0)
    }

    @Test func aLineTheChipDoesNotHaveIsNamed() throws {
        let chip = try GPIOSimulator(lines: 8)
        #expect(throws: HardwareError(device: .contactor, detail: "\(chip.chipName) line 17: no such line on \(chip.chipName): Invalid argument")) {
            _ = try LibGPIOD().output(GPIOLineSpec(chip: chip.chipName, line: .offset(17)), initial: false, device: .contactor)
        }
        #expect(throws: HardwareError(device: .contactor, detail: "\(chip.chipName) line \"COIL\": no such line on \(chip.chipName): No such file or directory")) {
            _ = try LibGPIOD().output(GPIOLineSpec(chip: chip.chipName, line: .name("COIL")), initial: false, device: .contactor)
        }
    }

    @Test func aChipThatGoesAwayIsAnErrorNamingTheLine() throws {
        let chip = try GPIOSimulator(names: Self.names)
        let line = try LibGPIOD().input(GPIOLineSpec(chip: chip.chipName, line: .offset(5)), edges: false, device: .pilotSensor)
        _ = try line.read()
        try chip.setLive(false)
        #expect {
            _ = try line.read()
        } throws: { error in
            "\(error)".contains("\(chip.chipName) line 5: read:")
        }
    }
}
