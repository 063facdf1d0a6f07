import EVSECore
import Foundation
import Sessions
import Testing
@testable import Ledger

/// Readings are thinned once a session is old; totals, bills and signatures stay.
@Suite struct RetentionTests {
    @Test func oldSessionsKeepOneReadingPerIntervalAndStillVerify() throws {
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        script.session(chargingSeconds: 3600, idleSeconds: 0)
        script.wait(86_400 * 3)
        script.session(chargingSeconds: 600, idleSeconds: 0)
        for event in script.events { try books.record(event) }
        let ledger = books.ledger
        let before = try #require(try ledger.session(1))
        // Applied when the second session closed, three days later: 30 days had not passed.
        #expect(try ledger.readings(of: 1).count > 3600)
        let now = Timestamp(milliseconds: before.endedAt!.milliseconds + 31 * 86_400_000)
        // The first session closed 31 days ago, the second 28: only the first is thinned.
        #expect(try ledger.applyRetention(RetentionPolicy(), now: now) == 1)
        #expect(try ledger.readings(of: 2).count > 600)
        let thinned = try ledger.readings(of: 1)
        // One per 5 minutes of the hour, plus the first and the last.
        #expect(thinned.count >= 12 && thinned.count <= 15)
        #expect(thinned.last?.sample.registerWh == before.endRegisterWh)
        let after = try #require(try ledger.session(1))
        #expect(after.energyWh == before.energyWh && after.costIncludingVAT == before.costIncludingVAT)
        #expect(try ledger.verify().isIntact)
        // Done once: applying it again changes nothing.
        #expect(try ledger.applyRetention(RetentionPolicy(), now: now) == 0)
        // What remains is still protected.
        try ledger.database.execute("UPDATE readings SET power_w = 1 WHERE session = 1 AND rowid = (SELECT max(rowid) FROM readings WHERE session = 1)")
        #expect(try ledger.verify().problems.first?.what.contains("readings were changed") == true)
    }
}
