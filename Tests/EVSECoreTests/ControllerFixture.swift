@testable import EVSECore

/// How a test of whole ticks starts: a controller with the default configuration over one object
/// that plays every device, its outputs made safe and `.ready` queued, as the daemon starts it.
func readyController(_ devices: some PilotSensor & PilotSignal & Contactor & ResidualCurrentMonitor,
                     events: BoundedQueue<TimedEvent>, at now: Instant = .zero) -> ChargerController {
    let controller = ChargerController(
        machine: ChargerStateMachine(configuration: ChargerConfiguration()),
        devices: ChargerDevices(pilotSensor: devices, pilotSignal: devices, contactor: devices, residualCurrentMonitor: devices),
        meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 8), events: events)
    controller.driveSafeOutputs(at: now)
    controller.commands.push(.ready)
    return controller
}
