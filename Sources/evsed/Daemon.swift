import EVSECore
import Hardware
import Simulation
import Synchronization

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
    private let threads: Mutex<[PeriodicThread]> = Mutex([])

    private init(board: BoardDescription, devices: ChargerDevices, meter: any EnergyMeter, temperature: (any TemperatureSensor)?,
                 wakeSources: [PeriodicThread.WakeSource], simulation: Simulation?, startedAt: Instant) {
        self.board = board
        self.simulation = simulation
        self.meter = meter
        self.temperature = temperature
        self.wakeSources = wakeSources
        self.startedAt = startedAt
        events = BoundedQueue(capacity: 8192)
        controller = ChargerController(
            machine: ChargerStateMachine(configuration: board.charger), devices: devices,
            meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
    }

    /// The daemon on the simulated board.
    static func simulated(board: BoardDescription, settings: SimulationSettings) -> Daemon {
        let startedAt = MonotonicClock.now()
        let world = SimulatedWorld(ev: settings.ev, initialRegister: settings.initialRegister, start: startedAt)
        return Daemon(
            board: board,
            devices: .simulated(world, contactorFeedback: board.charger.hasContactorFeedback, connectorLock: board.charger.hasConnectorLock),
            meter: SimulatedEnergyMeter(world: world), temperature: SimulatedTemperatureSensor(world: world),
            wakeSources: [], simulation: Simulation(world: world, settings: settings), startedAt: startedAt)
    }

    /// The daemon on a real board: its devices are opened now, safest first.
    static func linux(board: BoardDescription, configuration: LinuxBoardConfiguration) throws(HardwareError) -> Daemon {
        let opened = try LinuxBoard.open(configuration, charger: board.charger)
        return Daemon(
            board: board, devices: opened.devices, meter: opened.meter, temperature: opened.temperature,
            wakeSources: opened.wakeSources, simulation: nil, startedAt: MonotonicClock.now())
    }

    /// Starts the threads, once the hardware is safe (contactor open, pilot in F); returns false,
    /// starting nothing, when a device did not answer.
    func start() -> Bool {
        let world = simulation?.world
        let controller = self.controller
        let events = self.events
        guard controller.driveSafeOutputs(at: startedAt) else { return false }
        controller.commands.push(.ready)

        var started: [PeriodicThread] = []
        if let world {
            started.append(PeriodicThread(name: "sim-physics", period: .milliseconds(5)) { now, _ in
                world.advance(to: now)
            })
        }
        let loop = PeriodicThread(name: "control-loop", period: board.controlPeriod, realTimePriority: 50,
                                  wakeSources: wakeSources) { now, missed in
            controller.reportTiming(missedDeadlines: missed, at: now)
            controller.tick(at: now)
            // The simulated board can hang its own control loop (the `stall` command), so the
            // overrun fault and the systemd watchdog can be seen at work.
            if let until = world?.withState({ $0.loopStalledUntil }), until > now {
                MonotonicClock.sleep(until: until)
            }
        }
        let meter = self.meter
        let meterPoller = PeriodicThread(name: "meter", period: board.meterPollInterval) { now, _ in
            Self.poll(now, events: events) { () throws(HardwareError) in
                controller.meterReadings.post(try meter.read(), at: now)
            }
        }
        started += [loop, meterPoller]
        if let thermometer = temperature {
            started.append(PeriodicThread(name: "temperature", period: board.temperaturePollInterval) { now, _ in
                Self.poll(now, events: events) { () throws(HardwareError) in
                    controller.temperatures.post(try thermometer.read(), at: now)
                }
            })
        }
        threads.withLock { $0 = started }
        return true
    }

    private static func poll(_ now: Instant, events: BoundedQueue<TimedEvent>, _ read: () throws(HardwareError) -> Void) {
        do throws(HardwareError) {
            try read()
        } catch {
            events.push(TimedEvent(at: now, event: .hardwareError(error)))
        }
    }

    /// Stops the threads, the control loop first, and leaves the contactor open and the pilot in F.
    func stop() {
        let running = threads.withLock { threads in
            defer { threads = [] }
            return threads
        }
        for thread in running where thread.name == "control-loop" { thread.stop() }
        controller.shutDown(at: MonotonicClock.now())
        for thread in running where thread.name != "control-loop" { thread.stop() }
    }

    /// The control loop's timing, while it runs.
    var loopStatistics: PeriodicThread.Statistics? {
        threads.withLock { $0.first { $0.name == "control-loop" }?.statistics }
    }
}
