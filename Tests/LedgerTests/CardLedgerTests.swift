import EVSECore
import Foundation
import Sessions
import Testing
@testable import Ledger

/// The charger's cards in the ledger (schema 6): each change one transaction with its chain
/// record, a card moved to another owner behind evsed's back found by `verify`, and a session's
/// card in its records and its signed OCMF record.
@Suite struct CardLedgerTests {
    static let at = Timestamp(milliseconds: 1_780_000_000_000)

    func ledgerWithCards() throws -> Ledger {
        let ledger = try Ledger(path: temporaryLedgerPath(), create: true, chargerID: "test charger")
        try ledger.saveCard(Card(uid: "04A1B2C3", owner: "alex", label: "blue, \"work\"", changedAt: Self.at, changedBy: "terminal"), action: "add")
        var kim = Card(uid: "04A1B2C4", owner: "kim", validUntil: Timestamp(milliseconds: Self.at.milliseconds + 86_400_000), changedAt: Self.at, changedBy: "serial ttyS0")
        try ledger.saveCard(kim, action: "add")
        kim.blocked = true
        kim.changedAt = Timestamp(milliseconds: Self.at.milliseconds + 1000)
        try ledger.saveCard(kim, action: "block")
        let spare = Card(uid: "04A1B2C9", owner: "kim", changedAt: Self.at, changedBy: "terminal")
        try ledger.saveCard(spare, action: "add")
        try ledger.removeCard(spare, at: Timestamp(milliseconds: Self.at.milliseconds + 2000), by: "terminal")
        return ledger
    }

    @Test func cardsAreKeptWithTheirChangesAndVerified() throws {
        let ledger = try ledgerWithCards()
        let cards = try ledger.cards()
        #expect(cards.map(\.uid) == ["04A1B2C3", "04A1B2C4"])
        #expect(cards[0].label == "blue, \"work\"" && !cards[0].blocked)
        #expect(cards[1].blocked && cards[1].changedBy == "serial ttyS0" && cards[1].validUntil != nil)
        #expect(try ledger.card("04A1B2C9") == nil)
        #expect(try ledger.cardChanges(limit: 10).map { Ledger.textField("action", in: $0.body) } == ["add", "add", "block", "add", "remove"])
        let report = try ledger.verify()
        #expect(report.isIntact && report.cards == 2, "\(report.problems)")
        // Refusals: blocked, expired, fine.
        #expect(cards[1].refusal(at: Self.at) == "blocked")
        var expired = cards[1]
        expired.blocked = false
        #expect(expired.refusal(at: Timestamp(milliseconds: Self.at.milliseconds + 2 * 86_400_000))?.hasPrefix("expired on ") == true)
        #expect(cards[0].refusal(at: Self.at) == nil)
    }

    @Test(arguments: [
        ("UPDATE cards SET owner = 'mallory' WHERE uid = '04A1B2C3'", "card 04A1B2C3 differs from the record of its last change"),
        ("UPDATE cards SET blocked = 0 WHERE uid = '04A1B2C4'", "card 04A1B2C4 differs from the record of its last change"),
        ("DELETE FROM cards WHERE uid = '04A1B2C3'", "card 04A1B2C3 was recorded but its row is gone"),
        ("INSERT INTO cards VALUES ('DEADBEEF', 'mallory', NULL, NULL, 0, 0, 'x')", "card DEADBEEF has no record"),
        ("INSERT INTO cards VALUES ('04A1B2C9', 'kim', NULL, NULL, 0, 1780000000000, 'terminal')", "card 04A1B2C9 differs from the record of its last change"),
    ])
    func aCardChangedBehindEvsedsBackIsFound(sql: String, expected: String) throws {
        let ledger = try ledgerWithCards()
        try ledger.database.execute(sql)
        let problems = try ledger.verify().problems.map(\.description)
        #expect(problems.contains { $0.contains(expected) }, "\(problems)")
    }

    @Test func aSessionCarriesItsCardIntoItsRecordsAndItsOCMFRecord() throws {
        let books = try recorder(temporaryLedgerPath())
        books.updateBooks { $0.nameNextOwner("kim", card: "04A1B2C4") }
        var script = EventScript()
        script.session(chargingSeconds: 120, idleSeconds: 0)
        script.session(chargingSeconds: 60, idleSeconds: 0)
        for event in script.events { try books.record(event) }
        try books.stop(at: script.now)
        let sessions = try books.ledger.sessions()
        #expect(sessions.map(\.card) == ["04A1B2C4", nil], "the naming is for one session")
        #expect(sessions.map(\.owner) == ["kim", nil])
        let payloads = try books.ledger.database.query("SELECT payload FROM signed_sessions ORDER BY session") { $0.text(0) }
        #expect(payloads[0].contains(#""IS":true,"IF":["RFID_PLAIN"],"IT":"ISO14443","ID":"04A1B2C4""#), "\(payloads[0])")
        #expect(payloads[1].contains(#""IS":false"#) && !payloads[1].contains("\"IT\""), "\(payloads[1])")
        #expect(try books.ledger.verify().isIntact)
        // The card cannot be changed afterwards: its start and its close records hold it.
        try books.ledger.database.execute("UPDATE sessions SET card = '04A1B2C3' WHERE id = 1")
        let problems = try books.ledger.verify().problems.map(\.description)
        #expect(problems.contains { $0.contains("session 1: its start") }, "\(problems)")
    }
}
