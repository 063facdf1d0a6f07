import EVSECore
import Foundation
import Testing
@testable import Ledger

/// Every change made to the database behind evsed's back is found, and the first bad record named.
@Suite struct TamperTests {
    /// A ledger with three closed sessions, a fault and an open session.
    func ledger() throws -> Ledger {
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        for _ in 0..<3 { script.session(chargingSeconds: 600, idleSeconds: 60) }
        script.reading(power: 0)
        script.startSession()
        script.at(.action(.faultRaised(.overcurrent)))
        script.charge(power: 3000, seconds: 30)
        for event in script.events { try books.record(event) }
        try books.stop(at: script.now)
        #expect(try books.ledger.verify().isIntact)
        return books.ledger
    }

    func firstProblem(after sql: String) throws -> VerificationReport.Problem? {
        let ledger = try ledger()
        try ledger.database.execute(sql)
        return try ledger.verify().problems.first
    }

    /// `list` and `show` check the chain's shape only; what that sees, and what only the full
    /// check (export, verify) sees.
    @Test func theShapeCheckSeesLostAndRewrittenRecordsButNotChangesInPlace() throws {
        #expect(try ledger().shapeProblem() == nil)
        let deleted = try ledger()
        try deleted.database.execute("DELETE FROM chain WHERE seq = 3")
        #expect(try deleted.shapeProblem()?.contains("1 record(s) are missing from the chain") == true)
        let changed = try ledger()
        try changed.database.execute("UPDATE chain SET body = body || ' ' WHERE seq = 3")
        #expect(try changed.shapeProblem() == nil)
        #expect(try changed.integrityProblem()?.contains("record #3") == true)
        let rewritten = try ledger()
        let last = try rewritten.database.query("SELECT max(seq) FROM chain") { $0.integer(0) }.first!
        try rewritten.database.execute("UPDATE chain SET hash = zeroblob(32) WHERE seq = \(last)")
        #expect(try rewritten.shapeProblem()?.contains("the books were rewritten") == true)
        let truncated = try ledger()
        try truncated.database.execute("DELETE FROM chain WHERE seq = \(last)")
        #expect(try truncated.shapeProblem()?.contains("1 record(s) were lost") == true)
    }

    @Test func aChangedReadingIsFoundInItsBatch() throws {
        let problem = try #require(try firstProblem(after: "UPDATE readings SET register_wh = register_wh - 5 WHERE rowid = 40"))
        #expect(problem.record != nil && problem.session == 1)
        #expect(problem.what.contains("readings were changed"))
    }

    @Test func aDeletedReadingIsFound() throws {
        let problem = try #require(try firstProblem(after: "DELETE FROM readings WHERE rowid = 700"))
        #expect(problem.what.contains("readings were changed"))
    }

    @Test func aLoweredBillIsFound() throws {
        let problem = try #require(try firstProblem(after: "UPDATE sessions SET cost_incl = '0.01' WHERE id = 2"))
        #expect(problem.session == 2)
        #expect(problem.what.contains("figures"))
    }

    @Test func lessEnergyIsFoundEvenWithAMatchingSignedRecordRewritten() throws {
        // Rewriting the row and its signed payload does not help without the key.
        let problem = try #require(try firstProblem(after: """
            UPDATE sessions SET energy_wh = 10 WHERE id = 1;
            UPDATE signed_sessions SET payload = replace(payload, '"EN":1233', '"EN":10') WHERE session = 1
            """))
        #expect(problem.session == 1)
        // The payload was rewritten: its signature is what no longer holds.
        let ledger = try ledger()
        try ledger.database.execute("""
            UPDATE sessions SET energy_wh = 10 WHERE id = 1;
            UPDATE signed_sessions SET payload = replace(payload, '"EN":1233', '"EN":10') WHERE session = 1
            """)
        #expect(try ledger.database.query("SELECT payload FROM signed_sessions WHERE session = 1") { $0.text(0) }.first?.contains("\"EN\":10,") == true)
        #expect(try ledger.verify().problems.contains { $0.session == 1 && $0.what.contains("signature") })
    }

    @Test func aChangedChainRecordIsNamed() throws {
        let problem = try #require(try firstProblem(after: "UPDATE chain SET body = replace(body, 'overcurrent', 'pilot_unknown') WHERE kind = 'fault_raised'"))
        #expect(problem.what.contains("fault_raised was changed"))
    }

    @Test func aRemovedChainRecordIsNamed() throws {
        let problem = try #require(try firstProblem(after: "DELETE FROM chain WHERE seq = 5"))
        #expect(problem.record == 5)
        #expect(problem.what.contains("missing"))
    }

    @Test func aDeletedSessionIsFound() throws {
        let problem = try #require(try firstProblem(after: "DELETE FROM bill_lines WHERE session = 3; DELETE FROM signed_sessions WHERE session = 3; DELETE FROM sessions WHERE id = 3"))
        #expect(problem.session == 3)
        #expect(problem.what.contains("row is gone"))
    }

    @Test func aRemovedFaultIsFound() throws {
        let problem = try #require(try firstProblem(after: "DELETE FROM faults"))
        #expect(problem.what.contains("fault 1"))
    }

    @Test func aForgedSignatureIsFound() throws {
        let ledger = try ledger()
        let signature = try ledger.database.query("SELECT signature FROM signed_sessions WHERE session = 2") { $0.text(0) }.first!
        let forged = String(signature.dropLast(2)) + (signature.hasSuffix("00") ? "01" : "00")
        try ledger.database.execute("UPDATE signed_sessions SET signature = '\(forged)' WHERE session = 2")
        let problems = try ledger.verify().problems
        #expect(problems.contains { $0.session == 2 && $0.what.contains("signature") })
    }

    @Test func aWriterAddsNothingToBooksThatFailTheirChain() throws {
        let ledger = try ledger()
        try ledger.database.execute("UPDATE chain SET body = replace(body, '\"idle_s\":60', '\"idle_s\":6') WHERE kind = 'session_closed'")
        let refusal = Self.refusal { () throws(LedgerError) in _ = try Ledger(path: ledger.path) }
        #expect(refusal?.contains("was changed: its hash does not match; evsed adds nothing to these books") == true, "\(refusal ?? "opened")")
        // A reader still shows them, and says what is wrong.
        let reader = try Ledger(path: ledger.path, writable: false)
        #expect(try reader.integrityProblem()?.contains("was changed") == true)
    }

    @Test func booksThatLostTheirTailSaySo() throws {
        // What a removed -wal file does: the last records are gone from the database, while the
        // head beside it still names the last one.
        let ledger = try ledger()
        let last = try #require(try ledger.lastRecord()).sequence
        try ledger.database.execute("DELETE FROM chain WHERE seq > \(last - 4)")
        let report = try ledger.verify()
        #expect(report.problems.contains { $0.what.contains("4 record(s) were lost") }, "\(report.problems)")
        let refusal = Self.refusal { () throws(LedgerError) in _ = try Ledger(path: ledger.path) }
        #expect(refusal?.contains("4 record(s) were lost") == true, "\(refusal ?? "opened")")
    }

    @Test func anEmptyFileBesideItsKeyIsNotMadeIntoNewBooks() throws {
        let ledger = try ledger()
        let path = ledger.path
        try FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let refusal = Self.refusal { () throws(LedgerError) in _ = try Ledger(path: path, create: true) }
        #expect(refusal?.contains("holds no records but the books had reached record #") == true, "\(refusal ?? "a 0-byte file became a new ledger")")
        // Without the head beside it (a ledger from before it was kept), the signing key tells.
        try FileManager.default.removeItem(atPath: path + ".head")
        let keyed = Self.refusal { () throws(LedgerError) in _ = try Ledger(path: path, create: true) }
        #expect(keyed?.contains("is empty (0 bytes) but its signing key is there") == true, "\(keyed ?? "a 0-byte file became a new ledger")")
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 0, "the file was left as it was")
    }

    /// Why `body` was refused, or nil when it was not.
    static func refusal(_ body: () throws(LedgerError) -> Void) -> String? {
        do throws(LedgerError) {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
