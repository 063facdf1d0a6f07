/// Why a command was refused.
public enum CommandRejection: Error, Hashable, Sendable, CustomStringConvertible {
    case noVehicle
    case sessionAlreadyOpen
    case noSession
    case chargerDisabled
    case outOfService(FaultCode)
    case currentOutOfRange(Amperes)
    case faultNotActive(FaultCode)
    case faultNotLatched(FaultCode)
    case alreadyPaused
    case notPaused
    case contactorClosed
    case selfTestRunning
    case residualCurrentPresent
    case vehicleConnected
    case noContactorFeedback
    case contactorTestRunning

    public var description: String {
        switch self {
        case .noVehicle: return "no vehicle is connected"
        case .sessionAlreadyOpen: return "a session is already open"
        case .noSession: return "no session is open"
        case .chargerDisabled: return "the charger is disabled; enable it first"
        case .outOfService(let code): return "the charger is out of service until a technician clears \(code)"
        case .currentOutOfRange(let amps): return "\(amps) is outside 6 A … the charger's maximum"
        case .faultNotActive(let code): return "\(code) is not active"
        case .faultNotLatched(let code): return "\(code) is not latched; it clears by itself when its condition goes"
        case .alreadyPaused: return "the session is already paused"
        case .notPaused: return "the session is not paused"
        case .contactorClosed: return "the contactor is closed; stop or pause charging first"
        case .selfTestRunning: return "a residual-current monitor test is running"
        case .residualCurrentPresent: return "the residual-current monitor reports a residual current now"
        case .vehicleConnected: return "a vehicle is connected (the pilot is not in state A); unplug it first"
        case .noContactorFeedback: return "this board has no contactor feedback, so there is nothing to check the contactor against"
        case .contactorTestRunning: return "a contactor test is running"
        }
    }
}

/// Commands from the console, the owner or a back end.
extension ChargerStateMachine {
    /// The daemon is ready (every device took its safe state: contactor released, pilot in F): the pilot leaves F and
    /// the charger becomes available. Until then it stays in F and nothing closes.
    public mutating func start(at now: Instant) -> ActionList {
        var actions = ActionList()
        guard !started else { return actions }
        started = true
        if carriedOver != nil { startTimer(.carriedOverSession, at: now + configuration.carriedOverDecisionTime, into: &actions) }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Leaves maintenance: the pilot is released from F and a connected vehicle is detected anew.
    public mutating func enable(at now: Instant) -> ActionList {
        var actions = ActionList()
        guard !enabled else { return actions }
        enabled = true
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Maintenance: the contactor opens, an open session ends and the pilot is held in state F.
    public mutating func disable(at now: Instant) -> ActionList {
        var actions = ActionList()
        guard enabled else { return actions }
        enabled = false
        if session != nil { endSession(.chargerDisabled, at: now, into: &actions) }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Sets the current limit offered to the vehicle (before temperature derating).
    public mutating func setCurrentLimit(_ limit: Amperes, at now: Instant) throws(CommandRejection) -> ActionList {
        guard limit >= PWMDuty.minimumCurrent && limit <= configuration.maximumCurrent else {
            throw .currentOutOfRange(limit)
        }
        var actions = ActionList()
        offer.limit = limit
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Opens a session for the connected vehicle (when sessions do not start on plug-in, or after
    /// a stop).
    public mutating func startSession(at now: Instant) throws(CommandRejection) -> ActionList {
        guard enabled else { throw .chargerDisabled }
        if let code = outOfServiceFault { throw .outOfService(code) }
        guard vehiclePresent else { throw .noVehicle }
        guard session == nil else { throw .sessionAlreadyOpen }
        var actions = ActionList()
        openSession(at: now, into: &actions)
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Ends the open session: the PWM is withdrawn and the session ends once the contactor is open.
    public mutating func stopSession(at now: Instant) throws(CommandRejection) -> ActionList {
        guard session != nil else { throw .noSession }
        var actions = ActionList()
        session?.stopRequested = true
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Pauses charging; the session stays open.
    public mutating func pause(at now: Instant) throws(CommandRejection) -> ActionList {
        guard let open = session else { throw .noSession }
        guard !open.pausedByCommand else { throw .alreadyPaused }
        var actions = ActionList()
        session?.pausedByCommand = true
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Resumes a paused session.
    public mutating func resume(at now: Instant) throws(CommandRejection) -> ActionList {
        guard let open = session else { throw .noSession }
        guard open.pausedByCommand else { throw .notPaused }
        var actions = ActionList()
        session?.pausedByCommand = false
        reconcile(at: now, into: &actions)
        return actions
    }

    /// A technician tests the residual-current monitor (`test rcm`): its test input is driven, it
    /// must trip within the self-test timeout and release again. Never while the contactor is
    /// closed (the test trips the monitor). A failure raises `rcm_self_test_failed` as a failed
    /// test before a close does; either way `residualCurrentTestResult` reports it.
    /// The technician's contactor test: with no vehicle connected (pilot confirmed in A), no
    /// session and no fault, the pilot goes to F, the contactor closes, and once its feedback
    /// follows it opens again; `contactorTestResult` reports both times. The pilot comes back
    /// from F after the test (the vehicle, if one came meanwhile, is detected anew).
    public mutating func testContactor(at now: Instant) throws(CommandRejection) -> ActionList {
        guard configuration.hasContactorFeedback else { throw .noContactorFeedback }
        guard started, enabled else { throw .chargerDisabled }
        guard contactorTest == nil else { throw .contactorTestRunning }
        guard debouncer.confirmed == .a, !vehiclePresent else { throw .vehicleConnected }
        guard !contactor.isOn else { throw .contactorClosed }
        guard session == nil, carriedOver == nil else { throw .sessionAlreadyOpen }
        if let code = faults.active.first { throw .outOfService(code) }
        guard !selfTest.isRunning else { throw .selfTestRunning }
        var actions = ActionList()
        contactorTest = ContactorTestRun(startedAt: now)
        // The pilot goes to F first (desiredPilot), so a car plugged in meanwhile is told "not
        // available"; then `reconcile` closes, as it makes every other close.
        reconcile(at: now, into: &actions)
        return actions
    }

    public mutating func testResidualCurrentMonitor(at now: Instant) throws(CommandRejection) -> ActionList {
        guard contactorTest == nil else { throw .contactorTestRunning }
        guard !contactor.isOn else { throw .contactorClosed }
        guard !selfTest.isRunning else { throw .selfTestRunning }
        guard !residualCurrentTripped else { throw .residualCurrentPresent }
        var actions = ActionList()
        selfTest = .testing(byTechnician: true)
        actions.append(.setResidualCurrentTest(true))
        startTimer(.residualCurrentSelfTest, at: now + configuration.residualCurrentSelfTestTimeout, into: &actions)
        reconcile(at: now, into: &actions)
        return actions
    }

    /// A technician clears a latched fault after a repair.
    public mutating func clearFault(_ code: FaultCode, at now: Instant) throws(CommandRejection) -> ActionList {
        guard faults[code].active else { throw .faultNotActive(code) }
        guard faults[code].latch != nil else { throw .faultNotLatched(code) }
        var actions = ActionList()
        var entry = faults[code]
        entry.retries = 0
        faults[code] = entry
        if code == .residualCurrentSelfTestFailed { selfTestFailures = 0 }
        clear(code, at: now, into: &actions)
        reconcile(at: now, into: &actions)
        return actions
    }
}
