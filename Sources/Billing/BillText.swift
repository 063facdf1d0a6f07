/// A bill in words, one line per row and the total: the layout `ledger show`, the event log and
/// the owner's alert all print.
public enum BillText {
    /// The rows' lines, then the total; `currency` is the ISO code, the totals as stored.
    public static func lines(_ rows: [BillRow], currency: String, excludingVAT: String, vat: String, includingVAT: String,
                             final: Bool = true) -> [String] {
        var lines = rows.map { line($0, currency: currency) }
        lines.append("total               \(excludingVAT) \(currency) + VAT \(vat) \(currency) = \(includingVAT) \(currency)" + (final ? "" : " so far"))
        return lines
    }

    /// The lines of a bill as computed.
    public static func lines(_ bill: Bill, final: Bool = true) -> [String] {
        lines(bill.rows, currency: bill.currency.code, excludingVAT: bill.totalExcludingVAT.plainText, vat: bill.totalVAT.plainText,
              includingVAT: bill.totalIncludingVAT.plainText, final: final)
    }

    /// "energy           4.454 kWh × 0.32           1.43 + 20 % VAT 0.28 = 1.71 EUR".
    public static func line(_ row: BillRow, currency: String) -> String {
        let name = pad(label(row.kind), 20)
        switch row.kind {
        case UnbilledTime.Reason.chargerUnavailable.rawValue, UnbilledTime.Reason.chargerDown.rawValue:
            return name + pad(quantity(row), 28) + "not billed"
        case Bill.Adjustment.Kind.minimum.rawValue, Bill.Adjustment.Kind.maximum.rawValue:
            return name + pad("", 28) + "\(signed(row.excludingVAT)) + VAT \(signed(row.vat)) = \(signed(row.includingVAT)) \(currency)"
        default:
            let per = row.kind == TariffDimension.energy.rawValue ? "/kWh" : row.kind == TariffDimension.flat.rawValue ? "" : "/h"
            let vat = row.vatPercent.isEmpty ? "no VAT" : "\(row.vatPercent) % VAT \(row.vat)"
            return name + pad("\(quantity(row)) × \(row.unitPrice)\(per)", 28) + "\(row.excludingVAT) + \(vat) = \(row.includingVAT) \(currency)"
        }
    }

    /// What a row's kind is called on a bill.
    public static func label(_ kind: String) -> String {
        switch kind {
        case "ENERGY": return "energy"
        case "TIME": return "charging time"
        case "PARKING_TIME": return "idle fee"
        case "FLAT": return "per session"
        case "CHARGER_UNAVAILABLE": return "charger unavailable"
        case "CHARGER_DOWN": return "charger down"
        case "MIN_PRICE": return "minimum price"
        case "MAX_PRICE": return "maximum price"
        default: return kind.lowercased()
        }
    }

    /// "4.454 kWh", "24 min 03 s", "1 session" (and "0.25 h" in bills stored before schema 3).
    static func quantity(_ row: BillRow) -> String {
        switch row.unit {
        case "s": return Int64(row.quantity).map(duration) ?? row.quantity + " s"
        case "session": return row.quantity == "1" ? "1 session" : row.quantity + " sessions"
        case "": return row.quantity
        default: return row.quantity + " " + row.unit
        }
    }

    /// "2 h 05 min 09 s", "24 min 03 s", "40 s".
    public static func duration(_ seconds: Int64) -> String {
        let hours = seconds / 3600, minutes = seconds / 60 % 60, rest = seconds % 60
        let two = { (value: Int64) in value < 10 ? "0\(value)" : "\(value)" }
        if hours > 0 { return "\(hours) h \(two(minutes)) min \(two(rest)) s" }
        if minutes > 0 { return "\(minutes) min \(two(rest)) s" }
        return "\(rest) s"
    }

    private static func signed(_ amount: String) -> String { amount.hasPrefix("-") ? amount : "+" + amount }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
