import Billing
import EVSECore
import Foundation
import Sessions
import Testing
import TestSupport
@testable import Ledger

/// A ledger written by the evsed before schema 3 (commit 63af544: `evsed simulate` of
/// meter-lost.toml, then `evsed run` stopped by SIGTERM while its session charged), read and
/// carried on by this one.
@Suite struct SchemaUpgradeTests {
    /// A copy of the fixture (database and signing key) in a fresh directory.
    func copyOfTheOldLedger() throws -> String {
        let path = temporaryLedgerPath()
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fixture = repositoryRoot + "/Tests/LedgerTests/Fixtures/schema-2/"
        try FileManager.default.copyItem(atPath: fixture + "ledger.sqlite", toPath: path)
        try FileManager.default.copyItem(atPath: fixture + "ledger.sqlite.key", toPath: path + ".key")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path + ".key")
        return path
    }

    @Test func aReaderSeesTheOldBooksAsTheyWere() throws {
        let path = try copyOfTheOldLedger()
        let reader = try Ledger(path: path, writable: false)
        #expect(try reader.verify().isIntact)
        let session = try #require(try reader.session(1))
        #expect(session.costIncludingVAT == "0.60")
        // Bill lines from before schema 3 kept kWh and hours without naming them.
        #expect(session.billLines.first?.unit == nil)
        #expect(session.billLines.first?.row.unit == "kWh")
        #expect(session.periods == nil)
    }

    @Test func aWriterUpgradesItAndEveryOldRecordStillVerifies() throws {
        let path = try copyOfTheOldLedger()
        let ledger = try Ledger(path: path)
        let upgraded = try ledger.verify()
        #expect(upgraded.isIntact, "\(upgraded.problems)")
        let old = try #require(try ledger.session(1))
        #expect(old.closed && old.energyWh == 266)
        // The session that was charging when evsed was stopped is carried on and closed by the new books.
        let started = try #require(try ledger.session(2)).startedAt
        let clock = WallClock(originInstant: .zero, originTimestamp: Timestamp(milliseconds: started.milliseconds + 60_000))
        let recorder = LedgerRecorder(ledger: ledger, clock: clock, tariff: testTariff, meter: "simulated")
        let recovery = try recorder.recover(at: .zero)
        #expect(recovery.carriedOver == SessionID(rawValue: 2))
        #expect(recovery.cause == "daemon_stopped")
        var script = EventScript(now: .zero, register: 1_234_507, nextSession: 3)
        script.wait(1)
        script.at(.action(.sessionResumed(SessionID(rawValue: 2))))
        script.reading(power: 0)
        script.at(.action(.closeContactor))
        script.charge(power: 7200, seconds: 30, every: 5)
        script.at(.action(.sessionEnded(SessionID(rawValue: 2), .vehicleUnplugged)))
        script.wait(1)
        script.reading(power: 0)
        for event in script.events { try recorder.record(event) }
        let carried = try #require(try ledger.session(2))
        #expect(carried.closed)
        #expect(carried.energyWh == 1_234_567 - 1_234_500)
        // Down from the stop, a few seconds after the start, until it resumed a minute after the start.
        #expect((50...60).contains(carried.outageSeconds))
        #expect(carried.billLines.allSatisfy { $0.unit != nil })
        #expect(carried.periods != nil)
        let final = try ledger.verify()
        #expect(final.isIntact, "\(final.problems)")
    }
}
