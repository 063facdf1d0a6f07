import Billing
import EVSECore

/// A session's charging periods as the ledger stores them: one JSON array per period,
/// `[start_ms, activity, energy_wh, seconds, billable_parking, energy_element, time_element,
/// parking_element, flat_element, current_ca, power_w]`, elements by index (null where none).
public enum ChargingPeriodsText {
    public static func encode(_ periods: [ChargingPeriod]) -> String {
        let rows = periods.map { period -> String in
            let elements = [period.elements.energy, period.elements.time, period.elements.parkingTime, period.elements.flat]
                .map { $0.map(String.init) ?? "null" }
            let fields = [String(period.startSecond * 1000), JSONLine.quote(period.activity.rawValue), String(period.energyWh),
                          String(period.seconds), period.billableParking ? "1" : "0"] + elements
                + [String(period.currentCentiamps), String(period.powerWatts)]
            return "[" + fields.joined(separator: ",") + "]"
        }
        return "[" + rows.joined(separator: ",") + "]"
    }

    /// The periods of `text` as `encode` wrote it; nil when it is not that.
    public static func decode(_ text: String) -> [ChargingPeriod]? {
        let body = text.utf8
        guard body.first == UInt8(ascii: "["), body.last == UInt8(ascii: "]") else { return nil }
        let inner = text.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        var periods: [ChargingPeriod] = []
        for row in inner.split(separator: "]", omittingEmptySubsequences: true) {
            let trimmed = row.drop(while: { $0 == "," || $0 == "[" })
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 11, let start = Int64(fields[0]), let energy = Int64(fields[2]), let seconds = Int64(fields[3]),
                  let current = Int64(fields[9]), let power = Int64(fields[10]),
                  let activity = SegmentActivity(rawValue: String(fields[1].dropFirst().dropLast())) else { return nil }
            let element = { (index: Int) -> Int? in Int(fields[index]) }
            periods.append(ChargingPeriod(
                startSecond: MeteredSession.second(start), activity: activity, billableParking: fields[4] == "1",
                elements: ChargingPeriod.Elements(energy: element(5), time: element(6), parkingTime: element(7), flat: element(8)),
                energyWh: energy, seconds: seconds, currentCentiamps: current, powerWatts: power))
        }
        return periods
    }
}
