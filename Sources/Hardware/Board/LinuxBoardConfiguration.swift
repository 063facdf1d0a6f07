import ConfigFile
import EVSECore

/// Where a real board's devices are, from its board file.
public struct LinuxBoardConfiguration: Sendable {
    /// How the pilot is measured.
    public enum PilotSource: Sendable {
        case ads1115(Pilot)
        /// Window comparators: > 10.5, > 7.5, > 4.5, > 1.5 V on the high level, < −10.5 V on the low.
        case comparators(above10V5: GPIOLineSpec, above7V5: GPIOLineSpec, above4V5: GPIOLineSpec, above1V5: GPIOLineSpec,
                         lowBelowMinus10V5: GPIOLineSpec)
    }

    public struct Pilot: Sendable {
        public var bus: Int
        public var address: UInt8
        public var highChannel: Int
        public var lowChannel: Int
        public var gain: Double
        public var offset: Double
        /// The socket's proximity pilot on a third channel; nil with a tethered cable.
        public var proximity: ADS1115PilotSensor.Proximity?
    }

    public struct Meter: Sendable {
        public var map: RegisterMap
        public var transport: ModbusTransport
        public var address: Int
    }

    public struct Temperature: Sendable {
        public var bus: Int
        public var address: UInt8
    }

    public var pilot: PilotSource
    public var pwmRoot: String
    public var pwmChip: Int
    public var pwmChannel: Int
    public var contactorDrive: GPIOLineSpec
    public var contactorFeedback: GPIOLineSpec?
    public var rcmFault: GPIOLineSpec
    /// The socket's connector lock: actuator and feedback, when `charger.connector_lock` is set.
    public var lock: (drive: GPIOLineSpec, feedback: GPIOLineSpec)?
    public var rcmTest: GPIOLineSpec
    public var meter: Meter
    public var temperature: Temperature?

    /// The keys of `[meter]` and `[temperature]` that a linux board adds.
    static let meterKeys = ["model", "port", "baud", "parity", "stop_bits", "address", "map"]
    static let temperatureKeys = ["sensor", "bus", "address"]

    /// Reads the device sections of a `kind = "linux"` board file.
    static func read(_ document: ConfigTable, meter meterTable: ConfigTable?, temperature temperatureTable: ConfigTable?,
                     problems: inout [ConfigError]) -> LinuxBoardConfiguration?
    {
        // Each device section is read on its own, so one mistake does not hide the next.
        let before = problems.count
        func attempt(_ body: () throws(ConfigError) -> Void) {
            do throws(ConfigError) { try body() } catch { problems.append(error) }
        }
        func section(_ name: String) throws(ConfigError) -> ConfigTable {
            guard let table = try document.table(name) else { throw document.error(nil, "a linux board needs a [\(name)] table") }
            return table
        }
        var pilot: PilotSource?
        var lines: [(ConfigTable, String, GPIOLineSpec?)] = []
        attempt { () throws(ConfigError) in
            let pilotTable = try section("pilot")
            if try pilotTable.choice("source", of: ["ads1115", "comparators"]) == "ads1115" {
                let adc = Pilot(
                    bus: try pilotTable.integer("bus", default: 1, in: 0...255),
                    address: UInt8(try pilotTable.integer("address", default: 0x48, in: 0x48...0x4B)),
                    highChannel: try pilotTable.integer("high_channel", default: 0, in: 0...3),
                    lowChannel: try pilotTable.integer("low_channel", default: 1, in: 0...3),
                    gain: try pilotTable.double("gain", default: 6, in: 0.1...100),
                    offset: try pilotTable.double("offset", default: -12, in: -50...50),
                    proximity: try pilotTable.integer("pp_channel").map { (channel) throws(ConfigError) in
                        guard (0...3).contains(channel) else { throw pilotTable.error("pp_channel", "\(channel) is outside 0 … 3") }
                        return ADS1115PilotSensor.Proximity(
                            channel: channel, pullUp: try pilotTable.double("pp_pull_up_ohms", default: 1000, in: 10...100_000),
                            reference: try pilotTable.double("pp_reference_v", default: 3.3, in: 1...5))
                    })
                if adc.highChannel == adc.lowChannel { throw pilotTable.error("low_channel", "must differ from high_channel") }
                if let pp = adc.proximity, pp.channel == adc.highChannel || pp.channel == adc.lowChannel {
                    throw pilotTable.error("pp_channel", "must differ from high_channel and low_channel")
                }
                pilot = .ads1115(adc)
            } else {
                var specs: [GPIOLineSpec] = []
                for key in ["above_10v5", "above_7v5", "above_4v5", "above_1v5", "low_below_minus_10v5"] {
                    let spec = try line(pilotTable, key, required: true)!
                    specs.append(spec)
                    lines.append((pilotTable, key, spec))
                }
                pilot = .comparators(above10V5: specs[0], above7V5: specs[1], above4V5: specs[2], above1V5: specs[3],
                                     lowBelowMinus10V5: specs[4])
            }
            try pilotTable.rejectUnknownKeys()
        }
        var pwmRoot = "/sys/class/pwm", pwmChip = 0, pwmChannel = 0
        attempt { () throws(ConfigError) in
            let pwm = try section("pwm")
            pwmRoot = try pwm.string("root") ?? "/sys/class/pwm"
            pwmChip = try pwm.integer("chip", default: 0, in: 0...64)
            pwmChannel = try pwm.integer("channel", default: 0, in: 0...64)
            try pwm.rejectUnknownKeys()
        }
        var drive: GPIOLineSpec?, feedback: GPIOLineSpec?
        attempt { () throws(ConfigError) in
            let contactor = try section("contactor")
            drive = try line(contactor, "drive", required: true)
            feedback = try line(contactor, "feedback", required: false)
            try contactor.rejectUnknownKeys()
            lines += [(contactor, "drive", drive), (contactor, "feedback", feedback)]
        }
        var fault: GPIOLineSpec?, test: GPIOLineSpec?
        attempt { () throws(ConfigError) in
            let rcm = try section("rcm")
            fault = try line(rcm, "fault", required: true)
            test = try line(rcm, "test", required: true)
            try rcm.rejectUnknownKeys()
            lines += [(rcm, "fault", fault), (rcm, "test", test)]
        }
        var lock: (drive: GPIOLineSpec, feedback: GPIOLineSpec)?
        attempt { () throws(ConfigError) in
            guard let lockTable = try document.table("lock") else { return }
            let lockDrive = try line(lockTable, "drive", required: true)!
            let lockFeedback = try line(lockTable, "feedback", required: true)!
            try lockTable.rejectUnknownKeys()
            lock = (lockDrive, lockFeedback)
            lines += [(lockTable, "drive", lockDrive), (lockTable, "feedback", lockFeedback)]
        }
        var meter: Meter?
        attempt { () throws(ConfigError) in
            guard let meterTable else { throw document.error(nil, "a linux board needs a [meter] table (model, port)") }
            let model = try meterTable.choice("model", of: MeterModels.names + ["custom"])
            let map: RegisterMap
            if model == "custom" {
                guard let table = try meterTable.table("map") else {
                    throw meterTable.error("model", "a custom meter needs a [meter.map] table")
                }
                map = try RegisterMap.read(table, model: "custom")
            } else {
                if meterTable.contains("map") { throw meterTable.error("map", "only a custom model takes a map") }
                map = MeterModels.all[model]!
            }
            let port = try meterTable.required("port", meterTable.string)
            let baud = try meterTable.integer("baud", default: 9600, in: 1200...115_200)
            guard [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].contains(baud) else {
                throw meterTable.error("baud", "\(baud) is not a serial baud rate")
            }
            let parity = try meterTable.choice("parity", of: ["N", "E", "O"], default: "N")
            let stopBits = try meterTable.integer("stop_bits", default: 1, in: 1...2)
            meter = Meter(
                map: map, transport: .rtu(device: port, baud: baud, parity: Character(parity), dataBits: 8, stopBits: stopBits),
                address: try meterTable.integer("address", default: 1, in: 1...247))
        }
        var temperature: Temperature?
        attempt { () throws(ConfigError) in
            if let temperatureTable, try temperatureTable.choice("sensor", of: ["none", "lm75"], default: "none") == "lm75" {
                temperature = Temperature(
                    bus: try temperatureTable.integer("bus", default: 1, in: 0...255),
                    address: UInt8(try temperatureTable.integer("address", default: 0x48, in: 0x48...0x4F)))
            }
        }
        attempt { () throws(ConfigError) in
            var seen: [GPIOLineSpec: String] = [:]
            for (table, key, spec) in lines {
                guard let spec else { continue }
                let plain = GPIOLineSpec(chip: spec.chip, line: spec.line)
                if let other = seen[plain] { throw table.error(key, "\(spec) is already used by \(other)") }
                seen[plain] = table.keyPath(key)
            }
        }
        guard problems.count == before, let pilot, let drive, let fault, let test, let meter else { return nil }
        return LinuxBoardConfiguration(
            pilot: pilot, pwmRoot: pwmRoot, pwmChip: pwmChip, pwmChannel: pwmChannel, contactorDrive: drive,
            contactorFeedback: feedback, rcmFault: fault, lock: lock, rcmTest: test, meter: meter, temperature: temperature)
    }

    /// A GPIO line as an inline table: `{ chip = "gpiochip0", line = 17 }` or `line = "NAME"`,
    /// with optional `active_low` and `bias`.
    private static func line(_ table: ConfigTable, _ key: String, required: Bool) throws(ConfigError) -> GPIOLineSpec? {
        guard let spec = try table.table(key) else {
            if required { throw table.error(nil, "missing key '\(key)' (a GPIO line: { chip = \"gpiochip0\", line = 17 })") }
            return nil
        }
        let chip = try spec.required("chip", spec.string)
        let line: GPIOLineSpec.Line
        if let name = try? spec.string("line") {
            line = .name(name)
        } else {
            guard spec.contains("line") else { throw spec.error(nil, "missing key 'line' (an offset or a line name)") }
            line = .offset(UInt32(try spec.integer("line", default: 0, in: 0...4095)))
        }
        let bias = GPIOLineSpec.Bias(rawValue: try spec.choice("bias", of: ["as-is", "disabled", "pull-up", "pull-down"], default: "as-is"))!
        let result = GPIOLineSpec(chip: chip, line: line, activeLow: try spec.bool("active_low", default: false), bias: bias)
        try spec.rejectUnknownKeys()
        return result
    }
}
