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
    /// What the meter reads; delivered every `meterInterval` unless the meter is silent.
    var meterReading = MeterReading.sample(amps: 0)
    var meterSilent = false
    let meterInterval = Duration.seconds(1)
    private var nextMeterAt: Instant = .zero

    init(configuration: ChargerConfiguration = .testing, period: Duration = .milliseconds(10), firstSessionNumber: UInt64 = 1,
         carriedOver: CarriedOverSession? = nil, latched: [FaultCode: RecoveryPolicy.Latch] = [:]) {
        machine = ChargerStateMachine(configuration: configuration, firstSessionNumber: firstSessionNumber, carriedOver: carriedOver, latched: latched)
        self.period = period
        record(machine.start(at: now))
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
    @discardableResult
    mutating func advance(to instant: Instant) -> [ChargerAction] {
        var actions: [ChargerAction] = []
        while true {
            let timer = timers.nextDeadline.flatMap { $0 <= instant ? $0 : nil }
            let meter = !meterSilent && nextMeterAt <= instant ? nextMeterAt : nil
            if let meterAt = meter, timer == nil || meterAt < timer! {
                now = max(now, meterAt)
                nextMeterAt = meterAt + meterInterval
                actions += record(machine.meterRead(meterReading, at: now))
            } else if let due = timers.popDue(at: timer ?? .zero) {
                now = max(now, due.deadline)
                actions += record(machine.timerFired(due.timer, at: now))
            } else {
                break
            }
        }
        if meterSilent { nextMeterAt = instant + meterInterval }
        now = instant
        return actions
    }

    @discardableResult
    mutating func advance(by duration: Duration) -> [ChargerAction] { advance(to: now + duration) }

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
            actions += advance(by: period)
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
        meterReading = .sample(volts: volts, amps: amps, energy: energy)
        nextMeterAt = now + meterInterval
        return record(machine.meterRead(meterReading, at: now))
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
