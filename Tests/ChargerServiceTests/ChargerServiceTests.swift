import Alerts
import Billing
import ChargerService
import ConfigFile
import EVSECore
import Foundation
import Ledger
import Runtime
import Sessions
import Testing
import TestSupport

/// The pipeline's order: the books hold an event before anyone is told of it; subscribers hear
/// each update in the order they subscribed, with the same entries the caller gets.
@Suite struct ChargerServiceTests {
    /// Records what it is told, and what the ledger held at that moment.
    final class Listener: ServiceSubscriber {
        let name: String
        let ledger: Ledger?
        let heard: Heard
        init(_ name: String, ledger: Ledger?, heard: Heard) {
            self.name = name
            self.ledger = ledger
            self.heard = heard
        }
        func serviceProcessed(_ update: ServiceUpdate) {
            let sessions = (try? ledger?.sessions().count) ?? nil
            heard.lines.append((name, update.entries.map(\.event), update.openSession?.id, sessions))
        }
    }

    final class Heard {
        var lines: [(name: String, events: [String], open: SessionID?, sessionsInLedger: Int?)] = []
    }

    static let clock = WallClock(originInstant: .zero, originTimestamp: Timestamp(milliseconds: 1_764_000_000_000))

    static func alerts() throws -> AlertConfiguration {
        var problems: [ConfigError] = []
        return AlertConfiguration.read(try ConfigDocument.parse("default_owner = \"alex\"", file: "alerts.toml"), problems: &problems)
    }

    static func reading(_ register: Double, watts: Double = 7200) -> ControllerEvent {
        .meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(watts / 230)),
                                   power: Watts(watts), importEnergy: WattHours(register)))
    }

    @Test func theLedgerHoldsASessionBeforeAnySubscriberHearsOfIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ledger = try Ledger(path: directory.appendingPathComponent("ledger.sqlite").path, create: true, chargerID: "garage")
        let recorder = LedgerRecorder(ledger: ledger, clock: Self.clock, tariff: nil, meter: "simulated")
        let recovery = try recorder.recover(at: .zero)
        var service = ChargerService(style: .json, charger: ChargerConfiguration(), chargerName: "Garage", clock: Self.clock,
                                     tariff: nil, recorder: recorder, recovery: recovery, alerts: try Self.alerts())
        let heard = Heard()
        service.subscribe(Listener("first", ledger: ledger, heard: heard))
        service.subscribe(Listener("second", ledger: ledger, heard: heard))

        _ = service.process(TimedEvent(at: .seconds(1), event: Self.reading(1000, watts: 0)))
        let started = service.process(TimedEvent(at: .seconds(2), event: .action(.sessionStarted(SessionID(rawValue: 1)))))

        #expect(heard.lines.map(\.name) == ["first", "second", "first", "second"])
        // Told of the start, each already finds the session in the ledger, and open in the books.
        let start = heard.lines[2...]
        #expect(start.allSatisfy { $0.sessionsInLedger == 1 && $0.open == SessionID(rawValue: 1) })
        // What a subscriber hears is what the caller got: the start line, then the owner's alert.
        #expect(start.allSatisfy { $0.events == started.map(\.event) })
        #expect(started.map(\.event) == ["session_started", "alert"])
    }

    @Test func whatAStopSettlesReachesTheSubscribersToo() throws {
        var service = ChargerService(style: .json, charger: ChargerConfiguration(), chargerName: "Garage", clock: Self.clock,
                                     tariff: nil, recorder: nil, recovery: nil, alerts: try Self.alerts())
        let heard = Heard()
        service.subscribe(Listener("only", ledger: nil, heard: heard))
        _ = service.process(TimedEvent(at: .seconds(1), event: Self.reading(1000, watts: 0)))
        _ = service.process(TimedEvent(at: .seconds(2), event: .action(.sessionStarted(SessionID(rawValue: 1)))))
        _ = service.process(TimedEvent(at: .seconds(3), event: Self.reading(1010)))
        _ = service.process(TimedEvent(at: .seconds(4), event: .action(.sessionEnded(SessionID(rawValue: 1), .stopCommand))))
        // The end waits for the final register; the end of the run settles it with the last one.
        let finished = service.finish(at: .seconds(5))
        #expect(finished.map(\.event).contains("session_ended"))
        #expect(heard.lines.last?.events == finished.map(\.event))
        #expect(heard.lines.count == 5)
    }

    @Test func entriesFromElsewhereReachTheSubscribers() throws {
        var service = ChargerService(style: .text, charger: ChargerConfiguration(), chargerName: "Garage", clock: Self.clock,
                                     tariff: nil, recorder: nil, recovery: nil, alerts: try Self.alerts())
        let heard = Heard()
        service.subscribe(Listener("only", ledger: nil, heard: heard))
        let change = service.log.entry(console: "serial /dev/ttyAMA0: limit 10.0 A", at: .seconds(7))
        #expect(service.report([change]).map(\.event) == ["console"])
        #expect(heard.lines.map(\.events) == [["console"]])
    }
}

/// The live state follows the pipeline: the latest power and the open session's energy, rounded.
@Suite struct ChargerStatePublisherTests {
    @Test func theStateCarriesThePowerAndTheSessionsEnergy() throws {
        var service = ChargerService(style: .json, charger: ChargerConfiguration(), chargerName: "Garage", clock: ChargerServiceTests.clock,
                                     tariff: nil, recorder: nil, recovery: nil, alerts: try ChargerServiceTests.alerts())
        var sent: [String] = []
        let publisher = ChargerStatePublisher(charger: "garage-1") { sent.append($0) }
        service.subscribe(publisher)
        var machine = ChargerStateMachine(configuration: ChargerConfiguration())
        _ = machine.start(at: .zero)
        publisher.publish(ChargerStatus(machine))
        #expect(sent.last == #"{"charger":"garage-1","state":"A","enabled":true,"offered_a":32,"limit_a":32,"contactor_closed":false,"faults":"none"}"#)

        _ = service.process(TimedEvent(at: .seconds(1), event: ChargerServiceTests.reading(10_000, watts: 0)))
        _ = service.process(TimedEvent(at: .seconds(2), event: .action(.sessionStarted(SessionID(rawValue: 3)))))
        _ = service.process(TimedEvent(at: .seconds(3), event: .action(.closeContactor)))
        _ = service.process(TimedEvent(at: .seconds(603), event: ChargerServiceTests.reading(11_234, watts: 7_449)))
        publisher.publish(ChargerStatus(machine))
        let last = try #require(sent.last)
        #expect(last.contains(#""power_w":7400"#) && last.contains(#""session_energy_wh":1200"#), "\(last)")
        #expect(last.contains(#""register_kwh":11.2"#), "the register to 0.1 kWh, never rounded up: \(last)")
    }
}

/// Under systemd the journal is a subscriber: each entry with its priority and the fields a
/// technician filters by.
@Suite struct JournalSubscriberTests {
    @Test func aSessionsEntriesReachTheJournalWithTheirFields() throws {
        let socket = try FakeSystemdSocket()
        var service = ChargerService(style: .json, charger: ChargerConfiguration(), chargerName: "Garage", clock: ChargerServiceTests.clock,
                                     tariff: nil, recorder: nil, recovery: nil, alerts: try ChargerServiceTests.alerts())
        service.subscribe(JournalSubscriber(JournalWriter(socketPath: socket.path)))
        _ = service.process(TimedEvent(at: .zero + .seconds(1), event: .action(.sessionStarted(SessionID(rawValue: 4)))))
        _ = service.process(TimedEvent(at: .zero + .seconds(2), event: .action(.faultRaised(.residualCurrent))))
        var datagrams: [String] = []
        while let datagram = socket.receive(timeout: .milliseconds(200)) { datagrams.append(datagram) }
        let started = try #require(datagrams.first { $0.contains("EVSED_EVENT=session_started") }, "\(datagrams)")
        #expect(started.contains("\nSESSION_ID=4\n") && started.contains("\nPRIORITY=5\n"), "\(started)")
        let fault = try #require(datagrams.first { $0.contains("EVSED_EVENT=fault") }, "\(datagrams)")
        #expect(fault.contains("\nFAULT_CODE=residual_current\n") && fault.contains("\nPRIORITY=4\n"), "\(fault)")
    }
}
