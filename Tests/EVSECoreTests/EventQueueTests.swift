import Testing
@testable import EVSECore

/// Events that do not fit the queue to the books are counted and make a fault; they are never
/// dropped in silence, and nothing charges while the books cannot follow.
@Suite struct EventQueueTests {
    /// A controller told to start, with a car in state C, its events in a queue of `queue` places.
    static func charging(queue: Int) -> (ChargerController, BoundedQueue<TimedEvent>) {
        let devices = AllocationTests.StillDevices()
        let events = BoundedQueue<TimedEvent>(capacity: queue)
        let controller = ChargerController(
            machine: ChargerStateMachine(configuration: ChargerConfiguration()),
            devices: ChargerDevices(pilotSensor: devices, pilotSignal: devices, contactor: devices, residualCurrentMonitor: devices),
            meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 8), events: events)
        controller.driveSafeOutputs(at: .zero)
        controller.commands.push(.ready)
        devices.level = .c
        return (controller, events)
    }

    @Test func aFullEventQueueStopsChargingAndSaysHowManyWereLost() {
        let (controller, events) = Self.charging(queue: 64)
        var now = Instant.zero
        func tick(_ count: Int, drain: Bool) {
            for index in 0..<count {
                now = now + .milliseconds(10)
                // A reading a tick keeps events coming.
                controller.meterReadings.post(.init(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(16)), power: Watts(3680),
                                                    importEnergy: WattHours(1000 + Double(index))), at: now)
                controller.tick(at: now)
                if drain { while events.pop() != nil {} }
            }
        }
        tick(50, drain: true)
        #expect(controller.machine.isContactorClosed)
        // The books stop taking events (a stalled disk): the queue fills up.
        tick(200, drain: false)
        #expect(controller.machine.activeFaults.contains(.eventsLost))
        #expect(!controller.machine.isContactorClosed)
        // They catch up: the count of the lost events is the first thing they hear, then the fault clears.
        var drained: [TimedEvent] = []
        while let event = events.pop() { drained.append(event) }
        tick(1, drain: false)
        var after: [TimedEvent] = []
        while let event = events.pop() { after.append(event) }
        guard case .eventsLost(let count)? = after.first?.event else {
            Issue.record("no eventsLost first: \(after.prefix(3))")
            return
        }
        #expect(count > 100)
        #expect(after.contains { $0.event == .action(.faultCleared(.eventsLost)) })
        #expect(!controller.machine.activeFaults.contains(.eventsLost))
    }

    /// The meter thread posts a reading with the instant its request started and the answer comes
    /// 150 ms later; the loop has ticked (and said things) meanwhile. The stream stays in time order.
    @Test func readingsThatTakeTimeStillComeInTimeOrder() {
        let (controller, events) = Self.charging(queue: 4096)
        var now = Instant.zero
        var register = 1000.0
        for tick in 1...600 {
            now = now + .milliseconds(10)
            // A request starts every second and is answered 150 ms later.
            if tick % 100 == 15 {
                register += 1
                controller.meterReadings.post(.init(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(16)), power: Watts(3680),
                                                    importEnergy: WattHours(register)), at: now - .milliseconds(150))
            }
            controller.tick(at: now)
        }
        var stream: [TimedEvent] = []
        while let event = events.pop() { stream.append(event) }
        #expect(stream.filter { if case .meterReading = $0.event { return true } else { return false } }.count == 6)
        #expect(controller.machine.isContactorClosed, "the readings were taken for the session: it charges")
        let disorder = zip(stream, stream.dropFirst()).filter { $0.1.at < $0.0.at }
        #expect(disorder.isEmpty, "\(disorder.prefix(3))")
    }
}
