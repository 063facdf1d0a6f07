import EVSECore
import Hardware
import Runtime
import Synchronization

/// A simulated energy meter served as a real Modbus RTU slave with libmodbus, for `evsed sim-meter`
/// and the integration tests: it answers reads of its model's registers, paces each reply with the
/// line's real byte time at its baud rate, integrates its power into the import register (or serves
/// what a `source` measures), and can corrupt a fraction of its replies, answer garbage, or stop
/// answering.
public final class SimulatedModbusMeter: Sendable {
    public struct Configuration: Sendable {
        public var device: String
        public var baud = 9600
        public var parity: Character = "N"
        public var stopBits = 1
        public var slave = 1
        public var map: RegisterMap
        /// Total active power drawn, spread evenly over the phases.
        public var power = Watts(11_040)
        public var phases = 3
        public var voltage = Volts(230)
        public var frequency = 50.0
        public var initialRegister = WattHours(kilowattHours: 1234.5)
        /// The share of replies, 0 … 1, sent with one byte altered (their CRC then fails).
        public var corruptFraction = 0.0
        /// After this long the meter stops answering (a cut cable).
        public var stopAnsweringAfter: Duration?
        /// Whether replies wait for the line time of the request and the reply.
        public var paceLikeTheLine = true
        /// Where the served values come from, if not from the meter's own power and register: a
        /// reading taken when the request arrives (e.g. the simulated world's meter); when it
        /// throws, the meter does not answer.
        public var source: (@Sendable () throws -> MeterReading)?
        /// Seeds the choice of garbage (`answerGarbage`); nil: a new choice every run.
        public var garbageSeed: UInt64?
        /// The kinds of garbage to choose from.
        public var garbageKinds = Garbage.Kind.allCases

        public init(device: String, map: RegisterMap) {
            self.device = device
            self.map = map
        }
    }

    /// What the meter has done, for tests and its log.
    public struct Statistics: Sendable {
        public var requests = 0
        public var replies = 0
        public var corrupted = 0
        public var exceptions = 0
        public var ignored = 0
        /// Replies sent as garbage, by kind (`Garbage.Kind`).
        public var garbage: [Garbage.Kind: Int] = [:]
    }

    /// A meter gone wrong: every reply is one kind of garbage, chosen at random for each.
    public enum Garbage {
        public enum Kind: String, CaseIterable, Sendable {
            /// 1 to 40 random bytes.
            case randomBytes = "random bytes"
            /// The right reply cut short.
            case truncated
            /// The right reply followed by random bytes.
            case trailingBytes = "trailing bytes"
            /// A well-formed reply from another slave address.
            case otherSlave = "other slave"
            /// A well-formed reply of a read that was not asked for (another byte count).
            case wrongLength = "wrong length"
            /// A "slave device failure" exception.
            case exception
            /// A well-formed reply with a valid CRC whose registers are random words.
            case randomRegisters = "random registers"
            /// No reply at all.
            case silence
        }
    }

    public let configuration: Configuration
    private let running = Atomic<Bool>(true)
    private let counters = Lock(Statistics())
    private let power: Lock<Watts>
    private let garbage = Atomic<Bool>(false)

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        power = Lock(configuration.power)
    }

    /// From now on every reply is garbage (`on`), or right again.
    public func answerGarbage(_ on: Bool) { garbage.store(on, ordering: .relaxed) }

    public var statistics: Statistics { counters.withLock { $0 } }

    /// Changes the power drawn from now on.
    public func setPower(_ watts: Watts) { power.withLock { $0 = watts } }

    public func stop() { running.store(false, ordering: .relaxed) }

    /// The values of `reading`, as the meter's registers hold them (a phase the reading lacks is
    /// left out).
    public static func values(of reading: MeterReading) -> [MeterQuantity: Double] {
        var values: [MeterQuantity: Double] = [.totalPower: reading.power.value, .importEnergy: reading.importEnergy.value,
                                               .frequency: reading.frequency ?? 50]
        let phases: [(MeterQuantity, MeterQuantity, MeterQuantity, Volts?, Amperes?)] = [
            (.voltageL1, .currentL1, .powerL1, reading.voltage.l1, reading.current.l1),
            (.voltageL2, .currentL2, .powerL2, reading.voltage.l2, reading.current.l2),
            (.voltageL3, .currentL3, .powerL3, reading.voltage.l3, reading.current.l3),
        ]
        for (voltage, current, power, volts, amps) in phases {
            guard let volts, let amps else { continue }
            values[voltage] = volts.value
            values[current] = amps.value
            values[power] = volts.value * amps.value
        }
        return values
    }

    /// The values the meter reports at its present power, with `register` as its import register.
    public func values(register: WattHours) -> [MeterQuantity: Double] {
        let watts = power.withLock { $0 }
        let volts = configuration.voltage
        let amps = Amperes(watts.value / Double(configuration.phases) / volts.value)
        let three = configuration.phases == 3
        return Self.values(of: MeterReading(
            voltage: three ? PhaseValues(volts, volts, volts) : PhaseValues(volts),
            current: three ? PhaseValues(amps, amps, amps) : PhaseValues(amps),
            power: watts, importEnergy: register, frequency: configuration.frequency))
    }

    /// Serves requests until `stop()`; throws when the device cannot be opened.
    public func serve() throws(ModbusError) {
        let line = ModbusTransport.rtu(device: configuration.device, baud: configuration.baud, parity: configuration.parity,
                                       dataBits: 8, stopBits: configuration.stopBits)
        let context = try ModbusContext(line)
        let started = MonotonicClock.now()
        var register = configuration.initialRegister
        var integratedUntil = started
        var generator = SystemRandomNumberGenerator()
        var garbageChoice = SeededRandom(seed: configuration.garbageSeed ?? generator.next())
        let addresses = configuration.map.definitions.flatMap { Array($0.range) }
        let lowest = addresses.min() ?? 0
        let highest = addresses.max() ?? 0

        while running.load(ordering: .relaxed) {
            guard let request = try context.receiveRequest(slave: configuration.slave, timeout: .milliseconds(100)) else { continue }
            let now = MonotonicClock.now()
            register = register + power.withLock { $0 }.energy(over: now - integratedUntil)
            integratedUntil = now
            counters.withLock { $0.requests += 1 }
            if let after = configuration.stopAnsweringAfter, now - started >= after {
                counters.withLock { $0.ignored += 1 }
                continue
            }
            guard request.count >= 6 else { continue }
            let slave = request[0], function = request[1]
            let address = Int(request[2]) << 8 | Int(request[3])
            let count = Int(request[4]) << 8 | Int(request[5])

            var reply: [UInt8]
            if function != configuration.map.functionCode {
                reply = RTUFrame.exceptionReply(slave: slave, function: function, code: 1)
                counters.withLock { $0.exceptions += 1 }
            } else if count < 1 || count > 125 || address < lowest || address + count - 1 > highest {
                reply = RTUFrame.exceptionReply(slave: slave, function: function, code: 2)
                counters.withLock { $0.exceptions += 1 }
            } else {
                let served: [MeterQuantity: Double]
                if let source = configuration.source {
                    guard let reading = try? source() else {
                        counters.withLock { $0.ignored += 1 }
                        continue
                    }
                    served = Self.values(of: reading)
                } else {
                    served = values(register: register)
                }
                let image = configuration.map.encode(served)
                let registers = (address..<(address + count)).map { image[UInt16($0)] ?? 0 }
                reply = RTUFrame.readReply(slave: slave, function: function, registers: registers)
            }
            if garbage.load(ordering: .relaxed) {
                let kinds = configuration.garbageKinds.isEmpty ? Garbage.Kind.allCases : configuration.garbageKinds
                let kind = kinds[Int(garbageChoice.next() % UInt64(kinds.count))]
                counters.withLock { $0.garbage[kind, default: 0] += 1 }
                guard let bad = Self.garbage(kind, for: reply, count: count, using: &garbageChoice) else { continue }
                reply = bad
            }
            if configuration.corruptFraction > 0 && reply.count > 5 && Double.random(in: 0..<1, using: &generator) < configuration.corruptFraction {
                let index = Int.random(in: 3..<max(4, reply.count - 2), using: &generator)
                reply[min(index, reply.count - 3)] ^= 0x5A
                counters.withLock { $0.corrupted += 1 }
            }
            if configuration.paceLikeTheLine {
                // The request took its line time to arrive and the reply takes its own to leave:
                // a pseudo terminal moves bytes at once, a 9600 baud line does not.
                let lineTime = RTUFrame.lineTime(bytes: request.count, baud: configuration.baud, parity: configuration.parity, stopBits: configuration.stopBits)
                    + RTUFrame.lineTime(bytes: reply.count, baud: configuration.baud, parity: configuration.parity, stopBits: configuration.stopBits)
                MonotonicClock.sleep(until: now + lineTime)
            }
            // Counted before it leaves: whoever got the reply may look at the count at once.
            counters.withLock { $0.replies += 1 }
            try context.writeRaw(reply)
        }
    }
}

extension SimulatedModbusMeter {
    /// `reply` (the right answer to a read of `count` registers) turned into garbage of `kind`; nil
    /// for no reply at all.
    static func garbage(_ kind: Garbage.Kind, for reply: [UInt8], count: Int, using random: inout SeededRandom) -> [UInt8]? {
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let slave = reply[0], function = reply[1] & 0x7F
        switch kind {
        case .randomBytes:
            return bytes(1 + Int(random.next() % 40))
        case .truncated:
            return Array(reply.prefix(1 + Int(random.next() % UInt64(reply.count - 1))))
        case .trailingBytes:
            return reply + bytes(1 + Int(random.next() % 8))
        case .otherSlave:
            return RTUFrame.readReply(slave: slave &+ 1 + UInt8(random.next() % 200), function: function,
                                      registers: (0..<count).map { _ in UInt16(truncatingIfNeeded: random.next()) })
        case .wrongLength:
            let other = count > 1 && random.next() % 2 == 0 ? count - 1 : count + 1
            return RTUFrame.readReply(slave: slave, function: function, registers: (0..<other).map { _ in UInt16(truncatingIfNeeded: random.next()) })
        case .exception:
            return RTUFrame.exceptionReply(slave: slave, function: function, code: 4)
        case .randomRegisters:
            return RTUFrame.readReply(slave: slave, function: function, registers: (0..<count).map { _ in UInt16(truncatingIfNeeded: random.next()) })
        case .silence:
            return nil
        }
    }
}
