@testable import EVSECore

/// Drives a `ChargerStateMachine` the way the control loop does — timers fire at their deadlines,
/// pilot samples come every period — and keeps what it did, with the time.
struct MachineDriver {
    var machine: ChargerStateMachine
    var now: Instant = .zero
    let period: Duration
    private(set) var timers = TimerQueue()
    private(set) var log: [(at: Instant, action: ChargerAction)] = []
    /// Whether a healthy contactor's feedback follows every command at once.
    var contactorFollows = true

    init(configuration: ChargerConfiguration = .testing, period: Duration = .milliseconds(10)) {
        machine = ChargerStateMachine(configuration: configuration)
        self.period = period
    }

    /// Records and applies the timer actions of one step; returns the step's actions.
    @discardableResult
    mutating func record(_ actions: ActionList) -> [ChargerAction] {
        var all = Array(actions)
        var follow: Bool?
        for action in actions {
            timers.apply(action)
            log.append((now, action))
            if action == .openContactor { follow = false }
            if action == .closeContactor { follow = true }
        }
        if contactorFollows, let follow, machine.configuration.hasContactorFeedback {
            all += record(machine.contactorFeedbackChanged(closed: follow, at: now))
        }
        return all
    }

    /// Moves time to `instant`, firing timers on their deadlines.
    mutating func advance(to instant: Instant) {
        while let due = timers.popDue(at: instant) {
            now = max(now, due.deadline)
            record(machine.timerFired(due.timer, at: now))
        }
        now = instant
    }

    mutating func advance(by duration: Duration) { advance(to: now + duration) }

    /// Feeds `count` samples of `level` one period apart; returns every action of those steps.
    @discardableResult
    mutating func pilot(_ level: PilotLevel, samples count: Int = 3, diode: Bool = true) -> [ChargerAction] {
        var sample = PilotSample.nominal(level)
        if !diode { sample.low = -sample.high }
        return pilot(sample, samples: count)
    }

    @discardableResult
    mutating func pilot(_ sample: PilotSample, samples count: Int) -> [ChargerAction] {
        var actions: [ChargerAction] = []
        for _ in 0..<count {
            advance(by: period)
            actions += record(machine.pilotSampled(sample, at: now))
        }
        return actions
    }

    /// Holds the pilot at `level` for `duration`, sampling every period.
    @discardableResult
    mutating func hold(_ level: PilotLevel, for duration: Duration) -> [ChargerAction] {
        pilot(level, samples: Int(duration.seconds / period.seconds))
    }

    @discardableResult
    mutating func feedback(closed: Bool) -> [ChargerAction] {
        record(machine.contactorFeedbackChanged(closed: closed, at: now))
    }

    @discardableResult
    mutating func rcm(tripped: Bool) -> [ChargerAction] {
        record(machine.residualCurrentMonitorChanged(tripped: tripped, at: now))
    }

    @discardableResult
    mutating func meter(volts: Double = 230, amps: Double, energy: Double = 1000) -> [ChargerAction] {
        record(machine.meterRead(.sample(volts: volts, amps: amps, energy: energy), at: now))
    }

    @discardableResult
    mutating func temperature(_ celsius: Double) -> [ChargerAction] {
        record(machine.temperatureMeasured(Celsius(celsius), at: now))
    }

    /// Plugs in a vehicle, makes it ready, passes the RCM self-test, and confirms the contactor.
    mutating func startCharging() {
        pilot(.b)
        pilot(.c)
        if machine.configuration.residualCurrentSelfTestBeforeClose {
            rcm(tripped: true)
            rcm(tripped: false)
        }
        pilot(.c, samples: 1)
    }

    /// The instants at which `action` was performed.
    func times(of action: ChargerAction) -> [Instant] {
        log.filter { $0.action == action }.map(\.at)
    }
}

extension ChargerConfiguration {
    /// The defaults, as tests use them.
    static var testing: ChargerConfiguration { ChargerConfiguration() }
}

extension MeterReading {
    static func sample(volts: Double = 230, amps: Double, energy: Double = 1000) -> MeterReading {
        MeterReading(
            voltage: PhaseValues(Volts(volts), Volts(volts), Volts(volts)),
            current: PhaseValues(Amperes(amps), Amperes(amps), Amperes(amps)),
            power: Watts(volts * amps * 3), importEnergy: WattHours(energy))
    }
}

extension Array where Element == ChargerAction {
    /// Whether any `faultRaised` is among the actions.
    func raised(_ code: FaultCode) -> Bool { contains(.faultRaised(code)) }
}
