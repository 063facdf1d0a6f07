#if canImport(Glibc)
import Glibc
#endif
import CLinuxTime
import EVSECore
import Hardware
import KernelSimulators
import Runtime
import Simulation
import Synchronization

// The control loop's figures, through the real PeriodicThread and ChargerController:
//
//   loop-bench timing [--seconds 60] [--busy N] tick lateness at 10 ms while charging on the
//                                               simulated board (--busy N: N threads spinning)
//   loop-bench reaction [--trips 2000]          residual-current trip → contactor-open write, the
//                                               edge arriving on a descriptor as the GPIO driver's do;
//                                               after each trip, a bare thread's wake-up (the floor)
//   loop-bench reaction --ads1115 [--trips N]   the same with the pilot sampled through an ADS1115
//                                               in real time, as on boards/rpi4-ads1115.toml
//   loop-bench reaction --kernel [--trips N]    the same through gpio-sim and libgpiod (the guest of
//                                               Tests/guest/run.sh)
//
// Each takes --cpu-wake-latency-us N: the run holds the PM QoS request of a board file's
// [control] cpu_wake_latency_us = N.
//
// Prints one JSON object per figure.
//
// The loop runs at SCHED_FIFO 60, above evsed's own 50: during `make bench` the footprint runs'
// evsed processes share the machine with their own control loops, which a charger would not have.

let arguments = Array(CommandLine.arguments.dropFirst())
let loopPriority: Int32 = 60
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
    return value
}

/// `--cpu-wake-latency-us N`: the run holds the PM QoS request a board file's
/// `[control] cpu_wake_latency_us = N` makes evsed hold; its figures' names start `cpu_wake_Nus_`.
nonisolated let wakeLatency: CPUWakeLatencyRequest? = {
    guard let index = arguments.firstIndex(of: "--cpu-wake-latency-us") else { return nil }
    guard index + 1 < arguments.count, let value = Int32(arguments[index + 1]), (0...10_000).contains(value) else {
        print("--cpu-wake-latency-us takes 0 … 10000")
        exit(2)
    }
    do throws(CPUWakeLatencyError) {
        return try CPUWakeLatencyRequest(microseconds: value)
    } catch {
        print("loop-bench: \(error)")
        exit(1)
    }
}()

func report(_ name: String, _ value: Double, _ unit: String, _ note: String = "") {
    var line = JSONLine()
    line.add("benchmark", "loop")
    line.add("figure", wakeLatency.map { "cpu_wake_\($0.microseconds)us_" + name } ?? name)
    line.add("value", value, decimals: 4)
    line.add("unit", unit)
    let held = wakeLatency.map { "; CPU wake-up from idle capped at \($0.microseconds) µs (PM QoS, as cpu_wake_latency_us)" } ?? ""
    if !note.isEmpty || !held.isEmpty { line.add("note", note + held) }
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

/// Tick lateness while the simulated car charges, the loop waiting on an edge descriptor between
/// ticks as on a Linux board (the RCM's line; here a pipe that stays quiet).
func timing(seconds: Int, spinners count: Int) {
    var quiet: [Int32] = [-1, -1]
    pipe(&quiet)
    defer { quiet.forEach { close($0) } }
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
    let edges = PeriodicThread.WakeSource(descriptor: quiet[0]) {}
    let loop = PeriodicThread(name: "control-loop", period: .milliseconds(10), realTimePriority: loopPriority, wakeSources: [edges]) { deadline, missed in
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
    let note = "\(values.count) ticks at 10 ms, charging, waiting on an edge descriptor, \(statistics.realTime ? "SCHED_FIFO \(loopPriority)" : "normal priority (no SCHED_FIFO)")"
        + (count == 0 ? "" : ", \(count) thread(s) spinning on \(cores) cores")
    for (name, value) in percentiles(values) { report("lateness_\(label)_\(name)_ms", value, "ms", note) }
    report("overruns_\(label)", Double(statistics.overruns), "ticks", note)
    report("charging_\(label)", controller.machine.isContactorClosed ? 1 : 0, "bool", "the car was charging at the end")
}

// MARK: - Fault reaction

/// What a fault-reaction run trips and watches: the RCM's output and the contactor's drive line.
protocol TripRig: AnyObject {
    var contactorClosed: Bool { get }
    /// When the drive line was last written open after being closed (ns, CLOCK_MONOTONIC), or 0.
    var openedAt: Int64 { get }
    func forgetOpening()
    /// Trips the RCM; returns when the trip began (ns).
    func trip() throws -> Int64
    func release() throws
    /// When the kernel saw the trip's edge (ns), where a kernel is in the loop.
    var kernelEdge: Int64? { get }
    /// When the loop, woken by an edge, last read it (ns), where the bench is the kernel.
    var wokeAt: Int64? { get }
    /// The contactor's drive, the RCM's fault output and its self-test input.
    var lines: (drive: GPIOLineSpec, fault: GPIOLineSpec, test: GPIOLineSpec) { get }
}

/// GPIO lines as the bench's "kernel": the RCM's fault output raises an edge event on a pipe, as a
/// libgpiod line request's event descriptor does; the contactor's drive line notes when it opens.
final class BenchGPIO: GPIOProvider, TripRig, @unchecked Sendable {
    let residualCurrent = Atomic<Bool>(false)
    let selfTest = Atomic<Bool>(false)
    let closed = Atomic<Bool>(false)
    let opened = Atomic<Int64>(0)
    /// When the loop, woken, last drained the RCM line's edge (ns).
    let drained = Atomic<Int64>(0)
    let edges: (read: Int32, write: Int32)

    init() {
        var ends: [Int32] = [-1, -1]
        pipe(&ends)
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        edges = (ends[0], ends[1])
    }

    /// A line: its role is found once, so a read or write costs what an ioctl's bookkeeping
    /// would, not a string's formatting.
    final class Line: GPIOLine, @unchecked Sendable {
        enum Role { case fault, drive, selfTest, other }
        let spec: GPIOLineSpec
        let role: Role
        unowned let gpio: BenchGPIO
        init(spec: GPIOLineSpec, gpio: BenchGPIO) {
            self.spec = spec
            self.gpio = gpio
            let lines = gpio.lines
            role = spec == lines.fault ? .fault : spec == lines.drive ? .drive : spec == lines.test ? .selfTest : .other
        }
        func read() throws(HardwareError) -> Bool {
            role == .fault && (gpio.residualCurrent.load(ordering: .acquiring) || gpio.selfTest.load(ordering: .relaxed))
        }
        func write(_ active: Bool) throws(HardwareError) {
            switch role {
            case .drive: gpio.drive(active)
            case .selfTest: gpio.selfTest.store(active, ordering: .relaxed)
            case .fault, .other: break
            }
        }
        var eventDescriptor: Int32? { role == .fault ? gpio.edges.read : nil }
        func drainEvents() throws(HardwareError) -> Int {
            gpio.drained.store(MonotonicClock.now().nanoseconds, ordering: .releasing)
            return withUnsafeTemporaryAllocation(byteCount: 64, alignment: 1) { max(0, Glibc.read(gpio.edges.read, $0.baseAddress, 64)) }
        }
    }

    func output(_ spec: GPIOLineSpec, initial: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        Line(spec: spec, gpio: self)
    }

    func input(_ spec: GPIOLineSpec, edges: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        Line(spec: spec, gpio: self)
    }

    func drive(_ active: Bool) {
        if !active && closed.load(ordering: .relaxed) { opened.store(MonotonicClock.now().nanoseconds, ordering: .releasing) }
        closed.store(active, ordering: .relaxed)
    }

    var contactorClosed: Bool { closed.load(ordering: .relaxed) }
    var openedAt: Int64 { opened.load(ordering: .acquiring) }
    func forgetOpening() { opened.store(0, ordering: .relaxed) }
    var kernelEdge: Int64? { nil }
    var wokeAt: Int64? { drained.load(ordering: .acquiring) }
    var lines: (drive: GPIOLineSpec, fault: GPIOLineSpec, test: GPIOLineSpec) {
        (GPIOLineSpec(chip: "gpiochip0", line: .offset(17)), GPIOLineSpec(chip: "gpiochip0", line: .offset(27)),
         GPIOLineSpec(chip: "gpiochip0", line: .offset(22)))
    }

    /// The RCM trips: its output goes active and the "kernel" queues an edge event.
    func trip() -> Int64 {
        let now = MonotonicClock.now().nanoseconds
        residualCurrent.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(edges.write, &byte, 1)
        return now
    }

    func release() { residualCurrent.store(false, ordering: .releasing) }
}

/// The same through the Linux kernel: the lines on a gpio-sim chip requested with libgpiod, the
/// trip a pull written to gpio-sim's sysfs file; the drive line's requests note when it opens.
final class KernelRig: GPIOProvider, TripRig, @unchecked Sendable {
    let chip: GPIOSimulator
    let library = LibGPIOD()
    let closed = Atomic<Bool>(false)
    let opened = Atomic<Int64>(0)
    /// The kernel's timestamp of the latest edge the loop read (ns).
    let edge = Atomic<Int64>(0)
    static let drive = 17, fault = 27, selfTest = 22

    init() throws {
        chip = try GPIOSimulator(names: [Self.drive: "CONTACTOR", Self.fault: "RCM_FAULT", Self.selfTest: "RCM_TEST"], label: "evsed-bench")
    }

    func spec(_ offset: Int) -> GPIOLineSpec { GPIOLineSpec(chip: chip.chipName, line: .offset(UInt32(offset))) }

    /// A line of a real request, observed for the bench: the drive line notes when it is written
    /// open, the RCM's line passes its edges' kernel timestamps to the bench's thread.
    final class ObservedLine: GPIOLine, @unchecked Sendable {
        let line: any GPIOLine
        unowned let rig: KernelRig
        let isDrive: Bool
        init(line: any GPIOLine, rig: KernelRig, isDrive: Bool) {
            self.line = line
            self.rig = rig
            self.isDrive = isDrive
        }
        var spec: GPIOLineSpec { line.spec }
        func read() throws(HardwareError) -> Bool { try line.read() }
        func write(_ active: Bool) throws(HardwareError) {
            try line.write(active)
            guard isDrive else { return }
            if !active && rig.closed.load(ordering: .relaxed) { rig.opened.store(MonotonicClock.now().nanoseconds, ordering: .releasing) }
            rig.closed.store(active, ordering: .relaxed)
        }
        var eventDescriptor: Int32? { line.eventDescriptor }
        func drainEvents() throws(HardwareError) -> Int {
            let count = try line.drainEvents()
            if let time = line.lastEdgeTime { rig.edge.store(time.nanoseconds, ordering: .releasing) }
            return count
        }
    }

    func output(_ spec: GPIOLineSpec, initial: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        let line = try library.output(spec, initial: initial, device: device)
        return spec == self.spec(Self.drive) ? ObservedLine(line: line, rig: self, isDrive: true) : line
    }

    func input(_ spec: GPIOLineSpec, edges: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        let line = try library.input(spec, edges: edges, device: device)
        return spec == self.spec(Self.fault) ? ObservedLine(line: line, rig: self, isDrive: false) : line
    }

    var contactorClosed: Bool { closed.load(ordering: .relaxed) }
    var openedAt: Int64 { opened.load(ordering: .acquiring) }
    func forgetOpening() { opened.store(0, ordering: .relaxed) }
    var kernelEdge: Int64? { edge.load(ordering: .acquiring) }
    var wokeAt: Int64? { nil }
    var lines: (drive: GPIOLineSpec, fault: GPIOLineSpec, test: GPIOLineSpec) {
        (spec(Self.drive), spec(Self.fault), spec(Self.selfTest))
    }

    func trip() throws -> Int64 {
        let now = MonotonicClock.now().nanoseconds
        try chip.pull(Self.fault, up: true)
        return now
    }

    func release() throws { try chip.pull(Self.fault, up: false) }
}

/// The platform's own floor, with none of evsed's code: a thread at the loop's priority waits in
/// `ppoll` on a pipe until a 10 ms deadline, over and over, and notes when a byte wakes it. The
/// reaction run wakes it after each of its trips, at the same pacing, so both sample the same
/// minutes of the machine's noise.
final class BareWaiter: @unchecked Sendable {
    let ends: (read: Int32, write: Int32)
    let woke = Atomic<Int64>(0)
    let running = Atomic<Bool>(true)
    private var thread = pthread_t()

    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    init(priority: Int32) {
        var pair: [Int32] = [-1, -1]
        pipe(&pair)
        _ = fcntl(pair[0], F_SETFL, O_NONBLOCK)
        ends = (pair[0], pair[1])
        let context = Unmanaged.passRetained(PriorityBox(waiter: self, priority: priority)).toOpaque()
        pthread_create(&thread, nil, { argument in
            let box = Unmanaged<PriorityBox>.fromOpaque(argument!).takeRetainedValue()
            box.waiter.wait(priority: box.priority)
            return nil
        }, context)
    }

    private final class PriorityBox {
        let waiter: BareWaiter
        let priority: Int32
        init(waiter: BareWaiter, priority: Int32) {
            self.waiter = waiter
            self.priority = priority
        }
    }

    private func wait(priority: Int32) {
        var parameters = sched_param(sched_priority: priority)
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
        var deadline = Self.now() + 10_000_000
        var descriptor = pollfd(fd: ends.read, events: Int16(POLLIN), revents: 0)
        var buffer = [UInt8](repeating: 0, count: 64)
        while running.load(ordering: .relaxed) {
            let remaining = deadline - Self.now()
            if remaining <= 0 {
                deadline += 10_000_000
                continue
            }
            var timeout = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
            if ppoll(&descriptor, 1, &timeout, nil) > 0 {
                woke.store(Self.now(), ordering: .releasing)
                _ = buffer.withUnsafeMutableBytes { read(ends.read, $0.baseAddress, $0.count) }
            }
        }
    }

    /// Wakes the thread; returns how long it took (ns), or nil when it did not wake within 1 s.
    func wake() -> Int64? {
        woke.store(0, ordering: .relaxed)
        let start = Self.now()
        var byte: UInt8 = 1
        _ = write(ends.write, &byte, 1)
        while woke.load(ordering: .acquiring) == 0 && Self.now() - start < 1_000_000_000 {
            var pause = timespec(tv_sec: 0, tv_nsec: 50_000)
            nanosleep(&pause, nil)
        }
        let at = woke.load(ordering: .acquiring)
        return at == 0 ? nil : at - start
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        var byte: UInt8 = 1
        _ = write(ends.write, &byte, 1)
        pthread_join(thread, nil)
        close(ends.read)
        close(ends.write)
    }
}

/// A car in state C: the pilot's high level at 6 V and its low level at −12 V.
final class CarInStateC: PilotSensor, PilotSignal {
    func sample() throws(HardwareError) -> PilotSample { .nominal(.c) }
    func apply(_ output: PilotOutput) throws(HardwareError) {}
}

/// The ADS1115 of boards/rpi4-ads1115.toml as the loop meets it, in real time: each SMBus word
/// transfer takes 90 µs (four bytes at 400 kHz), and a conversion is done 1.2 ms (860 samples per
/// second) after its configuration word. Its channels read a car in state C through the board's
/// divider (pilot = adc × 6 − 12): 3.0 V on the high level's channel, 0 V on the low one's.
final class TimedADS1115: I2CDevice, @unchecked Sendable {
    let name = "the bench's ADS1115"
    private var startedAt = Int64(0)
    private var channel = 0

    private func transfer() {
        var time = timespec(tv_sec: 0, tv_nsec: 90_000)
        nanosleep(&time, nil)
    }

    func writeWord(register: UInt8, _ value: UInt16) throws(HardwareError) {
        transfer()
        guard register == 1 else { return }
        startedAt = MonotonicClock.now().nanoseconds
        channel = Int(value >> 12 & 0x3)
    }

    func readWord(register: UInt8) throws(HardwareError) -> UInt16 {
        transfer()
        if register == 1 { return MonotonicClock.now().nanoseconds - startedAt >= 1_200_000 ? 0x8000 : 0 }
        return channel == 0 ? 24_000 : 0  // 24000 × 4.096 V / 32768 = 3.0 V
    }
}

/// Trips the RCM `trips` times while charging, each at a random phase of the 10 ms period, and
/// reports the time from the trip to the write that opens the contactor.
///
/// With `adcPilot`, the pilot is sampled as `evsed run` samples boards/rpi4-ads1115.toml's: an
/// ADS1115 (TimedADS1115, about 3 ms a sample) behind a SampledPilotSensor, on a thread of its own
/// one priority below the loop, on the loop's deadlines moved its lead earlier.
func reaction(trips: Int, kernel: Bool, adcPilot: Bool) throws {
    // The trip is timed by this thread just before it trips: preempted in between by the
    // footprint runs' threads, it would count its own wait as the loop's. It runs below the loop.
    var parameters = sched_param(sched_priority: loopPriority - 5)
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
    let rig: any TripRig & GPIOProvider = kernel ? try KernelRig() : BenchGPIO()
    let contactor = try GPIOContactor(provider: rig, drive: rig.lines.drive, feedback: nil)
    let monitor = try GPIOResidualCurrentMonitor(provider: rig, fault: rig.lines.fault, test: rig.lines.test)
    var configuration = ChargerConfiguration()
    configuration.hasContactorFeedback = false
    configuration.residualCurrentRetryInterval = .milliseconds(30)
    configuration.residualCurrentMaxRetries = 1_000_000
    configuration.stateFHoldTime = .milliseconds(10)
    configuration.meterLostTimeout = .seconds(1_000_000)
    // gpio-sim cannot wire the self-test input to the fault output: no self-test before closing.
    if kernel { configuration.residualCurrentSelfTestBeforeClose = false }
    let car = CarInStateC()
    let sampledPilot = adcPilot ? SampledPilotSensor(
        sensor: ADS1115PilotSensor(adc: ADS1115(device: TimedADS1115()), highChannel: 0, lowChannel: 1, gain: 6, offset: -12),
        period: .milliseconds(10)) : nil
    let events = BoundedQueue<TimedEvent>(capacity: 65_536)
    let controller = ChargerController(
        machine: ChargerStateMachine(configuration: configuration),
        devices: ChargerDevices(
            pilotSensor: sampledPilot ?? car,
            pilotSignal: car, contactor: contactor, residualCurrentMonitor: monitor),
        meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
    _ = controller.driveSafeOutputs(at: MonotonicClock.now())
    controller.commands.push(.ready)
    // The contactor closes only with a register reading taken for the session: a meter answers
    // every tick (a real one is polled on its own thread), the car drawing nothing.
    let reading = MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(0)), power: Watts(0),
                               importEnergy: WattHours(kilowattHours: 1234.5))
    let firstTick = MonotonicClock.now() + .milliseconds(10)
    var sampler: PeriodicThread?
    if let sampledPilot {
        sampledPilot.sampleOnce()
        sampler = PeriodicThread(name: "pilot-sampler", period: .milliseconds(10), realTimePriority: loopPriority - 1,
                                 firstDeadline: firstTick - sampledPilot.lead) { _, _ in sampledPilot.sampleOnce() }
    }
    let loop = PeriodicThread(name: "control-loop", period: .milliseconds(10), realTimePriority: loopPriority, wakeSources: monitor.wakeSources,
                              firstDeadline: firstTick) { now, missed in
        controller.meterReadings.post(reading, at: now)
        controller.cycle(at: now, missedDeadlines: missed)
    }
    // Not in the guest: there the emulated CPU, not the platform, sets the floor.
    let bare = kernel || adcPilot ? nil : BareWaiter(priority: loopPriority)
    var delays: [Int64] = [], fromEdges: [Int64] = [], fromWakes: [Int64] = [], floor: [Int64] = []
    var random = SystemRandomNumberGenerator()
    var notClosed = 0, notOpened = 0
    var failures: Int { notClosed + notOpened }
    while delays.count < trips && failures < 100 {
        // Wait for the contactor to close again, then trip at a random phase of the 10 ms period.
        let waitUntil = MonotonicClock.now() + .seconds(2)
        while !rig.contactorClosed && MonotonicClock.now() < waitUntil {
            MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(200))
            while events.pop() != nil {}
        }
        guard rig.contactorClosed else {
            notClosed += 1
            if arguments.contains("--debug") { say("not closed; machine: \(controller.machine.activeFaults), pilot \(controller.machine.pilotLevel), \(controller.machine.pilotOutput)") }
            continue
        }
        MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(Int64.random(in: 0..<10_000, using: &random)))
        rig.forgetOpening()
        let tripped = try rig.trip()
        let deadline = MonotonicClock.now() + .seconds(1)
        while rig.openedAt == 0 && MonotonicClock.now() < deadline {
            MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(50))
        }
        let opened = rig.openedAt
        if arguments.contains("--debug") { say("trip: opened \(opened > 0), faults \(controller.machine.activeFaults)") }
        if opened > 0 {
            delays.append(opened - tripped)
            if let woke = rig.wokeAt, woke >= tripped, woke <= opened { fromWakes.append(opened - woke) }
            // A tick may read the tripped level before the loop has read the edge's event: wait
            // for the event of this trip, which the next wake reads at once.
            let read = MonotonicClock.now() + .seconds(1)
            while let edge = rig.kernelEdge, edge < tripped, MonotonicClock.now() < read {
                MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(50))
            }
            if let edge = rig.kernelEdge, edge >= tripped { fromEdges.append(opened - edge) }
        } else {
            notOpened += 1
        }
        try rig.release()
        while events.pop() != nil {}
        if let bare {
            MonotonicClock.sleep(until: MonotonicClock.now() + .microseconds(Int64.random(in: 0..<10_000, using: &random)))
            if let delay = bare.wake() { floor.append(delay) }
        }
    }
    loop.stop()
    sampler?.stop()
    bare?.stop()
    let missedNote = "trips after which the contactor did not open within 1 s (\(notOpened)) or did not close again within 2 s (\(notClosed))"
    let priority = loop.statistics.realTime ? "SCHED_FIFO \(loopPriority)" : "normal priority"
    if kernel {
        let note = "\(delays.count) residual-current trips while charging through Linux's gpio-sim and libgpiod, 10 ms loop, \(priority), "
            + "in QEMU with TCG (an emulated CPU: times are inflated)"
        for (name, value) in percentiles(delays) { report("kernel_fault_reaction_\(name)_ms", value, "ms", note + "; from the pull's sysfs write") }
        for (name, value) in percentiles(fromEdges) {
            report("kernel_fault_reaction_from_edge_\(name)_ms", value, "ms", note + "; from the edge event's kernel timestamp")
        }
        report("kernel_fault_reaction_missed", Double(failures), "trips", missedNote)
    } else if adcPilot {
        let note = "\(delays.count) residual-current trips while charging, the pilot sampled through an ADS1115 (two conversions of 1.2 ms, "
            + "I2C transfers of 90 µs, in real time) on a thread of its own as evsed run does, edge on an event descriptor, 10 ms loop, \(priority)"
        for (name, value) in percentiles(delays) { report("fault_reaction_ads1115_\(name)_ms", value, "ms", note) }
        report("fault_reaction_ads1115_missed", Double(failures), "trips", missedNote)
    } else {
        let note = "\(delays.count) residual-current trips while charging, edge on an event descriptor, 10 ms loop, \(priority)"
        for (name, value) in percentiles(delays) { report("fault_reaction_\(name)_ms", value, "ms", note) }
        let ownNote = "\(fromWakes.count) of the trips above, from the loop's wake-up (its read of the edge) to the contactor's write: evsed's own part"
        for (name, value) in percentiles(fromWakes) { report("fault_reaction_from_wake_\(name)_ms", value, "ms", ownNote) }
        report("fault_reaction_missed", Double(failures), "trips", missedNote)
        let floorNote = "\(floor.count) wake-ups of a bare thread (no evsed code: ppoll on a pipe, \(priority)), one after each trip above: the machine's own floor"
        for (name, value) in percentiles(floor) { report("platform_wake_\(name)_ms", value, "ms", floorNote) }
    }
}

switch arguments.first {
case "timing": timing(seconds: option("--seconds", 60), spinners: option("--busy", 0))
case "reaction": try reaction(trips: option("--trips", 2000), kernel: arguments.contains("--kernel"), adcPilot: arguments.contains("--ads1115"))
default:
    print("usage: loop-bench timing [--seconds 60] [--busy N] | reaction [--trips 2000] [--kernel | --ads1115]  [--cpu-wake-latency-us N]")
    exit(2)
}
