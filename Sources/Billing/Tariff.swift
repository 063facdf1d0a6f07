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

    /// How many of the books' units (Wh, seconds, sessions) one priced unit (kWh, hour, session) holds.
    public var unitsPerPricedUnit: Int64 {
        switch self {
        case .energy: return 1000
        case .time, .parkingTime: return 3600
        case .flat: return 1
        }
    }
}

/// A price for one dimension, excluding VAT (OCPI `PriceComponent`). Kept as integers, so a
/// price is the price the tariff file says, to the digit.
public struct PriceComponent: Hashable, Sendable {
    public var dimension: TariffDimension
    /// Excluding VAT, in millionths of the currency's major unit, per kWh, per hour or per session.
    public var priceMillionths: Int64
    /// VAT in hundredths of a percent (2000 is 20 %); nil when no VAT applies, which OCPI
    /// distinguishes from 0 %.
    public var vatHundredths: Int?
    /// Billed in blocks of this many Wh (energy) or seconds (time); see `SessionCost` for when.
    public var stepSize: Int

    /// The digits evsed keeps of a price and of a VAT rate.
    public static let pricePlaces = 6
    public static let vatPlaces = 2

    public init(_ dimension: TariffDimension, priceMillionths: Int64, vatHundredths: Int? = nil, stepSize: Int = 1) {
        precondition(stepSize >= 1, "a step size is at least 1")
        precondition(priceMillionths >= 0, "a price is not negative")
        self.dimension = dimension
        self.priceMillionths = priceMillionths
        self.vatHundredths = vatHundredths
        self.stepSize = stepSize
    }

    /// A component from decimal text ("0.30", VAT "20"), for code that writes tariffs by hand.
    public init(_ dimension: TariffDimension, price: String, vat: String? = nil, stepSize: Int = 1) {
        do throws(FixedDecimal.Error) {
            self.init(dimension, priceMillionths: try FixedDecimal.parse(price, places: Self.pricePlaces, in: 0...Tariff.largestPrice),
                      vatHundredths: try vat.map { (text) throws(FixedDecimal.Error) in Int(try FixedDecimal.parse(text, places: Self.vatPlaces, in: 0...10_000)) },
                      stepSize: stepSize)
        } catch {
            preconditionFailure("PriceComponent(\(dimension), price: \(price), vat: \(vat ?? "nil")): \(error)")
        }
    }

    /// The price as an exact decimal, excluding VAT.
    public var price: Decimal { Decimal(priceMillionths) / 1_000_000 }
    /// The VAT rate in percent, or nil.
    public var vat: Decimal? { vatHundredths.map { Decimal($0) / 100 } }
    /// "0.2834"
    public var priceText: String { FixedDecimal.text(priceMillionths, places: Self.pricePlaces) }
    /// "20", "7.7"; nil when no VAT applies.
    public var vatText: String? { vatHundredths.map { FixedDecimal.text(Int64($0), places: Self.vatPlaces) } }
}

/// When an element applies (OCPI `TariffRestrictions`). Every restriction present must hold.
/// Ranges include their lower bound and exclude their upper bound.
public struct TariffRestrictions: Hashable, Sendable {
    /// Local time of day in seconds: from `startTime` (0 … 86 340) to `endTime`, where an end of
    /// 0 (00:00) is the end of the day; an end before the start wraps past midnight (22:00 –
    /// 06:00) and an end equal to the start is the whole day.
    public var startTime: Int?
    public var endTime: Int?
    /// Local dates as yyyymmdd, start inclusive, end exclusive.
    public var startDate: Int?
    public var endDate: Int?
    /// Session energy so far, in thousandths of a Wh (kWh with 6 decimals).
    public var minEnergyMilliwattHours: Int64?
    public var maxEnergyMilliwattHours: Int64?
    /// The current of the moment summed over all phases (OCPI), in hundredths of an ampere.
    public var minCurrentCentiamps: Int64?
    public var maxCurrentCentiamps: Int64?
    /// The power of the moment, in watts.
    public var minPowerWatts: Int64?
    public var maxPowerWatts: Int64?
    /// Session duration so far, in seconds.
    public var minDurationSeconds: Int64?
    public var maxDurationSeconds: Int64?
    /// ISO days, 1 Monday … 7 Sunday.
    public var daysOfWeek: Set<Int>?

    public init() {}

    /// Whether the restrictions hold at `moment`.
    public func hold(at moment: TariffMoment) -> Bool {
        if startTime != nil || endTime != nil {
            let second = moment.time.secondOfDay
            let start = startTime ?? 0
            let end = endTime.map { $0 == 0 ? 86_400 : $0 } ?? 86_400
            let inside = start < end ? (second >= start && second < end) : (second >= start || second < end)
            if !inside { return false }
        }
        if let startDate, moment.time.dateKey < startDate { return false }
        if let endDate, moment.time.dateKey >= endDate { return false }
        // Energy in mWh: the session's whole Wh times 1000 (a session has far fewer than 10¹⁵ Wh).
        let milliwattHours = moment.sessionEnergyWh.multipliedReportingOverflow(by: 1000)
        let energy = milliwattHours.overflow ? Int64.max : milliwattHours.partialValue
        if let minEnergyMilliwattHours, energy < minEnergyMilliwattHours { return false }
        if let maxEnergyMilliwattHours, energy >= maxEnergyMilliwattHours { return false }
        if let minCurrentCentiamps, moment.currentCentiamps < minCurrentCentiamps { return false }
        if let maxCurrentCentiamps, moment.currentCentiamps >= maxCurrentCentiamps { return false }
        if let minPowerWatts, moment.powerWatts < minPowerWatts { return false }
        if let maxPowerWatts, moment.powerWatts >= maxPowerWatts { return false }
        if let minDurationSeconds, moment.sessionSeconds < minDurationSeconds { return false }
        if let maxDurationSeconds, moment.sessionSeconds >= maxDurationSeconds { return false }
        if let daysOfWeek, !daysOfWeek.contains(moment.time.weekday) { return false }
        return true
    }
}

/// What a restriction is judged on: one moment of a session.
public struct TariffMoment: Hashable, Sendable {
    public var time: CivilTime
    /// Energy delivered before this moment, whole Wh.
    public var sessionEnergyWh: Int64
    /// Seconds since the session started.
    public var sessionSeconds: Int64
    /// Current summed over all phases, in hundredths of an ampere, and power in watts.
    public var currentCentiamps: Int64
    public var powerWatts: Int64

    public init(time: CivilTime, sessionEnergyWh: Int64 = 0, sessionSeconds: Int64 = 0, currentCentiamps: Int64 = 0, powerWatts: Int64 = 0) {
        self.time = time
        self.sessionEnergyWh = sessionEnergyWh
        self.sessionSeconds = sessionSeconds
        self.currentCentiamps = currentCentiamps
        self.powerWatts = powerWatts
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

/// A bound on a session's total (OCPI `min_price` / `max_price`), excluding VAT and including it.
/// Both apply.
public struct PriceLimit: Hashable, Sendable {
    public var excludingVAT: ExactAmount
    public var includingVAT: ExactAmount

    public init(excludingVAT: ExactAmount, includingVAT: ExactAmount) {
        self.excludingVAT = excludingVAT
        self.includingVAT = includingVAT
    }

    /// A limit of `millionths` excluding VAT, and that plus VAT at `vatHundredths` including it.
    public init(millionths: Int64, vatHundredths: Int?) {
        excludingVAT = ExactAmount(millionths: millionths)
        includingVAT = excludingVAT + excludingVAT.vat(hundredthsOfPercent: vatHundredths)
    }
}

/// A tariff (OCPI 2.2.1 semantics): for each dimension, the first element whose restrictions hold
/// and that prices the dimension gives its price. Snapshotted into a session when it starts.
public struct Tariff: Hashable, Sendable {
    public var id: String
    public var currency: Currency
    public var elements: [TariffElement]
    /// A session's total is at least / at most these, excluding and including VAT alike.
    public var minimumPrice: PriceLimit?
    public var maximumPrice: PriceLimit?
    /// Idle (connected-but-not-charging) seconds per session that are free before PARKING_TIME
    /// is charged: an evsed extension, not in OCPI.
    public var parkingGrace: Int

    /// The largest price evsed takes: 10 000 of the major unit per kWh, hour or session.
    public static let largestPrice: Int64 = 10_000 * 1_000_000

    public init(id: String, currency: Currency, elements: [TariffElement], minimumPrice: PriceLimit? = nil,
                maximumPrice: PriceLimit? = nil, parkingGraceSeconds: Int = 0) {
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

    /// The VAT rate every component shares, when they all share one (nil inside: none applies);
    /// nil when the rates differ.
    public var commonVAT: Int?? {
        let rates = Set(elements.flatMap(\.components).map(\.vatHundredths))
        return rates.count == 1 ? rates.first! : rates.isEmpty ? .some(nil) : nil
    }
}
