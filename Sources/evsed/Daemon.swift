import EVSECore
import Hardware
import Runtime
import Simulation

/// The daemon in real time: the control loop, the meter and temperature pollers, and on the
/// simulated board the simulated physics, each on its own thread.
final class Daemon {
    /// The simulated board's world and settings; nil on a real board.
    struct Simulation {
        let world: SimulatedWorld
        let settings: SimulationSettings
    }

    let board: BoardDescription
    let simulation: Simulation?
    let controller: ChargerController
    let events: BoundedQueue<TimedEvent>
    let startedAt: Instant
    private let meter: any EnergyMeter
    private let temperature: (any TemperatureSensor)?
    private let wakeSources: [PeriodicThread.WakeSource]
    /// An ADC pilot's sampler, run on a thread of its own just ahead of each tick.
    private let pilotSampler: SampledPilotSensor?
    /// The control loop, and the other threads (pollers, physics), while running.
    private let running: Lock<(loop: PeriodicThread, others: [PeriodicThread])?> = Lock(nil)

    private init(board: BoardDescription, devices: ChargerDevices, meter: any EnergyMeter, temperature: (any TemperatureSensor)?,
                 wakeSources: [PeriodicThread.WakeSource], pilotSampler: SampledPilotSensor? = nil, simulation: Simulation?, startedAt: Instant,
                 books: Books) {
        self.board = board
        self.pilotSampler = pilotSampler
        self.simulation = simulation
        self.meter = meter
        self.temperature = temperature
        self.wakeSources = wakeSources
        self.startedAt = startedAt
        events = BoundedQueue(capacity: 8192)
        controller = ChargerController(
            machine: ChargerStateMachine(configuration: board.charger, firstSessionNumber: books.firstSessionNumber, carriedOver: books.carriedOver,
                                         latched: books.latchedFaults),
            devices: devices,
            meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
    }

    /// What the ledger says the state machine starts with.
    struct Books {
        var firstSessionNumber: UInt64 = 1
        var carriedOver: CarriedOverSession?
        /// Faults latched before the restart, still in force.
        var latchedFaults: [FaultCode: RecoveryPolicy.Latch] = [:]
    }

    /// The daemon on the simulated board.
    /// - Parameter meterState: keeps the simulated meter's register between runs, as a real meter
    ///   keeps its own, so a session resumed after a restart sees the register carry on.
    static func simulated(board: BoardDescription, settings: SimulationSettings, books: Books, startedAt: Instant, meterState: MeterStateFile? = nil) -> Daemon {
        let world = SimulatedWorld(ev: settings.ev, initialRegister: meterState?.read() ?? settings.initialRegister, start: startedAt)
        return Daemon(
            board: board,
            devices: .simulated(world, contactorFeedback: board.charger.hasContactorFeedback, connectorLock: board.charger.hasConnectorLock),
            meter: RememberingMeter(SimulatedEnergyMeter(world: world), in: meterState), temperature: SimulatedTemperatureSensor(world: world),
            wakeSources: [], simulation: Simulation(world: world, settings: settings), startedAt: startedAt, books: books)
    }

    /// The daemon on a real board: its devices are opened now, safest first.
    static func linux(board: BoardDescription, configuration: LinuxBoardConfiguration, books: Books, startedAt: Instant) throws(HardwareError) -> Daemon {
        let opened = try LinuxBoard.open(configuration, charger: board.charger, controlPeriod: board.controlPeriod)
        let daemon = Daemon(
            board: board, devices: opened.devices, meter: opened.meter, temperature: opened.temperature,
            wakeSources: opened.wakeSources, pilotSampler: opened.pilotSampler, simulation: nil, startedAt: startedAt, books: books)
        for problem in opened.startupProblems { daemon.events.push(TimedEvent(at: startedAt, event: .hardwareError(problem))) }
        return daemon
    }

    /// Starts the threads, once the hardware is safe (contactor open, pilot in F); returns false,
    /// starting nothing, when a device did not answer.
    func start() -> Bool {
        let world = simulation?.world
        let controller = self.controller
        let events = self.events
        guard controller.driveSafeOutputs(at: startedAt) else { return false }
        controller.commands.push(.ready)

        var others: [PeriodicThread] = []
        if let world {
            others.append(PeriodicThread(name: "sim-physics", period: .milliseconds(5)) { now, _ in
                world.advance(to: now)
            })
        }
        // An ADC pilot's sampler runs on the loop's deadlines moved its lead earlier, one priority
        // below the loop: its sample is done just before each tick, and an edge preempts it.
        let firstTick = MonotonicClock.now() + board.controlPeriod
        if let sampler = pilotSampler {
            sampler.sampleOnce()
            others.append(PeriodicThread(name: "pilot-sampler", period: board.controlPeriod, realTimePriority: 49,
                                         firstDeadline: firstTick - sampler.lead) { _, _ in sampler.sampleOnce() })
        }
        let loop = PeriodicThread(name: "control-loop", period: board.controlPeriod, realTimePriority: 50,
                                  wakeSources: wakeSources, firstDeadline: firstTick) { now, missed in
            controller.cycle(at: now, missedDeadlines: missed)
            // The simulated board can hang its own control loop (the `stall` command), so the
            // overrun fault and the systemd watchdog can be seen at work.
            if let until = world?.withState({ $0.loopStalledUntil }), until > now {
                MonotonicClock.sleep(until: until)
            }
        }
        let meter = self.meter
        let meterPoller = DevicePoller(mailbox: controller.meterReadings, events: events) { () throws(HardwareError) in try meter.read() }
        others.append(PeriodicThread(name: "meter", period: board.meterPollInterval) { now, _ in meterPoller.poll(at: now) })
        if let thermometer = temperature {
            let temperaturePoller = DevicePoller(mailbox: controller.temperatures, events: events) { () throws(HardwareError) in try thermometer.read() }
            others.append(PeriodicThread(name: "temperature", period: board.temperaturePollInterval) { now, _ in temperaturePoller.poll(at: now) })
        }
        running.withLock { $0 = (loop, others) }
        return true
    }

    /// Stops the threads, the control loop first, and leaves the contactor open and the pilot in F.
    func stop() {
        guard let threads = running.withLock({ running in
            defer { running = nil }
            return running
        }) else { return }
        threads.loop.stop()
        controller.shutDown(at: MonotonicClock.now())
        for thread in threads.others { thread.stop() }
    }

    /// The control loop's timing, while it runs.
    var loopStatistics: PeriodicThread.Statistics? {
        running.withLock { $0?.loop.statistics }
    }
}

/// A simulated meter whose register is written to a file after each reading.
final class RememberingMeter: EnergyMeter {
    private let meter: any EnergyMeter
    private let file: MeterStateFile?

    init(_ meter: any EnergyMeter, in file: MeterStateFile?) {
        self.meter = meter
        self.file = file
    }

    func read() throws(HardwareError) -> MeterReading {
        let reading = try meter.read()
        file?.write(reading.importEnergy)
        return reading
    }
}
