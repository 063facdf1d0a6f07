import EVSECore

/// An event sink that keeps events until they are taken; for virtual time, where the consumer
/// runs on the same thread right after each tick.
public final class EventCollector: ControllerEventSink {
    private let pending = Lock<[TimedEvent]>([])

    public init() {}

    public func publish(_ event: TimedEvent) {
        pending.withLock { $0.append(event) }
    }

    /// Removes and returns the events published since the last call.
    public func take() -> [TimedEvent] {
        pending.withLock { events in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }
}
