import Alerts
import Billing
import ChargerService
import ConfigFile
import EVSECore
import Foundation
import Ledger
import Sessions
import Testing

/// What the journal and the owner are told about a session that a restart finishes: the reason and
/// the owner are the ledger's, not "unknown" and the default owner.
@Suite struct RestartJournalTests {
    static let alerts = """
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
        """

    static let tariff = try! TariffSnapshot(text: """
        id = "t"
        currency = "EUR"
        [[element]]
        components = [{ type = "ENERGY", price = "0.30", vat = "20" }]
        """, file: "tariff.toml")

    /// One run of evsed on the ledger at `path`: the recorder, the journal and the alert rules as
    /// `run` and `simulate` put them together, after the start-up's recovery.
    struct Run {
        let ledger: Ledger
        var service: ChargerService
        let recovery: LedgerRecorder.Recovery
        var now: Instant
        var register: Double

        init(_ path: String, at now: Instant, register: Double) throws {
            ledger = try Ledger(path: path, create: true, chargerID: "garage")
            let clock = WallClock(originInstant: .zero, originTimestamp: Timestamp(milliseconds: 1_764_000_000_000))
            let recorder = LedgerRecorder(ledger: ledger, clock: clock, tariff: RestartJournalTests.tariff, meter: "simulated")
            recovery = try recorder.recover(at: now)
            var problems: [ConfigError] = []
            let configuration = AlertConfiguration.read(try ConfigDocument.parse(RestartJournalTests.alerts, file: "alerts.toml"), problems: &problems)
            service = ChargerService(style: .json, charger: ChargerConfiguration(), chargerName: "Garage", clock: clock,
                                     tariff: RestartJournalTests.tariff, recorder: recorder, recovery: recovery, alerts: configuration)
            self.now = now
            self.register = register
        }

        mutating func recovered() -> [EventEntry] { service.recovered(recovery, at: now) }

        mutating func feed(_ event: ControllerEvent) -> [EventEntry] {
            service.process(TimedEvent(at: now, event: event))
        }

        mutating func reading(watts: Double, after seconds: Int = 1) -> [EventEntry] {
            now = now + .seconds(seconds)
            register += watts * Double(seconds) / 3600
            return feed(.meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(watts / 230)),
                                                   power: Watts(watts), importEnergy: WattHours(register))))
        }

        /// A session of `owner` that charges at 7.2 kW for `seconds`, opening with a fresh reading.
        mutating func charge(_ id: UInt64, owner: String, seconds: Int) {
            service.nameNextOwner(owner)
            _ = reading(watts: 0)
            _ = feed(.action(.sessionStarted(SessionID(rawValue: id))))
            _ = feed(.action(.closeContactor))
            for _ in 0..<seconds { _ = reading(watts: 7200) }
            _ = feed(.action(.openContactor))
        }
    }

    static func entry(_ entries: [EventEntry], _ event: String) -> EventEntry? { entries.first { $0.event == event } }

    @Test func aSessionThatEndedBeforeTheStopIsBilledToItsOwnerWithItsReason() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-restart-\(UUID().uuidString)/ledger.sqlite").path
        var before = try Run(path, at: .zero, register: 50_000)
        before.charge(1, owner: "sam", seconds: 60)
        // The car leaves; evsed dies before the meter's next reading (the end register).
        #expect(before.feed(.action(.sessionEnded(SessionID(rawValue: 1), .vehicleUnplugged))).allSatisfy { $0.event != "session_ended" })
        let (now, register) = (before.now, before.register)

        var after = try Run(path, at: now + .seconds(5), register: register)
        #expect(after.recovery.carriedOver == nil)
        #expect(after.recovered().isEmpty, "nothing is closed before the end register is read")
        let entries = after.reading(watts: 0)
        let ended = try #require(Self.entry(entries, "session_ended"), "\(entries.map { $0.rendered(.json) })")
        #expect(ended.rendered(.json).contains(#""reason":"vehicle_unplugged""#), "\(ended.rendered(.json))")
        #expect(ended.rendered(.json).contains(#""energy_wh":120,"#), "\(ended.rendered(.json))")
        let alert = try #require(Self.entry(entries, "alert"))
        #expect(alert.rendered(.json).contains(#""owner":"sam""#), "\(alert.rendered(.json))")
        #expect(alert.text.contains("ended for sam"), "\(alert.text)")
        #expect(alert.rendered(.json).contains("the car was unplugged"), "\(alert.rendered(.json))")
    }

    @Test func anOlderSessionTheStartClosesIsJournalledAndBilledToItsOwner() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-restart-\(UUID().uuidString)/ledger.sqlite").path
        var before = try Run(path, at: .zero, register: 50_000)
        before.charge(1, owner: "sam", seconds: 30)
        _ = before.feed(.action(.sessionEnded(SessionID(rawValue: 1), .stopCommand)))
        // The next session starts at once, and evsed dies before any reading: two sessions unclosed.
        before.service.nameNextOwner("alex")
        _ = before.feed(.action(.sessionStarted(SessionID(rawValue: 2))))
        let (now, register) = (before.now, before.register)

        var after = try Run(path, at: now + .seconds(5), register: register)
        #expect(after.recovery.carriedOver == SessionID(rawValue: 2))
        let closedAtStart = after.recovery.closedAtStart.compactMap { if case .closed(let session, _) = $0 { session } else { nil } }
        #expect(closedAtStart.map(\.id) == [SessionID(rawValue: 1)] && closedAtStart.first?.owner == "sam")
        let entries = after.recovered()
        let ended = try #require(Self.entry(entries, "session_ended"), "\(entries.map { $0.rendered(.json) })")
        #expect(ended.rendered(.json).contains(#""session":"1""#) && ended.rendered(.json).contains(#""reason":"stop_command""#),
                "\(ended.rendered(.json))")
        #expect(ended.rendered(.json).contains(#""end_register_source":"last_stored_reading""#))
        let alert = try #require(Self.entry(entries, "alert"))
        #expect(alert.text.contains("ended for sam"), "\(alert.text)")
        #expect(alert.rendered(.json).contains("stopped"), "\(alert.rendered(.json))")
    }
}
