import Billing
import ConfigFile
import EVSECore
import Foundation
import Sessions
import Testing
@testable import Alerts
@testable import Ledger

/// The rules fed as the daemon feeds them: the loop's events through the session's books.
struct RulesHarness {
    var now = Instant.zero
    var register = 1_000_000.0
    var books: SessionBooks
    var rules: AlertRules
    var alerts: [Alert] = []

    static let tariff = try! TariffSnapshot(text: """
        id = "t"
        currency = "EUR"
        parking_grace_min = 30
        [[element]]
        components = [{ type = "ENERGY", price = "0.30", vat = "20" }, { type = "PARKING_TIME", price = "3.00", vat = "20" }]
        """, file: "tariff.toml")

    /// Starts at 10:00 local time on 2026-11-25.
    init(_ alertsFile: String) throws {
        let table = try ConfigDocument.parse(alertsFile, file: "alerts.toml")
        var problems: [ConfigError] = []
        let configuration = AlertConfiguration.read(table, problems: &problems)
        if let problem = problems.first { throw problem }
        let clock = WallClock(originInstant: .zero, originTimestamp: Timestamp(local: CivilTime(year: 2026, month: 11, day: 25, hour: 10)))
        books = SessionBooks(clock: clock, tariff: Self.tariff, defaultOwner: configuration.defaultOwner)
        rules = AlertRules(configuration: configuration, charger: "Garage", catalogue: FaultCatalogue(), clock: clock, tariff: Self.tariff.tariff)
    }

    mutating func feed(_ event: ControllerEvent) {
        let timed = TimedEvent(at: now, event: event)
        let changes = books.observe(timed)
        alerts += rules.observe(timed, books: books)
        for change in changes { alerts += rules.observe(change) }
    }

    /// The rules' requests, taken as the charger service takes them (a stop for an owner's limit
    /// is one in the books too).
    mutating func takeRequests() -> [AlertRules.Request] {
        let requests = rules.takeRequests()
        for case .stopSession(let id) in requests { books.stopping(id, because: "limit") }
        return requests
    }

    /// A session of `owner` the ledger had open when the charger went down `down` ago, as a restart
    /// hands it to the books and the rules.
    mutating func carryOver(_ id: SessionID, owner: String?, cause: String, down: Duration?) {
        let start = books.clock.timestamp(now - .seconds(3600))
        _ = books.restore(StoredSession(id: id, owner: owner, startedAt: start, startRegisterWh: Int64(register), endedAt: nil, endReason: nil,
                                        tariffText: nil, interruptions: [], clockStatus: .synchronized),
                          readings: [], downSince: books.clock.timestamp(now - (down ?? .zero)), cause: cause)
        rules.expectCarriedOver(id, cause: cause, down: down)
    }

    /// Readings every 10 s for `seconds` at `watts(t)` (t: seconds since this call).
    mutating func charge(seconds: Double, watts: (Double) -> Double) {
        var elapsed = 0.0
        while elapsed < seconds {
            now = now + .seconds(10)
            elapsed += 10
            let power = watts(elapsed)
            register += power * 10 / 3600
            feed(.meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(power / 230)), power: Watts(power),
                                            importEnergy: WattHours(register))))
        }
    }

    mutating func wait(_ seconds: Double) { now = now + .nanoseconds(Int64(seconds * 1e9)) }

    var kinds: [AlertKind] { alerts.map(\.kind) }
}

@Suite struct AlertRulesTests {
    static let owners = """
        default_owner = "alex"
        [email]
        url = "smtp://127.0.0.1:2525"
        from = "c@example.org"
        security = "none"
        [[owner]]
        name = "alex"
        email = "alex@example.org"
        [[owner]]
        name = "sam"
        email = "sam@example.org"
        limits = { energy_kwh = 5 }
        """

    @Test func aSessionIsAnnouncedToItsOwnerAndEndsWithItsBill() throws {
        var harness = try RulesHarness(Self.owners)
        harness.charge(seconds: 10, watts: { _ in 0 })
        harness.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        harness.feed(.action(.closeContactor))
        harness.charge(seconds: 3600, watts: { _ in 7400 })
        harness.feed(.action(.openContactor))
        harness.feed(.action(.sessionEnded(SessionID(rawValue: 1), .vehicleUnplugged)))
        harness.charge(seconds: 10, watts: { _ in 0 })
        #expect(harness.kinds == [.started, .ended])
        let started = harness.alerts[0], ended = harness.alerts[1]
        #expect(started.owner == "alex")
        #expect(started.facts["tariff"] == "0.36 EUR/kWh; idle 3.60 EUR/h after 30 min (incl. VAT)")
        #expect(ended.facts["energy"] == "7.40 kWh")
        // 7.400 kWh × 0.30 × 1.2 = 2.664 → 2.66 EUR.
        #expect(ended.facts["cost"] == "2.66 EUR")
        #expect(ended.facts["duration"] == "1 h 00 min")
        #expect(ended.facts["reason"] == "the car was unplugged")
        #expect(ended.facts["bill"]?.contains("+ VAT 0.44 EUR = 2.66 EUR") == true, "\(ended.facts["bill"] ?? "")")
    }

    @Test func theOwnerNamedAtTheConsoleOwnsTheNextSessionAndItsLimitStopsIt() throws {
        var harness = try RulesHarness(Self.owners)
        harness.books.nameNextOwner("sam")
        #expect(harness.books.ownerOfNextSession == "sam")
        harness.feed(.action(.sessionStarted(SessionID(rawValue: 7))))
        // 6 kW: the 5 kWh limit is 50 minutes away; the 10-minute lead warns at 40 minutes.
        harness.charge(seconds: 2390, watts: { _ in 6000 })
        #expect(harness.kinds == [.started])
        harness.charge(seconds: 20, watts: { _ in 6000 })
        #expect(harness.kinds == [.started, .endingSoon])
        let soon = harness.alerts[1]
        #expect(soon.owner == "sam")
        #expect(soon.facts["reason"] == "energy limit 5.00 kWh")
        #expect(soon.facts["minutes"] == "10")
        #expect(soon.facts["end_time"] == "10:50")
        #expect(harness.takeRequests().isEmpty)
        harness.charge(seconds: 600, watts: { _ in 6000 })
        #expect(harness.takeRequests() == [.stopSession(SessionID(rawValue: 7))])
        // Asked once, not at every reading after.
        harness.charge(seconds: 30, watts: { _ in 6000 })
        #expect(harness.takeRequests().isEmpty)
        harness.feed(.action(.sessionEnded(SessionID(rawValue: 7), .stopCommand)))
        harness.charge(seconds: 10, watts: { _ in 0 })
        #expect(harness.alerts.last?.kind == .ended)
        #expect(harness.alerts.last?.facts["reason"] == "your limit was reached")
    }

    @Test func theTaperOfAFullBatteryIsSeenAndItsEndEstimated() throws {
        var harness = try RulesHarness(Self.owners)
        harness.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        harness.charge(seconds: 600, watts: { _ in 11_000 })
        // Exponential taper with a 10-minute time constant: 5 % of the peak is reached
        // 10 min × ln(11000 / 550) ≈ 30 min after it starts.
        harness.charge(seconds: 3600, watts: { t in 11_000 * exp(-t / 600) })
        let nearlyFull = try #require(harness.alerts.first { $0.kind == .nearlyFull })
        // Below half the peak after 10 min × ln 2 ≈ 7 min, and for 5 minutes: at about 12 min.
        let minutesLeft = try #require(Int(nearlyFull.facts["minutes"] ?? ""))
        // At 12 min the rest to 5 % is 30 − 12 = 18 minutes.
        #expect((17...19).contains(minutesLeft), "\(nearlyFull.facts)")
        #expect(harness.kinds.filter { $0 == .nearlyFull }.count == 1)
    }

    @Test func aFlappingFaultIsSentOnceThenCountedAndTheResumptionFollowsTheSentOne() throws {
        var harness = try RulesHarness(Self.owners)
        let id = SessionID(rawValue: 3)
        harness.feed(.action(.sessionStarted(id)))
        harness.charge(seconds: 60, watts: { _ in 7000 })
        for _ in 0..<5 {
            harness.feed(.action(.faultRaised(.overcurrent)))
            harness.feed(.action(.sessionInterrupted(id, .fault(.overcurrent))))
            harness.wait(30)
            harness.feed(.action(.faultCleared(.overcurrent)))
            harness.feed(.action(.sessionResumed(id)))
            harness.charge(seconds: 60, watts: { _ in 7000 })
        }
        #expect(harness.kinds == [.started, .fault, .resumed], "\(harness.kinds)")
        // After the window, the next one is sent and says how often it came back meanwhile.
        harness.wait(15 * 60)
        harness.feed(.action(.faultRaised(.overcurrent)))
        #expect(harness.kinds.last == .fault)
        #expect(harness.alerts.last?.facts["repeats"] == " It happened 4 more times before this.")
        #expect(harness.alerts[1].facts["instruction"] == FaultCatalogue()[.overcurrent].ownerInstruction)
        harness.feed(.action(.faultLatched(.overcurrent, .untilTechnicianClears)))
        #expect(harness.kinds.last == .needsService)
    }

    @Test func aCarThatStopsDrawingIsToldOfTheIdleFee() throws {
        var harness = try RulesHarness(Self.owners)
        harness.feed(.action(.vehicleStateChanged(.b)))
        harness.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        harness.feed(.action(.setPilot(.pwm(try PWMDuty(offering: Amperes(16))))))
        harness.feed(.action(.vehicleStateChanged(.c)))
        harness.charge(seconds: 1800, watts: { _ in 7000 })
        harness.feed(.action(.vehicleStateChanged(.b)))
        let idle = try #require(harness.alerts.last)
        #expect(idle.kind == .idle)
        // 10:30 now; the grace period of 30 minutes ends at 11:00.
        #expect(idle.facts["idle_fee"] == "An idle fee of 3.60 EUR/h starts at 11:00 unless the car is unplugged.")
    }

    /// A stop at the console (or an owner's limit) withdraws the PWM first; the car going to B then
    /// is the charger's doing, and the owner hears of the bill, not of an idle fee.
    @Test func aCarTheChargerStoppedIsNotCalledComplete() throws {
        var harness = try RulesHarness(Self.owners)
        harness.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        harness.feed(.action(.setPilot(.pwm(try PWMDuty(offering: Amperes(16))))))
        harness.feed(.action(.vehicleStateChanged(.c)))
        harness.charge(seconds: 60, watts: { _ in 7000 })
        harness.feed(.action(.setPilot(.steady)))
        harness.feed(.action(.vehicleStateChanged(.b)))
        #expect(harness.kinds == [.started])
    }

    @Test func aPausedSessionIsNotCalledComplete() throws {
        var harness = try RulesHarness(Self.owners)
        let id = SessionID(rawValue: 1)
        harness.feed(.action(.sessionStarted(id)))
        harness.feed(.action(.vehicleStateChanged(.c)))
        harness.charge(seconds: 60, watts: { _ in 7000 })
        harness.feed(.action(.sessionInterrupted(id, .paused)))
        harness.feed(.action(.vehicleStateChanged(.b)))
        #expect(harness.kinds == [.started])
    }

    @Test func aSessionCarriedOverAPowerCutIsExplained() throws {
        var harness = try RulesHarness(Self.owners)
        harness.carryOver(SessionID(rawValue: 4), owner: "sam", cause: "power_loss", down: .seconds(540))
        harness.feed(.action(.sessionResumed(SessionID(rawValue: 4))))
        #expect(harness.kinds == [.powerCut])
        #expect(harness.alerts[0].owner == "sam")
        #expect(harness.alerts[0].facts["outcome"] == "resumed charging where it left off")
        #expect(harness.alerts[0].facts["down"] == "9 min")
        #expect(harness.alerts[0].facts["cause"] == "a power cut")
        let message = AlertTemplates.standard[.powerCut].render(harness.alerts[0].facts)
        #expect(message.subject == "Charger back after a power cut (Garage)")
        #expect(message.text == "Garage was off for 9 min (a power cut). Session 4: resumed charging where it left off.")

        var gone = try RulesHarness(Self.owners)
        gone.carryOver(SessionID(rawValue: 4), owner: nil, cause: "daemon_stopped", down: nil)
        gone.feed(.action(.sessionEnded(SessionID(rawValue: 4), .powerLoss)))
        #expect(gone.kinds == [.powerCut])
        #expect(gone.alerts[0].facts["outcome"]?.hasPrefix("ended") == true)
        #expect(gone.alerts[0].owner == "alex", "a session stored without an owner is the default owner's")
        #expect(gone.alerts[0].facts["cause"] == "a restart", "a planned stop is not called a power cut")
    }

    @Test func aLostMeterIsItsOwnAlert() throws {
        var harness = try RulesHarness(Self.owners)
        harness.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        harness.feed(.action(.faultRaised(.meterLost)))
        #expect(harness.kinds == [.started, .meterLost])
    }
}

@Suite struct AlertRoutingTests {
    static let file = """
        default_owner = "kim"
        [email]
        url = "smtp://127.0.0.1:2525"
        from = "c@example.org"
        security = "none"
        [webhook]
        [[owner]]
        name = "kim"
        email = "kim@example.org"
        webhook = "http://127.0.0.1:1/hook"
        events = { email = ["ended", "problems"] }
        quiet_hours = "22:00-07:00"
        """

    func alert(_ kind: AlertKind, at hour: Int, minute: Int = 0) -> Alert {
        Alert(kind: kind, at: Timestamp(local: CivilTime(year: 2026, month: 11, day: 25, hour: hour, minute: minute)), session: SessionID(rawValue: 1), owner: "kim")
    }

    @Test func eachChannelGetsWhatTheOwnerAskedFor() throws {
        let configuration = try RulesHarness(Self.file).rules.configuration
        #expect(AlertRouting.deliveries(for: alert(.started, at: 12), configuration: configuration).map(\.channel) == ["webhook"])
        #expect(AlertRouting.deliveries(for: alert(.ended, at: 12), configuration: configuration).map(\.channel) == ["email", "webhook"])
        #expect(AlertRouting.deliveries(for: alert(.fault, at: 12), configuration: configuration).map(\.channel) == ["email", "webhook"])
        var nobody = alert(.fault, at: 12)
        nobody.owner = nil
        #expect(AlertRouting.deliveries(for: nobody, configuration: configuration).isEmpty)
    }

    @Test func quietHoursLetProblemsThroughHoldTheBillAndSkipTheRest() throws {
        let configuration = try RulesHarness(Self.file).rules.configuration
        let fault = AlertRouting.deliveries(for: alert(.fault, at: 23), configuration: configuration)
        #expect(fault.allSatisfy { $0.skipped == nil && $0.notBefore == alert(.fault, at: 23).at })
        let started = AlertRouting.deliveries(for: alert(.started, at: 2), configuration: configuration)
        #expect(started.map(\.skipped) == ["quiet hours"])
        let ended = AlertRouting.deliveries(for: alert(.ended, at: 23, minute: 30), configuration: configuration)
        let seven = Timestamp(local: CivilTime(year: 2026, month: 11, day: 26, hour: 7))
        #expect(ended.count == 2 && ended.allSatisfy { $0.skipped == nil && $0.notBefore == seven }, "\(ended)")
        // 07:00 is no longer quiet.
        #expect(AlertRouting.deliveries(for: alert(.started, at: 7), configuration: configuration).allSatisfy { $0.skipped == nil })
    }
}
