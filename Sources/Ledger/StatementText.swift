import Billing
import EVSECore
import FoundationEssentials
import Sessions

/// A statement in words, for `evsed ledger statement` and the monthly mail to each owner.
extension Statement {
    /// An amount as the statement writes it (the currency's decimals).
    public static func money(_ amount: Decimal, _ currency: String?) -> String {
        guard let code = currency, let currency = try? Currency(code) else { return "\(amount)" }
        return Money(amount, currency).plainText
    }

    /// A local time to the minute.
    static func local(_ time: Timestamp?) -> String {
        guard let time else { return "" }
        let civil = time.local
        return "\(civil.isoDate) \(civil.isoTime.prefix(5))"
    }

    public static func kilowattHours(_ wattHours: Int64) -> String { fixed(Double(wattHours) / 1000, 3) }

    /// The statement as text: the header (owner, charger, period, tariffs), a line per session, the
    /// totals per currency, and what the clock column means when it matters.
    public func text(month: String) -> [String] {
        let statement = self
        var lines = [
            "Charging statement: \(statement.owner)",
            "Charger: \(statement.charger)",
            "Period: \(month) (\(Self.local(statement.from)) to \(Self.local(statement.until)), local time)",
            "Tariff(s): \(statement.tariffs.isEmpty ? "none (not priced)" : statement.tariffs.joined(separator: ", "))",
            "",
            "session  start             end               energy kWh   excl. VAT         VAT   incl. VAT  card                  clock",
        ]
        for line in statement.lines {
            let amounts = [line.excludingVAT, line.vat, line.includingVAT].map { $0 ?? "-" }
            lines.append(
                String(repeating: " ", count: max(0, 7 - String(line.session).count)) + "\(line.session)  "
                + Self.local(line.start).padding(17) + " " + Self.local(line.end).padding(17) + " "
                + Self.kilowattHours(line.energyWh).leftPadding(10) + "  " + amounts.map { $0.leftPadding(10) }.joined(separator: "  ")
                + "  " + (line.card ?? "-").padding(20) + "  " + (line.clock?.rawValue ?? "unknown"))
        }
        if statement.lines.isEmpty { lines.append("(no sessions)") }
        lines.append("")
        for total in statement.totals {
            let code = total.currency ?? ""
            lines.append("Total: \(total.sessions) session(s), \(Self.kilowattHours(total.energyWh)) kWh, "
                         + "\(Self.money(total.excludingVAT, total.currency)) \(code) excl. VAT, \(Self.money(total.vat, total.currency)) \(code) VAT, "
                         + "\(Self.money(total.includingVAT, total.currency)) \(code) incl. VAT")
        }
        if statement.openSessions > 0 {
            lines.append("(\(statement.openSessions) session(s) not closed yet are not on this statement)")
        }
        if statement.lines.contains(where: { $0.clock != .synchronized }) {
            lines.append("A clock other than 'synchronized' means the session's times were not taken with a clock NTP had set.")
        }
        return lines
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
