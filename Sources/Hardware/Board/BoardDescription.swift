import ConfigFile
import EVSECore

/// A charger board as its board file describes it: what it is, its ratings and protection
/// figures, and the timing of its loops.
public struct BoardDescription {
    /// Where the devices come from.
    public enum Kind: String, Sendable {
        /// Every device simulated (`boards/sim.toml`).
        case simulated
        /// A Linux board: GPIO, sysfs PWM, I2C and a Modbus meter.
        case linux
    }

    /// The board file's path, as given.
    public var path: String
    public var name: String
    public var kind: Kind
    public var charger: ChargerConfiguration
    /// The control loop's period.
    public var controlPeriod: Duration
    /// `[control] cpu_wake_latency_us`: the cap on the CPUs' wake-up from idle evsed asks the
    /// kernel for while it runs (`Runtime.CPUWakeLatencyRequest`); nil: no request.
    public var cpuWakeLatencyMicroseconds: Int32? = nil
    public var meterPollInterval: Duration
    public var temperaturePollInterval: Duration
    /// The `[simulation]` table, read by the Simulation module; nil on real boards.
    public var simulation: ConfigTable?
    /// The `[console]` table (serial consoles, the PIN's hash, the socket's group), read by the
    /// Console module; nil when the board file has none.
    public var console: ConfigTable?
    /// The `[ocpp]` table (the central system), read by the OCPP module; nil without one.
    public var ocpp: ConfigTable? = nil
    /// The `[cards]` table (card mode and RFID reader), read by the Cards module; nil without one.
    public var cards: ConfigTable? = nil
    /// The `[page]` table (the owner's live page), read by the LivePage module; nil without one.
    public var page: ConfigTable? = nil
    /// Where a real board's devices are; nil on the simulated board.
    public var linux: LinuxBoardConfiguration?

    /// Reads and checks the board file at `path`. Every mistake is a `ConfigError` naming the file,
    /// the line and the key; unknown keys are mistakes too.
    public static func load(_ path: String) throws(ConfigError) -> BoardDescription {
        try read(ConfigDocument.load(path))
    }

    /// Reads a parsed board file; throws its first mistake.
    public static func read(_ document: ConfigTable) throws(ConfigError) -> BoardDescription {
        var problems: [ConfigError] = []
        let board = read(document, problems: &problems)
        if let first = problems.first { throw first }
        return board!
    }

    /// Every mistake of a board file, one per section at most (a section stops at its first), in
    /// file order: what `evsed check-config` reports.
    public static func problems(in path: String) -> [ConfigError] {
        do throws(ConfigError) {
            var problems: [ConfigError] = []
            _ = read(try ConfigDocument.load(path), problems: &problems)
            return problems.sorted { ($0.line ?? 0) < ($1.line ?? 0) }
        } catch {
            return [error]
        }
    }

    /// Reads what it can, collecting each section's mistake and going on with the defaults.
    static func read(_ document: ConfigTable, problems: inout [ConfigError]) -> BoardDescription? {
        func attempt(_ body: () throws(ConfigError) -> Void) {
            do throws(ConfigError) { try body() } catch { problems.append(error) }
        }
        var name = ""
        var kind = Kind.simulated
        attempt { () throws(ConfigError) in
            guard let header = try document.table("board") else {
                throw document.error(nil, "missing [board] table (name and kind of the board)")
            }
            name = try header.required("name", header.string)
            kind = Kind(rawValue: try header.choice("kind", of: [Kind.simulated.rawValue, Kind.linux.rawValue]))!
            try header.rejectUnknownKeys()
        }

        var charger = ChargerConfiguration()
        var period = Duration.milliseconds(10)
        var wakeLatency: Int32?
        var meterPoll = Duration.seconds(1)
        var temperaturePoll = Duration.seconds(1)

        attempt { () throws(ConfigError) in
        if let table = try document.table("charger") {
            charger.maximumCurrent = Amperes(try table.double("max_current_a", default: 32, in: 6...80))
            charger.phases = try table.integer("phases", default: 3, in: 1...3)
            if charger.phases == 2 { throw table.error("phases", "must be 1 or 3") }
            charger.ventilationAvailable = try table.bool("ventilation", default: false)
            charger.startSessionOnPlugIn = try table.bool("start_on_plug_in", default: true)
            charger.residualCurrentSelfTestBeforeClose = try table.bool("rcm_self_test", default: true)
            charger.hasContactorFeedback = try table.bool("contactor_feedback", default: true)
            charger.hasConnectorLock = try table.bool("connector_lock", default: false)
            try table.rejectUnknownKeys()
        }
        }
        attempt { () throws(ConfigError) in
        if let table = try document.table("control") {
            period = .milliseconds(try table.integer("period_ms", default: 10, in: 1...100))
            charger.pilot = PilotDebounceConfiguration(
                samplesToConfirm: try table.integer("debounce_samples", default: 3, in: 1...20),
                samplesToConfirmUnplug: try table.integer("unplug_samples", default: 2, in: 1...20),
                unknownLevelTimeout: .milliseconds(try table.integer("unknown_level_timeout_ms", default: 100, in: 10...5000)),
                samplesToConfirmDiodeFault: try table.integer("diode_fault_samples", default: 3, in: 1...20))
            charger.overrunsForFault = try table.integer("overruns_for_fault", default: 5, in: 1...1000)
            charger.onTimeTicksToClearOverrun = try table.integer("on_time_ticks_to_clear", default: 100, in: 1...100_000)
            if table.contains("cpu_wake_latency_us") {
                wakeLatency = Int32(try table.integer("cpu_wake_latency_us", default: 0, in: 0...10_000))
            }
            try table.rejectUnknownKeys()
            // An unplug must be seen within 25 ms (design): at most 25 ms of confirming samples.
            let unplugTime = period * charger.pilot.samplesToConfirmUnplug
            if unplugTime > .milliseconds(25) {
                throw table.error("unplug_samples", "\(charger.pilot.samplesToConfirmUnplug) samples at \(period.seconds * 1000) ms take longer than the 25 ms allowed to see an unplug")
            }
        }
        }
        var meterTable: ConfigTable?
        var temperatureTable: ConfigTable?
        var linux: LinuxBoardConfiguration?
        attempt { () throws(ConfigError) in
            meterTable = try document.table("meter")
            temperatureTable = try document.table("temperature")
        }
        if kind == .linux {
            linux = LinuxBoardConfiguration.read(document, meter: meterTable, temperature: temperatureTable, problems: &problems)
            if charger.hasConnectorLock {
                attempt { () throws(ConfigError) in
                    if try document.table("lock") == nil, let table = try document.table("charger") {
                        throw table.error("connector_lock", "is true, but the board file has no [lock] table (the lock's drive and feedback lines)")
                    }
                }
            }
        }
        attempt { () throws(ConfigError) in
        if let table = meterTable {
            meterPoll = .milliseconds(try table.integer("poll_interval_ms", default: 1000, in: 100...60_000))
            charger.meterLostTimeout = seconds(try table.double("lost_after_s", default: 10, in: 1...600))
            // A linux board's device keys belong to its device reader, which reports their mistakes.
            try table.rejectUnknownKeys(besides: kind == .linux ? LinuxBoardConfiguration.meterKeys : [])
        }
        }
        attempt { () throws(ConfigError) in
        if let table = temperatureTable {
            temperaturePoll = .milliseconds(try table.integer("poll_interval_ms", default: 1000, in: 100...60_000))
            charger.temperatureDerateHalf = Celsius(try table.double("derate_half_c", default: 70, in: 20...150))
            charger.temperatureDerateQuarter = Celsius(try table.double("derate_quarter_c", default: 75, in: 20...150))
            charger.temperatureLimit = Celsius(try table.double("limit_c", default: 80, in: 20...150))
            charger.temperatureHysteresis = Celsius(try table.double("hysteresis_c", default: 10, in: 1...50))
            try table.rejectUnknownKeys(besides: kind == .linux ? LinuxBoardConfiguration.temperatureKeys : [])
            if !(charger.temperatureDerateHalf < charger.temperatureDerateQuarter && charger.temperatureDerateQuarter < charger.temperatureLimit) {
                throw table.error(nil, "thresholds must rise: derate_half_c < derate_quarter_c < limit_c")
            }
        }
        }
        attempt { () throws(ConfigError) in
        if let table = try document.table("protection") {
            charger.nominalVoltage = Volts(try table.double("nominal_voltage_v", default: 230, in: 100...480))
            charger.voltageTolerance = try table.double("voltage_tolerance", default: 0.10, in: 0.01...0.3)
            charger.voltageFaultTime = seconds(try table.double("voltage_fault_s", default: 2, in: 0.1...60))
            charger.voltageRecoveryTime = seconds(try table.double("voltage_recovery_s", default: 10, in: 0...600))
            charger.overcurrentRatio = try table.double("overcurrent_ratio", default: 0.10, in: 0...0.5)
            charger.overcurrentMargin = Amperes(try table.double("overcurrent_margin_a", default: 0.5, in: 0...10))
            charger.overcurrentTime = seconds(try table.double("overcurrent_s", default: 7, in: 0.1...60))
            charger.contactorSettleTime = .milliseconds(try table.integer("contactor_settle_ms", default: 200, in: 10...2000))
            charger.residualCurrentSelfTestTimeout = .milliseconds(try table.integer("rcm_self_test_timeout_ms", default: 300, in: 10...5000))
            charger.stateFHoldTime = .milliseconds(try table.integer("state_f_hold_ms", default: 300, in: 100...5000))
            charger.vehicleStopTimeout = seconds(try table.double("vehicle_stop_timeout_s", default: 6, in: 0.1...6))
            try table.rejectUnknownKeys()
        }
        }
        attempt { () throws(ConfigError) in
        if let table = try document.table("recovery") {
            charger.residualCurrentRetryInterval = seconds(try table.double("rcm_retry_s", default: 300, in: 1...86_400))
            charger.residualCurrentMaxRetries = try table.integer("rcm_max_retries", default: 6, in: 0...100)
            charger.residualCurrentSelfTestMaxFailures = try table.integer("rcm_self_test_max_failures", default: 3, in: 1...100)
            charger.contactorRetryInterval = seconds(try table.double("contactor_retry_s", default: 30, in: 1...86_400))
            charger.contactorMaxRetries = try table.integer("contactor_max_retries", default: 3, in: 0...100)
            charger.overcurrentRetryInterval = seconds(try table.double("overcurrent_retry_s", default: 60, in: 1...86_400))
            charger.overcurrentMaxRetries = try table.integer("overcurrent_max_retries", default: 3, in: 0...100)
            try table.rejectUnknownKeys()
        }
        }
        var simulation: ConfigTable?
        attempt { () throws(ConfigError) in
            simulation = try document.table("simulation")
            if kind == .simulated && simulation == nil {
                throw (try document.table("board") ?? document).error("kind", "a simulated board needs a [simulation] table")
            }
            if kind == .linux && simulation != nil {
                throw document.error("simulation", "a linux board has real devices: remove the [simulation] table")
            }
        }
        var console: ConfigTable?
        attempt { () throws(ConfigError) in console = try document.table("console") }
        var ocpp: ConfigTable?
        attempt { () throws(ConfigError) in ocpp = try document.table("ocpp") }
        var cards: ConfigTable?
        attempt { () throws(ConfigError) in cards = try document.table("cards") }
        var page: ConfigTable?
        attempt { () throws(ConfigError) in page = try document.table("page") }
        attempt { () throws(ConfigError) in try document.rejectUnknownKeys() }
        guard problems.isEmpty else { return nil }

        return BoardDescription(
            path: document.file, name: name, kind: kind, charger: charger, controlPeriod: period, cpuWakeLatencyMicroseconds: wakeLatency,
            meterPollInterval: meterPoll, temperaturePollInterval: temperaturePoll, simulation: simulation, console: console, ocpp: ocpp,
            cards: cards, page: page, linux: linux)
    }

    private static func seconds(_ value: Double) -> Duration { .nanoseconds(Int64((value * 1e9).rounded())) }
}
