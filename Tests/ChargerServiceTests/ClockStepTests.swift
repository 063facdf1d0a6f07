import Alerts
import ChargerService
import EVSECore
import Foundation
import Ledger
import Sessions
import Testing

/// A board without a battery-backed clock: NTP steps the clock while evsed runs. The books follow
/// a step forward, note every step, keep each session's clock status, and stay verifiable.
@Suite struct ClockStepTests {
    struct Books {
        let directory: URL
        let ledger: Ledger
        var service: ChargerService

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-clock-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            ledger = try Ledger(path: directory.appendingPathComponent("ledger.sqlite").path, create: true, chargerID: "garage")
            let recorder = LedgerRecorder(ledger: ledger, clock: ChargerServiceTests.clock, tariff: nil, meter: "simulated")
            service = ChargerService(style: .json, charger: ChargerConfiguration(), chargerName: "Garage", clock: ChargerServiceTests.clock,
                                     tariff: nil, recorder: recorder, recovery: try recorder.recover(at: .zero),
                                     alerts: try ChargerServiceTests.alerts())
        }

        mutating func feed(_ seconds: Int64, _ event: ControllerEvent) -> [EventEntry] {
            service.process(TimedEvent(at: .zero + .seconds(seconds), event: event))
        }

        /// The system clock, at `seconds`, reads the books' time plus `by` seconds.
        mutating func step(_ seconds: Int64, by: Int64) -> [EventEntry] {
            let now = service.books.clock.timestamp(.zero + .seconds(seconds))
            return service.clockStepped(at: .zero + .seconds(seconds), to: Timestamp(milliseconds: now.milliseconds + by * 1000))
        }
    }

    static let origin = ChargerServiceTests.clock.originTimestamp.milliseconds

    @Test func aSessionAcrossAStepKeepsItsTimesAndTheNextOneHasTheRealOnes() throws {
        var books = try Books()
        defer { try? FileManager.default.removeItem(at: books.directory) }
        books.service.clockStatus(.unsynchronized)
        _ = books.feed(1, ChargerServiceTests.reading(10_000, watts: 0))
        _ = books.feed(2, .action(.sessionStarted(SessionID(rawValue: 1))))
        _ = books.feed(3, .action(.closeContactor))
        _ = books.feed(603, ChargerServiceTests.reading(11_200))
        // NTP synchronises: the clock was two hours behind.
        books.service.clockStatus(.synchronized)
        let stepped = books.step(604, by: 7200)
        #expect(stepped.map(\.event) == ["clock_step"])
        #expect(stepped.first?.rendered(.json).contains(#""followed":true"#) == true, "\(stepped.map { $0.rendered(.json) })")
        _ = books.feed(1204, ChargerServiceTests.reading(12_400))
        _ = books.feed(1205, .action(.openContactor))
        _ = books.feed(1206, .action(.sessionEnded(SessionID(rawValue: 1), .vehicleUnplugged)))
        let ended = books.feed(1207, ChargerServiceTests.reading(12_400, watts: 0))
        #expect(ended.contains { $0.event == "session_ended" })

        let first = try #require(try books.ledger.session(1))
        #expect(first.clockStatus == .unsynchronized)
        #expect(first.chargingSeconds == 1202 && first.outageSeconds == 7200, "charging \(first.chargingSeconds) s, down \(first.outageSeconds) s")
        #expect(first.endedAt?.milliseconds == Self.origin + (1206 + 7200) * 1000)
        let note = try #require(try books.ledger.records().last { $0.kind == "clock_step" })
        #expect(note.session == 1 && note.body.contains(#""step_ms":7200000"#) && note.body.contains(#""followed":true"#), "\(note.body)")
        let ocmf = try #require(try books.ledger.ocmfRecords().first?.line)
        #expect(ocmf.contains(#"Z U","TX":"B""#), "OCMF marks the session's times unsynchronised: \(ocmf)")

        _ = books.feed(1300, .action(.sessionStarted(SessionID(rawValue: 2))))
        let second = try #require(try books.ledger.session(2))
        #expect(second.clockStatus == .synchronized)
        #expect(second.startedAt.milliseconds == Self.origin + (1300 + 7200) * 1000, "the real time")
        #expect(try books.ledger.verify().problems.isEmpty)
    }

    @Test func aStepBackIsNotedAndNotFollowed() throws {
        var books = try Books()
        defer { try? FileManager.default.removeItem(at: books.directory) }
        _ = books.feed(100, ChargerServiceTests.reading(10_000, watts: 0))
        let stepped = books.step(200, by: -3600)
        #expect(stepped.first?.rendered(.json).contains(#""followed":false"#) == true, "\(stepped.map { $0.rendered(.json) })")
        #expect(books.service.books.clock.timestamp(.seconds(200)).milliseconds == Self.origin + 200_000)
        let note = try #require(try books.ledger.records().last { $0.kind == "clock_step" })
        #expect(note.at.milliseconds == Self.origin + 200_000, "noted at the books' time: they never run backwards")
        // Under a second is no step at all.
        #expect(books.step(300, by: 0).isEmpty)
    }
}
