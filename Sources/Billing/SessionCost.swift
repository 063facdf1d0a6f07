/// The cost of a session under a tariff, kept up to date one metered interval at a time.
///
/// How evsed reads OCPI 2.2.1 (the README's billing section says the same in words):
/// - A session is priced second by second. Each second has an activity (`SegmentActivity`); the
///   energy of an interval is spread evenly, in whole Wh, over its seconds with the contactor
///   closed (over all its seconds when it never closed; two readings in one second make a slice
///   of no duration at that second).
/// - For each dimension, the first element whose restrictions hold at the start of the second
///   and that prices the dimension gives the price. Restrictions see the local time, the session's
///   energy and duration before the second, and the current (summed over the phases) and power
///   of the reading that closed the interval.
/// - FLAT is charged once: by the first second in which an element with a FLAT component holds.
/// - Step sizes apply once per session and dimension, to the dimension's total, with the step of
///   the last component that billed it; the rounded-up remainder is priced at that component.
///   When the session billed any PARKING_TIME, TIME is not rounded (only the parking total is).
///
/// Rather than walking every second, an interval is cut where a restriction could change — a
/// time of day or midnight in local time (found exactly across a daylight-saving change), a
/// duration or energy threshold, the end of the parking grace — and each piece is priced whole.
/// The test suite holds a plain second-by-second calculator and compares the two.
public struct SessionCost: Sendable {
    public let tariff: Tariff
    /// The session's first second, UTC.
    public let startSecond: Int64
    private let civilTime: @Sendable (Int64) -> CivilTime
    /// Seconds of the day where some element's time window opens or closes, and midnight.
    private let dayBoundaries: [Int]
    /// Session durations (s) at which some element starts or stops applying.
    private let durationThresholds: [Int64]
    /// Session energies (whole Wh) at which some element starts or stops applying.
    private let energyThresholds: [Int64]

    /// Energy priced so far, Wh.
    public private(set) var energyWh: Int64 = 0
    /// Seconds priced so far.
    public private(set) var seconds: Int64 = 0
    private var idleSeconds: Int64 = 0
    private var unavailableSeconds: Int64 = 0
    private var outageSeconds: Int64 = 0
    private var lines: [PricedQuantity] = []
    /// The line that last billed each dimension, whose step size the dimension's total takes.
    private var lastLine: [TariffDimension: Int] = [:]
    private var flatCharged = false
    private var anySlice = false
    /// The charging periods, for the OCPI CDR.
    public private(set) var periods: [ChargingPeriod] = []

    /// What a line has billed: a quantity in Wh, seconds or sessions at one component.
    struct PricedQuantity: Hashable, Sendable {
        var dimension: TariffDimension
        var element: Int
        var component: PriceComponent
        var quantity: Int64
    }

    /// - Parameter civilTime: the local civil time of a UTC second.
    public init(tariff: Tariff, startSecond: Int64, civilTime: @escaping @Sendable (Int64) -> CivilTime) {
        self.tariff = tariff
        self.startSecond = startSecond
        self.civilTime = civilTime
        var days: Set<Int> = [0]
        var durations: Set<Int64> = []
        var energies: Set<Int64> = []
        for restriction in tariff.elements.compactMap(\.restrictions) {
            for time in [restriction.startTime, restriction.endTime] { if let time { days.insert(time % 86_400) } }
            for duration in [restriction.minDurationSeconds, restriction.maxDurationSeconds] { if let duration { durations.insert(duration) } }
            // energy × 1000 ≥ threshold (mWh) first holds at the threshold rounded up to a whole Wh.
            for energy in [restriction.minEnergyMilliwattHours, restriction.maxEnergyMilliwattHours] {
                if let energy { energies.insert(energy <= 0 ? 0 : (energy - 1) / 1000 + 1) }
            }
        }
        dayBoundaries = days.sorted()
        durationThresholds = durations.sorted()
        energyThresholds = energies.sorted()
    }

    /// Prices one interval.
    public mutating func add(_ interval: MeteredInterval) {
        let total = interval.seconds
        guard total > 0 else {
            // Two readings within one second: the energy is priced at that second, taking no time.
            if interval.energyWh > 0 {
                let at = TariffMoment(time: civilTime(interval.startSecond), sessionEnergyWh: energyWh,
                                      sessionSeconds: interval.startSecond - startSecond,
                                      currentCentiamps: interval.currentCentiamps, powerWatts: interval.powerWatts)
                price(at: at, seconds: 0, activity: interval.runs.first?.activity ?? .charging, energyWh: interval.energyWh, billableParking: false)
            }
            return
        }
        // The seconds the energy is spread over, and how many of them came before.
        let charging = interval.chargingSeconds
        let weight = charging > 0 ? charging : total
        var weighted: Int64 = 0
        var second = interval.startSecond
        for run in interval.runs {
            let carriesEnergy = charging == 0 || run.activity == .charging
            var done: Int64 = 0
            while done < run.seconds {
                let start = second + done
                var length = run.seconds - done
                length = min(length, untilDurationThreshold(start - startSecond))
                if run.activity == .idle, idleSeconds < Int64(tariff.parkingGrace) { length = min(length, Int64(tariff.parkingGrace) - idleSeconds) }
                if carriesEnergy, interval.energyWh > 0 {
                    length = min(length, untilEnergyThreshold(energy: interval.energyWh, weight: weight, weightedBefore: weighted))
                }
                let civil = civilTime(start)
                length = min(length, untilDayBoundary(from: start, civil: civil, limit: length))
                let energy = carriesEnergy ? Self.share(interval.energyWh, weight, weighted + length) - Self.share(interval.energyWh, weight, weighted) : 0
                let at = TariffMoment(time: civil, sessionEnergyWh: energyWh, sessionSeconds: start - startSecond,
                                      currentCentiamps: interval.currentCentiamps, powerWatts: interval.powerWatts)
                price(at: at, seconds: length, activity: run.activity, energyWh: energy,
                      billableParking: run.activity == .idle && idleSeconds >= Int64(tariff.parkingGrace))
                if carriesEnergy { weighted += length }
                done += length
            }
            second += run.seconds
        }
    }

    /// The energy of the first `seconds` of `weight` seconds that share `energy` evenly, in whole
    /// Wh: the register interpolated and truncated.
    static func share(_ energy: Int64, _ weight: Int64, _ seconds: Int64) -> Int64 {
        Int64(Int128(energy) * Int128(seconds) / Int128(weight))
    }

    /// Prices a piece of an interval over which no restriction changes.
    private mutating func price(at moment: TariffMoment, seconds: Int64, activity: SegmentActivity, energyWh energy: Int64, billableParking: Bool) {
        anySlice = true
        var elements = ChargingPeriod.Elements()
        if !flatCharged, let flat = tariff.component(for: .flat, at: moment) {
            flatCharged = true
            elements.flat = flat.element
            bill(.flat, 1, flat)
        }
        if let component = tariff.component(for: .energy, at: moment) {
            elements.energy = component.element
            if energy > 0 { bill(.energy, energy, component) }
        }
        switch activity {
        case .charging:
            if seconds > 0, let component = tariff.component(for: .time, at: moment) {
                elements.time = component.element
                bill(.time, seconds, component)
            }
        case .idle:
            if seconds > 0, billableParking, let component = tariff.component(for: .parkingTime, at: moment) {
                elements.parkingTime = component.element
                bill(.parkingTime, seconds, component)
            }
            idleSeconds += seconds
        case .unavailable: unavailableSeconds += seconds
        case .outage: outageSeconds += seconds
        case .settling: break
        }
        let startSecond = self.startSecond + moment.sessionSeconds
        let period = ChargingPeriod(startSecond: startSecond, activity: activity, billableParking: billableParking, elements: elements,
                                    energyWh: energy, seconds: seconds, currentCentiamps: moment.currentCentiamps, powerWatts: moment.powerWatts)
        if let last = periods.last, last.continues(with: period) {
            periods[periods.count - 1].energyWh += energy
            periods[periods.count - 1].seconds += seconds
        } else {
            periods.append(period)
        }
        energyWh += energy
        self.seconds += seconds
    }

    private mutating func bill(_ dimension: TariffDimension, _ quantity: Int64, _ choice: (element: Int, component: PriceComponent)) {
        let index: Int
        if let found = lines.firstIndex(where: { $0.dimension == dimension && $0.element == choice.element }) {
            index = found
        } else {
            index = lines.count
            lines.append(PricedQuantity(dimension: dimension, element: choice.element, component: choice.component, quantity: 0))
        }
        lines[index].quantity += quantity
        lastLine[dimension] = index
    }

    /// Seconds from session second `elapsed` to the next duration threshold.
    private func untilDurationThreshold(_ elapsed: Int64) -> Int64 {
        durationThresholds.first(where: { $0 > elapsed }).map { $0 - elapsed } ?? .max
    }

    /// Seconds until the session's energy reaches the next threshold, when `weightedBefore` of the
    /// interval's `weight` seconds have passed.
    private func untilEnergyThreshold(energy: Int64, weight: Int64, weightedBefore: Int64) -> Int64 {
        guard let threshold = energyThresholds.first(where: { $0 > energyWh }) else { return .max }
        // The first j with energyWh + share(w + j) − share(w) ≥ threshold:
        // share(w + j) ≥ V ⟺ energy × (w + j) ≥ V × weight.
        let target = Int128(threshold - energyWh) + Int128(Self.share(energy, weight, weightedBefore))
        let needed = (target * Int128(weight) + Int128(energy) - 1) / Int128(energy)
        return Int64(clamping: max(1, needed - Int128(weightedBefore)))
    }

    /// Seconds from `second` (whose local time is `civil`) to the next local time of day at which
    /// an element's window opens or closes, or midnight; at most `limit`. Where the local clock
    /// jumps within that stretch (a daylight-saving change), the stretch ends at the jump.
    private func untilDayBoundary(from second: Int64, civil: CivilTime, limit: Int64) -> Int64 {
        let now = civil.secondOfDay
        var distance = limit
        for boundary in dayBoundaries {
            distance = min(distance, Int64(boundary > now ? boundary - now : boundary + 86_400 - now))
        }
        guard distance > 1 else { return distance }
        let runsEvenly = { (offset: Int64) in self.civilTime(second + offset) == civil.adding(seconds: Int(offset)) }
        if runsEvenly(distance - 1) { return distance }
        // The first second whose local time is not `civil` plus the seconds since: the jump.
        var low: Int64 = 1, high = distance - 1
        while low < high {
            let middle = (low + high) / 2
            if runsEvenly(middle) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The bill as things stand: the live cost during the session, the final bill after it.
    public var bill: Bill {
        var lines = self.lines
        var lastLine = self.lastLine
        // A session with no time and no energy still pays the flat fee of its start.
        if !anySlice, let flat = tariff.component(for: .flat, at: TariffMoment(time: civilTime(startSecond))) {
            lines.append(PricedQuantity(dimension: .flat, element: flat.element, component: flat.component, quantity: 1))
        }
        let measured = lines.map(\.quantity)
        let parked = lines.contains { $0.dimension == .parkingTime && $0.quantity > 0 }
        for dimension in [TariffDimension.energy, .time, .parkingTime] {
            // With parking billed, only the parking total is rounded (OCPI 2.2.1).
            if dimension == .time && parked { continue }
            guard let last = lastLine.removeValue(forKey: dimension) else { continue }
            let total = lines.reduce(Int64(0)) { $0 + ($1.dimension == dimension ? $1.quantity : 0) }
            let step = Int64(lines[last].component.stepSize)
            let remainder = total % step
            if remainder > 0 { lines[last].quantity += step - remainder }
        }
        let billLines = zip(lines, measured).map { line, measured in
            let excluding = ExactAmount(quantity: line.quantity, unitsPerPricedUnit: line.dimension.unitsPerPricedUnit,
                                        priceMillionths: line.component.priceMillionths)
            return BillLine(dimension: line.dimension, element: line.element, component: line.component, measuredQuantity: measured,
                            quantity: line.quantity, excludingVAT: excluding, vat: excluding.vat(hundredthsOfPercent: line.component.vatHundredths))
        }
        var unbilled: [UnbilledTime] = []
        if unavailableSeconds > 0 { unbilled.append(UnbilledTime(reason: .chargerUnavailable, seconds: unavailableSeconds)) }
        if outageSeconds > 0 { unbilled.append(UnbilledTime(reason: .chargerDown, seconds: outageSeconds)) }
        return Bill(currency: tariff.currency, lines: billLines, unbilled: unbilled, minimum: tariff.minimumPrice, maximum: tariff.maximumPrice)
    }
}

/// A stretch of a session over which the same components applied, as an OCPI CDR's
/// `ChargingPeriod` reports it.
public struct ChargingPeriod: Hashable, Sendable {
    /// The elements (by index in the tariff) that priced each dimension; nil where none did.
    public struct Elements: Hashable, Sendable {
        public var energy: Int?
        public var time: Int?
        public var parkingTime: Int?
        public var flat: Int?

        public init(energy: Int? = nil, time: Int? = nil, parkingTime: Int? = nil, flat: Int? = nil) {
            self.energy = energy
            self.time = time
            self.parkingTime = parkingTime
            self.flat = flat
        }
    }

    public var startSecond: Int64
    public var activity: SegmentActivity
    /// Idle time past the grace period (PARKING_TIME); idle time within it is free.
    public var billableParking: Bool
    public var elements: Elements
    public var energyWh: Int64
    public var seconds: Int64
    /// The current (summed over phases, 10 mA) and power (W) the restrictions saw at its start.
    public var currentCentiamps: Int64
    public var powerWatts: Int64

    public init(startSecond: Int64, activity: SegmentActivity, billableParking: Bool, elements: Elements, energyWh: Int64, seconds: Int64,
                currentCentiamps: Int64, powerWatts: Int64) {
        self.startSecond = startSecond
        self.activity = activity
        self.billableParking = billableParking
        self.elements = elements
        self.energyWh = energyWh
        self.seconds = seconds
        self.currentCentiamps = currentCentiamps
        self.powerWatts = powerWatts
    }

    /// Whether `next` is the same period going on: it starts where this one ends, with the same
    /// activity and the same elements pricing it.
    func continues(with next: ChargingPeriod) -> Bool {
        next.startSecond == startSecond + seconds && next.activity == activity && next.billableParking == billableParking
            && next.elements.flat == nil && next.elements.energy == elements.energy && next.elements.time == elements.time
            && next.elements.parkingTime == elements.parkingTime
    }
}
