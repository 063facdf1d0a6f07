import Billing
import EVSECore
import FoundationEssentials
import Ledger

/// How facts read in a message: units and currency always, local times, short durations.
enum AlertFacts {
    static func energy(_ wattHours: Int64) -> String { "\(fixed(Double(wattHours) / 1000, 2)) kWh" }

    static func power(_ watts: Double) -> String { "\(fixed(watts / 1000, 1)) kW" }

    /// "1 h 05 min", "25 min", "40 s".
    static func duration(_ duration: Duration) -> String {
        let seconds = max(0, Int(duration.seconds.rounded()))
        if seconds < 60 { return "\(seconds) s" }
        let minutes = (seconds + 30) / 60
        if minutes < 60 { return "\(minutes) min" }
        let rest = minutes % 60
        return "\(minutes / 60) h \(rest < 10 ? "0" : "")\(rest) min"
    }

    /// "14:05" in local time.
    static func time(_ timestamp: Timestamp) -> String {
        let second = timestamp.local.secondOfDay
        return "\(twoDigits(second / 3600)):\(twoDigits(second / 60 % 60))"
    }

    static func date(_ timestamp: Timestamp) -> String {
        let local = timestamp.local
        return "\(local.year)-\(twoDigits(local.month))-\(twoDigits(local.day))"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// A price including VAT: "0.384 EUR/kWh".
    static func price(_ component: PriceComponent, currency: Currency, unit: String) -> String {
        "\(amount(component.price * (1 + (component.vat ?? 0) / 100), currency)) \(currency.code)/\(unit)"
    }

    /// An exact amount with at least the currency's minor digits: "3.60", "0.384".
    static func amount(_ value: Decimal, _ currency: Currency) -> String {
        let text = value.description
        let fraction = text.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
        guard fraction < currency.minorUnits else { return text }
        return text + (fraction == 0 ? "." : "") + String(repeating: "0", count: currency.minorUnits - fraction)
    }

    /// The tariff in one line, as it stands at `moment`: "0.384 EUR/kWh; idle 3.60 EUR/h after 30 min (incl. VAT)".
    static func tariff(_ tariff: Tariff?, at time: CivilTime) -> String {
        guard let tariff else { return "no tariff (free)" }
        let moment = TariffMoment(time: time, sessionEnergyWh: 0, sessionSeconds: 0, current: 0, power: 0)
        var parts: [String] = []
        if let energy = tariff.component(for: .energy, at: moment) { parts.append(price(energy.component, currency: tariff.currency, unit: "kWh")) }
        if let time = tariff.component(for: .time, at: moment) { parts.append(price(time.component, currency: tariff.currency, unit: "h") + " charging") }
        if let flat = tariff.component(for: .flat, at: moment) {
            parts.append("\(amount(flat.component.price * (1 + (flat.component.vat ?? 0) / 100), tariff.currency)) \(tariff.currency.code) per session")
        }
        if let parking = tariff.component(for: .parkingTime, at: moment) {
            let grace = tariff.parkingGrace > 0 ? " after \(duration(.seconds(tariff.parkingGrace)))" : ""
            parts.append("idle " + price(parking.component, currency: tariff.currency, unit: "h") + grace)
        }
        return parts.isEmpty ? "free" : parts.joined(separator: "; ") + " (incl. VAT)"
    }

    /// The bill's lines, one per line, with the totals. Lines are shown without VAT, as the
    /// totals add them up: the VAT is rounded once, on the total.
    static func bill(_ bill: Bill) -> String {
        var lines = bill.lines.map { item in
            let unit = item.dimension == .energy ? "kWh" : item.dimension == .flat ? "session" : "h"
            return "\(item.dimension.rawValue.lowercased().replacing("_", with: " ")): \(item.quantity) \(unit) × \(item.unitPrice) = \(Money(item.amountExcludingVAT, bill.currency).rounded) + \(item.vatPercent) % VAT"
        }
        if bill.adjustment != 0 {
            lines.append("\(bill.adjustment > 0 ? "minimum" : "maximum") price: \(Money(bill.adjustment, bill.currency).rounded) excl. VAT")
        }
        lines.append("total: \(bill.totalIncludingVAT) incl. \(bill.totalVAT) VAT")
        return lines.joined(separator: "\n")
    }

    /// Why a session ended, in words.
    static func reason(_ reason: String) -> String {
        switch reason {
        case "vehicle_unplugged": return "the car was unplugged"
        case "stop_command": return "stopped"
        case "limit": return "your limit was reached"
        case "charger_disabled": return "the charger was taken out of service"
        case "fault": return "a fault"
        case "power_loss": return "a power cut"
        case "daemon_stopped": return "the charger restarted"
        default: return reason.replacing("_", with: " ")
        }
    }
}
