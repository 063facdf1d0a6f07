import Billing
import EVSECore
import Foundation

/// The running cost of the open session, from the control loop's events: each meter reading
/// closes an interval (the register's growth since the previous reading, charging or idle) that
/// the tariff prices incrementally.
public struct LiveBilling: Sendable {
    public let tariff: Tariff
    /// The local civil time at the event clock's origin.
    public let civilOrigin: CivilTime
    public var origin: Instant = .zero

    public private(set) var cost: SessionCost?
    private var lastReadingAt: Instant?
    private var lastRegister: WattHours?
    private var contactorClosed = false

    public init(tariff: Tariff, civilOrigin: CivilTime) {
        self.tariff = tariff
        self.civilOrigin = civilOrigin
    }

    /// Feeds one event; returns the cost so far after a meter reading during a session.
    public mutating func observe(_ event: TimedEvent) -> Bill? {
        switch event.event {
        case .action(.sessionStarted):
            cost = SessionCost(tariff: tariff)
            // The register read just before the start is the session's baseline, as the tracker's
            // start register is: the first interval runs from the start to the next reading.
            if lastRegister != nil { lastReadingAt = event.at }
        case .action(.closeContactor):
            contactorClosed = true
        case .action(.openContactor):
            contactorClosed = false
        case .meterReading(let reading):
            defer {
                lastReadingAt = event.at
                lastRegister = reading.importEnergy
            }
            guard cost != nil, let since = lastReadingAt, let register = lastRegister else { return nil }
            let seconds = Int(((event.at - since).seconds).rounded())
            guard seconds > 0 else { return cost?.bill }
            let start = civilOrigin.adding(seconds: Int((since - origin).seconds))
            // Whole watt-hours of the cumulative register, differenced: no rounding drift.
            let energy = Decimal(Int(reading.importEnergy.value.rounded())) - Decimal(Int(register.value.rounded()))
            cost?.add(SessionSegment(
                start: start, seconds: seconds, energyWh: max(0, energy), charging: contactorClosed,
                current: reading.maximumCurrent.value, power: reading.power.value))
            return cost?.bill
        default:
            break
        }
        return nil
    }

    /// The bill of the session that just ended (its last interval included), and forgets it.
    public mutating func finish() -> Bill? {
        defer { cost = nil }
        return cost?.bill
    }
}
