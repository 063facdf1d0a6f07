import Testing
@testable import EVSECore

/// The order of a control-loop tick's reads: the fault reaction must not wait for slow inputs. On a
/// board whose pilot is an ADC over I2C, a pilot sample is two conversions (about 2.5 ms); the
/// residual-current monitor is one GPIO read, and its trip must open the contactor first.
struct TickOrderTests {
    /// Devices that write down each call, in order.
    final class LoggingDevices: PilotSensor, PilotSignal, Contactor, ResidualCurrentMonitor, @unchecked Sendable {
        var log: [String] = []
        var level = PilotLevel.a
        var closed = false
        var testInput = false
        var residualCurrent = false
        /// The controller's event sink: what it has reported is written down before each command.
        var events: BoundedQueue<TimedEvent>?
        func sample() throws(HardwareError) -> PilotSample {
            log.append("pilot sampled")
            return .nominal(level)
        }
        func apply(_ output: PilotOutput) throws(HardwareError) {}
        func command(closed: Bool) throws(HardwareError) {
            while let event = events?.pop() { log.append("reported \(event.event)") }
            log.append(closed ? "contactor closed" : "contactor opened")
            self.closed = closed
        }
        func feedback() throws(HardwareError) -> Bool? { closed }
        func isTripped() throws(HardwareError) -> Bool {
            log.append("rcm read")
            return testInput || residualCurrent
        }
        func setSelfTest(_ active: Bool) throws(HardwareError) { testInput = active }
    }

    /// A car charging, then one tick with the residual-current monitor tripped; the log of that tick.
    func tripWhileCharging() throws -> (log: [String], controller: ChargerController) {
        let devices = LoggingDevices()
        let events = BoundedQueue<TimedEvent>(capacity: 4096)
        let controller = readyController(devices, events: events)
        var now = Instant.zero
        devices.level = .c
        let reading = MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(0)), power: Watts(0),
                                   importEnergy: WattHours(1000))
        for _ in 0..<200 where !devices.closed {
            now = now + .milliseconds(10)
            controller.meterReadings.post(reading, at: now)
            controller.cycle(at: now, missedDeadlines: 0)
            while events.pop() != nil {}
        }
        try #require(devices.closed, "the car charges before the trip")

        devices.residualCurrent = true
        devices.log.removeAll()
        devices.events = events
        now = now + .milliseconds(10)
        controller.cycle(at: now, missedDeadlines: 0)
        while let event = events.pop() { devices.log.append("reported \(event.event)") }
        return (devices.log, controller)
    }

    @Test func aResidualCurrentTripOpensTheContactorBeforeThePilotIsSampled() throws {
        let (log, controller) = try tripWhileCharging()
        let opened = try #require(log.firstIndex(of: "contactor opened"), "\(log)")
        let sampled = try #require(log.firstIndex(of: "pilot sampled"), "\(log)")
        #expect(opened < sampled, "\(log)")
        #expect(controller.machine.activeFaults.contains(.residualCurrent))
    }

    /// The machine puts the contactor's opening first among the step's actions: it is written
    /// before anything of the step is reported (the fault, its timers, the session interrupted).
    @Test func theContactorOpensBeforeTheStepIsReported() throws {
        let (log, _) = try tripWhileCharging()
        let opened = try #require(log.firstIndex(of: "contactor opened"), "\(log)")
        let reports = log.indices.filter { log[$0].hasPrefix("reported") }
        #expect(reports.count >= 3, "\(log)")
        #expect(reports.allSatisfy { $0 > opened }, "\(log)")
        #expect(reports.first.map { log[$0].hasSuffix("openContactor)") } == true, "\(log)")
        #expect(log.filter { $0 == "contactor opened" }.count == 1, "one write: \(log)")
    }
}
