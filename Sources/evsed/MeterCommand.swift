import ArgumentParser
import EVSECore
import Hardware
import Runtime
import Simulation

/// Options shared by the meter commands: where the meter is and how the line is set.
struct SerialLineOptions: ParsableArguments {
    @Option(name: .long, help: "The serial device (/dev/ttyUSB0, a pseudo terminal).")
    var port: String?

    @Option(name: .long, help: "A Modbus TCP gateway as HOST:PORT, instead of --port.")
    var tcp: String?

    @Option(name: .long, help: "Baud rate.")
    var baud = 9600

    @Option(name: .long, help: "Parity: N, E or O.")
    var parity = "N"

    @Option(name: .long, help: "Stop bits: 1 or 2.")
    var stopBits = 1

    func validate() throws {
        guard (port == nil) != (tcp == nil) else { throw ValidationError("give either --port or --tcp") }
        guard [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].contains(baud) else {
            throw ValidationError("--baud \(baud) is not a serial baud rate (1200 … 115200)")
        }
        guard ["N", "E", "O"].contains(parity.uppercased()) else { throw ValidationError("--parity must be N, E or O, not \(parity)") }
        guard stopBits == 1 || stopBits == 2 else { throw ValidationError("--stop-bits must be 1 or 2") }
        if let tcp, tcpAddress(tcp) == nil { throw ValidationError("--tcp must be HOST:PORT, not \(tcp)") }
    }

    var transport: ModbusTransport {
        if let tcp, let (host, port) = tcpAddress(tcp) { return .tcp(host: host, port: port) }
        return .rtu(device: port ?? "", baud: baud, parity: Character(parity.uppercased()), dataBits: 8, stopBits: stopBits)
    }

    private func tcpAddress(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        return (String(text[..<colon]), port)
    }
}

/// `evsed meter`: a technician's tools for the energy meter.
struct MeterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meter", abstract: "Read an energy meter once, or find meters on a line.",
        subcommands: [MeterReadCommand.self, MeterScanCommand.self])
}

func knownModel(_ name: String) throws -> RegisterMap {
    guard let map = MeterModels.all[name.lowercased()] else {
        throw ValidationError("unknown meter model '\(name)'; known: \(MeterModels.names.joined(separator: ", "))")
    }
    return map
}

struct MeterReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Read every value of a meter once and decode it.")

    @OptionGroup var line: SerialLineOptions

    @Option(name: .long, help: "The meter model: \(MeterModels.names.joined(separator: ", ")).")
    var model: String

    @Option(name: .long, help: "The meter's Modbus address (1 … 247).")
    var address = 1

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @Option(name: .long, help: "Read this many times and report the rate against what the line allows.")
    var count = 1

    func validate() throws {
        _ = try knownModel(model)
        guard (1...247).contains(address) else { throw ValidationError("--address must be 1 … 247") }
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be 1 … 100000") }
    }

    func run() throws {
        let map = try knownModel(model)
        let meter = ModbusEnergyMeter(.init(transport: line.transport, slave: address, map: map))
        do throws(MeterReadError) {
            let started = MonotonicClock.now()
            var (values, reading) = try meter.readValues(at: started)
            for _ in 1..<count { (values, reading) = try meter.readValues(at: MonotonicClock.now()) }
            let elapsed = MonotonicClock.now() - started
            if count > 1 { report(map: map, elapsed: elapsed, statistics: meter.statistics) }
            let output = LineWriter.standardOutput
            let ordered = MeterQuantity.allCases.filter { values[$0] != nil }
            if json {
                var object = JSONLine()
                object.add("model", map.model)
                object.add("address", address)
                for quantity in ordered { object.add(quantity.rawValue, values[quantity]!, decimals: 3) }
                object.add("requests", meter.statistics.requests)
                object.add("function_code", Int(map.functionCode))
                object.add("blocks", json: "[" + map.blocks.map { "[\($0.start),\($0.count)]" }.joined(separator: ",") + "]")
                if count > 1 {
                    object.add("readings", meter.statistics.readings)
                    object.add("seconds", elapsed.seconds, decimals: 4)
                    object.add("retries", meter.statistics.retries)
                }
                output.write(object.description)
            } else {
                output.write("\(map.model) at address \(address) on \(line.transport): \(map.blocks.count) request(s)")
                for quantity in ordered {
                    let name = quantity.rawValue + String(repeating: " ", count: max(0, 16 - quantity.rawValue.count))
                    output.write("  \(name) \(values[quantity]!) \(quantity.baseUnit.rawValue)")
                }
                output.write("  import register   \(reading.importEnergy.kilowattHours) kWh")
            }
            output.flush()
        } catch {
            LineWriter.standardError.write("evsed: \(error)")
            throw ExitCode(1)
        }
    }
}

extension MeterReadCommand {
    /// Readings per second, and the share of the line's capacity they use: each request and reply
    /// takes its bytes at the baud rate plus the 3.5-character silence that ends an RTU frame.
    func report(map: RegisterMap, elapsed: Duration, statistics: ModbusEnergyMeter.Statistics) {
        guard case .rtu(_, let baud, let parity, _, let stopBits) = line.transport else { return }
        let perReading = map.blocks.reduce(Duration.zero) { total, block in
            total + RTUFrame.lineTime(bytes: 8, baud: baud, parity: parity, stopBits: stopBits)
                + RTUFrame.lineTime(bytes: 5 + 2 * block.count, baud: baud, parity: parity, stopBits: stopBits)
        }
        let bytes = map.blocks.reduce(0) { $0 + 8 + 5 + 2 * $1.count }
        let rate = Double(statistics.readings) / elapsed.seconds
        let ideal = 1 / perReading.seconds
        let line = "\(statistics.readings) readings in \(fixed(elapsed.seconds, 3)) s: \(fixed(rate, 2)) readings/s, "
            + "\(fixed(rate * Double(bytes), 0)) bytes/s; the line allows \(fixed(ideal, 2)) readings/s "
            + "(\(bytes) bytes in \(map.blocks.count) request(s) per reading): \(fixed(100 * rate / ideal, 1)) %; "
            + "\(statistics.retries) retries"
        LineWriter.standardError.write(line)
    }
}

struct MeterScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan", abstract: "Find which addresses answer on a line and which known model fits each.")

    @OptionGroup var line: SerialLineOptions

    @Option(name: .long, help: "The first address to try.")
    var from = 1

    @Option(name: .long, help: "The last address to try.")
    var to = 247

    @Option(name: .long, help: "Milliseconds to wait for each address.")
    var timeout = 100

    func validate() throws {
        guard (1...247).contains(from), (1...247).contains(to), from <= to else { throw ValidationError("addresses are 1 … 247, --from ≤ --to") }
        guard (1...60_000).contains(timeout) else { throw ValidationError("--timeout is 1 … 60000 ms") }
    }

    func run() throws {
        let output = LineWriter.standardOutput
        var found = 0
        // One connection for the whole scan, not one per address and model.
        let context: ModbusContext
        do throws(ModbusError) {
            context = try ModbusContext(line.transport, responseTimeout: .milliseconds(Int64(timeout)))
        } catch {
            LineWriter.standardError.write("evsed: \(error)")
            throw ExitCode(1)
        }
        for address in from...to {
            // A model fits when its registers read back as a plausible reading.
            var fits: [String] = []
            var answered = false
            for name in MeterModels.names {
                let meter = ModbusEnergyMeter(.init(transport: line.transport, slave: address, map: MeterModels.all[name]!, retries: 0),
                                              context: context)
                do throws(MeterReadError) {
                    _ = try meter.readValues(at: MonotonicClock.now())
                    fits.append(name)
                    answered = true
                } catch {
                    if case .modbus(.timeout) = error {} else { answered = true }
                }
                if !answered { break }  // nobody at this address: no need to try every model
            }
            if answered {
                found += 1
                // Maps that read the most values first: a single-phase map also "fits" a three-phase meter.
                fits.sort { (MeterModels.all[$0]!.definitions.count, $1) > (MeterModels.all[$1]!.definitions.count, $0) }
                output.write("address \(address): answers; " + (fits.isEmpty ? "no known model fits" : "fits \(fits.joined(separator: ", "))"))
                output.flush()
            }
        }
        output.write(found == 0 ? "no meter answered on \(line.transport)" : "\(found) meter(s) answered")
        output.flush()
    }
}

/// `evsed sim-meter`: a simulated meter on a serial device or pseudo terminal.
struct SimMeterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim-meter",
        abstract: "Serve a simulated meter as a Modbus RTU slave (for tests and benchmarks).",
        discussion: "Replies are paced with the line's byte time at the chosen baud rate; the import register integrates --power.")

    @Option(name: .long, help: "The serial device or pseudo terminal to serve on.")
    var port: String

    @Option(name: .long, help: "The model whose registers to serve: \(MeterModels.names.joined(separator: ", ")).")
    var model: String

    @Option(name: .long, help: "The Modbus address (1 … 247).")
    var address = 1

    @Option(name: .long, help: "Baud rate (for the pacing).")
    var baud = 9600

    @Option(name: .long, help: "Parity: N, E or O.")
    var parity = "N"

    @Option(name: .long, help: "Total active power drawn, in watts.")
    var power: Double = 11_040

    @Option(name: .long, help: "The import register at the start, in kWh.")
    var register: Double = 1234.5

    @Option(name: .long, help: "The share of replies (0 … 1) sent with a corrupted byte.")
    var corrupt: Double = 0

    @Option(name: .long, help: "Stop answering after this many seconds (a cut cable).")
    var stopAfter: Double?

    func validate() throws {
        _ = try knownModel(model)
        guard (1...247).contains(address) else { throw ValidationError("--address must be 1 … 247") }
        guard (0...1).contains(corrupt) else { throw ValidationError("--corrupt must be between 0 and 1") }
        guard ["N", "E", "O"].contains(parity.uppercased()) else { throw ValidationError("--parity must be N, E or O") }
        guard power >= 0 && power <= 100_000 else { throw ValidationError("--power must be 0 … 100000 W") }
    }

    func run() throws {
        var configuration = SimulatedModbusMeter.Configuration(device: port, map: try knownModel(model))
        configuration.baud = baud
        configuration.parity = Character(parity.uppercased())
        configuration.slave = address
        configuration.power = Watts(power)
        configuration.phases = configuration.map[.voltageL2] == nil ? 1 : 3
        configuration.initialRegister = WattHours(kilowattHours: register)
        configuration.corruptFraction = corrupt
        configuration.stopAnsweringAfter = stopAfter.map { .nanoseconds(Int64($0 * 1e9)) }
        let meter = SimulatedModbusMeter(configuration)
        LineWriter.standardError.write("evsed sim-meter: \(model) at address \(address) on \(port), \(baud) baud, \(power) W")
        do throws(ModbusError) {
            try meter.serve()
        } catch {
            LineWriter.standardError.write("evsed: \(error)")
            throw ExitCode(1)
        }
    }
}
