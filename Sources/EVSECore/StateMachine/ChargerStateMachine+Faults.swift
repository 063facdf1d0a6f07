/// Raising, clearing and retrying faults, and the detection rules that need more than one input.
extension ChargerStateMachine {
    /// A fault latched until a technician clears it: the charger is out of service.
    var outOfServiceFault: FaultCode? {
        for code in faults.latched where faults[code].latch == .untilTechnicianClears { return code }
        return nil
    }

    /// Whether an active fault wants the pilot held in F.
    var holdsStateF: Bool {
        for code in faults.active where catalogue[code].reaction == .openContactorAndHoldF { return true }
        return false
    }

    /// Raises `code` if it is not active. The contactor opens in the `reconcile` of the same step.
    mutating func raise(_ code: FaultCode, at now: Instant, into actions: inout ActionList) {
        var entry = faults[code]
        guard !entry.active else { return }
        entry.active = true
        actions.append(.faultRaised(code))

        let descriptor = catalogue[code]
        if descriptor.reaction == .openContactorAndPulseF {
            startTimer(.stateFHold, at: now + configuration.stateFHoldTime, into: &actions)
        }
        switch descriptor.recovery {
        case .whenConditionClears:
            break
        case .retry(let every, let maxAttempts, let latch):
            if entry.retries >= maxAttempts {
                entry.latch = latch
                actions.append(.faultLatched(code, latch))
            } else if let timer = Self.retryTimer(of: code) {
                startTimer(timer, at: now + every, into: &actions)
            }
        case .retryOnNextPlugIn(let latchAfter):
            selfTestFailures += 1
            entry.latch = selfTestFailures >= latchAfter ? .untilTechnicianClears : .untilUnplugged
            actions.append(.faultLatched(code, entry.latch!))
        case .untilUnplugged:
            entry.latch = .untilUnplugged
            actions.append(.faultLatched(code, .untilUnplugged))
        case .untilTechnicianClears:
            entry.latch = .untilTechnicianClears
            actions.append(.faultLatched(code, .untilTechnicianClears))
        }
        faults[code] = entry
        if code == .residualCurrent { selfTest = .notDone }
    }

    /// Clears `code` if it is active.
    mutating func clear(_ code: FaultCode, at now: Instant, into actions: inout ActionList) {
        var entry = faults[code]
        guard entry.active else { return }
        entry.active = false
        entry.latch = nil
        faults[code] = entry
        if let timer = Self.retryTimer(of: code) { cancelTimer(timer, into: &actions) }
        actions.append(.faultCleared(code))
    }

    /// A retry timer fired: spend one attempt and clear the fault unless its condition persists.
    mutating func retry(_ code: FaultCode, conditionPersists: Bool, at now: Instant, into actions: inout ActionList) {
        var entry = faults[code]
        guard entry.active, entry.latch == nil,
            case .retry(let every, let maxAttempts, let latch) = catalogue[code].recovery
        else { return }
        entry.retries += 1
        faults[code] = entry
        actions.append(.recoveryAttempt(code, attempt: entry.retries))
        guard conditionPersists else {
            clear(code, at: now, into: &actions)
            return
        }
        if entry.retries >= maxAttempts {
            entry.latch = latch
            faults[code] = entry
            actions.append(.faultLatched(code, latch))
        } else if let timer = Self.retryTimer(of: code) {
            startTimer(timer, at: now + every, into: &actions)
        }
    }

    static func retryTimer(of code: FaultCode) -> ChargerTimer? {
        switch code {
        case .residualCurrent: return .residualCurrentRetry
        case .contactorFailedToClose: return .contactorRetry
        case .overcurrent: return .overcurrentRetry
        case .connectorLock: return .connectorLockRetry
        default: return nil
        }
    }

    /// Compares the contactor's feedback with its command, once the settle time has passed.
    mutating func checkContactorFeedback(at now: Instant, into actions: inout ActionList) {
        guard configuration.hasContactorFeedback, let feedback = contactorFeedback else { return }
        if !contactor.isOn && feedback {
            raise(.contactorWelded, at: now, into: &actions)
        } else if contactor.isOn && !feedback {
            raise(.contactorFailedToClose, at: now, into: &actions)
        }
    }

    /// Over- and under-voltage: out of band for the fault time raises, back in band for the
    /// recovery time clears.
    mutating func checkVoltage(_ reading: MeterReading, at now: Instant, into actions: inout ActionList) {
        let band = configuration.voltageBand
        let problem: FaultCode? =
            reading.maximumVoltage.value > band.upperBound ? .overvoltage
            : reading.minimumVoltage.value < band.lowerBound ? .undervoltage : nil
        if let problem {
            if timers[.voltageFault] == nil && !faults[problem].active {
                startTimer(.voltageFault, at: now + configuration.voltageFaultTime, into: &actions)
            }
            voltageProblem = problem
            cancelTimer(.voltageRecovery, into: &actions)
        } else {
            voltageProblem = nil
            cancelTimer(.voltageFault, into: &actions)
            // Back in range: the fault clears once it has stayed so for its catalogue entry's time.
            let active: FaultCode? = faults[.overvoltage].active ? .overvoltage : faults[.undervoltage].active ? .undervoltage : nil
            if let active, timers[.voltageRecovery] == nil, case .whenConditionClears(let stable) = catalogue[active].recovery {
                startTimer(.voltageRecovery, at: now + stable, into: &actions)
            }
        }
    }

    /// Overcurrent: a phase above the limit plus tolerance for the overcurrent time, judged
    /// against the previous limit while the vehicle is still allowed to follow a reduction.
    mutating func checkOvercurrent(_ reading: MeterReading, at now: Instant, into actions: inout ActionList) {
        guard contactor.isOn else { return }
        var limit = offeredCurrent
        if let previous = offer.previous, let reducedAt = offer.reducedAt,
            now - reducedAt < configuration.currentReductionGrace
        {
            limit = max(limit, previous)
        }
        let tolerated = limit * (1 + configuration.overcurrentRatio) + configuration.overcurrentMargin
        if reading.maximumCurrent > tolerated {
            if timers[.overcurrent] == nil { startTimer(.overcurrent, at: now + configuration.overcurrentTime, into: &actions) }
        } else {
            cancelTimer(.overcurrent, into: &actions)
        }
    }
}
