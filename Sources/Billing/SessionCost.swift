import FoundationEssentials

/// What a session was doing over an interval, which decides the time it is billed for.
public enum SegmentActivity: String, Hashable, Sendable {
    /// The contactor was closed: TIME.
    case charging
    /// Connected but not charging: PARKING_TIME, after the grace period.
    case idle
    /// The charger itself was down (a power cut, a restart): the energy the register shows is
    /// billed, the time is not; the owner does not pay for the charger's outage.
    case outage
    /// After the session's end: the reading that follows it brings the energy drawn until the
    /// contactor opened, and no time.
    case settling
}

/// An interval of a session between two meter readings.
public struct SessionSegment: Hashable, Sendable {
    /// Local time at the start of the interval; restrictions are judged there.
    public var start: CivilTime
    public var seconds: Int
    /// The import register's growth over the interval.
    public var energyWh: Decimal
    public var activity: SegmentActivity
    public var current: Double
    public var power: Double

    public init(start: CivilTime, seconds: Int, energyWh: Decimal, activity: SegmentActivity, current: Double = 0, power: Double = 0) {
        self.start = start
        self.seconds = seconds
        self.energyWh = energyWh
        self.activity = activity
        self.current = current
        self.power = power
    }
}

/// One line of a bill: a dimension at one price.
public struct BillLine: Hashable, Sendable {
    public var dimension: TariffDimension
    /// Excluding VAT, per kWh, per hour or per session.
    public var unitPrice: Decimal
    /// In kWh, hours or sessions, after the step size.
    public var quantity: Decimal
    public var vatPercent: Decimal
    public var amountExcludingVAT: Decimal
    public var vat: Decimal
    public var amountIncludingVAT: Decimal { amountExcludingVAT + vat }
}

/// The bill of a session: its lines and totals, rounded once to the currency's minor unit.
public struct Bill: Hashable, Sendable {
    public var currency: Currency
    public var lines: [BillLine]
    /// The change made by the tariff's minimum or maximum price, excluding VAT (0 when none).
    public var adjustment: Decimal
    public var totalExcludingVAT: Money
    public var totalVAT: Money
    public var totalIncludingVAT: Money
}

/// The cost of a session, kept up to date one segment at a time: each reading adds to the
/// quantities of its lines, and the cost is computed from those few lines, never by going over the
/// session again.
public struct SessionCost: Sendable {
    public let tariff: Tariff
    public private(set) var energyWh: Decimal = 0
    public private(set) var sessionSeconds = 0
    public private(set) var chargingSeconds = 0
    public private(set) var idleSeconds = 0
    public private(set) var outageSeconds = 0

    private struct LineKey: Hashable, Sendable {
        var dimension: TariffDimension
        var element: Int
    }
    /// Raw quantities per line: Wh, seconds or sessions.
    private var quantities: [LineKey: Decimal] = [:]
    private var components: [LineKey: PriceComponent] = [:]
    private var order: [LineKey] = []
    private var flatCharged = false

    public init(tariff: Tariff) { self.tariff = tariff }

    /// Adds one interval of the session.
    public mutating func add(_ segment: SessionSegment) {
        let moment = TariffMoment(time: segment.start, sessionEnergyWh: energyWh, sessionSeconds: sessionSeconds,
                                  current: segment.current, power: segment.power)
        if !flatCharged {
            flatCharged = true
            charge(.flat, 1, at: moment)
        }
        if segment.energyWh > 0 { charge(.energy, segment.energyWh, at: moment) }
        switch segment.activity {
        case .charging:
            charge(.time, Decimal(segment.seconds), at: moment)
            chargingSeconds += segment.seconds
        case .idle:
            // The idle fee starts once the grace period is used up.
            let billableBefore = max(0, idleSeconds - tariff.parkingGrace)
            idleSeconds += segment.seconds
            let billableAfter = max(0, idleSeconds - tariff.parkingGrace)
            if billableAfter > billableBefore { charge(.parkingTime, Decimal(billableAfter - billableBefore), at: moment) }
        case .outage:
            outageSeconds += segment.seconds
        case .settling:
            break
        }
        energyWh += segment.energyWh
        sessionSeconds += segment.seconds
    }

    private mutating func charge(_ dimension: TariffDimension, _ quantity: Decimal, at moment: TariffMoment) {
        guard let (element, component) = tariff.component(for: dimension, at: moment) else { return }
        let key = LineKey(dimension: dimension, element: element)
        if quantities[key] == nil {
            order.append(key)
            components[key] = component
        }
        quantities[key, default: 0] += quantity
    }

    /// The bill as things stand: the live cost during the session, the final bill after it.
    public var bill: Bill {
        var lines: [BillLine] = []
        for key in order {
            let component = components[key]!
            let raw = quantities[key]!
            let stepped = Self.roundedUp(raw, toMultipleOf: Decimal(component.stepSize))
            let quantity = key.dimension == .flat ? raw : stepped / key.dimension.unitsPerPricedUnit
            let excluding = quantity * component.price
            let vatPercent = component.vat ?? 0
            lines.append(BillLine(dimension: key.dimension, unitPrice: component.price, quantity: quantity, vatPercent: vatPercent,
                                  amountExcludingVAT: excluding, vat: excluding * vatPercent / 100))
        }
        let excluding = lines.reduce(Decimal(0)) { $0 + $1.amountExcludingVAT }
        let vat = lines.reduce(Decimal(0)) { $0 + $1.vat }
        var clamped = excluding
        if let minimum = tariff.minimumPrice, clamped < minimum { clamped = minimum }
        if let maximum = tariff.maximumPrice, clamped > maximum { clamped = maximum }
        // The adjustment carries the session's average VAT rate (the first line's when nothing was billed).
        let rate = excluding > 0 ? vat / excluding : (lines.first?.vatPercent ?? 0) / 100
        let adjustedVAT = vat + (clamped - excluding) * rate
        let currency = tariff.currency
        // Each total is rounded once; the total including VAT is the sum of the two rounded
        // totals, so the bill adds up to the cent.
        let roundedExcluding = Money(clamped, currency).rounded
        let roundedVAT = Money(adjustedVAT, currency).rounded
        return Bill(
            currency: currency, lines: lines, adjustment: clamped - excluding,
            totalExcludingVAT: roundedExcluding, totalVAT: roundedVAT, totalIncludingVAT: roundedExcluding + roundedVAT)
    }

    static func roundedUp(_ value: Decimal, toMultipleOf step: Decimal) -> Decimal {
        guard step > 1 else { return value }
        return (value / step).rounded(scale: 0, .up) * step
    }
}
