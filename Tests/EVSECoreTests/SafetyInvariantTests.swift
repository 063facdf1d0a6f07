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

    typealias Stimulus = ReachableStateSearchTests.Stimulus

    @Test func longRandomSequencesAreSafe() async {
        // The search's stimuli, with the real durations: waits reach the next deadline, however far.
        let stimuli = Gen.int(in: 0...(Stimulus.allCases.count - 1)).array(of: 50...300)
        await propertyCheck(count: 300, input: stimuli, Gen.bool) { indices, ventilation in
            let configuration = ChargerConfiguration(ventilationAvailable: ventilation, hasConnectorLock: indices.count % 2 == 0)
            // Each start state in turn: new, carried over, latched, charging, paused, tripped.
            let starts = ReachableStateSearchTests.startStates(configuration)
            var machine = starts[indices.count % starts.count]
            var now = Instant.zero
            for index in indices {
                let stimulus = Stimulus.allCases[index]
                let (steps, after) = ReachableStateSearchTests.apply(stimulus, to: &machine, at: now)
                now = after
                for (position, step) in steps.enumerated() {
                    let next = position + 1 < steps.count ? steps[position + 1].before : machine
                    let problems = Self.violations(before: step.before, actions: step.actions, after: next)
                    #expect(problems.isEmpty, "at \(stimulus): \(problems)")
                    if !problems.isEmpty { return }
                }
            }
        }
    }

    @Test func theCheckerCatchesAnUnsafeStep() {
        // The invariant must be able to fail: a machine charging, judged against a disabled one.
        let configuration = ChargerConfiguration()
        let starts = ReachableStateSearchTests.startStates(configuration)
        let charging = starts[5]
        #expect(charging.isContactorClosed)
        var disabled = charging
        _ = disabled.disable(at: .seconds(100))
        #expect(!Self.violations(before: disabled, actions: [.closeContactor], after: disabled).isEmpty)
        #expect(!Self.violations(before: charging, actions: [.faultRaised(.overcurrent)], after: charging).isEmpty)
        // The contactor test's exception is live in the search (it closes from the new state) and
        // narrow: the same closed contactor with the pilot out of F is a violation.
        var idle = starts[0]
        let steps = ReachableStateSearchTests.apply(.testContactor, to: &idle).steps
        #expect(idle.isContactorClosed && steps.contains { $0.actions.contains(.closeContactor) })
        #expect(Self.violations(before: steps[0].before, actions: steps[0].actions, after: idle).isEmpty)
        var unsafe = idle
        unsafe.pilot = .steady
        #expect(!Self.violations(before: steps[0].before, actions: steps[0].actions, after: unsafe).isEmpty)
    }
}
