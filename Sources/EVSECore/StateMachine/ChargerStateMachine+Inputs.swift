/// The inputs of the state machine: one method per thing that can happen.
extension ChargerStateMachine {
    /// A pilot sample taken at `now`.
    public mutating func pilotSampled(_ sample: PilotSample, at now: Instant) -> ActionList {
        var actions = ActionList()
        // While the EVSE drives F the pilot shows its own −12 V: there is nothing to learn.
        guard pilot != .stateF else { return actions }
        var raw = PilotLevel.decode(high: sample.high)
        // −12 V the EVSE does not drive means a broken pilot circuit, not a state.
        if raw == .f { raw = .unknown }

        if let level = debouncer.feed(raw, at: now) {
            levelConfirmed(level, at: now, into: &actions)
        }
        // The pilot shows no vehicle after a restart (as many samples as an unplug takes): the
        // session from before it ends now, not when the decision time is up, so a car plugged in
        // meanwhile gets a session of its own instead of resuming someone else's.
        if !vehiclePresent, raw == .a, debouncer.stableSamples >= configuration.pilot.samplesToConfirmUnplug {
            if let carried = carriedOver {
                carriedOver = nil
                cancelTimer(.carriedOverSession, into: &actions)
                actions.append(.sessionEnded(carried.id, carried.endReasonIfGone))
            }
            // A fault latched until unplugged before a restart: no vehicle now, so it was unplugged.
            for code in faults.latched where faults[code].latch == .untilUnplugged && !(code == .residualCurrent && residualCurrentTripped) {
                clear(code, at: now, into: &actions)
            }
        }
        if debouncer.unknownTooLong(at: now) {
            raise(.pilotUnknown, at: now, into: &actions)
        } else if faults[.pilotUnknown].active && debouncer.stableSamples >= configuration.pilot.samplesToConfirm {
            clear(.pilotUnknown, at: now, into: &actions)
        }

        if pilot.isPWM && raw.vehiclePresent && !sample.lowPhaseShowsDiode {
            diodeBadSamples += 1
            if diodeBadSamples >= configuration.pilot.samplesToConfirmDiodeFault {
                raise(.diodeMissing, at: now, into: &actions)
            }
        } else if raw != .unknown {
            diodeBadSamples = 0
        }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// The contactor's auxiliary contact reported `closed`.
    public mutating func contactorFeedbackChanged(closed: Bool, at now: Instant) -> ActionList {
        var actions = ActionList()
        contactorFeedback = closed
        if contactor.settled(at: now, after: configuration.contactorSettleTime) {
            checkContactorFeedback(at: now, into: &actions)
        }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// The connector lock's feedback reported `locked`.
    public mutating func connectorLockFeedbackChanged(locked: Bool, at now: Instant) -> ActionList {
        var actions = ActionList()
        lockFeedback = locked
        if configuration.hasConnectorLock && lock.settled(at: now, after: configuration.connectorLockSettleTime) && locked != lock.isOn {
            raise(.connectorLock, at: now, into: &actions)
        }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// The residual-current monitor's fault output changed.
    public mutating func residualCurrentMonitorChanged(tripped: Bool, at now: Instant) -> ActionList {
        var actions = ActionList()
        residualCurrentTripped = tripped
        switch (selfTest, tripped) {
        case (.testing(let byTechnician), true):
            selfTest = .releasing(byTechnician: byTechnician)
            actions.append(.setResidualCurrentTest(false))
            startTimer(.residualCurrentSelfTest, at: now + configuration.residualCurrentSelfTestTimeout, into: &actions)
        case (.releasing(let byTechnician), false):
            selfTest = .passed
            selfTestFailures = 0
            cancelTimer(.residualCurrentSelfTest, into: &actions)
            if byTechnician {
                actions.append(.residualCurrentTestResult(passed: true))
                // A test done with no car does not stand in for the one before the next close.
                if !vehiclePresent { selfTest = .notDone }
            }
        case (.releasing, true), (_, false):
            break
        case (.notDone, true), (.passed, true):
            raise(.residualCurrent, at: now, into: &actions)
        }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// A good meter reading arrived (the meter driver never passes on a bad one), taken at
    /// `takenAt` (the meter's thread) and seen by the loop at `now`.
    public mutating func meterRead(_ reading: MeterReading, takenAt: Instant? = nil, at now: Instant) -> ActionList {
        var actions = ActionList()
        let taken = takenAt ?? now
        // A reading taken while the contactor was closed (or before it last opened) is no start:
        // energy may have flowed after it.
        if register.needsFresh && !contactor.isOn && contactor.offSince.map({ taken >= $0 }) ?? true { register.needsFresh = false }
        if let previous = register.last, reading.importEnergy.value < previous.value - 1 {
            // The register went down: a replaced or reset meter. What was measured on the old one
            // ends with its last good reading; a vehicle still there goes on in a new session,
            // counted from the new register.
            if let carried = carriedOver {
                carriedOver = nil
                cancelTimer(.carriedOverSession, into: &actions)
                actions.append(.sessionEnded(carried.id, .meterReplaced))
            }
            if session != nil {
                endSession(.meterReplaced, at: now, into: &actions)
                if vehiclePresent && configuration.startSessionOnPlugIn && enabled && outOfServiceFault == nil {
                    openSession(at: now, into: &actions)
                    // This reading is the new session's start: the books count from it.
                    register.needsFresh = false
                }
            }
        }
        register.last = reading.importEnergy
        if session != nil {
            startTimer(.meterWatchdog, at: now + configuration.meterLostTimeout, into: &actions)
        }
        if faults[.meterLost].active { clear(.meterLost, at: now, into: &actions) }
        checkVoltage(reading, at: now, into: &actions)
        checkOvercurrent(reading, at: now, into: &actions)
        reconcile(at: now, into: &actions)
        return actions
    }

    /// A temperature measurement (the hottest sensor of the board).
    public mutating func temperatureMeasured(_ celsius: Celsius, at now: Instant) -> ActionList {
        var actions = ActionList()
        var step = 0
        for index in 0..<3 {
            let threshold = index == 0
                ? configuration.temperatureDerateHalf
                : index == 1 ? configuration.temperatureDerateQuarter : configuration.temperatureLimit
            // Climbing takes the threshold itself; coming down takes the threshold less the hysteresis.
            if celsius >= threshold || (offer.derateStep > index && celsius > threshold - configuration.temperatureHysteresis) {
                step = index + 1
            }
        }
        if step != offer.derateStep {
            offer.derateStep = step
            actions.append(.derating(step: step))
            if step == 3 {
                raise(.overtemperature, at: now, into: &actions)
            } else if faults[.overtemperature].active {
                clear(.overtemperature, at: now, into: &actions)
            }
        }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// The proximity pilot was read: the cable's current rating (13, 20, 32 or 63 A), or nil when
    /// no cable is in the socket. The offered current never exceeds the cable's rating.
    public mutating func cableRatingMeasured(_ rating: Amperes?, at now: Instant) -> ActionList {
        var actions = ActionList()
        guard rating != offer.cableRating else { return actions }
        offer.cableRating = rating
        reconcile(at: now, into: &actions)
        return actions
    }

    /// The control loop starts a tick; `missedDeadlines` counts the deadlines the previous tick
    /// overran (0 when it ended on time; a long stall misses many).
    public mutating func controlLoopTicked(missedDeadlines: Int = 0, at now: Instant) -> ActionList {
        var actions = ActionList()
        if missedDeadlines > 0 {
            loopTiming.consecutiveOverruns += missedDeadlines
            loopTiming.consecutiveOnTimeTicks = 0
            if loopTiming.consecutiveOverruns >= configuration.overrunsForFault {
                raise(.controlLoopOverrun, at: now, into: &actions)
            }
        } else {
            loopTiming.consecutiveOverruns = 0
            loopTiming.consecutiveOnTimeTicks += 1
            if loopTiming.consecutiveOnTimeTicks >= configuration.onTimeTicksToClearOverrun && faults[.controlLoopOverrun].active {
                clear(.controlLoopOverrun, at: now, into: &actions)
            }
        }
        guard !actions.isEmpty else { return actions }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Reading or writing the pilot, contactor or RCM hardware started failing, or works again.
    public mutating func hardwareStatusChanged(healthy: Bool, at now: Instant) -> ActionList {
        var actions = ActionList()
        hardwareHealthy = healthy
        if healthy {
            clear(.hardwareIOError, at: now, into: &actions)
        } else {
            raise(.hardwareIOError, at: now, into: &actions)
        }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// Whether the loop's events reach the books: while they do not, nothing charges (what is not
    /// recorded cannot be billed), and the fault says so.
    public mutating func eventDelivery(succeeded: Bool, at now: Instant) -> ActionList {
        var actions = ActionList()
        if succeeded {
            clear(.eventsLost, at: now, into: &actions)
        } else {
            raise(.eventsLost, at: now, into: &actions)
        }
        reconcile(at: now, into: &actions)
        return actions
    }

    /// A write to the ledger failed: out of service until a technician has looked (a restart,
    /// which reads the books afresh, does not restore this latch).
    public mutating func ledgerWriteFailed(at now: Instant) -> ActionList {
        var actions = ActionList()
        raise(.ledgerWriteFailed, at: now, into: &actions)
        reconcile(at: now, into: &actions)
        return actions
    }

    /// A timer the machine asked for has expired.
    ///
    /// A timer the machine no longer has armed (a loop that raced a cancel) is ignored.
    public mutating func timerFired(_ timer: ChargerTimer, at now: Instant) -> ActionList {
        var actions = ActionList()
        guard let deadline = timers[timer], now >= deadline else { return actions }
        timers[timer] = nil
        switch timer {
        case .contactorSettle:
            checkContactorFeedback(at: now, into: &actions)
        case .residualCurrentSelfTest:
            let byTechnician = selfTest.byTechnician
            if case .testing = selfTest { actions.append(.setResidualCurrentTest(false)) }
            selfTest = .notDone
            raise(.residualCurrentSelfTestFailed, at: now, into: &actions)
            if byTechnician {
                actions.append(.residualCurrentTestResult(passed: false))
            }
        case .stateFHold:
            // The pulse is over: `desiredPilot` no longer holds F for it.
            break
        case .vehicleStop:
            vehicleStopExpired = true
        case .overcurrent:
            raise(.overcurrent, at: now, into: &actions)
        case .voltageFault:
            if let problem = voltageProblem { raise(problem, at: now, into: &actions) }
        case .voltageRecovery:
            clear(.overvoltage, at: now, into: &actions)
            clear(.undervoltage, at: now, into: &actions)
        case .meterWatchdog:
            if session != nil { raise(.meterLost, at: now, into: &actions) }
        case .residualCurrentRetry:
            retry(.residualCurrent, conditionPersists: residualCurrentTripped, at: now, into: &actions)
        case .contactorRetry:
            retry(.contactorFailedToClose, conditionPersists: false, at: now, into: &actions)
        case .overcurrentRetry:
            retry(.overcurrent, conditionPersists: false, at: now, into: &actions)
        case .connectorLockSettle:
            if configuration.hasConnectorLock && lockFeedback != lock.isOn { raise(.connectorLock, at: now, into: &actions) }
        case .carriedOverSession:
            // No vehicle came back: the session from before the restart ends now.
            if let carried = carriedOver, !vehiclePresent {
                carriedOver = nil
                actions.append(.sessionEnded(carried.id, carried.endReasonIfGone))
            }
        case .connectorLockRetry:
            retry(.connectorLock, conditionPersists: false, at: now, into: &actions)
            // The retry is the same command again, checked again after the settle time.
            if !faults.active.contains(.connectorLock) { commandLock(lock.isOn, at: now, into: &actions) }
        }
        reconcile(at: now, into: &actions)
        return actions
    }
}
