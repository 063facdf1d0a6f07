import EVSECore
import Foundation
import Hardware
import Runtime
import Simulation
import Testing
import TestSupport

/// The real libmodbus driver against the simulated meter, across a pseudo-terminal pair.
@Suite(.serialized) struct ModbusIntegrationTests {
    /// A simulated meter serving on `line.first` on a thread of its own, stopped on deinit.
    final class ServedMeter: @unchecked Sendable {
        let meter: SimulatedModbusMeter
        private let done = DispatchSemaphore(value: 0)

        init(_ configuration: SimulatedModbusMeter.Configuration) {
            meter = SimulatedModbusMeter(configuration)
            let meter = self.meter
            let done = self.done
            Thread.detachNewThread {
                try? meter.serve()
                done.signal()
            }
        }

        /// Stops serving and waits for the thread (before the line goes away).
        func stop() {
            meter.stop()
            done.wait()
        }
    }

    func configuration(_ line: PseudoTerminalPair, _ model: String, baud: Int = 38400) -> SimulatedModbusMeter.Configuration {
        var configuration = SimulatedModbusMeter.Configuration(device: line.first, map: MeterModels.all[model]!)
        configuration.baud = baud
        configuration.phases = configuration.map[.voltageL2] == nil ? 1 : 3
        configuration.power = Watts(configuration.phases == 3 ? 11_040 : 3_680)
        return configuration
    }

    func client(_ line: PseudoTerminalPair, _ model: String, baud: Int = 38400, retries: Int = 2) -> ModbusEnergyMeter {
        ModbusEnergyMeter(.init(transport: .rtu(device: line.second, baud: baud, parity: "N", dataBits: 8, stopBits: 1),
                                map: MeterModels.all[model]!, retries: retries))
    }

    @Test(arguments: MeterModels.names)
    func everyShippedMapRoundTrips(model: String) throws {
        let line = try PseudoTerminalPair()
        let served = ServedMeter(configuration(line, model))
        defer { served.stop(); line.close() }
        let meter = client(line, model)
        let (values, reading) = try meter.readValues(at: MonotonicClock.now())
        let truth = served.meter.values(register: reading.importEnergy)
        for definition in MeterModels.all[model]!.definitions {
            let value = try #require(values[definition.quantity])
            // The register's resolution: its scale in its unit, converted to the base unit.
            let resolution = definition.type == .float32 ? abs(truth[definition.quantity]!) * 1e-6 + 1e-3 : definition.scale * 1000
            #expect(abs(value - truth[definition.quantity]!) <= resolution, "\(model) \(definition.quantity)")
        }
        #expect(reading.importEnergy.value > 1_234_400)
        #expect(meter.statistics.requests == MeterModels.all[model]!.blocks.count)
    }

    @Test func aLineThatIsCutIsLookedForCalmlyAndFoundAgain() throws {
        // A USB RS-485 adapter falls off the bus and comes back at the same path.
        let line = try PseudoTerminalPair()
        var served = ServedMeter(configuration(line, "sdm630"))
        defer { served.stop(); line.close() }
        let meter = client(line, "sdm630", retries: 1)
        var now = MonotonicClock.now()
        _ = try meter.readValues(at: now)
        served.stop()
        line.cut()
        var errors: [String] = []
        // A minute of polls once a second: errors, never a crash, and the line looked for with a
        // back-off (0.5 s doubling to 30 s) rather than at every poll.
        for _ in 0..<60 {
            now = now + .seconds(1)
            do throws(MeterReadError) { _ = try meter.readValues(at: now) } catch { errors.append("\(error)") }
        }
        #expect(errors.count == 60)
        #expect(errors.last?.contains("No such file or directory") == true, "\(errors.suffix(3))")
        #expect(meter.statistics.openAttempts <= 8, "\(meter.statistics)")
        try line.reconnect()
        served = ServedMeter(configuration(line, "sdm630"))
        var back: Instant?
        for _ in 0..<40 where back == nil {
            now = now + .seconds(1)
            if (try? meter.readValues(at: now)) != nil { back = now }
        }
        #expect(back != nil, "the meter is read again once its line is back")
        #expect(meter.statistics.opens == 2)
    }

    @Test func aReplacedMeterBecomesANewBaselineAfterThreeReadings() throws {
        let line = try PseudoTerminalPair()
        var setup = configuration(line, "sdm630")
        setup.power = Watts(0)
        var served = ServedMeter(setup)
        defer { served.stop(); line.close() }
        let meter = client(line, "sdm630", retries: 0)
        var now = MonotonicClock.now()
        #expect(try meter.readValues(at: now).reading.importEnergy == WattHours(1_234_500))
        // A new meter on the same line starts from 12 Wh: twice a bad reply, then a baseline.
        served.stop()
        setup.initialRegister = WattHours(12)
        served = ServedMeter(setup)
        var outcomes: [String] = []
        for _ in 0..<3 {
            now = now + .seconds(1)
            do throws(MeterReadError) {
                outcomes.append(fixed(try meter.readValues(at: now).reading.importEnergy.value, 0))
            } catch {
                outcomes.append("\(error)")
            }
        }
        #expect(outcomes.prefix(2).allSatisfy { $0.contains("went backwards") }, "\(outcomes)")
        #expect(outcomes.last == "12", "\(outcomes)")
    }

    @Test func corruptedRepliesAreRetriedAndNeverAccepted() throws {
        let line = try PseudoTerminalPair()
        var setup = configuration(line, "sdm630")
        setup.corruptFraction = 0.3
        setup.power = Watts(0)
        let served = ServedMeter(setup)
        defer { served.stop(); line.close() }
        let meter = client(line, "sdm630", retries: 3)
        var good = 0
        for _ in 0..<30 {
            if let (values, _) = try? meter.readValues(at: MonotonicClock.now()) {
                good += 1
                #expect(values[.voltageL1] == 230)
                #expect(values[.currentL1] == 0)
                #expect(values[.importEnergy] == 1_234_500)
            }
        }
        #expect(served.meter.statistics.corrupted > 0)
        #expect(meter.statistics.retries > 0)
        #expect(good >= 25)
    }

    @Test func aSilentMeterBecomesMeterLostWithinTheConfiguredTime() throws {
        let line = try PseudoTerminalPair()
        var setup = configuration(line, "sdm120")
        setup.stopAnsweringAfter = .seconds(1)
        let served = ServedMeter(setup)
        defer { served.stop(); line.close() }
        let meter = client(line, "sdm120", retries: 0)
        var machine = ChargerStateMachine(configuration: ChargerConfiguration(meterLostTimeout: .seconds(2)))
        var timers = TimerQueue()
        func apply(_ actions: ActionList) -> [ChargerAction] {
            for action in actions { timers.apply(action) }
            return Array(actions)
        }
        let start = MonotonicClock.now()
        var now = start
        _ = apply(machine.start(at: now))
        for _ in 0..<3 { now = now + .milliseconds(10); _ = apply(machine.pilotSampled(.nominal(.b), at: now)) }
        #expect(machine.sessionID != nil)

        var lastGood: Instant?
        var lostAt: Instant?
        while lostAt == nil && MonotonicClock.now() - start < .seconds(15) {
            now = MonotonicClock.now()
            if let reading = try? meter.read() {
                lastGood = now
                _ = apply(machine.meterRead(reading, at: now))
            }
            now = MonotonicClock.now()
            while let due = timers.popDue(at: now) {
                if apply(machine.timerFired(due.timer, at: now)).contains(.faultRaised(.meterLost)) { lostAt = now }
            }
            MonotonicClock.sleep(until: now + .milliseconds(200))
        }
        let silentFrom = try #require(lastGood)
        let lost = try #require(lostAt)
        #expect(served.meter.statistics.ignored > 0)
        // Lost 2 s after the last good reading, give or take a poll and a timeout.
        #expect(lost - silentFrom >= .seconds(2))
        #expect(lost - silentFrom <= .seconds(3))
    }

    @Test func aStockModbusClientReadsTheSameValues() throws {
        let line = try PseudoTerminalPair()
        let served = ServedMeter(configuration(line, "sdm630", baud: 9600))
        defer { served.stop(); line.close() }
        // mbpoll (Debian): RTU, 9600 8N1, slave 1, input registers (3) as floats with the high word
        // first (-B), reference 1 (address 0), 6 registers: three phase voltages; one poll.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mbpoll")
        process.arguments = ["-m", "rtu", "-b", "9600", "-P", "none", "-a", "1", "-t", "3:float", "-B", "-r", "1", "-c", "3", "-1", "-o", "2", line.second]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        for reference in [1, 3, 5] {
            #expect(text.contains("[\(reference)]: \t230") || text.contains("[\(reference)]:\t230") || text.contains("[\(reference)]: 230"), "\(text)")
        }
        #expect(served.meter.statistics.replies >= 1)
    }
}
