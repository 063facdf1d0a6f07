import EVSECore
import Runtime

/// Why a meter read produced no reading.
public enum MeterReadError: Error, Hashable, Sendable, CustomStringConvertible {
    case modbus(ModbusError)
    case implausible(MeterPlausibility.Problem)

    public var description: String {
        switch self {
        case .modbus(let error): return "\(error)"
        case .implausible(let problem): return "implausible reading: \(problem)"
        }
    }
}

/// An energy meter read over Modbus RTU or TCP with libmodbus, through a register map.
///
/// Each read requests the map's blocks (as few as the map allows), retries transient errors a
/// bounded number of times, decodes, and checks plausibility against the last good reading: a
/// value that fails is reported as an error, never passed on as a reading.
public final class ModbusEnergyMeter: EnergyMeter {
    public struct Configuration: Hashable, Sendable {
        public var transport: ModbusTransport
        public var slave: Int
        public var map: RegisterMap
        /// Further attempts after a transient error, per request.
        public var retries: Int
        public var responseTimeout: Duration
        public var byteTimeout: Duration
        public var plausibility: MeterPlausibility

        public init(transport: ModbusTransport, slave: Int = 1, map: RegisterMap, retries: Int = 2,
                    responseTimeout: Duration = .milliseconds(500), byteTimeout: Duration = .milliseconds(100),
                    plausibility: MeterPlausibility = MeterPlausibility()) {
            self.transport = transport
            self.slave = slave
            self.map = map
            self.retries = retries
            self.responseTimeout = responseTimeout
            self.byteTimeout = byteTimeout
            self.plausibility = plausibility
        }
    }

    /// Counters for the console and benchmarks.
    public struct Statistics: Hashable, Sendable {
        public var readings = 0
        public var requests = 0
        public var retries = 0
        public var failedReadings = 0
        /// Attempts to open the line, and the successes among them.
        public var openAttempts = 0
        public var opens = 0
        public var lastError: String?
    }

    public let configuration: Configuration
    private let blocks: [RegisterMap.Block]
    private struct State {
        var context: ModbusContext?
        var lastEnergy: WattHours?
        var lastReadAt: Instant?
        var statistics = Statistics()
        /// The line could not be opened: when to try again, and how often it failed in a row.
        var reopenAt: Instant?
        var openFailures = 0
        var openError: ModbusError?
        /// Readings in a row whose register is below the last good one, and the last of them.
        var lowerReadings = 0
        var lower: (register: WattHours, at: Instant)?
    }

    /// A register below the last good one this many times in a row, each consistent with the one
    /// before, is a new baseline (the meter was replaced or reset), not a bad reply.
    public static let readingsForNewBaseline = 3

    /// The longest wait between two attempts to open a line that is not there.
    public static let longestReopenDelay: Duration = .seconds(30)
    private let state = Lock(State())
    /// Dates `read()` and `connect()`, for the reopen back-off.
    private let clock: any MonotonicTime

    /// - Parameter context: a connection already open on the meter's line (a scan tries many
    ///   models and addresses on one); without one the meter opens its own on the first read.
    public init(_ configuration: Configuration, context: ModbusContext? = nil, clock: any MonotonicTime = MonotonicClock()) {
        self.configuration = configuration
        self.blocks = configuration.map.blocks
        self.clock = clock
        state.withLock { $0.context = context }
    }

    /// Opens the meter's line now rather than at the first read, so a missing adapter is reported
    /// at start and not later as a lost meter.
    public func connect() throws(ModbusError) {
        try state.withLock { state throws(ModbusError) in try open(&state, at: clock.now()) }
    }

    /// Opens the line unless it is open; after a failure, not again before the back-off has
    /// passed (0.5 s, doubling to `longestReopenDelay`), so an adapter that fell off the bus is
    /// looked for calmly until it is back, at the same path (name a stable one, such as
    /// /dev/serial/by-id/…, in the board file).
    private func open(_ state: inout State, at now: Instant) throws(ModbusError) {
        guard state.context == nil else { return }
        if let reopenAt = state.reopenAt, now < reopenAt, let error = state.openError { throw error }
        state.statistics.openAttempts += 1
        do throws(ModbusError) {
            state.context = try ModbusContext(configuration.transport, responseTimeout: configuration.responseTimeout,
                                              byteTimeout: configuration.byteTimeout)
            state.statistics.opens += 1
            state.reopenAt = nil
            state.openFailures = 0
            state.openError = nil
        } catch {
            state.openFailures += 1
            let delay = Duration.milliseconds(500 * (1 << min(state.openFailures - 1, 6)))
            state.reopenAt = now + min(delay, Self.longestReopenDelay)
            state.openError = error
            throw error
        }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// `EnergyMeter`: one good reading, or a `HardwareError` that says what failed.
    public func read() throws(HardwareError) -> MeterReading {
        do throws(MeterReadError) {
            return try readValues(at: clock.now()).reading
        } catch {
            throw HardwareError(device: .energyMeter, detail: "\(configuration.map.model) at \(configuration.slave): \(error)")
        }
    }

    /// Reads every value of the map once; returns the decoded values and the reading.
    public func readValues(at now: Instant) throws(MeterReadError) -> (values: [MeterQuantity: Double], reading: MeterReading) {
        try state.withLock { state throws(MeterReadError) in
            do throws(MeterReadError) {
                var registers: [[UInt16]] = []
                for block in blocks { registers.append(try request(block, state: &state, at: now)) }
                let values = configuration.map.decode(blocks: blocks, registers: registers)
                let previous = state.lastEnergy.map { ($0, now - (state.lastReadAt ?? now)) }
                let reading: MeterReading
                do throws(MeterPlausibility.Problem) {
                    reading = try configuration.plausibility.reading(from: values, previous: previous)
                    state.lowerReadings = 0
                    state.lower = nil
                } catch {
                    guard case .registerWentBackwards(_, let to) = error else { throw MeterReadError.implausible(error) }
                    // Once is a bad reply; again and again, each a plausible reading that follows
                    // on from the one before (no lower, no faster than a charger draws), is a meter
                    // that starts from a new register: it is taken, and the books see the drop.
                    // Garbage does not line up like that.
                    let alone = try? configuration.plausibility.reading(from: values, previous: nil)
                    let followsOn = alone != nil && state.lower.map { lower in
                        (try? configuration.plausibility.reading(from: values, previous: (lower.register, now - lower.at))) != nil
                    } ?? true
                    state.lowerReadings = followsOn ? state.lowerReadings + 1 : alone != nil ? 1 : 0
                    state.lower = alone.map { _ in (WattHours(to), now) }
                    guard let alone, state.lowerReadings >= Self.readingsForNewBaseline else { throw MeterReadError.implausible(error) }
                    reading = alone
                    state.lowerReadings = 0
                    state.lower = nil
                }
                state.lastEnergy = reading.importEnergy
                state.lastReadAt = now
                state.statistics.readings += 1
                return (values, reading)
            } catch {
                state.statistics.failedReadings += 1
                state.statistics.lastError = "\(error)"
                throw error
            }
        }
    }

    private func request(_ block: RegisterMap.Block, state: inout State, at now: Instant) throws(MeterReadError) -> [UInt16] {
        var attempt = 0
        while true {
            // A line that cannot be opened is not retried within a read: the back-off decides.
            do throws(ModbusError) { try open(&state, at: now) } catch { throw .modbus(error) }
            do throws(ModbusError) {
                state.statistics.requests += 1
                return try state.context!.readRegisters(
                    slave: configuration.slave, function: configuration.map.functionCode, address: block.start, count: block.count)
            } catch {
                if case .io = error { state.context = nil }  // reopen a device that went away
                guard error.isTransient, attempt < configuration.retries else { throw .modbus(error) }
                attempt += 1
                state.statistics.retries += 1
            }
        }
    }
}
