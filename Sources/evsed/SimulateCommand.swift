#if canImport(Glibc)
import Glibc
#endif
import Alerts
import ArgumentParser
import Billing
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
        let (board, settings, scenario) = try loadOrExit()
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
                if case .stepClock(let by) = step.action {
                    let now = service.books.clock.timestamp(step.at)
                    for entry in service.clockStepped(at: step.at, to: Timestamp(milliseconds: now.milliseconds + by.nanoseconds / 1_000_000)) {
                        output.write(entry.rendered(style))
                    }
                }
            case .event(let event): for entry in service.process(event) { output.write(entry.rendered(style)) }
            }
        }, commands: {
            service.takeCommands().map(\.command)
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
