/// Reads one device at its own pace and posts each good value to the control loop's mailbox.
///
/// A failure posts nothing (the state machine sees the values stop, and a silent meter becomes
/// `meter_lost`) and is reported as one `hardwareError` event per run of failures: a meter silent
/// for an hour is one event, not 3600. The daemon calls `poll` on the device's own thread (Modbus
/// is slow, and must never stall the loop); the virtual-time runner calls it inline at the same
/// interval, so both produce the same events.
public final class DevicePoller<Value: Sendable>: Sendable {
    private let read: @Sendable () throws(HardwareError) -> Value
    private let mailbox: Mailbox<Value>
    private let events: any ControllerEventSink
    /// Whether the last poll failed: the next failure is part of the same run.
    private let failing = Lock(false)

    /// - Parameters:
    ///   - mailbox: where good values go (the controller's `meterReadings` or `temperatures`).
    ///   - events: where the first failure of each run goes (the controller's event sink).
    ///   - read: one reading of the device.
    public init(mailbox: Mailbox<Value>, events: any ControllerEventSink, read: @escaping @Sendable () throws(HardwareError) -> Value) {
        self.read = read
        self.mailbox = mailbox
        self.events = events
    }

    /// Reads the device once, at `now` (the instant the request starts: the loop judges a reading's
    /// freshness by it).
    public func poll(at now: Instant) {
        do throws(HardwareError) {
            let value = try read()
            failing.withLock { $0 = false }
            mailbox.post(value, at: now)
        } catch {
            let first = failing.withLock { failing in
                defer { failing = true }
                return !failing
            }
            if first { _ = events.publish(TimedEvent(at: now, event: .hardwareError(error)), reserved: false) }
        }
    }
}
