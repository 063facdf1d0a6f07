#if canImport(Glibc)
import Glibc
#endif
import Alerts
import ArgumentParser
import Billing
import Cards
import ChargerService
import ConfigFile
import EVSECore
import Hardware
import Ledger
import Sessions
import Simulation

/// `evsed simulate`: runs a scenario on the simulated board in virtual time.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a scenario on the simulated board in virtual time and print the event log.",
        discussion: "Scenarios are TOML files (see boards/scenarios/). An hour of charging takes a few seconds."
    )

    @Option(name: .long, help: "The scenario file.")
    var scenario: String

    @Option(name: .long, help: "The board file (a simulated board).")
    var board = "boards/sim.toml"

    @Option(name: .long, help: "The tariff that prices the sessions (default: boards/tariff.toml when it exists).")
    var tariff: String?

    @Option(name: .long, help: "The owners and channels of alerts (alerts.toml); alerts are shown (and stored with --ledger), not sent.")
    var alerts: String?

    @Flag(name: .long, help: "One JSON object per line instead of text.")
    var json = false

    @Flag(name: .long, help: "Also show the state machine's timers.")
    var timers = false

    @Option(name: .long, help: "Seconds between meter-reading lines (0: none).")
    var readings: Double = 60

    @Flag(name: .long, help: "Check the scenario's [expect] table and the 100 ms fault reaction; exit 1 when one fails.")
    var check = false

    @Option(name: .long, help: "Keep the sessions in this ledger (created when missing); a session it still has open is recovered first.")
    var ledger: String?

    @Option(name: .long, help: "A file that keeps the simulated meter's register between runs, as a real meter does.")
    var meterState: String?

    func run() throws {
        var (board, settings, scenario) = try loadOrExit()
        let (mode, cards) = try cardsOrExit(board: board, scenario: scenario)
        if mode.needsCard { board.charger.startSessionOnPlugIn = false }
        let prices = try loadTariff(tariff)
        let alertSettings = try loadAlerts(alerts).configuration
        var runner = ScenarioRunner(board: board, settings: settings, scenario: scenario)
        var clock = WallClock(originInstant: .zero, originTimestamp: Timestamp(local: scenario.start))
        let register = meterState.map { MeterStateFile(path: $0) }
        if let register, let stored = register.read() { runner.settings.initialRegister = stored }
        if let register { runner.meterRead = { @Sendable reading in register.write(reading.importEnergy) } }
        var recorder: LedgerRecorder?
        var recovery: LedgerRecorder.Recovery?
        if let ledger {
            let opened = try openLedgerOrExit(ledger, create: true, writable: true, chargerID: board.name)
            try lockLedgerOrExit(ledger)
            // The virtual clock starts after anything the ledger holds: time never runs backwards in the books.
            if let last = try ledgerOrExit({ () throws(LedgerError) in try opened.lastRecordedTime() }), last >= clock.originTimestamp {
                clock.originTimestamp = Timestamp(milliseconds: last.milliseconds + 1000)
            }
            let books = LedgerRecorder(ledger: opened, clock: clock, tariff: prices, meter: "simulated")
            let recovered = try ledgerOrExit { () throws(LedgerError) in try books.recover(at: .zero) }
            runner.firstSessionNumber = recovered.nextSessionNumber
            runner.carriedOver = recovered.carriedOverSession
            runner.latchedFaults = recovered.latchedFaults
            recorder = books
            recovery = recovered
        }
        var service = ChargerService(style: json ? .json : .text, charger: board.charger, chargerName: board.name, clock: clock,
                                     tariff: prices, recorder: recorder, recovery: recovery, alerts: alertSettings)
        let desk = CardDesk(mode: mode, centralSystem: false)
        service.subscribe(desk)
        // What the desk asks of the control loop, handed over with the pipeline's commands.
        var deskCommands: [ChargerCommand] = []
        func apply(_ actions: [CardDesk.Action], at t: Instant) -> [EventEntry] {
            var entries: [EventEntry] = []
            for action in actions {
                switch action {
                case .nameNextSession(let owner, let card): service.nameNextOwner(owner, card: card)
                case .forgetNextSession(let card): service.forgetNextSession(card: card)
                case .command(let command): deskCommands.append(command)
                case .stopSession(let id):
                    service.stopping(id, because: "card")
                    deskCommands.append(.stopSession)
                case .refused(let card, let reason): entries += service.cardRefused(card, reason: reason, at: t)
                case .log(let text): entries.append(service.log.entry(card: nil, outcome: "info", text: text, at: t))
                case .learn, .authorizeWithCentralSystem: break
                }
            }
            return entries
        }
        service.log.showTimers = timers
        service.log.readingInterval = readings > 0 ? .nanoseconds(Int64(readings * 1e9)) : nil
        let style = service.log.style
        let output = LineWriter.standardOutput
        if !json {
            output.write("scenario \(scenario.name) on \(board.name) (\(scenario.path)), \(scenario.duration.seconds) s of virtual time")
        }
        if let recovery {
            for entry in service.recovered(recovery, at: .zero) { output.write(entry.rendered(style)) }
        }
        let result = runner.run(observe: { record in
            switch record {
            case .step(let step):
                output.write(service.log.entry(scenarioStep: step.action.summary, line: step.line, at: step.at).rendered(style))
                if case .tap(let card) = step.action {
                    let known = CardID.normalized(card).flatMap { cards[$0] }
                    for entry in apply(desk.present(card, known: known, at: step.at, wallTime: service.books.clock.timestamp(step.at)), at: step.at) {
                        output.write(entry.rendered(style))
                    }
                }
                if case .stepClock(let by) = step.action {
                    let now = service.books.clock.timestamp(step.at)
                    for entry in service.clockStepped(at: step.at, to: Timestamp(milliseconds: now.milliseconds + by.nanoseconds / 1_000_000)) {
                        output.write(entry.rendered(style))
                    }
                }
            case .event(let event):
                for entry in service.process(event) { output.write(entry.rendered(style)) }
                for entry in apply(desk.poll(at: event.at), at: event.at) { output.write(entry.rendered(style)) }
            }
        }, commands: {
            defer { deskCommands = [] }
            return service.takeCommands().map(\.command) + deskCommands
        })
        for entry in service.finish(at: .zero + scenario.duration) { output.write(entry.rendered(style)) }
        output.flush()
        guard check else { return }
        var failures = scenario.expectation.failures(in: result)
        for reaction in result.faultReactionTimes where reaction.delay > .milliseconds(100) {
            failures.append("\(reaction.code): the contactor opened \(reaction.delay.seconds * 1000) ms after the fault")
        }
        if failures.isEmpty {
            LineWriter.standardError.write("check passed: \(scenario.name)")
        } else {
            for failure in failures { LineWriter.standardError.write("check failed: \(scenario.path): \(failure)") }
            throw ExitCode(1)
        }
    }

    /// The card mode (the scenario's, else the board's) and the scenario's cards by identifier.
    private func cardsOrExit(board: BoardDescription, scenario: Scenario) throws -> (CardMode, [String: Card]) {
        try configurationOrExit { () throws(ConfigError) in
            let settings = try CardSettings.read(board.cards)
            var cards: [String: Card] = [:]
            for card in scenario.cards {
                guard let uid = CardID.normalized(card.card) else {
                    throw ConfigError(file: scenario.path, line: card.line, key: "card.card", problem: "'\(card.card)': \(CardID.rule)")
                }
                cards[uid] = Card(uid: uid, owner: card.owner, blocked: card.blocked, changedAt: Timestamp(milliseconds: 0), changedBy: "scenario")
            }
            return (scenario.cardMode ?? settings.mode, cards)
        }
    }

    private func loadOrExit() throws -> (BoardDescription, SimulationSettings, Scenario) {
        try configurationOrExit { () throws(ConfigError) in
            let board = try BoardDescription.load(self.board)
            guard board.kind == .simulated, let table = board.simulation else {
                throw ConfigError(file: self.board, line: nil, key: "board.kind", problem: "simulate needs a simulated board")
            }
            let settings = try SimulationSettings.read(table)
            return (board, settings, try Scenario.load(self.scenario, defaults: settings))
        }
    }
}
