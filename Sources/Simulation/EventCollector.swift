import EVSECore

/// An event sink that keeps events until they are taken; for virtual time, where the consumer
/// runs on the same thread right after each tick.
public final class EventCollector: ControllerEventSink {
    private let pending = Lock<[TimedEvent]>([])

    public init() {}

    /// While true, the collector takes nothing but the fault's reserved events, as a full queue
    /// behind stalled books (the `stall_books` scenario action).
    public var refusing: Bool {
        get { refusal.withLock { $0 } }
        set { refusal.withLock { $0 = newValue } }
    }
    private let refusal = Lock(false)

    public func publish(_ event: TimedEvent, reserved: Bool) -> Bool {
        guard !refusing || reserved else { return false }
        pending.withLock { $0.append(event) }
        return true
    }

    /// Removes and returns the events published since the last call.
    public func take() -> [TimedEvent] {
        pending.withLock { events in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }
}
