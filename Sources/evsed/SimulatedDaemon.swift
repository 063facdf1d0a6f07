import EVSECore
import Hardware
import Simulation
import Synchronization

/// The daemon on the simulated board, in real time: the control loop, the meter and temperature
/// pollers and the simulated physics, each on its own thread.
final class SimulatedDaemon {
    let board: BoardDescription
    let settings: SimulationSettings
    let world: SimulatedWorld
    let controller: ChargerController
    let events: BoundedQueue<TimedEvent>
    let startedAt: Instant
    private let threads: Mutex<[PeriodicThread]> = Mutex([])

    init(board: BoardDescription, settings: SimulationSettings) {
        self.board = board
        self.settings = settings
        startedAt = MonotonicClock.now()
        world = SimulatedWorld(ev: settings.ev, initialRegister: settings.initialRegister, start: startedAt)
        events = BoundedQueue(capacity: 8192)
        controller = ChargerController(
            machine: ChargerStateMachine(configuration: board.charger),
            devices: .simulated(world, contactorFeedback: board.charger.hasContactorFeedback),
            meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
    }

    /// Starts the threads, once the hardware is safe (contactor open, pilot in F); returns false,
    /// starting nothing, when a device did not answer.
    func start() -> Bool {
        let world = self.world
        let controller = self.controller
        let events = self.events
        guard controller.driveSafeOutputs(at: startedAt) else { return false }
        controller.commands.push(.ready)

        let physics = PeriodicThread(name: "sim-physics", period: .milliseconds(5)) { now, _ in
            world.advance(to: now)
        }
        let loop = PeriodicThread(name: "control-loop", period: board.controlPeriod, realTimePriority: 50) { now, missed in
            controller.reportTiming(missedDeadlines: missed, at: now)
            controller.tick(at: now)
            // The simulated board can hang its own control loop (the `stall` command), so the
            // overrun fault and the systemd watchdog can be seen at work.
            if let until = world.withState({ $0.loopStalledUntil }), until > now {
                MonotonicClock.sleep(until: until)
            }
        }
        let meter = SimulatedEnergyMeter(world: world)
        let meterPoller = PeriodicThread(name: "meter", period: board.meterPollInterval) { now, _ in
            Self.poll(now, events: events) { () throws(HardwareError) in
                controller.meterReadings.post(try meter.read(), at: now)
            }
        }
        let thermometer = SimulatedTemperatureSensor(world: world)
        let temperaturePoller = PeriodicThread(name: "temperature", period: board.temperaturePollInterval) { now, _ in
            Self.poll(now, events: events) { () throws(HardwareError) in
                controller.temperatures.post(try thermometer.read(), at: now)
            }
        }
        threads.withLock { $0 = [physics, loop, meterPoller, temperaturePoller] }
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
