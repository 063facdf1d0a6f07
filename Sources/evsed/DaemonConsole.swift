import Alerts
import Billing
import ChargerService
import ConfigFile
import Hardware
import Console
import EVSECore
import Ledger
import Runtime
import Sessions
import Simulation

/// What the console shows that only the event-draining thread knows: the latest reading and
/// temperature, the open session's books, and the recent log lines. Updated by that thread,
/// read by the console's.
final class ConsoleView: Sendable {
    struct Snapshot: Sendable {
        var reading: MeterReading?
        var temperature: Celsius?
        var sessionEnergyWh: Int64?
        var sessionCost: Money?
        var recent: [String] = []
        /// The technician tests' results, numbered so a console can wait for the next one.
        var testResults: (count: Int, text: String) = (0, "")
        /// The last card at the reader and what became of it (refused, accepted, learned), with the time.
        var card: String?
    }

    private let state = Lock(Snapshot())
    static let recentLimit = 200
    /// What the consoles changed, with the console's name, for the log (the journal under systemd).
    let audit = BoundedQueue<String>(capacity: 64)

    func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
    var snapshot: Snapshot { state.withLock { $0 } }

    func remember(_ lines: [String]) {
        state.withLock { snapshot in
            snapshot.recent += lines
            if snapshot.recent.count > Self.recentLimit { snapshot.recent.removeFirst(snapshot.recent.count - Self.recentLimit) }
        }
    }
}

/// The console's view follows the pipeline: the latest reading and temperature, the technician
/// tests' results, the open session's energy and cost (worked out only when a reading or a session
/// action changed them), and every line but readings and temperatures.
extension ConsoleView: ServiceSubscriber {
    /// A card line about a card at the reader (not about the reader itself).
    private static func isCardAtTheReader(_ entry: EventEntry) -> Bool {
        entry.event == "card" && !entry.fields.members.contains { member in member.key == "outcome" && member.plain == "reader" }
    }

    func serviceProcessed(_ update: ServiceUpdate) {
        let sessionChanged: Bool
        switch update.event?.event {
        case .meterReading, .action(.sessionStarted), .action(.sessionEnded), .action(.sessionResumed): sessionChanged = true
        // No event: a recovery or a stop that settled sessions, or entries from elsewhere that did not.
        case nil: sessionChanged = !update.changes.isEmpty
        default: sessionChanged = false
        }
        let open = sessionChanged ? update.openSession : nil
        self.update { snapshot in
            switch update.event?.event {
            case .meterReading(let reading): snapshot.reading = reading
            case .temperature(let celsius): snapshot.temperature = celsius
            case .action(.contactorTestResult(let closed, let opened, let passed)):
                snapshot.testResults = (snapshot.testResults.count + 1, EventLog.contactorTestText(closedAfter: closed, openedAfter: opened, passed: passed))
            case .action(.residualCurrentTestResult(let passed)):
                snapshot.testResults = (snapshot.testResults.count + 1, EventLog.residualCurrentTestText(passed: passed))
            default: break
            }
            if let card = update.entries.last(where: Self.isCardAtTheReader) {
                snapshot.card = card.text + " (" + Timestamp.now().local.isoTime + ")"
            }
            if sessionChanged {
                snapshot.sessionEnergyWh = open?.figures.energyWh
                snapshot.sessionCost = open?.figures.bill?.totalIncludingVAT
            }
        }
        remember(update.entries.filter { $0.event != "reading" && $0.event != "temperature" }.map { $0.rendered(.text) })
    }
}

/// Owners named at a console for the next session, for the thread that runs the alert rules.
final class OwnerRequests: Sendable {
    private let names = Lock<[String]>([])
    func post(_ name: String) { names.withLock { $0.append(name) } }
    func take() -> [String] { names.withLock { names in defer { names = [] }; return names } }
}

/// The daemon's answers to the console: status from the control loop, commands into its queue,
/// sessions and faults from the ledger (read on the console's own connection).
final class DaemonConsole: ConsoleBackend, @unchecked Sendable {
    private let daemon: Daemon
    /// What the charge point of a central system shows (`ocpp`), refreshed by the pipeline's thread.
    private let ocppStatus: Lock<[String]?>
    private let view: ConsoleView
    private let ledgerPath: String
    private let boardPath: String
    private var ledger: Ledger?
    private let catalogue: FaultCatalogue
    private let owners: [String]
    private let ownerRequests: OwnerRequests
    private let settings: SiteSettingsStore
    /// Makes a change of cards on the pipeline's thread; nil when it did not answer in time.
    private let cards: (CardsCommand, String) -> [String]?
    /// Whether a technician's test waits for its result. Not in `evsed run`'s own terminal: the
    /// thread that waits there is the one that would show the result, which follows as a log line.
    private let waitsForTestResults: Bool

    init(daemon: Daemon, view: ConsoleView, ledgerPath: String, boardPath: String, owners: [String], ownerRequests: OwnerRequests,
         settings: SiteSettingsStore, ocppStatus: Lock<[String]?>, cards: @escaping (CardsCommand, String) -> [String]?,
         waitsForTestResults: Bool = true) {
        self.daemon = daemon
        self.cards = cards
        self.ocppStatus = ocppStatus
        self.waitsForTestResults = waitsForTestResults
        self.settings = settings
        self.owners = owners
        self.ownerRequests = ownerRequests
        self.view = view
        self.ledgerPath = ledgerPath
        self.boardPath = boardPath
        catalogue = FaultCatalogue(configuration: daemon.board.charger)
    }

    func execute(_ parsed: ParsedCommand, console: String) -> [String] {
        let json = parsed.json
        switch parsed.command {
        case .status: return status(json: json)
        case .meter: return meter(json: json)
        case .sessions(let count): return sessions(count, json: json)
        case .session(let id): return session(id, json: json)
        case .faults(let all): return faults(all: all, json: json)
        case .log(let count): return Array(view.snapshot.recent.suffix(count))
        case .version: return [BuildInfo.versionText]
        case .limit(let amps): return send(.setCurrentLimit(Amperes(amps)), "limit \(amps) A", console: console)
        case .start(let owner?):
            guard owners.contains(owner) else {
                return [owners.isEmpty ? "start --owner: no owners are configured (the alerts file's [[owner]] tables)"
                                       : "start --owner: no owner '\(owner)'\(closestMatch(to: owner, among: owners).map { " (did you mean '\($0)'?)" } ?? ""); owners: \(owners.joined(separator: ", "))"]
            }
            // Posted before the command: the session it starts is seen after the name.
            ownerRequests.post(owner)
            return send(.startSession, "start --owner \(owner)", console: console).map {
                $0.contains("refused") ? $0 + "; the next session will belong to \(owner)" : $0
            }
        case .start(nil): return send(.startSession, "start", console: console)
        case .stop: return send(.stopSession, "stop", console: console)
        case .pause: return send(.pause, "pause", console: console)
        case .resume: return send(.resume, "resume", console: console)
        case .enable: return send(.enable, "enable", console: console)
        case .disable: return send(.disable, "disable", console: console)
        case .clear(let code): return send(.clearFault(code), "clear \(code)", console: console)
        case .watch:
            return status(json: json)
        case .configShow:
            return configuration()
        case .testResidualCurrentMonitor:
            return test(.testResidualCurrentMonitor, "test rcm", within: daemon.board.charger.residualCurrentSelfTestTimeout, console: console)
        case .ocpp:
            return ocppStatus.withLock { $0 } ?? ["no central system: the board file has no [ocpp] table"]
        case .cards(let command) where command == .list || command == .history:
            guard let ledger = openLedger() else { return ["the ledger cannot be read: \(ledgerPath)"] }
            return CardChange.listing(command, ledger: ledger, json: json)
        case .cards(let command):
            return cards(command, console) ?? ["cards: the charger has not answered within 2 s; the log shows what became of it"]
        case .alerts(let pendingOnly):
            guard let ledger = openLedger() else { return ["the ledger cannot be read: \(ledgerPath)"] }
            do throws(LedgerError) {
                return OutboxListing.lines(try ledger.outbox(pendingOnly: pendingOnly, limit: 30), json: json)
            } catch {
                return ["ledger: \(error)"]
            }
        case .testContactor:
            return test(.testContactor, "test contactor", within: daemon.board.charger.contactorSettleTime * 2, console: console)
        case .configSet(let key, let value):
            return configSet(key, value, console: console)
        case .help, .login, .logout:
            return []
        }
    }

    /// A technician's test: the command, then its result from the control loop (it comes within
    /// `within`), so the technician reads it at once.
    private func test(_ command: ChargerCommand, _ text: String, within: Duration, console: String) -> [String] {
        let before = view.snapshot.testResults.count
        let answer = send(command, text, console: console)
        guard answer.first?.hasSuffix(": done") == true else { return answer }
        guard waitsForTestResults else { return ["\(text): started; the result follows"] }
        let deadline = MonotonicClock.now() + within + .seconds(1)
        while MonotonicClock.now() < deadline {
            let results = view.snapshot.testResults
            if results.count > before { return [results.text] }
            MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(10))
        }
        return ["\(text): started; its result will be in the log"]
    }

    /// Checks and saves a site setting; the current limit goes to the control loop first and is
    /// saved only if the loop took it.
    private func configSet(_ key: String, _ value: String, console: String) -> [String] {
        let changed: SiteSettings
        do throws(SettingError) { changed = try settings.checked(key, value) } catch { return ["config set: \(error)"] }
        var applied = "applies at the next start"
        if key == "current_limit_a", let amps = changed.currentLimit {
            let answer = send(.setCurrentLimit(Amperes(amps)), "limit \(fixed(amps, 1)) A", console: console)
            guard answer.first?.hasSuffix(": done") == true else { return ["config set \(key): not saved: " + (answer.first ?? "")] }
            applied = "applied now"
        } else if key == "start_enabled" {
            applied = "applies at the next start; enable and disable act now"
        }
        do throws(SettingError) { try settings.save(changed) } catch { return ["config set: \(error)"] }
        view.audit.push("\(console): config set \(key) \(value)")
        return ["\(key) = \(value) (saved in \(settings.path); \(applied))"]
    }

    /// The board file in use, as read at start (changes to the file apply at the next start), and
    /// where the ledger is.
    private func configuration() -> [String] {
        let site = settings.settings
        var lines = ["board file: \(boardPath) (\(daemon.board.name)); read at start", "ledger: \(ledgerPath)",
                     "settings (config set KEY VALUE, saved in \(settings.path)):"]
        for key in SiteSettings.keys {
            lines.append("  \(key.name) = \(site.value(of: key.name) ?? "(not set)")  — \(key.summary)")
        }
        lines.append("")
        do throws(ConfigError) {
            lines += try ConfigDocument.text(at: boardPath).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        } catch {
            lines.append("the board file cannot be read now: \(error)")
        }
        return lines
    }

    /// A command for the control loop. The answer waits (at most 300 ms; the loop takes commands
    /// every tick) for the loop's outcome, so the technician reads a refusal here, not in the log.
    private func send(_ command: ChargerCommand, _ text: String, console: String) -> [String] {
        let outcomes = daemon.controller.commandOutcomes
        let before = outcomes.latest()?.sequence ?? 0
        guard daemon.controller.commands.push(command) else { return ["the control loop's command queue is full; try again"] }
        view.audit.push("\(console): \(text)")
        let deadline = MonotonicClock.now() + .milliseconds(300)
        while MonotonicClock.now() < deadline {
            if let letter = outcomes.latest(), letter.sequence > before, letter.value.command == command {
                return [letter.value.refusal.map { "\(text): refused: \($0)" } ?? "\(text): done"]
            }
            MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(5))
        }
        return ["\(text): queued; the control loop has not answered within 300 ms (log shows the outcome)"]
    }

    private func status(json: Bool) -> [String] {
        guard let status = daemon.controller.status.latest()?.value else { return ["the control loop has not reported yet"] }
        let snapshot = view.snapshot
        var fields = JSONLine()
        fields.add("state", status.pilotLevel.rawValue)
        fields.add("pilot", "\(status.pilotOutput)")
        fields.add("offered_a", status.offeredCurrent.value, decimals: 1)
        fields.add("limit_a", status.currentLimit.value, decimals: 1)
        fields.add("contactor_closed", status.contactorClosed)
        if let feedback = status.contactorFeedback { fields.add("contactor_feedback", feedback) }
        fields.add("enabled", status.enabled)
        if let celsius = snapshot.temperature { fields.add("temperature_c", celsius.value, decimals: 1) }
        if let reading = snapshot.reading {
            fields.add("power_w", reading.power.value, decimals: 0)
            fields.add("register_wh", reading.importEnergy.value, decimals: 0)
        }
        if let session = status.session { fields.add("session", "\(session)") }
        if let energy = snapshot.sessionEnergyWh { fields.add("session_energy_wh", energy) }
        if let cost = snapshot.sessionCost { fields.add("session_cost", cost.description) }
        if let card = snapshot.card { fields.add("card", card) }
        fields.add("faults", "\(status.activeFaults)")
        if json { return [fields.description] }
        return fields.members.map { member in
            member.key.replacing("_", with: " ") + String(repeating: " ", count: max(1, 20 - member.key.count)) + member.plain
        }
    }

    private func meter(json: Bool) -> [String] {
        guard let reading = view.snapshot.reading else { return ["no meter reading yet"] }
        var fields = JSONLine()
        for (phase, volts) in reading.voltage.present.enumerated() { fields.add("voltage_l\(phase + 1)_v", volts.value, decimals: 1) }
        for (phase, amps) in reading.current.present.enumerated() { fields.add("current_l\(phase + 1)_a", amps.value, decimals: 2) }
        fields.add("power_w", reading.power.value, decimals: 1)
        fields.add("import_register_kwh", reading.importEnergy.kilowattHours, decimals: 3)
        return json ? [fields.description] : fields.members.map { "\($0.key)" + String(repeating: " ", count: max(1, 22 - $0.key.count)) + $0.plain }
    }

    private func openLedger() -> Ledger? {
        if ledger == nil { ledger = try? Ledger(path: ledgerPath, writable: false) }
        return ledger
    }

    private func sessions(_ count: Int, json: Bool) -> [String] {
        guard let ledger = openLedger() else { return ["the ledger cannot be read: \(ledgerPath)"] }
        do throws(LedgerError) {
            let sessions = try ledger.sessions(limit: count, details: json)
            if json { return sessions.map(\.json.description) }
            if sessions.isEmpty { return ["no sessions yet"] }
            // The open session's figures are the live ones: its last readings may still wait for their batch.
            let live = view.snapshot
            let openID = daemon.controller.status.latest()?.value.session
            return sessions.map { session in
                let isLive = !session.closed && openID.map { Int64($0.rawValue) == session.id } == true
                let energy = isLive ? live.sessionEnergyWh ?? session.energyWh : session.energyWh
                let cost = isLive ? live.sessionCost?.description : session.costIncludingVAT.map { "\($0) \(session.currency ?? "")" }
                return "\(session.id)  \(session.startedAt.local)  \(fixed(Double(energy) / 1000, 3)) kWh  "
                    + (cost.map { "\($0)  " } ?? "") + (session.endReason ?? session.status)
            }
        } catch {
            return ["ledger: \(error)"]
        }
    }

    private func session(_ id: Int64, json: Bool) -> [String] {
        guard let ledger = openLedger() else { return ["the ledger cannot be read: \(ledgerPath)"] }
        do throws(LedgerError) {
            guard let session = try ledger.session(id) else { return ["no session \(id) (sessions lists them)"] }
            return json ? [session.json.description] : bill(session, charger: ledger.chargerID)
        } catch {
            return ["ledger: \(error)"]
        }
    }

    private func faults(all: Bool, json: Bool) -> [String] {
        if all {
            guard let ledger = openLedger() else { return ["the ledger cannot be read: \(ledgerPath)"] }
            do throws(LedgerError) {
                let faults = try ledger.faults().suffix(50)
                if faults.isEmpty { return ["no faults recorded"] }
                return faults.map { fault in
                    "\(fault.raisedAt.local)  \(fault.code)  " + (fault.clearedAt.map { "cleared \($0.local.isoTime)" } ?? "active") + "  \(fault.context)"
                }
            } catch {
                return ["ledger: \(error)"]
            }
        }
        guard let status = daemon.controller.status.latest()?.value else { return ["the control loop has not reported yet"] }
        if status.activeFaults.isEmpty { return ["no active faults"] }
        var lines: [String] = []
        for code in status.activeFaults {
            let entry = catalogue[code]
            let latched = status.latchedFaults.contains(code) ? " (latched: clear \(code.rawValue) after the repair)" : ""
            lines.append("\(code.displayCode) \(code.rawValue): \(entry.title)\(latched)")
            lines.append("    \(entry.technicianHint)")
        }
        return lines
    }
}
