import Alerts
import Billing
import ChargerService
import ConfigFile
import EVSECore
import Foundation
import Ledger
import Sessions
import Testing
import TestSupport

/// The month's statement by email: at the start of a month each owner of the alerts file with
/// sessions closed in the month before gets it, once, with the statement `evsed ledger statement`
/// prints and totals that are the sums of the ledger's bills.
@Suite struct MonthlyStatementTests {
    static let tariff = try! TariffSnapshot(text: try! String(contentsOfFile: repositoryRoot + "/boards/tariff.toml", encoding: .utf8), file: "tariff.toml")

    static func alerts(monthly: Bool) throws -> AlertConfiguration {
        var problems: [ConfigError] = []
        let configuration = AlertConfiguration.read(try ConfigDocument.parse("""
            default_owner = "alex"
            [rules]
            monthly_statement = \(monthly)
            [webhook]
            [[owner]]
            name = "alex"
            webhook = "http://127.0.0.1:9/alex"
            [[owner]]
            name = "kim"
            webhook = "http://127.0.0.1:9/kim"
            """, file: "alerts.toml"), problems: &problems)
        #expect(problems.isEmpty, "\(problems)")
        return configuration
    }

    static func reading(_ register: Double, watts: Double = 7200) -> ControllerEvent {
        .meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(watts / 230)),
                                   power: Watts(watts), importEnergy: WattHours(register)))
    }

    /// November's last hour: sessions for alex (with a card), kim and bob (who has no [[owner]]),
    /// then December begins.
    func service(monthly: Bool) throws -> (ChargerService, Ledger, Instant) {
        let directory = try Peer.scratchDirectory("monthly-statement")
        let ledger = try Ledger(path: directory + "/ledger.sqlite", create: true, chargerID: "garage")
        let clock = WallClock(originInstant: .zero, originTimestamp: Timestamp(local: CivilTime(year: 2026, month: 11, day: 30, hour: 23)))
        let recorder = LedgerRecorder(ledger: ledger, clock: clock, tariff: Self.tariff, meter: "simulated")
        let recovery = try recorder.recover(at: .zero)
        var service = ChargerService(style: .text, charger: ChargerConfiguration(), chargerName: "Garage", clock: clock,
                                     tariff: Self.tariff, recorder: recorder, recovery: recovery, alerts: try Self.alerts(monthly: monthly))
        var register = 1000.0
        var t = Instant.zero
        func at(_ seconds: Int64, _ event: ControllerEvent) {
            t = t + .seconds(seconds)
            _ = service.process(TimedEvent(at: t, event: event))
        }
        for (index, owner) in ["alex", "kim", "bob", "kim", "alex"].enumerated() {
            service.nameNextOwner(owner, card: owner == "alex" ? "04A1B2C3" : nil)
            at(1, Self.reading(register, watts: 0))
            let id = SessionID(rawValue: UInt64(index + 1))
            at(1, .action(.sessionStarted(id)))
            at(1, .action(.closeContactor))
            for _ in 0..<10 {
                register += 20
                at(10, Self.reading(register))
            }
            // alex's second session is still charging when December begins.
            if index == 4 { break }
            at(1, .action(.openContactor))
            at(1, .action(.sessionEnded(id, .vehicleUnplugged)))
            at(1, Self.reading(register, watts: 0))
        }
        return (service, ledger, t)
    }

    @Test func eachOwnerGetsTheMonthsStatementOnceWithTheLedgersTotals() throws {
        var (service, ledger, t) = try service(monthly: true)
        // Still November: nothing (October had no sessions).
        #expect(service.sendMonthlyStatements(at: t).isEmpty)
        // December, 01:00: kim's statement goes; alex's waits for the session still open.
        let entries = service.sendMonthlyStatements(at: .seconds(7200))
        #expect(entries.map(\.event) == ["alert"], "\(entries.map(\.text))")
        #expect(try ledger.alerts().filter { $0.kind == "statement" }.compactMap(\.owner) == ["kim"], "bob has no [[owner]] to reach")
        // alex unplugs at 02:00; the next look sends alex's, with both sessions.
        _ = service.process(TimedEvent(at: .seconds(10_800), event: .action(.openContactor)))
        _ = service.process(TimedEvent(at: .seconds(10_801), event: .action(.sessionEnded(SessionID(rawValue: 5), .vehicleUnplugged))))
        _ = service.process(TimedEvent(at: .seconds(10_802), event: Self.reading(3000, watts: 0)))
        #expect(service.sendMonthlyStatements(at: .seconds(10_860)).map(\.event) == ["alert"])
        let sent = try ledger.alerts().filter { $0.kind == "statement" }
        #expect(Set(sent.compactMap(\.owner)) == ["alex", "kim"])
        let from = Timestamp(local: CivilTime(year: 2026, month: 11, day: 1))
        let until = Timestamp(local: CivilTime(year: 2026, month: 12, day: 1))
        for alert in sent {
            let owner = try #require(alert.owner)
            let statement = try ledger.statement(owner: owner, from: from, until: until)
            #expect(alert.subject == "Charging statement 2026-11 (Garage)")
            #expect(alert.text.contains(statement.text(month: "2026-11").joined(separator: "\n")), "\(alert.text)")
            // The cost in the words is the sum of the ledger's bills of the owner's sessions.
            let bills = try ledger.sessions().filter { $0.owner == owner }.compactMap { $0.costIncludingVAT.flatMap { Decimal(string: $0) } }
            let total = bills.reduce(Decimal(0), +)
            #expect(alert.text.contains("\(statement.lines.count) session(s)") && alert.text.contains(Statement.money(total, "EUR") + " EUR"),
                    "\(alert.text) against \(bills)")
        }
        #expect(sent.first { $0.owner == "alex" }?.text.contains("04A1B2C3") == true, "the card is on the statement")
        #expect(sent.first { $0.owner == "alex" }?.text.contains("2 session(s)") == true)
        #expect(sent.first { $0.owner == "kim" }?.text.contains("2 session(s)") == true)
        // Once: a minute later, or after a restart (the outbox is the record), nothing more.
        #expect(service.sendMonthlyStatements(at: .seconds(10_920)).isEmpty)
        #expect(try ledger.alerts().filter { $0.kind == "statement" }.count == 2)
    }

    @Test func withoutTheRuleNoStatementGoes() throws {
        var (service, ledger, _) = try service(monthly: false)
        #expect(service.sendMonthlyStatements(at: .seconds(7200)).isEmpty)
        #expect(try ledger.alerts().allSatisfy { $0.kind != "statement" })
    }
}
