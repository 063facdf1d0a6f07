import EVSECore
import Sessions

/// What a simulation produced: every event in order, the sessions, and the final state.
public struct SimulationResult: Sendable {
    /// Every event of the control loop, in order.
    public let events: [TimedEvent]
    /// The actions among the events, with their time (picked out once: the checks go over them
    /// several times).
    public let actions: [(at: Instant, action: ChargerAction)]
    /// The sessions, final, as their books closed them (energy from the meter's register).
    public let sessions: [SessionBooks.Session]
    public let finalLevel: PilotLevel
    public let finalContactorClosed: Bool

    public init(events: [TimedEvent], sessions: [SessionBooks.Session], finalLevel: PilotLevel, finalContactorClosed: Bool) {
        self.events = events
        self.actions = events.compactMap { if case .action(let action) = $0.event { ($0.at, action) } else { nil } }
        self.sessions = sessions
        self.finalLevel = finalLevel
        self.finalContactorClosed = finalContactorClosed
    }

    /// Sessions that were interrupted and resumed under the same id.
    public var resumedSessions: Set<SessionID> {
        Set(actions.compactMap { if case .sessionResumed(let id) = $0.action { id } else { nil } })
    }

    /// For every fault raised while the contactor was closed: the time until the contactor was
    /// commanded open (zero when it opened in the step that raised the fault).
    public var faultReactionTimes: [(code: FaultCode, delay: Duration)] {
        var closed = false
        var openedAt: Instant?
        var pending: [(code: FaultCode, at: Instant)] = []
        var reactions: [(code: FaultCode, delay: Duration)] = []
        for (at, action) in actions {
            switch action {
            case .closeContactor:
                closed = true
            case .openContactor:
                closed = false
                openedAt = at
                reactions += pending.map { ($0.code, at - $0.at) }
                pending = []
            case .faultRaised(let code):
                if closed {
                    pending.append((code, at))
                } else if openedAt == at {
                    reactions.append((code, .zero))
                }
            default:
                break
            }
        }
        // A fault whose contactor never opened has an unbounded reaction time.
        reactions += pending.map { ($0.code, .seconds(Int64.max / 1_000_000_000)) }
        return reactions
    }
}
