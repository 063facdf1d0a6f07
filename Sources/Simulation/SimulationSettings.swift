import ConfigFile
import EVSECore

/// The `[simulation]` table of a simulated board, and the `[ev]` table of a scenario.
public struct SimulationSettings: Sendable {
    public var ev = EVModel.Parameters()
    /// When the simulated car plugs in after `evsed run` starts; nil: only on the `plug` command.
    public var plugInAfter: Duration? = .seconds(2)
    /// The meter's import register at the start.
    public var initialRegister = WattHours(kilowattHours: 1234.5)
    /// Whether a car that was connected when evsed went down is still there when it starts again
    /// (`false`: it left during the outage, and the session it had ends as a power loss).
    public var carStaysAfterRestart = true

    public init() {}

    /// Reads a board's `[simulation]` table.
    public static func read(_ table: ConfigTable) throws(ConfigError) -> SimulationSettings {
        var settings = SimulationSettings()
        if let after = try table.seconds("plug_in_after_s", in: 0...86_400) { settings.plugInAfter = after }
        if try table.bool("plug_in", default: true) == false { settings.plugInAfter = nil }
        settings.initialRegister = WattHours(kilowattHours: try table.double("initial_register_kwh", default: 1234.5, in: 0...1e9))
        settings.carStaysAfterRestart = try table.bool("car_stays_after_restart", default: true)
        if let ev = try table.table("ev") { settings.ev = try readEV(ev, over: settings.ev) }
        try table.rejectUnknownKeys()
        return settings
    }

    /// Reads an `[ev]` table over `base`.
    public static func readEV(_ table: ConfigTable, over base: EVModel.Parameters) throws(ConfigError) -> EVModel.Parameters {
        var ev = base
        ev.batteryCapacity = WattHours(kilowattHours: try table.double("battery_kwh", default: base.batteryCapacity.kilowattHours, in: 1...500))
        ev.initialStateOfCharge = try table.double("soc", default: base.initialStateOfCharge, in: 0...1)
        ev.maximumCurrent = Amperes(try table.double("max_current_a", default: base.maximumCurrent.value, in: 6...80))
        ev.phases = try table.integer("phases", default: base.phases, in: 1...3)
        if ev.phases == 2 { throw table.error("phases", "must be 1 or 3") }
        ev.taperFrom = try table.double("taper_from_soc", default: base.taperFrom, in: 0.1...1)
        ev.responseDelay = .milliseconds(try table.integer("response_delay_ms", default: Int(base.responseDelay.seconds * 1000), in: 0...5000))
        ev.stopDelay = .milliseconds(try table.integer("stop_delay_ms", default: Int(base.stopDelay.seconds * 1000), in: 0...5500))
        ev.readyDelay = .milliseconds(try table.integer("ready_delay_ms", default: Int(base.readyDelay.seconds * 1000), in: 0...2500))
        ev.requestsVentilation = try table.bool("requests_ventilation", default: base.requestsVentilation)
        try table.rejectUnknownKeys()
        return ev
    }
}
