import Billing
import EVSECore
import Foundation
@testable import Ledger
import Sessions
import Testing

struct StatementTests {
    /// Sessions alternating between two owners; each statement holds exactly its owner's closed
    /// sessions, and its totals are the sums of their bill lines, summed here apart in SQL.
    @Test func eachOwnersTotalsAreTheSumOfTheirBills() throws {
        let path = temporaryLedgerPath()
        let books = try recorder(path)
        var script = EventScript()
        var owners: [UInt64: String] = [:]
        for index in 0..<7 {
            let owner = index % 3 == 0 ? "kim" : "alex"
            books.updateBooks { $0.nameNextOwner(owner) }
            let events = script.events.count
            let id = script.session(chargingSeconds: 600 + index * 137, idleSeconds: index * 200)
            owners[id.rawValue] = owner
            for event in script.events[events...] { try books.record(event) }
            script.wait(600)
        }
        let from = Timestamp(milliseconds: testOrigin.milliseconds - 86_400_000)
        let until = Timestamp(milliseconds: testOrigin.milliseconds + 86_400_000)
        #expect(try books.ledger.owners(from: from, until: until) == ["alex", "kim"])
        for owner in ["alex", "kim"] {
            let statement = try books.ledger.statement(owner: owner, from: from, until: until)
            #expect(statement.lines.map(\.session) == owners.filter { $0.value == owner }.keys.sorted().map { Int64($0) })
            #expect(statement.charger == "test charger" && statement.tariffs == ["test"] && statement.openSessions == 0)
            let total = try #require(statement.totals.first)
            #expect(statement.totals.count == 1 && total.currency == "EUR" && total.sessions == statement.lines.count)
            let ids = statement.lines.map { String($0.session) }.joined(separator: ",")
            let sums = try books.ledger.database.query("""
                SELECT (SELECT SUM(energy_wh) FROM sessions WHERE id IN (\(ids))),
                       (SELECT GROUP_CONCAT(excl_vat, ' ') FROM bill_lines WHERE session IN (\(ids))),
                       (SELECT GROUP_CONCAT(vat, ' ') FROM bill_lines WHERE session IN (\(ids))),
                       (SELECT GROUP_CONCAT(cost_incl, ' ') FROM sessions WHERE id IN (\(ids)))
                """) { ($0.integer(0), $0.text(1), $0.text(2), $0.text(3)) }[0]
            func sum(_ amounts: String) -> Decimal { amounts.split(separator: " ").reduce(Decimal(0)) { $0 + Decimal(string: String($1))! } }
            #expect(total.energyWh == sums.0)
            #expect(total.includingVAT == sum(sums.3), "the bills' totals")
            // The bills' lines add up to the same, VAT and all (a minimum price adds a line of its own).
            #expect(total.excludingVAT + total.vat == total.includingVAT)
            #expect(sum(sums.1) + sum(sums.2) == total.includingVAT, "\(sums)")
        }
        #expect(try books.ledger.statement(owner: "nobody", from: from, until: until).lines.isEmpty)
    }
}
