import EVSECore

/// One line's worth of what happened on a (simulated) charger, for the event log.
public enum LogRecord: Sendable {
    /// A scenario step was applied.
    case step(ScenarioStep)
    /// The control loop reported an event.
    case event(TimedEvent)
}
