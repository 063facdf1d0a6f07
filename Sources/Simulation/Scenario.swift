import Billing
import ConfigFile
import EVSECore

/// Something a scenario does to the simulated world at a given time.
public enum ScenarioAction: Hashable, Sendable {
    case plug
    case unplug
    /// The vehicle wants energy (true) or not (false).
    case ready(Bool)
    /// A leakage current for `duration` (nil: until `clear_leakage`).
    case leakage(Duration?)
    case clearLeakage
    case weldContactor
    case contactorStuckOpen(Bool)
    case breakResidualCurrentSelfTest(Bool)
    case diodeMissing(Bool)
    case shortPilot(Bool)
    /// Forces the pilot to a voltage (between bands, say) for a while.
    case pilotVoltage(Volts, Duration)
    /// The vehicle draws this factor times what is offered.
    case overdraw(Double)
    case ignoreStop(Bool)
    case requestVentilation(Bool)
    case gridVoltage(Volts)
    case temperature(Celsius)
    case silenceMeter(Duration)
    case stallLoop(Duration)
    /// The books stop taking the loop's events (a stalled disk) for a while.
    case stallBooks(Duration)
    /// A write to the ledger fails (a full card, say), reported to the loop as the pipeline does.
    case failLedger
    case failPilotSensor(Duration)
    case jamLock(Bool)
    /// The system clock is set this far (NTP's first synchronisation after boot, say); negative: back.
    case stepClock(Duration)
    case command(ChargerCommand)
    /// A card at the simulated reader (its UID or idTag, as typed).
    case tap(String)

    /// The names a scenario file uses.
    public static let names = [
        "plug", "unplug", "ready", "not_ready", "leakage", "clear_leakage", "weld_contactor",
        "contactor_stuck_open", "break_rcm_self_test", "remove_diode", "restore_diode", "short_pilot",
        "unshort_pilot", "pilot_voltage", "overdraw", "ignore_stop", "request_ventilation", "grid_voltage",
        "temperature", "silence_meter", "stall_loop", "stall_books", "fail_ledger", "fail_pilot_sensor", "jam_lock", "step_clock",
        "command", "tap",
    ]

    /// How the action reads in a log.
    public var summary: String {
        switch self {
        case .plug: return "plug"
        case .unplug: return "unplug"
        case .ready(let ready): return ready ? "ready" : "not_ready"
        case .leakage(let duration): return "leakage" + (duration.map { " for \($0.seconds) s" } ?? "")
        case .clearLeakage: return "clear_leakage"
        case .weldContactor: return "weld_contactor"
        case .contactorStuckOpen(let stuck): return "contactor_stuck_open \(stuck)"
        case .breakResidualCurrentSelfTest(let broken): return "break_rcm_self_test \(broken)"
        case .diodeMissing(let missing): return missing ? "remove_diode" : "restore_diode"
        case .shortPilot(let shorted): return shorted ? "short_pilot" : "unshort_pilot"
        case .pilotVoltage(let volts, let duration): return "pilot_voltage \(volts.value) V for \(duration.seconds) s"
        case .overdraw(let factor): return "overdraw ×\(factor)"
        case .ignoreStop(let ignores): return "ignore_stop \(ignores)"
        case .requestVentilation(let requests): return "request_ventilation \(requests)"
        case .gridVoltage(let volts): return "grid_voltage \(volts.value) V"
        case .temperature(let celsius): return "temperature \(celsius.value) °C"
        case .silenceMeter(let duration): return "silence_meter for \(duration.seconds) s"
        case .stallLoop(let duration): return "stall_loop for \(duration.seconds) s"
        case .stallBooks(let duration): return "stall_books for \(duration.seconds) s"
        case .failLedger: return "fail_ledger"
        case .failPilotSensor(let duration): return "fail_pilot_sensor for \(duration.seconds) s"
        case .jamLock(let jammed): return "jam_lock \(jammed)"
        case .stepClock(let step): return "step_clock by \(step.seconds) s"
        case .command(let command): return "command \(command)"
        case .tap(let card): return "tap \(card)"
        }
    }

    /// The command words a `command` step accepts.
    public static let commandNames = ["enable", "disable", "limit", "start", "stop", "pause", "resume", "clear"]
}

/// One timed step of a scenario.
public struct ScenarioStep: Hashable, Sendable {
    public var at: Instant
    public var action: ScenarioAction
    /// Where the step is in its file, for messages.
    public var line: Int
}

/// A scripted timeline of vehicle actions and injected faults, run on the simulated board in
/// virtual time, with the outcome it expects.
public struct Scenario: Sendable {
    public var path: String
    public var name: String
    public var summary: String
    public var duration: Duration
    public var ev: EVModel.Parameters
    public var steps: [ScenarioStep]
    public var expectation: ScenarioExpectation
    /// Whether the scenario's socket has a connector lock (the simulated board's has none).
    public var connectorLock: Bool

    /// A card of the scenario, as written (checked by `evsed simulate`), and its table's line.
    public struct Card: Sendable, Hashable {
        public var card: String
        public var owner: String
        public var blocked: Bool
        public var line: Int
    }
    /// The local date and time at the scenario's start, for tariffs (default: a Wednesday, 08:00).
    public var start: CivilTime
    /// Whether a card is needed (`card_mode`); nil: as the board says.
    public var cardMode: CardMode?
    /// The cards the charger knows during the scenario (`[[card]]`: card, owner, blocked).
    public var cards: [Card] = []

    /// Reads the scenario at `path`; the board's simulation settings give the vehicle's defaults.
    public static func load(_ path: String, defaults: SimulationSettings = SimulationSettings()) throws(ConfigError) -> Scenario {
        try read(ConfigDocument.load(path), defaults: defaults)
    }

    public static func read(_ document: ConfigTable, defaults: SimulationSettings = SimulationSettings()) throws(ConfigError) -> Scenario {
        let name = try document.required("name", document.string)
        let summary = try document.string("description") ?? ""
        let durationSeconds = try document.required("duration_s", document.double)
        guard durationSeconds > 0 && durationSeconds <= 7 * 86_400 else {
            throw document.error("duration_s", "must be between 0 and one week")
        }
        var ev = defaults.ev
        if let table = try document.table("ev") { ev = try SimulationSettings.readEV(table, over: ev) }

        var steps: [ScenarioStep] = []
        for table in try document.tables("step") {
            let at = try table.required("at_s", table.double)
            guard at >= 0 && at <= durationSeconds else {
                throw table.error("at_s", "\(at) is outside the scenario's 0 … \(durationSeconds) s")
            }
            let action = try readAction(table)
            try table.rejectUnknownKeys()
            steps.append(ScenarioStep(at: .seconds(at), action: action, line: table.line))
        }
        steps.sort { $0.at < $1.at }
        let connectorLock = try document.bool("connector_lock", default: false)
        var start = CivilTime(year: 2026, month: 1, day: 7, hour: 8)
        if let text = try document.string("start") {
            // "YYYY-MM-DD HH:MM"
            let parts = text.split(separator: " ")
            let date = parts.first?.split(separator: "-").compactMap { Int($0) } ?? []
            let time = parts.count > 1 ? parts[1].split(separator: ":").compactMap { Int($0) } : []
            guard parts.count == 2, date.count == 3, time.count == 2, (1970...9999).contains(date[0]), (1...12).contains(date[1]),
                (1...CivilTime.days(in: date[1], of: date[0])).contains(date[2]), (0...23).contains(time[0]), (0...59).contains(time[1])
            else { throw document.error("start", "'\(text.prefix(24))' is not a local date and time (YYYY-MM-DD HH:MM, 1970 … 9999)") }
            start = CivilTime(year: date[0], month: date[1], day: date[2], hour: time[0], minute: time[1])
        }
        var cardMode: CardMode?
        if let text = try document.string("card_mode") {
            guard let mode = CardMode(rawValue: text) else {
                throw document.error("card_mode", "'\(text)' is not a card mode: \(CardMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            cardMode = mode
        }
        var cards: [Card] = []
        for table in try document.tables("card") {
            cards.append(Card(card: try table.required("card", table.string), owner: try table.required("owner", table.string),
                              blocked: try table.bool("blocked", default: false), line: table.line))
            try table.rejectUnknownKeys()
        }
        let expectation = try document.table("expect").map { (table) throws(ConfigError) in try ScenarioExpectation.read(table) }
            ?? ScenarioExpectation()
        try document.rejectUnknownKeys()
        return Scenario(
            path: document.file, name: name, summary: summary, duration: .seconds(durationSeconds), ev: ev,
            steps: steps, expectation: expectation, connectorLock: connectorLock, start: start, cardMode: cardMode, cards: cards)
    }

    private static func readAction(_ table: ConfigTable) throws(ConfigError) -> ScenarioAction {
        let name = try table.choice("action", of: ScenarioAction.names)
        // Up to the longest scenario, a week.
        func duration(_ key: String = "duration_s") throws(ConfigError) -> Duration {
            try table.required(key) { (key) throws(ConfigError) in try table.seconds(key, in: 0.001...7 * 86_400) }
        }
        switch name {
        case "plug": return .plug
        case "unplug": return .unplug
        case "ready": return .ready(true)
        case "not_ready": return .ready(false)
        case "leakage":
            return .leakage(try table.seconds("duration_s", in: 0.001...7 * 86_400))
        case "clear_leakage": return .clearLeakage
        case "weld_contactor": return .weldContactor
        case "contactor_stuck_open": return .contactorStuckOpen(try table.bool("value", default: true))
        case "break_rcm_self_test": return .breakResidualCurrentSelfTest(try table.bool("value", default: true))
        case "remove_diode": return .diodeMissing(true)
        case "restore_diode": return .diodeMissing(false)
        case "short_pilot": return .shortPilot(true)
        case "unshort_pilot": return .shortPilot(false)
        case "pilot_voltage":
            return .pilotVoltage(Volts(try table.double("volts", default: 7.5, in: -15...15)), try duration())
        case "overdraw": return .overdraw(try table.double("factor", default: 1.3, in: 0...3))
        case "ignore_stop": return .ignoreStop(try table.bool("value", default: true))
        case "request_ventilation": return .requestVentilation(try table.bool("value", default: true))
        case "grid_voltage":
            guard let volts = try table.double("volts"), (0...1000).contains(volts) else {
                throw table.error(table.contains("volts") ? "volts" : nil, table.contains("volts") ? "must be 0 … 1000 V" : "missing key 'volts'")
            }
            return .gridVoltage(Volts(volts))
        case "temperature": return .temperature(Celsius(try table.double("celsius", default: 25, in: -50...200)))
        case "silence_meter": return .silenceMeter(try duration())
        case "stall_loop": return .stallLoop(try duration())
        case "stall_books": return .stallBooks(try duration())
        case "fail_ledger": return .failLedger
        case "fail_pilot_sensor": return .failPilotSensor(try duration())
        case "jam_lock": return .jamLock(try table.bool("value", default: true))
        // From 1970 to this century and back a year.
        case "step_clock": return .stepClock(try table.required("seconds") { (key) throws(ConfigError) in
            try table.seconds(key, in: -366 * 86_400...4e9)
        })
        case "command": return .command(try readCommand(table))
        case "tap":
            let card = try table.required("card", table.string)
            guard (1...64).contains(card.utf8.count) else { throw table.error("card", "a card is 1 to 64 characters (its UID, or an idTag)") }
            return .tap(card)
        default: preconditionFailure("choice() returned \(name), which is not in ScenarioAction.names")
        }
    }

    private static func readCommand(_ table: ConfigTable) throws(ConfigError) -> ChargerCommand {
        switch try table.choice("command", of: ScenarioAction.commandNames) {
        case "enable": return .enable
        case "disable": return .disable
        case "limit": return .setCurrentLimit(Amperes(try table.double("amps", default: 16, in: 0...100)))
        case "start": return .startSession
        case "stop": return .stopSession
        case "pause": return .pause
        case "resume": return .resume
        default:
            let code = try table.required("code", table.string)
            guard let fault = FaultCode(rawValue: code) else {
                throw table.error("code", "unknown fault code '\(code)'; codes: \(FaultCode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .clearFault(fault)
        }
    }
}
