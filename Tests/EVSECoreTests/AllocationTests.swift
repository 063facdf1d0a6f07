import AllocationCounter
import Testing
@testable import EVSECore

/// The control loop must not allocate in a tick: a steady-state tick through the real controller,
/// with devices that answer from memory, is counted with the Swift runtime's allocation hook.
@Suite(.enabled(if: allocation_counter_available() == 1, "a sanitizer build: its runtime owns the allocator"))
struct AllocationTests {
    final class StillDevices: PilotSensor, PilotSignal, Contactor, ResidualCurrentMonitor, @unchecked Sendable {
        var level = PilotLevel.a
        var closed = false
        var testInput = false
        func sample() throws(HardwareError) -> PilotSample { .nominal(level) }
        func apply(_ output: PilotOutput) throws(HardwareError) {}
        func command(closed: Bool) throws(HardwareError) { self.closed = closed }
        func feedback() throws(HardwareError) -> Bool? { closed }
        func isTripped() throws(HardwareError) -> Bool { testInput }
        func setSelfTest(_ active: Bool) throws(HardwareError) { testInput = active }
    }

    /// Counts the allocations of `ticks` ticks from `start`, after the controller has settled.
    func allocations(level: PilotLevel, ticks: Int) -> (count: UInt64, charging: Bool) {
        let devices = StillDevices()
        let events = BoundedQueue<TimedEvent>(capacity: 4096)
        let controller = readyController(devices, events: events)
        var now = Instant.zero
        devices.level = level
        let reading = MeterReading(
            voltage: PhaseValues(Volts(230), Volts(230), Volts(230)),
            current: PhaseValues(Amperes(16), Amperes(16), Amperes(16)), power: Watts(11040),
            importEnergy: WattHours(1000))
        // Settle: plug-in, self-test, contactor closed, the meter reading; then drain the events.
        for _ in 0..<200 {
            now = now + .milliseconds(10)
            controller.meterReadings.post(reading, at: now)
            controller.cycle(at: now, missedDeadlines: 0)
        }
        while events.pop() != nil {}

        allocation_counter_start()
        for index in 0..<ticks {
            now = now + .milliseconds(10)
            if index % 100 == 0 { controller.meterReadings.post(reading, at: now) }
            controller.cycle(at: now, missedDeadlines: 0)
            while events.pop() != nil {}
        }
        let count = allocation_counter_stop()
        return (count, controller.machine.isContactorClosed)
    }

    @Test func aChargingTickDoesNotAllocate() {
        let result = allocations(level: .c, ticks: 1000)
        #expect(result.charging)
        #expect(result.count == 0)
    }

    @Test func anIdleTickDoesNotAllocate() {
        let result = allocations(level: .a, ticks: 1000)
        #expect(!result.charging)
        #expect(result.count == 0)
    }

    @Test func theCounterCountsAllocations() {
        allocation_counter_start()
        let array = [Int](repeating: 1, count: Int.random(in: 10...20))
        let count = allocation_counter_stop()
        #expect(count >= 1)
        #expect(array.count >= 10)
    }
}
