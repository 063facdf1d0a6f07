/// A timer the state machine asks the control loop to run. Timers are data: the machine never
/// sleeps, it asks for a deadline and later receives `timerFired`.
public enum ChargerTimer: Int, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The contactor's feedback must follow a command within the settle time.
    case contactorSettle
    /// The RCM must trip within the self-test timeout.
    case residualCurrentSelfTest
    /// The pilot is held in F after a fault for the F-hold time.
    case stateFHold
    /// A vehicle left in C after the PWM is withdrawn is switched off when this fires.
    case vehicleStop
    /// Overcurrent that lasts until this fires is a fault.
    case overcurrent
    /// A voltage out of range until this fires is a fault.
    case voltageFault
    /// A voltage back in range until this fires clears the voltage fault.
    case voltageRecovery
    /// No meter reading until this fires is a fault while a session is open.
    case meterWatchdog
    /// Retry after a residual-current trip.
    case residualCurrentRetry
    /// Retry after the contactor failed to close.
    case contactorRetry
    /// Retry after an overcurrent.
    case overcurrentRetry
    /// The connector lock's feedback must follow a command within its settle time.
    case connectorLockSettle
    /// Retry after the connector lock failed.
    case connectorLockRetry
    /// A session carried over from before a restart ends if no vehicle is seen by then.
    case carriedOverSession

    /// Every timer: computed once, for the control loop (the synthesized `allCases` allocates).
    public static let all: [ChargerTimer] = allCases

    public var description: String {
        switch self {
        case .contactorSettle: return "contactor_settle"
        case .residualCurrentSelfTest: return "rcm_self_test"
        case .stateFHold: return "state_f_hold"
        case .vehicleStop: return "vehicle_stop"
        case .overcurrent: return "overcurrent"
        case .voltageFault: return "voltage_fault"
        case .voltageRecovery: return "voltage_recovery"
        case .meterWatchdog: return "meter_watchdog"
        case .residualCurrentRetry: return "rcm_retry"
        case .contactorRetry: return "contactor_retry"
        case .overcurrentRetry: return "overcurrent_retry"
        case .connectorLockSettle: return "lock_settle"
        case .connectorLockRetry: return "lock_retry"
        case .carriedOverSession: return "carried_over_session"
        }
    }
}

/// Why a session ended.
public enum SessionEndReason: String, Hashable, Sendable, CustomStringConvertible {
    case vehicleUnplugged = "vehicle_unplugged"
    case stopCommand = "stop_command"
    case chargerDisabled = "charger_disabled"
    case fault = "fault"
    /// The charger lost power (or its daemon died) and the vehicle was gone when it came back.
    case powerLoss = "power_loss"
    /// The daemon was stopped on purpose and the vehicle was gone when it started again.
    case daemonStopped = "daemon_stopped"
    /// The meter's register went down (a replaced or reset meter): the session ends at its last
    /// good reading; a vehicle still connected goes on in a new session.
    case meterReplaced = "meter_replaced"

    public var description: String { rawValue }
}

/// Why an open session is not charging although the vehicle is connected.
public enum InterruptionCause: Hashable, Sendable, CustomStringConvertible {
    /// A fault blocks charging; the session resumes when it clears.
    case fault(FaultCode)
    /// Paused by a command.
    case paused

    public var description: String {
        switch self {
        case .fault(let code): return "fault \(code)"
        case .paused: return "paused"
        }
    }
}

/// What the control loop must do after an input. The loop performs actions in order: a contactor
/// opening always comes first.
public enum ChargerAction: Hashable, Sendable {
    // Hardware.
    case openContactor
    case closeContactor
    case setPilot(PilotOutput)
    case setResidualCurrentTest(Bool)
    /// Locks (true) or releases the plug in the socket.
    case setConnectorLock(Bool)
    // Timers.
    case startTimer(ChargerTimer, deadline: Instant)
    case cancelTimer(ChargerTimer)
    // What happened, for the ledger, alerts and logs.
    case vehicleStateChanged(PilotLevel)
    case sessionStarted(SessionID)
    case sessionEnded(SessionID, SessionEndReason)
    case sessionInterrupted(SessionID, InterruptionCause)
    case sessionResumed(SessionID)
    case faultRaised(FaultCode)
    case faultCleared(FaultCode)
    case faultLatched(FaultCode, RecoveryPolicy.Latch)
    case recoveryAttempt(FaultCode, attempt: Int)
    case derating(step: Int)
    /// The technician's residual-current monitor test ended: the monitor tripped on its test input
    /// and released again (passed), or did not (failed, and `rcm_self_test_failed` is raised).
    case residualCurrentTestResult(passed: Bool)
    /// The technician's contactor test ended: how long the feedback took to follow the close and
    /// the open command (nil: it did not follow within the settle time), and whether both did.
    case contactorTestResult(closedAfter: Duration?, openedAfter: Duration?, passed: Bool)
}

/// An identifier of a charging session, unique on this charger.
public struct SessionID: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: SessionID, rhs: SessionID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
