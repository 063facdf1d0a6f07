import FoundationEssentials

/// What a price component charges for (OCPI 2.2.1 `TariffDimensionType`).
public enum TariffDimension: String, CaseIterable, Hashable, Sendable {
    /// Per kWh delivered.
    case energy = "ENERGY"
    /// Per hour charging.
    case time = "TIME"
    /// Per hour connected but not charging (the idle fee).
    case parkingTime = "PARKING_TIME"
    /// Per session.
    case flat = "FLAT"

    /// The unit of a quantity: Wh for energy, seconds for time, sessions for flat.
    var unitsPerPricedUnit: Decimal {
        switch self {
        case .energy: return 1000
        case .time, .parkingTime: return 3600
        case .flat: return 1
        }
    }
}

/// A price for one dimension, excluding VAT (OCPI `PriceComponent`).
public struct PriceComponent: Hashable, Sendable {
    public var dimension: TariffDimension
    /// Per kWh, per hour, or per session, excluding VAT.
    public var price: Decimal
    /// VAT in percent (20 for 20 %); nil when prices carry none.
    public var vat: Decimal?
    /// Billed in blocks of this many Wh (energy) or seconds (time); the last block is rounded up.
    public var stepSize: Int

    public init(_ dimension: TariffDimension, price: Decimal, vat: Decimal? = nil, stepSize: Int = 1) {
        precondition(stepSize >= 1, "a step size is at least 1")
        self.dimension = dimension
        self.price = price
        self.vat = vat
        self.stepSize = stepSize
    }
}

/// When an element applies (OCPI `TariffRestrictions`). Every restriction present must hold.
public struct TariffRestrictions: Hashable, Sendable {
    /// Local time of day in seconds (0 … 86399): from `startTime` (inclusive) to `endTime`
    /// (exclusive); an end before the start wraps past midnight (22:00 – 06:00).
    public var startTime: Int?
    public var endTime: Int?
    /// Dates as yyyymmdd, start inclusive, end exclusive.
    public var startDate: Int?
    public var endDate: Int?
    /// Session energy so far, kWh: min inclusive, max exclusive.
    public var minKWh: Decimal?
    public var maxKWh: Decimal?
    /// Current and power of the moment.
    public var minCurrent: Double?
    public var maxCurrent: Double?
    public var minPower: Double?
    public var maxPower: Double?
    /// Session duration so far, seconds.
    public var minDuration: Int?
    public var maxDuration: Int?
    /// ISO days, 1 Monday … 7 Sunday.
    public var daysOfWeek: Set<Int>?

    public init() {}

    /// Whether the restrictions hold at `moment`.
    public func hold(at moment: TariffMoment) -> Bool {
        let second = moment.time.secondOfDay
        switch (startTime, endTime) {
        case (let start?, let end?):
            let inside = start <= end ? (second >= start && second < end) : (second >= start || second < end)
            if !inside { return false }
        case (let start?, nil): if second < start { return false }
        case (nil, let end?): if second >= end { return false }
        case (nil, nil): break
        }
        if let startDate, moment.time.dateKey < startDate { return false }
        if let endDate, moment.time.dateKey >= endDate { return false }
        let kWh = moment.sessionEnergyWh / 1000
        if let minKWh, kWh < minKWh { return false }
        if let maxKWh, kWh >= maxKWh { return false }
        if let minCurrent, moment.current < minCurrent { return false }
        if let maxCurrent, moment.current >= maxCurrent { return false }
        if let minPower, moment.power < minPower { return false }
        if let maxPower, moment.power >= maxPower { return false }
        if let minDuration, moment.sessionSeconds < minDuration { return false }
        if let maxDuration, moment.sessionSeconds >= maxDuration { return false }
        if let daysOfWeek, !daysOfWeek.contains(moment.time.weekday) { return false }
        return true
    }
}

/// What a restriction is judged on: a moment of a session.
public struct TariffMoment: Hashable, Sendable {
    public var time: CivilTime
    public var sessionEnergyWh: Decimal
    public var sessionSeconds: Int
    /// Amperes per phase and watts in total, at that moment.
    public var current: Double
    public var power: Double

    public init(time: CivilTime, sessionEnergyWh: Decimal, sessionSeconds: Int, current: Double, power: Double) {
        self.time = time
        self.sessionEnergyWh = sessionEnergyWh
        self.sessionSeconds = sessionSeconds
        self.current = current
        self.power = power
    }
}

/// A tariff element: price components and when they apply.
public struct TariffElement: Hashable, Sendable {
    public var components: [PriceComponent]
    public var restrictions: TariffRestrictions?

    public init(_ components: [PriceComponent], restrictions: TariffRestrictions? = nil) {
        self.components = components
        self.restrictions = restrictions
    }
}

/// A tariff (OCPI 2.2.1 semantics): for each dimension, the first element whose restrictions hold
/// and that prices the dimension gives its price. Snapshotted into a session when it starts.
public struct Tariff: Hashable, Sendable {
    public var id: String
    public var currency: Currency
    public var elements: [TariffElement]
    /// The total of a session, excluding VAT, is at least / at most these.
    public var minimumPrice: Decimal?
    public var maximumPrice: Decimal?
    /// Connected-but-idle time that is free before PARKING_TIME is charged.
    public var parkingGrace: Int

    public init(id: String, currency: Currency, elements: [TariffElement], minimumPrice: Decimal? = nil,
                maximumPrice: Decimal? = nil, parkingGraceSeconds: Int = 0) {
        self.id = id
        self.currency = currency
        self.elements = elements
        self.minimumPrice = minimumPrice
        self.maximumPrice = maximumPrice
        self.parkingGrace = parkingGraceSeconds
    }

    /// The component pricing `dimension` at `moment`, and its element's index.
    public func component(for dimension: TariffDimension, at moment: TariffMoment) -> (element: Int, component: PriceComponent)? {
        for (index, element) in elements.enumerated() where element.restrictions?.hold(at: moment) ?? true {
            if let component = element.components.first(where: { $0.dimension == dimension }) { return (index, component) }
        }
        return nil
    }
}
