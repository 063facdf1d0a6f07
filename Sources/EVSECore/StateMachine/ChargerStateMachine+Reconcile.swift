/// The one place that decides what the contactor and the pilot do, from what the machine knows.
extension ChargerStateMachine {
    /// Whether the open session may draw energy now (PWM offered).
    var chargingPermitted: Bool {
        guard started, let open = session, enabled, vehiclePresent, isConnectorLocked else { return false }
        return !open.pausedByCommand && !open.stopRequested && faults.active.isEmpty
    }

    /// The plug is held while a session is open with the vehicle present, and while the contactor
    /// is closed whatever else happens.
    var lockWanted: Bool { (session != nil && vehiclePresent) || contactor.isOn }

    /// What the pilot should show now.
    func desiredPilot() -> PilotOutput {
        if !started || !enabled || holdsStateF || timers[.stateFHold] != nil || contactorTest != nil { return .stateF }
        if chargingPermitted, let duty = try? PWMDuty(offering: offeredCurrent) { return .pwm(duty) }
        return .steady
    }

    /// Whether the confirmed pilot lets the contactor close: C, or D where ventilation is available.
    var pilotAllowsEnergy: Bool {
        debouncer.confirmed == .c || (debouncer.confirmed == .d && configuration.ventilationAvailable)
    }

    /// Derives the outputs from the facts and appends the actions that change them.
    mutating func reconcile(at now: Instant, into actions: inout ActionList) {
        if session != nil, outOfServiceFault != nil {
            endSession(.fault, at: now, into: &actions)
        }
        // The contactor test first: when it ends here, the pilot below leaves F in the same step.
        if contactorTest != nil { continueContactorTest(at: now, into: &actions) }
        let desired = desiredPilot()
        if desired == .stateF && (!started || !enabled || holdsStateF) { stateFWasHeld = true }

        if contactorTest == nil && contactor.isOn && !mayStayClosed(desired: desired, at: now, into: &actions) {
            openContactor(at: now, into: &actions)
        }
        // While the lock is faulted it is not commanded to lock again (the retry does that), but it
        // is always let go, so the owner can take the cable.
        if configuration.hasConnectorLock && lockWanted != lock.isOn && !(lockWanted && faults.active.contains(.connectorLock)) {
            commandLock(lockWanted, at: now, into: &actions)
        }
        if desired != pilot { setPilot(desired, at: now, into: &actions) }
        // The technician's contactor test closes once the pilot is in F (no car is offered energy),
        // unless it has closed already: then it is open only once its open command went out.
        if let test = contactorTest, !contactor.isOn, test.openCommandedAt == nil, pilot == .stateF {
            closeForContactorTest(at: now, into: &actions)
        }
        if let open = session, open.stopRequested, !contactor.isOn {
            endSession(.stopCommand, at: now, into: &actions)
        }
        if !contactor.isOn && pilot.isPWM && pilotAllowsEnergy && chargingPermitted {
            prepareToClose(at: now, into: &actions)
        }
        trackInterruption(into: &actions)
    }

    /// A closed contactor stays closed only while the pilot allows energy and no fault is active;
    /// when the PWM is withdrawn for any other reason (pause, stop, a session that ended), the
    /// vehicle gets the stop timeout to go to B before the contactor opens under load.
    mutating func mayStayClosed(desired: PilotOutput, at now: Instant, into actions: inout ActionList) -> Bool {
        guard started, faults.active.isEmpty, enabled, pilotAllowsEnergy, isConnectorLocked, desired != .stateF else { return false }
        if desired.isPWM { return true }
        if vehicleStopExpired { return false }
        if timers[.vehicleStop] == nil {
            startTimer(.vehicleStop, at: now + configuration.vehicleStopTimeout, into: &actions)
        }
        return true
    }

    /// The contactor test's next step: open once the feedback closed (or did not in time), and
    /// report once the feedback opened (or did not in time). Anything that would forbid closing
    /// for charging (a fault, a vehicle, a session, the charger disabled) opens it at once.
    mutating func continueContactorTest(at now: Instant, into actions: inout ActionList) {
        guard var test = contactorTest else { return }
        let settled = contactor.settled(at: now, after: configuration.contactorSettleTime)
        if contactor.isOn {
            let abort = !faults.active.isEmpty || vehiclePresent || session != nil || !enabled || !started
            if contactorFeedback == true && test.closedAfter == nil && !abort {
                test.closedAfter = now - test.startedAt
            } else if !abort && !settled {
                return
            } else {
                test.failed = test.failed || abort || test.closedAfter == nil
            }
            openContactor(at: now, into: &actions)
            test.openCommandedAt = now
            contactorTest = test
            return
        }
        guard let openedAt = test.openCommandedAt else { return }
        if contactorFeedback == false {
            contactorTest = nil
            stateFWasHeld = true
            actions.append(.contactorTestResult(closedAfter: test.closedAfter, openedAfter: now - openedAt, passed: !test.failed))
        } else if settled {
            // Still closed after the settle time: welded (raised by the feedback check).
            contactorTest = nil
            stateFWasHeld = true
            actions.append(.contactorTestResult(closedAfter: test.closedAfter, openedAfter: nil, passed: false))
        }
    }

    /// The one close that is not for charging: the technician's contactor test, with no vehicle,
    /// no session, no fault and the pilot held in F; it opens again after the settle time at most.
    mutating func closeForContactorTest(at now: Instant, into actions: inout ActionList) {
        contactor = .on(since: now)
        actions.append(.closeContactor)
        startTimer(.contactorSettle, at: now + configuration.contactorSettleTime, into: &actions)
    }

    /// Commands the connector lock and checks its feedback after the settle time.
    mutating func commandLock(_ locked: Bool, at now: Instant, into actions: inout ActionList) {
        lock = locked ? .on(since: now) : .off(since: now)
        actions.append(.setConnectorLock(locked))
        startTimer(.connectorLockSettle, at: now + configuration.connectorLockSettleTime, into: &actions)
    }

    /// Opens the contactor; the opening goes before every other action of the step.
    mutating func openContactor(at now: Instant, into actions: inout ActionList) {
        contactor = .off(since: now)
        actions.prepend(.openContactor)
        if configuration.hasContactorFeedback {
            startTimer(.contactorSettle, at: now + configuration.contactorSettleTime, into: &actions)
        }
        cancelTimer(.vehicleStop, into: &actions)
        vehicleStopExpired = false
        cancelTimer(.overcurrent, into: &actions)
    }

    /// Closes the contactor, after the residual-current self-test where the board asks for one,
    /// and only once the books can know the register the session's energy starts from (after a
    /// restart or a previous session, a reading taken with the contactor open): a meter that
    /// does not answer waits here, and becomes the meter-lost fault.
    mutating func prepareToClose(at now: Instant, into actions: inout ActionList) {
        if configuration.residualCurrentSelfTestBeforeClose && selfTest != .passed {
            if selfTest == .notDone && !residualCurrentTripped {
                selfTest = .testing(byTechnician: false)
                actions.append(.setResidualCurrentTest(true))
                startTimer(.residualCurrentSelfTest, at: now + configuration.residualCurrentSelfTestTimeout, into: &actions)
            }
            return
        }
        guard !register.needsFresh else { return }
        contactor = .on(since: now)
        actions.append(.closeContactor)
        if configuration.hasContactorFeedback {
            startTimer(.contactorSettle, at: now + configuration.contactorSettleTime, into: &actions)
        }
    }

    mutating func setPilot(_ output: PilotOutput, at now: Instant, into actions: inout ActionList) {
        if case .pwm(let old) = pilot, let oldCurrent = old.offeredCurrent {
            if case .pwm(let new) = output, let newCurrent = new.offeredCurrent, newCurrent >= oldCurrent {
                // An increase: nothing for the vehicle to follow.
            } else {
                offer.previous = oldCurrent
                offer.reducedAt = now
            }
        }
        if pilot == .stateF {
            // The pilot leaves F. After a held F (maintenance, out of service) nothing is known of
            // the vehicle any more: detect it anew. After a short pulse the vehicle is still there.
            if stateFWasHeld {
                vehiclePresent = false
                debouncer.restart(assuming: .a)
            } else {
                debouncer.restart(assuming: debouncer.confirmed)
            }
            stateFWasHeld = false
        }
        pilot = output
        actions.append(.setPilot(output))
    }

    /// Reports a session becoming interrupted (a fault or a pause) or resuming.
    mutating func trackInterruption(into actions: inout ActionList) {
        guard let open = session else { return }
        let cause: InterruptionCause? =
            faults.active.first.map { .fault($0) } ?? (open.pausedByCommand ? .paused : nil)
        switch (open.interruption, cause) {
        case (nil, let new?):
            actions.append(.sessionInterrupted(open.id, new))
        case (_?, nil):
            actions.append(.sessionResumed(open.id))
        default:
            break
        }
        session?.interruption = cause
    }
}

/// Vehicle presence, sessions and timers.
extension ChargerStateMachine {
    /// The debouncer confirmed a new pilot level.
    mutating func levelConfirmed(_ level: PilotLevel, at now: Instant, into actions: inout ActionList) {
        actions.append(.vehicleStateChanged(level))
        if level == .d && !configuration.ventilationAvailable {
            raise(.ventilationUnavailable, at: now, into: &actions)
        } else if level != .d {
            clear(.ventilationUnavailable, at: now, into: &actions)
        }
        switch level {
        case .a:
            if vehiclePresent { vehicleUnplugged(at: now, into: &actions) }
        case .b, .c, .d:
            if !vehiclePresent {
                vehiclePresent = true
                if let carried = carriedOver {
                    // The vehicle is still there after a restart: its session goes on.
                    carriedOver = nil
                    cancelTimer(.carriedOverSession, into: &actions)
                    session = Session(id: carried.id)
                    actions.append(.sessionResumed(carried.id))
                    startTimer(.meterWatchdog, at: now + configuration.meterLostTimeout, into: &actions)
                } else if configuration.startSessionOnPlugIn && enabled && outOfServiceFault == nil && session == nil {
                    openSession(at: now, into: &actions)
                }
            }
        case .e:
            raise(.pilotShorted, at: now, into: &actions)
        case .f, .unknown:
            preconditionFailure("the debouncer never confirms \(level)")
        }
    }

    /// The vehicle left: the session ends, faults that last until unplug clear, retries reset.
    mutating func vehicleUnplugged(at now: Instant, into actions: inout ActionList) {
        vehiclePresent = false
        diodeBadSamples = 0
        if selfTest.isRunning {
            actions.append(.setResidualCurrentTest(false))
            cancelTimer(.residualCurrentSelfTest, into: &actions)
        }
        selfTest = .notDone
        if session != nil { endSession(.vehicleUnplugged, at: now, into: &actions) }
        for code in FaultCode.all {
            var entry = faults[code]
            let lastsUntilUnplug: Bool
            switch catalogue[code].recovery {
            case .untilUnplugged: lastsUntilUnplug = true
            default: lastsUntilUnplug = entry.latch == .untilUnplugged
            }
            // A residual current still flagged by the RCM is not cured by an unplug.
            if entry.active && lastsUntilUnplug && !(code == .residualCurrent && residualCurrentTripped) {
                clear(code, at: now, into: &actions)
                entry = faults[code]
            }
            if entry.retries != 0 && entry.latch != .untilTechnicianClears {
                entry.retries = 0
                faults[code] = entry
            }
        }
    }

    mutating func openSession(at now: Instant, into actions: inout ActionList) {
        let id = SessionID(rawValue: nextSessionNumber)
        nextSessionNumber += 1
        session = Session(id: id)
        actions.append(.sessionStarted(id))
        startTimer(.meterWatchdog, at: now + configuration.meterLostTimeout, into: &actions)
    }

    mutating func endSession(_ reason: SessionEndReason, at now: Instant, into actions: inout ActionList) {
        guard let open = session else { return }
        session = nil
        register.needsFresh = true
        actions.append(.sessionEnded(open.id, reason))
        cancelTimer(.meterWatchdog, into: &actions)
        // Without a session nothing is billed: a silent meter is no longer a fault.
        clear(.meterLost, at: now, into: &actions)
    }

    mutating func startTimer(_ timer: ChargerTimer, at deadline: Instant, into actions: inout ActionList) {
        timers[timer] = deadline
        actions.append(.startTimer(timer, deadline: deadline))
    }

    mutating func cancelTimer(_ timer: ChargerTimer, into actions: inout ActionList) {
        guard timers[timer] != nil else { return }
        timers[timer] = nil
        actions.append(.cancelTimer(timer))
    }
}
