#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Hardware
import Runtime
import Simulation
import Synchronization

// The control loop's figures, through the real PeriodicThread and ChargerController:
//
//   loop-bench timing [--seconds 60] [--busy N] tick lateness at 10 ms while charging on the
//                                               simulated board (--busy N: N threads spinning)
//   loop-bench reaction [--trips 2000]          residual-current trip → contactor-open write, the
//                                               edge arriving on a descriptor as the GPIO driver's do
//
// Prints one JSON object per figure.

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
    return value
}

func report(_ name: String, _ value: Double, _ unit: String, _ note: String = "") {
    var line = JSONLine()
    line.add("benchmark", "loop")
    line.add("figure", name)
    line.add("value", value, decimals: 4)
    line.add("unit", unit)
    if !note.isEmpty { line.add("note", note) }
    say(line.description)
}

/// One line on standard output at once (unbuffered: a killed run keeps what it printed).
func say(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

/// p50, p99, p99.9 and the maximum of `values` (nanoseconds), in milliseconds.
func percentiles(_ values: [Int64]) -> [(String, Double)] {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return [] }
    func at(_ fraction: Double) -> Double {
        Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]) / 1e6
    }
    return [("p50", at(0.5)), ("p99", at(0.99)), ("p99_9", at(0.999)), ("max", Double(sorted.last ?? 0) / 1e6)]
}

/// Threads that spin, to keep the other core busy.
final class Spinners: @unchecked Sendable {
    let running = Atomic<Bool>(true)
    var threads: [pthread_t] = []

    init(count: Int) {
        for _ in 0..<count {
            var handle = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            pthread_create(&handle, nil, { argument in
                let spinners = Unmanaged<Spinners>.fromOpaque(argument!).takeRetainedValue()
                var counter: UInt64 = 0
                while spinners.running.load(ordering: .relaxed) { counter &+= 1 }
                return nil
            }, context)
            threads.append(handle)
        }
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        for thread in threads { pthread_join(thread, nil) }
    }
}

/// Lateness values written by the loop thread without allocating, read after it stopped.
final class LatenessLog: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Int64>
    private let capacity: Int
    private let count = Atomic<Int>(0)

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    func append(_ value: Int64) {
        let index = count.load(ordering: .relaxed)
        guard index < capacity else { return }
        storage[index] = value
        count.store(index + 1, ordering: .releasing)
    }

    var values: [Int64] { Array(UnsafeBufferPointer(start: storage, count: count.load(ordering: .acquiring))) }
}

/// Tick lateness while the simulated car charges, as `evsed run` on the simulated board has it.
func timing(seconds: Int, spinners count: Int) {
    let start = MonotonicClock.now()
    let world = SimulatedWorld(start: start)
    world.withState { $0.ev.plug(at: start) }
    let events = BoundedQueue<TimedEvent>(capacity: 8192)
    let controller = ChargerController(
        machine: ChargerStateMachine(configuration: ChargerConfiguration()), devices: .simulated(world),
        meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
    _ = controller.driveSafeOutputs(at: start)
    controller.commands.push(.ready)
    let log = LatenessLog(capacity: seconds * 100 + 1000)
    let spinners = count > 0 ? Spinners(count: count) : nil
    let physics = PeriodicThread(name: "sim-physics", period: .milliseconds(5)) { now, _ in world.advance(to: now) }
    let meter = SimulatedEnergyMeter(world: world)
    let poller = PeriodicThread(name: "meter", period: .seconds(1)) { now, _ in
        if let reading = try? meter.read() { controller.meterReadings.post(reading, at: now) }
        while events.pop() != nil {}
    }
    let loop = PeriodicThread(name: "control-loop", period: .milliseconds(10), realTimePriority: 50) { deadline, missed in
        log.append((MonotonicClock.now() - deadline).nanoseconds)
        controller.cycle(at: deadline, missedDeadlines: missed)
    }
    MonotonicClock.sleep(until: MonotonicClock.now() + .seconds(seconds))
    loop.stop()
    let statistics = loop.statistics
    poller.stop()
    physics.stop()
    spinners?.stop()
    let values = log.values
    let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    let label = count == 0 ? "idle" : count >= cores ? "all_cores_busy" : "other_core_busy"
    let note = "\(values.count) ticks at 10 ms, charging, \(statistics.realTime ? "SCHED_FIFO 50" : "normal priority (no SCHED_FIFO)")"
        + (count == 0 ? "" : ", \(count) thread(s) spinning on \(cores) cores")
    for (name, value) in percentiles(values) { report("lateness_\(label)_\(name)_ms", value, "ms", note) }
    report("overruns_\(label)", Double(statistics.overruns), "ticks", note)
    report("charging_\(label)", controller.machine.isContactorClosed ? 1 : 0, "bool", "the car was charging at the end")
}

// MARK: - Fault reaction

/// GPIO lines as the bench's "kernel": the RCM's fault output raises an edge event on a pipe, as a
/// libgpiod line request's event descriptor does; the contactor's drive line notes when it opens.
final class BenchGPIO: GPIOProvider, @unchecked Sendable {
    let residualCurrent = Atomic<Bool>(false)
    let selfTest = Atomic<Bool>(false)
    let contactorClosed = Atomic<Bool>(false)
    /// When the drive line was last written open after being closed (ns, CLOCK_MONOTONIC).
    let openedAt = Atomic<Int64>(0)
    let edges: (read: Int32, write: Int32)

    init() {
        var ends: [Int32] = [-1, -1]
        pipe(&ends)
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        edges = (ends[0], ends[1])
    }

    final class Line: GPIOLine, @unchecked Sendable {
        let spec: GPIOLineSpec
        unowned let gpio: BenchGPIO
        init(spec: GPIOLineSpec, gpio: BenchGPIO) {
            self.spec = spec
            self.gpio = gpio
        }
        func read() throws(HardwareError) -> Bool {
            switch spec.description {
            case "gpiochip0 line 27": return gpio.residualCurrent.load(ordering: .acquiring) || gpio.selfTest.load(ordering: .relaxed)
            default: return false
            }
        }
        func write(_ active: Bool) throws(HardwareError) {
            switch spec.description {
            case "gpiochip0 line 17":
                if !active && gpio.contactorClosed.load(ordering: .relaxed) {
                    gpio.openedAt.store(MonotonicClock.now().nanoseconds, ordering: .releasing)
                }
                gpio.contactorClosed.store(active, ordering: .relaxed)
            case "gpiochip0 line 22":
                gpio.selfTest.store(active, ordering: .relaxed)
            default:
                break
            }
        }
        var eventDescriptor: Int32? { spec.description == "gpiochip0 line 27" ? gpio.edges.read : nil }
        func drainEvents() throws(HardwareError) -> Int {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(gpio.edges.read, $0.baseAddress, 64) }
            return max(0, count)
        }
    }

    func output(_ spec: GPIOLineSpec, initial: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        Line(spec: spec, gpio: self)
    }

    func input(_ spec: GPIOLineSpec, edges: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        Line(spec: spec, gpio: self)
    }

    /// The RCM trips: its output goes active and the kernel queues an edge event.
    func trip() -> Int64 {
        let now = MonotonicClock.now().nanoseconds
        residualCurrent.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(edges.write, &byte, 1)
        return now
    }
}

/// A car in state C: the pilot's high level at 6 V and its low level at −12 V.
final class CarInStateC: PilotSensor, PilotSignal {
    func sample() throws(HardwareError) -> PilotSample { .nominal(.c) }
    func apply(_ output: PilotOutput) throws(HardwareError) {}
}

func reaction(trips: Int) throws {
    let gpio = BenchGPIO()
    let contactor = try GPIOContactor(provider: gpio, drive: GPIOLineSpec(chip: "gpiochip0", line: .offset(17)), feedback: nil)
    let monitor = try GPIOResidualCurrentMonitor(
        provider: gpio, fault: GPIOLineSpec(chip: "gpiochip0", line: .offset(27)), test: GPIOLineSpec(chip: "gpiochip0", line: .offset(22)))
    var configuration = ChargerConfiguration()
    configuration.hasContactorFeedback = false
    configuration.residualCurrentRetryInterval = .milliseconds(30)
    configuration.residualCurrentMaxRetries = 1_000_000
    configuration.stateFHoldTime = .milliseconds(10)
    configuration.meterLostTimeout = .seconds(1_000_000)
    let car = CarInStateC()
    let events = BoundedQueue<TimedEvent>(capacity: 65_536)
    let controller = ChargerController(
        machine: ChargerStateMachine(configuration: configuration),
        devices: ChargerDevices(pilotSensor: car, pilotSignal: car, contactor: contactor, residualCurrentMonitor: monitor),
        meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
    _ = controller.driveSafeOutputs(at: MonotonicClock.now())
    controller.commands.push(.ready)
    // The contactor closes only with a register reading taken for the session: a meter answers
    // every tick (a real one is polled on its own thread), the car drawing nothing.
    let reading = MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(0)), power: Watts(0),
                               importEnergy: WattHours(kilowattHours: 1234.5))
    let loop = PeriodicThread(name: "control-loop", period: .milliseconds(10), realTimePriority: 50, wakeSources: monitor.wakeSources) { now, missed in
        controller.meterReadings.post(reading, at: now)
        controller.cycle(at: now, missedDeadlines: missed)
    }
    var delays: [Int64] = []
    var random = SystemRandomNumberGenerator()
    var failures = 0
    while delays.count < trips && failures < 100 {
        // Wait for the contactor to close again, then trip at a random phase of the 10 ms period.
        let waitUntil = MonotonicClock.now() + .seconds(2)
        while !gpio.contactorClosed.load(ordering: .relaxed) && MonotonicClock.now() < waitUntil {
            MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(200))
            while events.pop() != nil {}
        }
        guard gpio.contactorClosed.load(ordering: .relaxed) else {
            failures += 1
            if arguments.contains("--debug") { say("not closed; machine: \(controller.machine.activeFaults), pilot \(controller.machine.pilotLevel), \(controller.machine.pilotOutput)") }
            continue
        }
        MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(Int64.random(in: 0..<10_000, using: &random)))
        gpio.openedAt.store(0, ordering: .relaxed)
        let tripped = gpio.trip()
        let deadline = MonotonicClock.now() + .seconds(1)
        while gpio.openedAt.load(ordering: .acquiring) == 0 && MonotonicClock.now() < deadline {
            MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(50))
        }
        let opened = gpio.openedAt.load(ordering: .acquiring)
        if arguments.contains("--debug") { say("trip: opened \(opened > 0), faults \(controller.machine.activeFaults)") }
        if opened > 0 { delays.append(opened - tripped) } else { failures += 1 }
        gpio.residualCurrent.store(false, ordering: .releasing)
        while events.pop() != nil {}
    }
    loop.stop()
    let note = "\(delays.count) residual-current trips while charging, edge on an event descriptor, 10 ms loop, \(loop.statistics.realTime ? "SCHED_FIFO 50" : "normal priority")"
    for (name, value) in percentiles(delays) { report("fault_reaction_\(name)_ms", value, "ms", note) }
    report("fault_reaction_missed", Double(failures), "trips", "trips after which the contactor did not open within 1 s (or did not close again)")
}

switch arguments.first {
case "timing": timing(seconds: option("--seconds", 60), spinners: option("--busy", 0))
case "reaction": try reaction(trips: option("--trips", 2000))
default:
    print("usage: loop-bench timing [--seconds 60] [--busy] | reaction [--trips 2000]")
    exit(2)
}
