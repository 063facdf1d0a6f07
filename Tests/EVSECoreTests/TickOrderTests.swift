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
        func sample() throws(HardwareError) -> PilotSample {
            log.append("pilot sampled")
            return .nominal(level)
        }
        func apply(_ output: PilotOutput) throws(HardwareError) {}
        func command(closed: Bool) throws(HardwareError) {
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

    @Test func aResidualCurrentTripOpensTheContactorBeforeThePilotIsSampled() throws {
        let devices = LoggingDevices()
        let events = BoundedQueue<TimedEvent>(capacity: 4096)
        let controller = ChargerController(
            machine: ChargerStateMachine(configuration: ChargerConfiguration()),
            devices: ChargerDevices(pilotSensor: devices, pilotSignal: devices, contactor: devices, residualCurrentMonitor: devices),
            meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 8), events: events)
        var now = Instant.zero
        controller.driveSafeOutputs(at: now)
        controller.commands.push(.ready)
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
        now = now + .milliseconds(10)
        controller.cycle(at: now, missedDeadlines: 0)
        let opened = try #require(devices.log.firstIndex(of: "contactor opened"), "\(devices.log)")
        let sampled = try #require(devices.log.firstIndex(of: "pilot sampled"), "\(devices.log)")
        #expect(opened < sampled, "\(devices.log)")
        #expect(controller.machine.activeFaults.contains(.residualCurrent))
    }
}
