/// A command for the state machine, queued by the console or the simulation for the control loop.
public enum ChargerCommand: Hashable, Sendable, CustomStringConvertible {
    /// The daemon is initialised and the hardware safe: release the pilot from F.
    case ready
    case enable
    case disable
    case setCurrentLimit(Amperes)
    case startSession
    case stopSession
    case pause
    case resume
    case clearFault(FaultCode)
    /// The technician's residual-current monitor test (the console's `test rcm`).
    case testResidualCurrentMonitor
    /// Close the contactor with no vehicle connected, check its feedback, open it, report the times.
    case testContactor
    /// The event pipeline could not write an event to the ledger: nothing may charge that the
    /// books cannot follow.
    case ledgerWriteFailed

    public var description: String {
        switch self {
        case .ready: return "ready"
        case .enable: return "enable"
        case .disable: return "disable"
        case .setCurrentLimit(let amps): return "limit \(amps.value)"
        case .startSession: return "start"
        case .stopSession: return "stop"
        case .pause: return "pause"
        case .resume: return "resume"
        case .clearFault(let code): return "clear \(code)"
        case .testResidualCurrentMonitor: return "test rcm"
        case .testContactor: return "test contactor"
        case .ledgerWriteFailed: return "ledger write failed"
        }
    }
}

extension ChargerStateMachine {
    /// Applies a queued command.
    public mutating func handle(_ command: ChargerCommand, at now: Instant) throws(CommandRejection) -> ActionList {
        switch command {
        case .ready: return start(at: now)
        case .enable: return enable(at: now)
        case .disable: return disable(at: now)
        case .setCurrentLimit(let limit): return try setCurrentLimit(limit, at: now)
        case .startSession: return try startSession(at: now)
        case .stopSession: return try stopSession(at: now)
        case .pause: return try pause(at: now)
        case .resume: return try resume(at: now)
        case .clearFault(let code): return try clearFault(code, at: now)
        case .testResidualCurrentMonitor: return try testResidualCurrentMonitor(at: now)
        case .testContactor: return try testContactor(at: now)
        case .ledgerWriteFailed: return ledgerWriteFailed(at: now)
        }
    }
}
