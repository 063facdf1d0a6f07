import EVSECore
import Hardware
import Sessions

/// Runs a scenario on the simulated board in virtual time: the real `ChargerController` ticks at
/// the board's period against simulated devices, an hour of charging in a few seconds.
public struct ScenarioRunner {
    public let board: BoardDescription
    public var settings: SimulationSettings
    public let scenario: Scenario
    /// The number of the first new session (after a restart, the ledger's last plus one).
    public var firstSessionNumber: UInt64 = 1
    /// A session the ledger still had open when this run started.
    public var carriedOver: CarriedOverSession?
    /// Faults latched before this run, still in force.
    public var latchedFaults: [FaultCode: RecoveryPolicy.Latch] = [:]
    /// Sees each meter reading as the meter gives it (a meter's register outlives the daemon).
    public var meterRead: (@Sendable (MeterReading) -> Void)?

    public init(board: BoardDescription, settings: SimulationSettings, scenario: Scenario) {
        self.board = board
        self.settings = settings
        self.scenario = scenario
    }

    /// Runs the scenario to its end; `observe` sees every record as it happens, and `commands`
    /// answers with what the observer asks of the charger in return (the alert rules stop a
    /// session at its owner's limit).
    public func run(observe: (LogRecord) -> Void = { _ in }, commands: () -> [ChargerCommand] = { [] }) -> SimulationResult {
        let world = SimulatedWorld(ev: scenario.ev, initialRegister: settings.initialRegister)
        let meter = SimulatedEnergyMeter(world: world)
        let thermometer = SimulatedTemperatureSensor(world: world)
        let events = EventCollector()
        var charger = board.charger
        charger.hasConnectorLock = charger.hasConnectorLock || scenario.connectorLock
        let controller = ChargerController(
            machine: ChargerStateMachine(configuration: charger, firstSessionNumber: firstSessionNumber, carriedOver: carriedOver,
                                         latched: latchedFaults),
            devices: .simulated(world, contactorFeedback: charger.hasContactorFeedback, connectorLock: charger.hasConnectorLock),
            meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)

        // The same pollers as the daemon's threads, called inline: a silent meter posts nothing
        // (the state machine sees the readings stop) and is one `hardware_error`.
        let meterRead = self.meterRead
        let meterPoller = DevicePoller(mailbox: controller.meterReadings, events: events) { () throws(HardwareError) in
            let reading = try meter.read()
            meterRead?(reading)
            return reading
        }
        let temperaturePoller = DevicePoller(mailbox: controller.temperatures, events: events) { () throws(HardwareError) in try thermometer.read() }

        // The sessions' books, as the ledger keeps them (unpriced: `evsed simulate` prices them).
        var books = SessionBooks(clock: WallClock(originInstant: .zero, originTimestamp: Timestamp(milliseconds: 0)), tariff: nil)
        var all: [TimedEvent] = []
        var sessions: [SessionBooks.Session] = []
        func closed(_ changes: [SessionBooks.Change]) {
            for case .closed(let session, _) in changes { sessions.append(session) }
        }
        func drain() {
            for event in events.take() {
                all.append(event)
                observe(.event(event))
                closed(books.observe(event))
            }
            for command in commands() { controller.commands.push(command) }
        }

        let end = Instant.zero + scenario.duration
        var now = Instant.zero
        var nextStep = 0
        var nextMeterPoll = Instant.zero
        var nextTemperaturePoll = Instant.zero
        controller.driveSafeOutputs(at: now)
        controller.commands.push(.ready)
        drain()
        while now <= end {
            while nextStep < scenario.steps.count && scenario.steps[nextStep].at <= now {
                let step = scenario.steps[nextStep]
                apply(step.action, to: world, controller: controller)
                // At the step's own instant, as `evsed simulate`'s service takes it.
                if case .stepClock(let by) = step.action {
                    let before = books.clock.timestamp(step.at)
                    _ = books.clockStepped(at: step.at, to: Timestamp(milliseconds: before.milliseconds + by.nanoseconds / 1_000_000))
                }
                observe(.step(step))
                nextStep += 1
            }
            world.advance(to: now)
            if now >= nextMeterPoll {
                meterPoller.poll(at: now)
                nextMeterPoll = nextMeterPoll + board.meterPollInterval
            }
            if now >= nextTemperaturePoll {
                temperaturePoller.poll(at: now)
                nextTemperaturePoll = nextTemperaturePoll + board.temperaturePollInterval
            }
            events.refusing = world.withState { state in state.booksStalledUntil.map { now < $0 } ?? false }
            // A stalled loop misses the deadline of each period it hangs through.
            let stalled = world.withState { state in state.loopStalledUntil.map { now < $0 } ?? false }
            controller.cycle(at: now, missedDeadlines: stalled ? 1 : 0)
            drain()
            now = now + board.controlPeriod
        }
        closed(books.finish(at: now))
        return SimulationResult(
            events: all, sessions: sessions, finalLevel: controller.machine.pilotLevel,
            finalContactorClosed: controller.machine.isContactorClosed)
    }

    private func apply(_ action: ScenarioAction, to world: SimulatedWorld, controller: ChargerController) {
        world.withState { state in
            let now = state.now
            switch action {
            case .plug: state.ev.plug(at: now)
            case .unplug: state.ev.unplug()
            case .ready(let ready): state.ev.wantsCharge = ready
            case .leakage(let duration):
                state.leakage = true
                state.leakageUntil = duration.map { now + $0 }
            case .clearLeakage:
                state.leakage = false
                state.leakageUntil = nil
            case .weldContactor: state.contactorWelded = true
            case .contactorStuckOpen(let stuck): state.contactorStuckOpen = stuck
            case .breakResidualCurrentSelfTest(let broken): state.rcmSelfTestBroken = broken
            case .diodeMissing(let missing): state.ev.faults.diodeMissing = missing
            case .shortPilot(let shorted): state.ev.faults.pilotShorted = shorted
            case .pilotVoltage(let volts, let duration):
                state.pilotOverride = volts
                state.pilotOverrideUntil = now + duration
            case .overdraw(let factor): state.ev.faults.overdraw = factor
            case .ignoreStop(let ignores): state.ev.faults.ignoresStop = ignores
            case .requestVentilation(let requests): state.ev.parameters.requestsVentilation = requests
            case .gridVoltage(let volts): state.gridVoltage = volts
            case .temperature(let celsius): state.temperature = celsius
            case .silenceMeter(let duration): state.meterSilentUntil = now + duration
            case .stallLoop(let duration): state.loopStalledUntil = now + duration
            case .stallBooks(let duration): state.booksStalledUntil = now + duration
            case .failPilotSensor(let duration): state.pilotSensorFailsUntil = now + duration
            case .jamLock(let jammed): state.lockJammed = jammed
            // The books' clock, not the world's: the runner and `evsed simulate` step theirs.
            case .command, .failLedger, .stepClock, .tap: break
            }
        }
        switch action {
        case .command(let command): controller.commands.push(command)
        case .failLedger: controller.commands.push(.ledgerWriteFailed)
        default: break
        }
    }
}
