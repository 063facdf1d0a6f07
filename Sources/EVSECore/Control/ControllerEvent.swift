/// Something the control loop reports to the rest of the daemon (ledger, alerts, logs, console).
public enum ControllerEvent: Hashable, Sendable {
    /// An action the loop performed (hardware, timers, and what happened).
    case action(ChargerAction)
    /// A good meter reading that reached the state machine.
    case meterReading(MeterReading)
    /// A temperature that reached the state machine.
    case temperature(Celsius)
    /// A command the state machine refused.
    case commandRejected(ChargerCommand, CommandRejection)
    /// A hardware access failed.
    case hardwareError(HardwareError)
    /// This many events did not fit the full event queue and are gone.
    case eventsLost(Int)
}

/// A `ControllerEvent` with the instant it happened.
public struct TimedEvent: Hashable, Sendable {
    public var at: Instant
    public var event: ControllerEvent

    public init(at: Instant, event: ControllerEvent) {
        self.at = at
        self.event = event
    }
}

/// Where the control loop puts its events. Implementations must not block or allocate on the
/// caller's thread for more than a copy (a `BoundedQueue`), or run in virtual time.
public protocol ControllerEventSink: AnyObject, Sendable {
    /// Adds `event`; false when it did not fit. Ordinary events leave the last
    /// `reservedForFaults` places free; `reserved` events (the fault that says events are being
    /// lost, and what the machine does about it) may take them.
    func publish(_ event: TimedEvent, reserved: Bool) -> Bool
}

/// The places of an event sink kept for the `events_lost` fault and its consequences.
public let reservedForFaults = 16

extension BoundedQueue: ControllerEventSink where Element == TimedEvent {
    public func publish(_ event: TimedEvent, reserved: Bool) -> Bool { push(event, leaving: reserved ? 0 : reservedForFaults) }
}
