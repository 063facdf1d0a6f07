import PropertyBased
import Testing
@testable import EVSECore

/// The safety rule of evsed, checked over input sequences rather than examples:
///
/// 1. the contactor is commanded closed only when the confirmed pilot is C (or D where ventilation
///    is available), the PWM is on, the charger is enabled and no fault is active;
/// 2. every step that raises a fault while the contactor is closed opens it, as its first action;
/// 3. after every step, an active fault means an open contactor, and a closed contactor means a
///    pilot that allows energy; a closed contactor with the PWM withdrawn is only the bounded wait
///    for the vehicle to stop (IEC 61851-1: at most 6 s).
///
/// One exception, the technician's contactor test: the contactor may close with no vehicle, with
/// the pilot held in F, no session, no fault and the charger enabled, and stays closed only while
/// the settle deadline that opens it again is armed.
@Suite struct SafetyInvariantTests {
    /// One thing that can happen to the charger.
    enum Stimulus: CaseIterable {
        case pilotA, pilotB, pilotC, pilotD, pilotE, pilotBetweenBands, pilotCWithoutDiode
        case rcmTrip, rcmRelease, feedbackClosed, feedbackOpen
        case meterGood, meterOvervoltage, meterOvercurrent, hot, cool
        case wait1s, wait7s, wait5min, loopOverruns
        case pause, resume, stop, start, disable, enable, limit10, clearWeld
        case lockEngaged, lockReleased
        case testContactor
        case ledgerWriteFails, clearLedgerFault
    }

    /// A machine with the timers a control loop would keep, stepped by stimuli.
    struct Rig {
        var machine: ChargerStateMachine
        var timers = TimerQueue()
        var now = Instant.zero

        init(_ configuration: ChargerConfiguration, carriedOver: CarriedOverSession? = nil) {
            machine = ChargerStateMachine(configuration: configuration, carriedOver: carriedOver)
            for action in machine.start(at: now) { timers.apply(action) }
        }

        /// Applies `stimulus`; returns each machine step's actions, with the state before it.
        mutating func apply(_ stimulus: Stimulus, samples: Int = 3) -> [(before: ChargerStateMachine, actions: ActionList)] {
            var steps: [(before: ChargerStateMachine, actions: ActionList)] = []
            func step(_ body: (inout ChargerStateMachine) -> ActionList) {
                let before = machine
                let actions = body(&machine)
                for action in actions { timers.apply(action) }
                steps.append((before, actions))
            }
            func advance(_ duration: Duration) {
                let end = now + duration
                while let due = timers.popDue(at: end) {
                    now = max(now, due.deadline)
                    let at = now
                    step { $0.timerFired(due.timer, at: at) }
                }
                now = end
            }
            func pilot(_ sample: PilotSample) {
                for _ in 0..<samples {
                    advance(.milliseconds(10))
                    let at = now
                    step { $0.pilotSampled(sample, at: at) }
                }
            }
            func command(_ command: ChargerCommand) {
                let at = now
                step { machine in (try? machine.handle(command, at: at)) ?? [] }
            }
            func meter(volts: Double, amps: Double) {
                let at = now
                step { $0.meterRead(.sample(volts: volts, amps: amps), at: at) }
            }
            let at = now
            switch stimulus {
            case .pilotA: pilot(.nominal(.a))
            case .pilotB: pilot(.nominal(.b))
            case .pilotC: pilot(.nominal(.c))
            case .pilotD: pilot(.nominal(.d))
            case .pilotE: pilot(.nominal(.e))
            case .pilotBetweenBands: pilot(PilotSample(high: Volts(7.6), low: Volts(-12)))
            case .pilotCWithoutDiode: pilot(PilotSample(high: Volts(6), low: Volts(-6)))
            case .rcmTrip: step { $0.residualCurrentMonitorChanged(tripped: true, at: at) }
            case .rcmRelease: step { $0.residualCurrentMonitorChanged(tripped: false, at: at) }
            case .feedbackClosed: step { $0.contactorFeedbackChanged(closed: true, at: at) }
            case .feedbackOpen: step { $0.contactorFeedbackChanged(closed: false, at: at) }
            case .meterGood: meter(volts: 230, amps: 16)
            case .meterOvervoltage: meter(volts: 262, amps: 16)
            case .meterOvercurrent: meter(volts: 230, amps: 45)
            case .hot: step { $0.temperatureMeasured(Celsius(85), at: at) }
            case .cool: step { $0.temperatureMeasured(Celsius(25), at: at) }
            case .wait1s: advance(.seconds(1))
            case .wait7s: advance(.seconds(7))
            case .wait5min: advance(.seconds(301))
            case .loopOverruns: step { $0.controlLoopTicked(missedDeadlines: 5, at: at) }
            case .pause: command(.pause)
            case .resume: command(.resume)
            case .stop: command(.stopSession)
            case .start: command(.startSession)
            case .disable: command(.disable)
            case .enable: command(.enable)
            case .limit10: command(.setCurrentLimit(Amperes(10)))
            case .clearWeld: command(.clearFault(.contactorWelded))
            case .lockEngaged: step { $0.connectorLockFeedbackChanged(locked: true, at: at) }
            case .lockReleased: step { $0.connectorLockFeedbackChanged(locked: false, at: at) }
            case .testContactor: command(.testContactor)
            case .ledgerWriteFails: command(.ledgerWriteFailed)
            case .clearLedgerFault: command(.clearFault(.ledgerWriteFailed))
            }
            return steps
        }
    }

    /// The violations of the safety rule in one step, in words; empty when the step is safe.
    static func violations(before: ChargerStateMachine, actions: ActionList, after: ChargerStateMachine) -> [String] {
        var problems: [String] = []
        let config = after.configuration
        if after.contactorTest != nil && (after.isContactorClosed || actions.contains(.closeContactor)) {
            // The technician's contactor test: its own, narrower rule.
            if after.pilotOutput != .stateF { problems.append("contactor test with the pilot at \(after.pilotOutput)") }
            if !after.activeFaults.isEmpty { problems.append("contactor test with faults \(after.activeFaults)") }
            if after.session != nil || after.vehiclePresent { problems.append("contactor test with a vehicle or a session") }
            if !after.isEnabled { problems.append("contactor test while disabled") }
            if after.deadline(of: .contactorSettle) == nil { problems.append("contactor test closed without the deadline that opens it") }
            let raised = actions.contains { if case .faultRaised = $0 { true } else { false } }
            if raised && before.isContactorClosed && actions.first != .openContactor { problems.append("a fault during the contactor test did not open it first") }
            return problems
        }
        let allowsEnergy = after.pilotLevel == .c || (after.pilotLevel == .d && config.ventilationAvailable)
        if actions.contains(.closeContactor) && !after.isConnectorLocked { problems.append("closed with the plug not locked") }
        if actions.contains(.closeContactor) {
            if !allowsEnergy { problems.append("closed with the pilot in \(after.pilotLevel)") }
            if !after.pilotOutput.isPWM { problems.append("closed with the pilot at \(after.pilotOutput)") }
            if !after.activeFaults.isEmpty { problems.append("closed with faults \(after.activeFaults)") }
            if !after.isEnabled { problems.append("closed while disabled") }
        }
        let raised = actions.contains { if case .faultRaised = $0 { true } else { false } }
        if raised && before.isContactorClosed && actions.first != .openContactor {
            problems.append("a fault was raised with the contactor closed but the first action is \(String(describing: actions.first))")
        }
        if after.isContactorClosed {
            if !after.activeFaults.isEmpty { problems.append("contactor closed with active faults \(after.activeFaults)") }
            if !allowsEnergy { problems.append("contactor closed with the pilot in \(after.pilotLevel)") }
            if !after.isEnabled || after.pilotOutput == .stateF { problems.append("contactor closed with the pilot in F") }
            if !after.isConnectorLocked { problems.append("contactor closed with the plug not locked") }
            if !after.pilotOutput.isPWM && after.deadline(of: .vehicleStop) == nil {
                problems.append("contactor closed without PWM and without the vehicle-stop deadline")
            }
        }
        var closed = before.isContactorClosed
        for action in actions {
            if action == .openContactor { closed = false }
            if action == .closeContactor { closed = true }
        }
        if closed != after.isContactorClosed { problems.append("actions and state disagree on the contactor") }
        return problems
    }

    static func seeds(_ configuration: ChargerConfiguration) -> [(String, Rig)] {
        var idle = Rig(configuration)
        _ = idle.apply(.wait1s)
        var charging = Rig(configuration)
        let selfTest: [Stimulus] = configuration.residualCurrentSelfTestBeforeClose ? [.rcmTrip, .rcmRelease] : []
        let lock: [Stimulus] = configuration.hasConnectorLock ? [.lockEngaged] : []
        for stimulus in [.pilotB] + lock + [.pilotC] + selfTest + [.pilotC, .feedbackClosed, .meterGood] {
            _ = charging.apply(stimulus)
        }
        precondition(charging.machine.isContactorClosed, "the charging seed must be charging")
        var paused = charging
        _ = paused.apply(.pause)
        var faulted = charging
        _ = faulted.apply(.rcmTrip)
        return [("idle", idle), ("charging", charging), ("paused", paused), ("faulted", faulted)]
    }

    @Test func longRandomSequencesAreSafe() async {
        let stimuli = Gen.int(in: 0...(Stimulus.allCases.count - 1)).array(of: 50...300)
        await propertyCheck(count: 300, input: stimuli, Gen.bool) { indices, ventilation in
            // Every third run starts with a session carried over from before a restart.
            let carried = indices.count % 3 == 0 ? CarriedOverSession(id: SessionID(rawValue: 7), endReasonIfGone: .powerLoss) : nil
            var rig = Rig(ChargerConfiguration(ventilationAvailable: ventilation, hasConnectorLock: indices.count % 2 == 0), carriedOver: carried)
            for index in indices {
                let stimulus = Stimulus.allCases[index]
                // Single samples as well as confirmed levels, so the debouncer sees interrupted runs.
                let steps = rig.apply(stimulus, samples: index % 2 == 0 ? 1 : 3)
                for (position, step) in steps.enumerated() {
                    let after = position + 1 < steps.count ? steps[position + 1].before : rig.machine
                    let problems = Self.violations(before: step.before, actions: step.actions, after: after)
                    #expect(problems.isEmpty, "at \(stimulus): \(problems)")
                    if !problems.isEmpty { return }
                }
            }
        }
    }

    @Test func theCheckerCatchesAnUnsafeStep() {
        // The invariant must be able to fail: a machine charging, judged against a disabled one.
        let configuration = ChargerConfiguration()
        let charging = Self.seeds(configuration)[1].1.machine
        var disabled = charging
        _ = disabled.disable(at: .seconds(100))
        #expect(!Self.violations(before: disabled, actions: [.closeContactor], after: disabled).isEmpty)
        #expect(!Self.violations(before: charging, actions: [.faultRaised(.overcurrent)], after: charging).isEmpty)
        // The contactor test's exception is live in the exploration (it closes from the idle seed)
        // and narrow: the same closed contactor with the pilot out of F is a violation.
        var idle = Self.seeds(configuration)[0].1
        let steps = idle.apply(.testContactor)
        #expect(idle.machine.isContactorClosed && steps.contains { $0.actions.contains(.closeContactor) })
        #expect(Self.violations(before: steps[0].before, actions: steps[0].actions, after: idle.machine).isEmpty)
        var unsafe = idle.machine
        unsafe.pilot = .steady
        #expect(!Self.violations(before: steps[0].before, actions: steps[0].actions, after: unsafe).isEmpty)
    }
}
