import Foundation
import Sessions
import Testing
import TestSupport
@testable import Ledger

@Suite struct OutboxTests {
    func alert(at milliseconds: Int64, kind: String = "ended") -> NewAlert {
        NewAlert(at: Timestamp(milliseconds: milliseconds), kind: kind, session: 1, owner: "alex", subject: "s", text: "t", sms: "m", facts: "{}")
    }

    @Test func anAlertAndItsDeliveriesAreStoredBeforeAnyAttemptAndSurviveAReopen() throws {
        let path = temporaryLedgerPath()
        do {
            let ledger = try Ledger(path: path, create: true)
            let id = try ledger.enqueueAlert(alert(at: 1000), deliveries: [
                NewDelivery(channel: "email", address: "alex@example.org", notBefore: Timestamp(milliseconds: 1000)),
                NewDelivery(channel: "sms", address: "+49176", notBefore: Timestamp(milliseconds: 1000)),
                NewDelivery(channel: "mqtt", address: "t", notBefore: Timestamp(milliseconds: 1000), skipped: "quiet hours"),
            ])
            #expect(id == 1)
        }
        let ledger = try Ledger(path: path)
        #expect(try ledger.dueDeliveries(on: "email", at: Timestamp(milliseconds: 999)).isEmpty)
        let due = try ledger.dueDeliveries(on: "email", at: Timestamp(milliseconds: 1000))
        #expect(due.map(\.address) == ["alex@example.org"])
        #expect(try ledger.dueDeliveries(on: "mqtt", at: Timestamp(milliseconds: 5000)).isEmpty, "a skipped delivery is never due")
        #expect(try ledger.outbox().map(\.state).sorted() == ["pending", "pending", "skipped"])
        #expect(try ledger.outbox(pendingOnly: true).count == 2)
    }

    @Test func attemptsAreRecordedUntilDeliveredOrGivenUp() throws {
        let ledger = try Ledger(path: temporaryLedgerPath(), create: true)
        try ledger.enqueueAlert(alert(at: 0), deliveries: [
            NewDelivery(channel: "email", address: "a@example.org", notBefore: Timestamp(milliseconds: 0)),
            NewDelivery(channel: "webhook", address: "http://x", notBefore: Timestamp(milliseconds: 0)),
        ])
        let email = try #require(ledger.dueDeliveries(on: "email", at: Timestamp(milliseconds: 0)).first)
        try ledger.recordAttempt(email.id, at: Timestamp(milliseconds: 10), error: "Couldn't connect", retryAt: Timestamp(milliseconds: 20_000))
        #expect(try ledger.dueDeliveries(on: "email", at: Timestamp(milliseconds: 19_999)).isEmpty)
        let again = try #require(ledger.dueDeliveries(on: "email", at: Timestamp(milliseconds: 20_000)).first)
        #expect(again.attempts == 1 && again.lastError == "Couldn't connect")
        try ledger.recordAttempt(email.id, at: Timestamp(milliseconds: 20_010), error: nil, retryAt: nil)
        let webhook = try #require(ledger.dueDeliveries(on: "webhook", at: Timestamp(milliseconds: 0)).first)
        try ledger.recordAttempt(webhook.id, at: Timestamp(milliseconds: 30), error: "HTTP 410", retryAt: nil)
        let states = Dictionary(uniqueKeysWithValues: try ledger.outbox().map { ($0.channel, ($0.state, $0.attempts)) })
        #expect(states["email"]! == ("delivered", 2))
        #expect(states["webhook"]! == ("expired", 1))
        #expect(try ledger.attempts(ofDelivery: email.id).map(\.error) == ["Couldn't connect", nil])
        #expect(try ledger.outbox(pendingOnly: true).isEmpty)
    }

    /// A delivery thread opens the ledger for the outbox only: it does not check the whole file,
    /// walk the chain or load the key (the daemon's writer did), so a chain the writer would refuse
    /// does not stop it, and it records attempts without adding a chain record.
    @Test func aDeliveryThreadOpensTheOutboxWithoutCheckingTheWholeFile() throws {
        let path = temporaryLedgerPath()
        let writer = try Ledger(path: path, create: true)
        try writer.enqueueAlert(alert(at: 0), deliveries: [NewDelivery(channel: "email", address: "a@example.org", notBefore: Timestamp(milliseconds: 0))])
        let records = try writer.database.query("SELECT count(*) FROM chain") { $0.integer(0) }
        try writer.database.execute("UPDATE chain SET body = body || ' ' WHERE seq = 1")
        #expect(throws: LedgerError.self) { try Ledger(path: path) }
        let outbox = try Ledger.outbox(path: path)
        #expect(outbox.signingKey == nil)
        let due = try #require(try outbox.dueDeliveries(on: "email", at: Timestamp(milliseconds: 0)).first)
        try outbox.recordAttempt(due.id, at: Timestamp(milliseconds: 5), error: nil, retryAt: nil)
        #expect(try writer.outbox().map(\.state) == ["delivered"])
        #expect(try writer.database.query("SELECT count(*) FROM chain") { $0.integer(0) } == records)
        // Where there is no ledger yet, none is made.
        #expect(throws: LedgerError.self) { try Ledger.outbox(path: temporaryLedgerPath()) }
    }

    @Test func aReaderOfAnOlderLedgerSeesAnEmptyOutbox() throws {
        let path = temporaryLedgerPath()
        _ = try Ledger(path: path, create: true)
        // Make it look like schema 1, as an evsed before the outbox left it.
        let database = try SQLiteConnection(path: path, create: false)
        try database.execute("""
            DROP TABLE delivery_attempts; DROP TABLE deliveries; DROP TABLE alerts;
            ALTER TABLE sessions DROP COLUMN unavailable_s; ALTER TABLE sessions DROP COLUMN periods; ALTER TABLE bill_lines DROP COLUMN unit;
            ALTER TABLE sessions DROP COLUMN clock;
            DROP TABLE ocpp_messages; DROP TABLE ocpp_transactions; DROP TABLE ocpp_configuration; DROP TABLE ocpp_profiles; DROP TABLE ocpp_id_tags;
            ALTER TABLE sessions DROP COLUMN card; DROP TABLE cards;
            PRAGMA user_version=1
            """)
        let reader = try Ledger(path: path, writable: false)
        #expect(try reader.outbox().isEmpty)
        // A writer upgrades it.
        let writer = try Ledger(path: path)
        try writer.enqueueAlert(alert(at: 0), deliveries: [])
        #expect(try writer.alerts().count == 1)
    }
}

@Suite struct SharedLedgerTests {
    /// Another process's view, as `evsed ledger` or `evsed alerts` has it.
    func count(_ path: String, _ sql: String) throws -> String {
        try SQLiteShell.rows(path, sql).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A second connection in the daemon's process (a console, a delivery thread) once dropped the
    /// process's locks on the file; a reader that came and went then took the WAL with it, and
    /// what the daemon wrote next was seen by nobody until it stopped.
    @Test func writesStayVisibleToOtherProcessesWhileSeveralConnectionsAreOpen() throws {
        let path = temporaryLedgerPath()
        let daemon = try Ledger(path: path, create: true)
        try daemon.enqueueAlert(NewAlert(at: Timestamp(milliseconds: 1), kind: "started", session: 1, owner: nil, subject: "", text: "", sms: "", facts: "{}"), deliveries: [])
        let worker = try Ledger(path: path)
        let console = try Ledger(path: path, writable: false)
        #expect(try console.alerts().count == 1)
        #expect(try count(path, "SELECT count(*) FROM alerts") == "1")
        for number in 2...3 {
            try worker.enqueueAlert(NewAlert(at: Timestamp(milliseconds: Int64(number)), kind: "ended", session: 1, owner: nil, subject: "", text: "", sms: "", facts: "{}"), deliveries: [])
            #expect(try count(path, "SELECT count(*) FROM alerts") == "\(number)")
        }
        _ = daemon
    }
}

@Suite struct OutboxRetentionTests {
    @Test func alertsThatAreDoneLeaveTheOutboxAfterNinetyDays() throws {
        let ledger = try Ledger(path: temporaryLedgerPath(), create: true)
        let day: Int64 = 86_400_000
        let now = Timestamp(milliseconds: 200 * day)
        func alert(daysAgo: Int64, delivered: Bool) throws -> Int64 {
            let at = Timestamp(milliseconds: now.milliseconds - daysAgo * day)
            let id = try ledger.enqueueAlert(NewAlert(at: at, kind: "ended", session: 1, owner: "alex", subject: "", text: "", sms: "", facts: "{}"),
                                             deliveries: [NewDelivery(channel: "email", address: "a@example.org", notBefore: at)])
            if delivered, let entry = try ledger.dueDeliveries(on: "email", at: now).first(where: { $0.alert == id }) {
                try ledger.recordAttempt(entry.id, at: at, error: nil, retryAt: nil)
            }
            return id
        }
        let oldDelivered = try alert(daysAgo: 100, delivered: true)
        let oldPending = try alert(daysAgo: 95, delivered: false)
        let recent = try alert(daysAgo: 10, delivered: true)
        try ledger.applyRetention(RetentionPolicy(), now: now)
        let left = Set(try ledger.alerts().map(\.id))
        #expect(left == [oldPending, recent], "removed: \(oldDelivered)")
        #expect(try ledger.outbox().allSatisfy { $0.alert != oldDelivered })
    }
}
