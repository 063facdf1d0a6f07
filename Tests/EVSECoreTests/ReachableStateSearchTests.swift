#if canImport(Glibc)
import Glibc
#endif
import PropertyBased
import Testing
@testable import EVSECore

/// The states the charger can reach, searched breadth-first, with the safety rule of
/// `SafetyInvariantTests.violations` checked on every transition out of every state expanded.
///
/// The graph is finite because states are compared in their canonical form
/// (`ChargerStateMachine.canonical(at:)`: instants relative to now, ages and counters clamped
/// where no rule tells them apart, session numbers dropped), and because time moves in control
/// periods of 10 ms against a configuration whose durations are a few periods each. The machine
/// compares durations only with elapsed time, so short ones keep the same orderings of events
/// within reach (a timer that expires before, with or after another, an input just before or
/// after a deadline) while the number of distinct deadlines stays small. Two timings are searched,
/// so that the timers expire in more than one order; `SafetyInvariantTests`' random sequences
/// keep the real durations.
///
/// Finite is not small (faults, timers and the debouncer combine), and the fixpoint is not reached:
/// `make test` searches every state within as many stimuli as 150 000 states per board and timing
/// allow (three), `make verify` as far as `EVSED_STATE_SEARCH_LIMIT` allows (four at its default),
/// and each run prints how far it got.
@Suite struct ReachableStateSearchTests {
    /// One thing that can happen. Pilot samples and `tick` take one control period; the others
    /// happen at the present instant, so several inputs meet within one period in every order.
    enum Stimulus: CaseIterable {
        case pilotA, pilotB, pilotC, pilotD, pilotE, pilotBetweenBands, pilotCWithoutDiode
        case tick, untilNextDeadline, loopOverruns
        case rcmTrip, rcmRelease, feedbackClosed, feedbackOpen, lockEngaged, lockReleased
        case meterGood, meterTakenBeforeNow, meterLowerRegister, meterOvervoltage, meterOvercurrent
        case warm, hot, cool, cable13A, cableUnplugged
        case hardwareFails, hardwareWorks, eventsLost, eventsDelivered, ledgerWriteFails
        case pause, resume, stop, start, disable, enable, limit10, limitMaximum, clearLatched
        case testContactor, testResidualCurrentMonitor
    }

    /// The control period: the unit in which time moves.
    static let period: Duration = .milliseconds(10)
    /// How long before the loop sees a reading the meter thread may have asked for it.
    static let readingLag: Duration = .milliseconds(20)

    /// A board's configuration with every duration a few periods long, in one of two timings:
    /// `staggered` gives the timers lengths of one to six periods, the other gives them two periods
    /// each (the unknown-pilot timeout one), so that they expire together.
    static func shortTimes(_ base: ChargerConfiguration, staggered: Bool) -> ChargerConfiguration {
        func periods(_ count: Int64) -> Duration { period * Int(count) }
        var c = base
        c.contactorSettleTime = periods(2)
        c.connectorLockSettleTime = periods(staggered ? 3 : 2)
        c.residualCurrentSelfTestTimeout = periods(2)
        c.stateFHoldTime = periods(staggered ? 1 : 2)
        c.vehicleStopTimeout = periods(staggered ? 4 : 2)
        c.currentReductionGrace = periods(staggered ? 3 : 2)
        c.overcurrentTime = periods(2)
        c.voltageFaultTime = periods(staggered ? 1 : 2)
        c.voltageRecoveryTime = periods(staggered ? 3 : 2)
        c.meterLostTimeout = periods(staggered ? 5 : 2)
        c.carriedOverDecisionTime = periods(staggered ? 4 : 2)
        c.pilot.unknownLevelTimeout = periods(staggered ? 2 : 1)
        c.onTimeTicksToClearOverrun = 2
        c.residualCurrentRetryInterval = periods(staggered ? 6 : 2)
        c.residualCurrentMaxRetries = 2
        c.contactorRetryInterval = periods(staggered ? 5 : 2)
        c.contactorMaxRetries = 2
        c.overcurrentRetryInterval = periods(staggered ? 4 : 2)
        c.overcurrentMaxRetries = 2
        c.connectorLockRetryInterval = periods(staggered ? 3 : 2)
        c.connectorLockMaxRetries = 2
        c.residualCurrentSelfTestMaxFailures = 2
        return c
    }

    /// One machine step: the state before it and the actions it returned.
    typealias Step = (before: ChargerStateMachine, actions: ActionList)

    /// Applies `stimulus` to a state whose present is `start` (`.zero` for a canonical one);
    /// returns the steps and the present after them.
    static func apply(_ stimulus: Stimulus, to machine: inout ChargerStateMachine, at start: Instant = .zero) -> (steps: [Step], now: Instant) {
        var now = start
        var steps: [Step] = []
        func step(_ body: (inout ChargerStateMachine) -> ActionList) {
            let before = machine
            steps.append((before, body(&machine)))
        }
        /// Time passes to `end`; each deadline on the way fires at its instant, in order.
        func advance(to end: Instant) {
            while true {
                var queue = machine.timers
                guard let due = queue.popDue(at: end) else { break }
                now = max(now, due.deadline)
                let at = now
                step { $0.timerFired(due.timer, at: at) }
            }
            now = end
        }
        func sample(_ sample: PilotSample) {
            advance(to: now + period)
            let at = now
            step { $0.pilotSampled(sample, at: at) }
        }
        func command(_ command: ChargerCommand) {
            step { machine in (try? machine.handle(command, at: start)) ?? [] }
        }
        func meter(volts: Double = 230, amps: Double = 16, register: Double = 1000, taken: Instant? = nil) {
            let reading = MeterReading.sample(volts: volts, amps: amps, energy: register)
            step { $0.meterRead(reading, takenAt: taken ?? start, at: start) }
        }
        let maximum = machine.configuration.maximumCurrent
        switch stimulus {
        case .pilotA: sample(.nominal(.a))
        case .pilotB: sample(.nominal(.b))
        case .pilotC: sample(.nominal(.c))
        case .pilotD: sample(.nominal(.d))
        case .pilotE: sample(.nominal(.e))
        case .pilotBetweenBands: sample(PilotSample(high: Volts(7.6), low: Volts(-12)))
        case .pilotCWithoutDiode: sample(PilotSample(high: Volts(6), low: Volts(-6)))
        case .tick:
            advance(to: now + period)
            let at = now
            step { $0.controlLoopTicked(missedDeadlines: 0, at: at) }
        case .untilNextDeadline:
            if let deadline = machine.timers.nextDeadline { advance(to: deadline) }
        case .loopOverruns: step { $0.controlLoopTicked(missedDeadlines: 5, at: start) }
        case .rcmTrip: step { $0.residualCurrentMonitorChanged(tripped: true, at: start) }
        case .rcmRelease: step { $0.residualCurrentMonitorChanged(tripped: false, at: start) }
        case .feedbackClosed: step { $0.contactorFeedbackChanged(closed: true, at: start) }
        case .feedbackOpen: step { $0.contactorFeedbackChanged(closed: false, at: start) }
        case .lockEngaged: step { $0.connectorLockFeedbackChanged(locked: true, at: start) }
        case .lockReleased: step { $0.connectorLockFeedbackChanged(locked: false, at: start) }
        case .meterGood: meter()
        case .meterTakenBeforeNow: meter(taken: start - readingLag)
        case .meterLowerRegister: meter(register: 500)
        case .meterOvervoltage: meter(volts: 262)
        case .meterOvercurrent: meter(amps: 45)
        case .warm: step { $0.temperatureMeasured(Celsius(72), at: start) }
        case .hot: step { $0.temperatureMeasured(Celsius(85), at: start) }
        case .cool: step { $0.temperatureMeasured(Celsius(25), at: start) }
        case .cable13A: step { $0.cableRatingMeasured(Amperes(13), at: start) }
        case .cableUnplugged: step { $0.cableRatingMeasured(nil, at: start) }
        case .hardwareFails: step { $0.hardwareStatusChanged(healthy: false, at: start) }
        case .hardwareWorks: step { $0.hardwareStatusChanged(healthy: true, at: start) }
        case .eventsLost: step { $0.eventDelivery(succeeded: false, at: start) }
        case .eventsDelivered: step { $0.eventDelivery(succeeded: true, at: start) }
        case .ledgerWriteFails: command(.ledgerWriteFailed)
        case .pause: command(.pause)
        case .resume: command(.resume)
        case .stop: command(.stopSession)
        case .start: command(.startSession)
        case .disable: command(.disable)
        case .enable: command(.enable)
        case .limit10: command(.setCurrentLimit(Amperes(10)))
        case .limitMaximum: command(.setCurrentLimit(maximum))
        case .clearLatched:
            if let code = machine.latchedFaults.first { command(.clearFault(code)) }
        case .testContactor: command(.testContactor)
        case .testResidualCurrentMonitor: command(.testResidualCurrentMonitor)
        }
        return (steps, now)
    }

    /// What the search found.
    struct Outcome {
        var states = 0
        var transitions = 0
        /// Every state this many stimuli from a start state was expanded, with all its transitions.
        var completeDepth = 0
        /// Whether no stimulus leads anywhere new: the whole reachable graph was searched.
        var fixpoint = false
        var violation: String?
    }

    /// The machines a charger starts as: new; with a session carried over from before a restart
    /// (with and without its last register); with a fault latched until a technician clears it,
    /// or until the car is unplugged. Then, so that the bounded search reaches as far from them,
    /// three states deeper in: charging, paused while charging, and tripped while charging.
    static let startNames = [
        "new", "carried over", "carried over with its register", "welded (latched)", "diode missing (latched)",
        "charging", "paused", "tripped while charging",
    ]

    static func startStates(_ configuration: ChargerConfiguration) -> [ChargerStateMachine] {
        let carried = CarriedOverSession(id: SessionID(rawValue: 7), endReasonIfGone: .powerLoss)
        var carriedWithRegister = carried
        carriedWithRegister.lastRegister = WattHours(900)
        let machines = [
            ChargerStateMachine(configuration: configuration),
            ChargerStateMachine(configuration: configuration, carriedOver: carried),
            ChargerStateMachine(configuration: configuration, carriedOver: carriedWithRegister),
            ChargerStateMachine(configuration: configuration, latched: [.contactorWelded: .untilTechnicianClears]),
            ChargerStateMachine(configuration: configuration, latched: [.diodeMissing: .untilUnplugged]),
        ]
        // Before `start`, the machine holds F and takes no input that matters; the daemon starts it at once.
        let started = machines.map { machine in
            var started = machine
            _ = started.start(at: .zero)
            return started.canonical(at: .zero, readingsTakenWithin: readingLag)
        }
        // A car plugs in, a session starts (on command where the board wants one), the plug locks,
        // the meter answers, the car asks for energy, the self-test passes, the contactor closes
        // and its feedback follows; the meter answers after each period, as it does while charging.
        var charging = started[0]
        let selfTest: [Stimulus] = configuration.residualCurrentSelfTestBeforeClose ? [.rcmTrip, .rcmRelease] : []
        let plugIn: [Stimulus] = [.pilotB, .pilotB, .pilotB, .start, .lockEngaged, .pilotC, .pilotC, .pilotC] + selfTest + [.pilotC, .feedbackClosed]
        for stimulus in plugIn {
            let now = apply(stimulus, to: &charging).now
            charging = charging.canonical(at: now, readingsTakenWithin: readingLag)
            _ = apply(.meterGood, to: &charging)
        }
        precondition(charging.isContactorClosed, "the charging start state must be charging")
        return started + ([.meterGood, .pause, .rcmTrip] as [Stimulus]).map { stimulus in
            var machine = charging
            let now = apply(stimulus, to: &machine).now
            return machine.canonical(at: now, readingsTakenWithin: readingLag)
        }
    }

    /// Breadth-first, one depth at a time, over the canonical states reachable from
    /// `configuration`'s start states: until no stimulus leads to a state not seen before (the
    /// fixpoint), or until the next depth would take the states seen past `stateLimit`.
    static func search(
        _ configuration: ChargerConfiguration, stateLimit: Int,
        rule: (ChargerStateMachine, ActionList, ChargerStateMachine) -> [String] = SafetyInvariantTests.violations
    ) -> Outcome {
        var outcome = Outcome()
        var seen: Set<ChargerStateMachine> = []
        /// The states of the depth being expanded, each with how it was first reached.
        var frontier: [(state: ChargerStateMachine, path: [Stimulus], start: String)] = []
        for (machine, name) in zip(startStates(configuration), startNames) where seen.insert(machine).inserted {
            frontier.append((machine, [], name))
        }
        while !frontier.isEmpty {
            // Each state of a depth has at most one new state per stimulus.
            guard seen.count + frontier.count * Stimulus.allCases.count <= stateLimit || outcome.completeDepth == 0 else { break }
            var next: [(state: ChargerStateMachine, path: [Stimulus], start: String)] = []
            for (state, path, start) in frontier {
                for stimulus in Stimulus.allCases {
                    var machine = state
                    let (steps, now) = apply(stimulus, to: &machine)
                    outcome.transitions += 1
                    for (position, step) in steps.enumerated() {
                        let after = position + 1 < steps.count ? steps[position + 1].before : machine
                        let problems = rule(step.before, step.actions, after)
                        if !problems.isEmpty {
                            outcome.states = seen.count
                            let sequence = (path + [stimulus]).map { "\($0)" }.joined(separator: " → ")
                            outcome.violation = "from \(start), after \(sequence): \(problems.joined(separator: "; "))"
                            return outcome
                        }
                    }
                    let canonical = machine.canonical(at: now, readingsTakenWithin: readingLag)
                    if seen.insert(canonical).inserted { next.append((canonical, path + [stimulus], start)) }
                }
            }
            outcome.completeDepth += 1
            frontier = next
        }
        outcome.fixpoint = frontier.isEmpty
        outcome.states = seen.count
        return outcome
    }

    /// A board's configuration, named by what sets it apart.
    struct Board: Sendable, CustomTestStringConvertible {
        let configuration: ChargerConfiguration
        var testDescription: String {
            let c = configuration
            return "feedback \(c.hasContactorFeedback), lock \(c.hasConnectorLock), ventilation \(c.ventilationAvailable), "
                + "self-test \(c.residualCurrentSelfTestBeforeClose), session at plug-in \(c.startSessionOnPlugIn)"
        }
    }

    /// The boards: feedback or none, lock or none, ventilation or none, a self-test before each
    /// close or none, a session at plug-in or only on command.
    static let boards: [Board] = {
        var boards: [Board] = []
        for feedback in [true, false] {
            for lock in [false, true] {
                for ventilation in [false, true] {
                    var c = ChargerConfiguration(ventilationAvailable: ventilation, hasContactorFeedback: feedback, hasConnectorLock: lock)
                    boards.append(Board(configuration: c))
                    c.residualCurrentSelfTestBeforeClose = !c.residualCurrentSelfTestBeforeClose
                    c.startSessionOnPlugIn = !c.startSessionOnPlugIn
                    boards.append(Board(configuration: c))
                }
            }
        }
        return boards
    }()

    /// How many states a search may see per board and timing: 150 000 in `make test` (three stimuli
    /// deep), `EVSED_STATE_SEARCH_LIMIT` in `make verify`; nil when that is not a positive number.
    static let stateLimit: Int? = {
        guard let text = getenv("EVSED_STATE_SEARCH_LIMIT").map({ String(cString: $0) }) else { return 150_000 }
        guard let limit = Int(text), limit > 0 else { return nil }
        return limit
    }()

    @Test(arguments: boards)
    func everyStateWithinTheBoundIsSafe(board: Board) throws {
        let limit = try #require(Self.stateLimit, "EVSED_STATE_SEARCH_LIMIT must be a positive whole number of states")
        for staggered in [true, false] {
            let outcome = Self.search(Self.shortTimes(board.configuration, staggered: staggered), stateLimit: limit)
            #expect(outcome.violation == nil, "\(outcome.violation ?? "")")
            let name = board.testDescription + ", \(staggered ? "staggered" : "even") timers"
            let extent = outcome.fixpoint ? "the whole graph (fixpoint)" : "every state within \(outcome.completeDepth) stimuli"
            print("reachable states (\(name)): \(outcome.states) states, \(outcome.transitions) transitions, \(extent)")
            // Every sequence of three stimuli from every start state, at least: as deep as the
            // search this one replaced, over more stimuli, boards and start states.
            #expect(outcome.fixpoint || outcome.completeDepth >= 3)
        }
    }

    @Test func theSearchFindsWhatBreaksARule() {
        // The search must be able to fail, and say how it got there: with a rule that no session
        // ever ends because the meter was replaced, it finds the reading that does it.
        let board = Self.shortTimes(ChargerConfiguration(residualCurrentSelfTestBeforeClose: false), staggered: false)
        let outcome = Self.search(board, stateLimit: 100_000) { _, actions, _ in
            actions.contains(where: { if case .sessionEnded(_, .meterReplaced) = $0 { true } else { false } }) ? ["meter replaced"] : []
        }
        let violation = outcome.violation ?? ""
        #expect(violation.contains("meterLowerRegister") && violation.hasSuffix("meter replaced"), "\(violation)")
    }

    @Test func canonicalAndRealStatesAgreeAlongRandomWalks() {
        // The search is only as good as `canonical(at:)`: a state and its canonical form must
        // answer a stimulus alike. Random walks with the real instants, beside the same walks
        // through canonical states, must agree step by step on the canonical state and on what
        // the contactor, the pilot, the lock, the RCM test input and the faults do.
        func outputs(_ steps: [Step]) -> [ChargerAction] {
            steps.flatMap { step in
                step.actions.filter { action in
                    switch action {
                    case .openContactor, .closeContactor, .setPilot, .faultRaised, .faultCleared, .faultLatched, .setConnectorLock, .setResidualCurrentTest: true
                    default: false
                    }
                }
            }
        }
        var random = Xoshiro(seed: (61851, 0, 0, 1))
        var walks = 0
        for board in Self.boards.prefix(8) {
            for staggered in [true, false] {
                let configuration = Self.shortTimes(board.configuration, staggered: staggered)
                for start in Self.startStates(configuration) {
                    for _ in 0..<6 {
                        // The real machine lives at its own instants, far from zero.
                        var realNow = Instant.seconds(1234.5)
                        var real = Self.shifted(start, by: realNow - .zero)
                        var canonical = start
                        for index in 0..<120 {
                            let stimulus = Stimulus.allCases.randomElement(using: &random)!
                            let realStep = Self.apply(stimulus, to: &real, at: realNow)
                            realNow = realStep.now
                            let canonicalStep = Self.apply(stimulus, to: &canonical)
                            canonical = canonical.canonical(at: canonicalStep.now, readingsTakenWithin: Self.readingLag)
                            let agree = real.canonical(at: realNow, readingsTakenWithin: Self.readingLag) == canonical
                            #expect(agree && outputs(realStep.steps) == outputs(canonicalStep.steps), "walk \(walks), step \(index): \(stimulus)")
                            if !agree { return }
                        }
                        walks += 1
                    }
                }
            }
        }
        #expect(walks == 8 * 2 * 8 * 6)
    }

    /// `machine` with every instant moved by `offset`: the same state, reached later.
    static func shifted(_ machine: ChargerStateMachine, by offset: Duration) -> ChargerStateMachine {
        // canonical(at: -offset) makes each instant t into t + offset; for a state that is
        // canonical already, nothing is old enough to be clamped.
        machine.canonical(at: .zero - offset, readingsTakenWithin: readingLag)
    }
}
