/// The figures of one session, as the tracker knows them.
public struct SessionSummary: Hashable, Sendable {
    public var id: SessionID
    public var startedAt: Instant
    public var endedAt: Instant?
    public var endReason: SessionEndReason?
    /// The meter's import register when the session started (or at its first reading).
    public var startRegister: WattHours?
    /// The latest register seen during the session.
    public var lastRegister: WattHours?
    /// Time with the contactor closed.
    public var chargingTime: Duration = .zero
    /// Interruptions: (start, end, cause); the last may still be open.
    public var interruptions: [Interruption] = []

    public struct Interruption: Hashable, Sendable {
        public var start: Instant
        public var end: Instant?
        public var cause: InterruptionCause
    }

    /// Energy delivered: the difference of the meter's cumulative register, never an integral
    /// of power.
    public var energy: WattHours {
        guard let start = startRegister, let last = lastRegister else { return .zero }
        return last - start
    }

    /// Time from start to end (or to `now` while open).
    public func duration(at now: Instant) -> Duration { (endedAt ?? now) - startedAt }
}

/// Follows the control loop's events and keeps the figures of the open session and of those that
/// ended. Runs off the control thread (the ledger, the console, `evsed simulate`).
///
/// A session that ended is final at the first meter reading after its end: the contactor is open
/// by then, so that register holds every watt-hour the session drew. If the meter stays silent,
/// the session is final `finalReadingTimeout` after its end with the last register seen.
public struct SessionTracker: Sendable {
    public private(set) var current: SessionSummary?
    /// A session that ended and waits for its final register.
    public private(set) var closing: SessionSummary?
    public private(set) var lastReading: MeterReading?
    private var contactorClosedAt: Instant?
    public var finalReadingTimeout: Duration = .seconds(5)

    public init() {}

    /// Feeds one event; returns the sessions that became final (usually none).
    public mutating func observe(_ event: TimedEvent) -> [SessionSummary] {
        let now = event.at
        var final: [SessionSummary] = []
        if let ended = closing, let endedAt = ended.endedAt, now - endedAt >= finalReadingTimeout {
            final.append(ended)
            closing = nil
        }
        switch event.event {
        case .meterReading(let reading):
            lastReading = reading
            if var ended = closing {
                ended.lastRegister = reading.importEnergy
                final.append(ended)
                closing = nil
            }
            if current != nil {
                if current?.startRegister == nil { current?.startRegister = reading.importEnergy }
                current?.lastRegister = reading.importEnergy
            }
        case .action(.sessionStarted(let id)):
            if let ended = closing {
                final.append(ended)
                closing = nil
            }
            current = SessionSummary(id: id, startedAt: now, startRegister: lastReading?.importEnergy, lastRegister: lastReading?.importEnergy)
        case .action(.closeContactor):
            contactorClosedAt = now
        case .action(.openContactor):
            if let closedAt = contactorClosedAt, current != nil { current?.chargingTime += now - closedAt }
            contactorClosedAt = nil
        case .action(.sessionInterrupted(_, let cause)):
            current?.interruptions.append(.init(start: now, end: nil, cause: cause))
        case .action(.sessionResumed):
            if let last = current?.interruptions.indices.last { current?.interruptions[last].end = now }
        case .action(.sessionEnded(_, let reason)):
            guard var ended = current else { return final }
            if let closedAt = contactorClosedAt {
                ended.chargingTime += now - closedAt
                contactorClosedAt = now
            }
            if let last = ended.interruptions.indices.last, ended.interruptions[last].end == nil {
                ended.interruptions[last].end = now
            }
            ended.endedAt = now
            ended.endReason = reason
            current = nil
            closing = ended
        default:
            break
        }
        return final
    }

    /// Makes a session still waiting for its final register final now (end of a simulation,
    /// shutdown).
    public mutating func finish() -> SessionSummary? {
        defer { closing = nil }
        return closing
    }
}
