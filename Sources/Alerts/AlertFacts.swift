import Billing
import EVSECore
import FoundationEssentials
import Ledger
import Sessions

/// How facts read in a message: units and currency always, local times, short durations.
public enum AlertFacts {
    public static func energy(_ wattHours: Int64) -> String { "\(fixed(Double(wattHours) / 1000, 2)) kWh" }

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
        "\(amount(component, currency)) \(currency.code)/\(unit)"
    }

    /// A component's price including VAT, exactly, with at least the currency's minor digits: "3.60", "0.384".
    static func amount(_ component: PriceComponent, _ currency: Currency) -> String {
        // Millionths times (100 % + VAT in hundredths of a percent): 10 decimal places, exact.
        let including = Int128(component.priceMillionths) * Int128(10_000 + (component.vatHundredths ?? 0))
        return FixedDecimal.text(Int64(clamping: including), places: 10, minimumPlaces: currency.minorUnits)
    }

    /// The tariff in one line, as it stands at `moment`: "0.384 EUR/kWh; idle 3.60 EUR/h after 30 min (incl. VAT)".
    static func tariff(_ tariff: Tariff?, at time: CivilTime) -> String {
        guard let tariff else { return "no tariff (free)" }
        let moment = TariffMoment(time: time)
        var parts: [String] = []
        if let energy = tariff.component(for: .energy, at: moment) { parts.append(price(energy.component, currency: tariff.currency, unit: "kWh")) }
        if let time = tariff.component(for: .time, at: moment) { parts.append(price(time.component, currency: tariff.currency, unit: "h") + " charging") }
        if let flat = tariff.component(for: .flat, at: moment) {
            parts.append("\(amount(flat.component, tariff.currency)) \(tariff.currency.code) per session")
        }
        if let parking = tariff.component(for: .parkingTime, at: moment) {
            let grace = tariff.parkingGrace > 0 ? " after \(duration(.seconds(tariff.parkingGrace)))" : ""
            parts.append("idle " + price(parking.component, currency: tariff.currency, unit: "h") + grace)
        }
        return parts.isEmpty ? "free" : parts.joined(separator: "; ") + " (incl. VAT)"
    }

    /// The bill as `ledger show` prints it: one line per row, then the total.
    static func bill(_ bill: Bill) -> String {
        BillText.lines(bill).joined(separator: "\n")
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
        case "meter_replaced": return "the charger's meter was replaced (what it measured is billed; charging goes on in a new session)"
        default: return reason.replacing("_", with: " ")
        }
    }
}
