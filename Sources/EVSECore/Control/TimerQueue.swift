/// Armed timer deadlines, one slot per timer: starting a timer replaces its deadline. The state
/// machine keeps the deadlines it asked for in one; whoever drives it (the control loop, a
/// simulation, a test) keeps another, filled from the machine's timer actions.
public struct TimerQueue: Hashable, Sendable {
    private var deadlines = [Instant?](repeating: nil, count: ChargerTimer.all.count)

    public init() {}

    /// The deadline of `timer`, nil when it is not armed.
    public subscript(timer: ChargerTimer) -> Instant? {
        get { deadlines[timer.rawValue] }
        set { deadlines[timer.rawValue] = newValue }
    }

    public mutating func start(_ timer: ChargerTimer, deadline: Instant) { deadlines[timer.rawValue] = deadline }
    public mutating func cancel(_ timer: ChargerTimer) { deadlines[timer.rawValue] = nil }

    /// The armed timer with the earliest deadline at or before `now`, removed from the queue.
    public mutating func popDue(at now: Instant) -> (timer: ChargerTimer, deadline: Instant)? {
        var best: (timer: ChargerTimer, deadline: Instant)?
        // Index loops: a `for … in` over an array allocates an iterator in debug builds.
        for index in 0..<deadlines.count {
            guard let deadline = deadlines[index], deadline <= now else { continue }
            if best == nil || deadline < best!.deadline { best = (ChargerTimer.all[index], deadline) }
        }
        if let best { deadlines[best.timer.rawValue] = nil }
        return best
    }

    /// The earliest armed deadline.
    public var nextDeadline: Instant? {
        var earliest: Instant?
        for index in 0..<deadlines.count {
            if let deadline = deadlines[index], earliest == nil || deadline < earliest! { earliest = deadline }
        }
        return earliest
    }

    /// Applies a timer action; returns false for any other action.
    @discardableResult
    public mutating func apply(_ action: ChargerAction) -> Bool {
        switch action {
        case .startTimer(let timer, let deadline): start(timer, deadline: deadline)
        case .cancelTimer(let timer): cancel(timer)
        default: return false
        }
        return true
    }
}
