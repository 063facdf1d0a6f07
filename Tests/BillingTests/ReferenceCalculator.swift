import Billing

/// An exact fraction for the reference calculator: its own arithmetic, nothing shared with
/// `ExactAmount`.
struct Fraction: Hashable, Comparable, CustomStringConvertible {
    var numerator: Int128
    var denominator: Int128

    init(_ numerator: Int128, _ denominator: Int128 = 1) {
        precondition(denominator != 0)
        let sign: Int128 = denominator < 0 ? -1 : 1
        let divisor = Self.gcd(numerator.magnitude, denominator.magnitude)
        self.numerator = sign * numerator / Int128(divisor)
        self.denominator = sign * denominator / Int128(divisor)
    }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return max(a, 1)
    }

    static func + (lhs: Fraction, rhs: Fraction) -> Fraction {
        Fraction(lhs.numerator * rhs.denominator + rhs.numerator * lhs.denominator, lhs.denominator * rhs.denominator)
    }
    static func * (lhs: Fraction, rhs: Fraction) -> Fraction { Fraction(lhs.numerator * rhs.numerator, lhs.denominator * rhs.denominator) }
    static func < (lhs: Fraction, rhs: Fraction) -> Bool { lhs.numerator * rhs.denominator < rhs.numerator * lhs.denominator }

    /// To whole hundredths (or 10^-places), an exact half away from zero.
    func rounded(places: Int) -> Int64 {
        var scale: Int128 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = numerator * scale
        var whole = scaled / denominator
        let rest = scaled - whole * denominator
        if rest.magnitude * 2 >= denominator.magnitude { whole += scaled < 0 ? -1 : 1 }
        return Int64(whole)
    }

    var description: String { "\(numerator)/\(denominator)" }
}

/// A second, deliberately plain calculator written from the OCPI 2.2.1 tariff module and the
/// README's billing rules, not from `SessionCost`: it lays the session out second by second,
/// finds for every second and dimension the first element that matches, adds up, and only then
/// applies step sizes, VAT, the minimum and maximum, and rounding. Slow and obvious on purpose.
enum ReferenceCalculator {
    struct Session {
        var startMilliseconds: Int64
        var startRegisterWh: Int64?
        var startActivity: SegmentActivity = .idle
        var samples: [MeterSample]
        /// nil: the bill so far, up to the last reading.
        var endMilliseconds: Int64?
    }

    struct Result: Hashable, CustomStringConvertible {
        var excludingVAT: Fraction
        var includingVAT: Fraction
        var excludingCents: Int64
        var includingCents: Int64
        var quantities: [TariffDimension: Int64]

        var description: String {
            "excl \(excludingCents) (\(excludingVAT)), incl \(includingCents) (\(includingVAT)), quantities \(quantities.sorted { $0.key.rawValue < $1.key.rawValue })"
        }
    }

    /// One second of the session (or, for two readings in one second, a moment with no length).
    struct Slice {
        var second: Int64
        var hasLength: Bool
        var activity: SegmentActivity
        var energy: Int64
        var current: Int64
        var power: Int64
    }

    static func floorSecond(_ milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    }

    static func slices(of session: Session) -> [Slice] {
        let first = floorSecond(session.startMilliseconds)
        var changes: [(second: Int64, activity: SegmentActivity)] = [(first, session.startActivity)]
        var readings: [(second: Int64, register: Int64, current: Int64, power: Int64)] = []
        if let register = session.startRegisterWh { readings.append((first, register, 0, 0)) }
        var previousTime = session.startMilliseconds
        var values: (current: Int64, power: Int64) = (0, 0)
        var endRegisterRead = false
        for sample in session.samples {
            var time = max(sample.milliseconds, previousTime)
            let afterEnd = session.endMilliseconds.map { sample.milliseconds > $0 } ?? false
            if let end = session.endMilliseconds { time = min(time, end) }
            let second = floorSecond(time)
            if let register = sample.registerWh {
                if !afterEnd { values = (sample.currentCentiamps, sample.powerWatts) }
                readings.append((second, register, values.current, values.power))
                if afterEnd {
                    endRegisterRead = true
                    break
                }
            }
            if !afterEnd && sample.activity != .settling { changes.append((second, sample.activity)) }
            previousTime = time
        }
        if let end = session.endMilliseconds, !endRegisterRead, let last = readings.last {
            readings.append((floorSecond(end), last.register, values.current, values.power))
        } else if let end = session.endMilliseconds, readings.isEmpty {
            // No register at all: the time still counts, with no energy.
            readings.append((first, 0, 0, 0))
            readings.append((floorSecond(end), 0, 0, 0))
        }
        // The activity of each second: the last change at or before it.
        var activityAt: [Int64: SegmentActivity] = [:]
        for change in changes { activityAt[change.second] = change.activity }
        let changeSeconds = activityAt.keys.sorted()
        func activity(at second: Int64) -> SegmentActivity {
            // The last change second not after `second` (binary search over the few changes).
            var low = 0, high = changeSeconds.count
            while low < high {
                let middle = (low + high) / 2
                if changeSeconds[middle] <= second { low = middle + 1 } else { high = middle }
            }
            return low == 0 ? session.startActivity : activityAt[changeSeconds[low - 1]]!
        }

        var slices: [Slice] = []
        var highest = readings.first?.register ?? 0
        // Without a start register the first reading starts the count.
        let pairs: [(from: Int64, to: Int64, register: Int64, current: Int64, power: Int64)]
        if session.startRegisterWh == nil, let reading = readings.first {
            pairs = [(first, reading.second, reading.register, reading.current, reading.power)]
                + zip(readings, readings.dropFirst()).map { ($0.second, $1.second, $1.register, $1.current, $1.power) }
        } else {
            pairs = zip(readings, readings.dropFirst()).map { ($0.second, $1.second, $1.register, $1.current, $1.power) }
        }
        for pair in pairs {
            let energy = max(0, pair.register - highest)
            highest = max(highest, pair.register)
            let seconds = Array(pair.from..<max(pair.from, pair.to))
            if seconds.isEmpty {
                if energy > 0 {
                    slices.append(Slice(second: pair.from, hasLength: false, activity: activity(at: pair.from), energy: energy,
                                        current: pair.current, power: pair.power))
                }
                continue
            }
            let charging = seconds.filter { activity(at: $0) == .charging }
            let carriers = charging.isEmpty ? seconds : charging
            // The k-th carrying second gets floor(E(k+1)/n) − floor(Ek/n): whole Wh that add up to E.
            let count = Int64(carriers.count)
            var index: Int64 = 0
            for second in seconds {
                let carries = charging.isEmpty || activity(at: second) == .charging
                let share = carries ? energy * (index + 1) / count - energy * index / count : 0
                if carries { index += 1 }
                slices.append(Slice(second: second, hasLength: true, activity: activity(at: second), energy: share,
                                    current: pair.current, power: pair.power))
            }
        }
        return slices
    }

    /// Whether an element's restrictions let it apply at this moment (OCPI 2.2.1 TariffRestrictions).
    static func matches(_ restrictions: TariffRestrictions?, time: CivilTime, energy: Int64, duration: Int64, current: Int64, power: Int64) -> Bool {
        guard let r = restrictions else { return true }
        let minute = time.secondOfDay
        if r.startTime != nil || r.endTime != nil {
            let from = r.startTime ?? 0
            // "00:00" as the end means the end of the day.
            let until = (r.endTime == nil || r.endTime == 0) ? 86_400 : r.endTime!
            if from < until {
                if !(minute >= from && minute < until) { return false }
            } else {
                // Past midnight (or the whole day when both are equal).
                if !(minute >= from || minute < until) { return false }
            }
        }
        let date = time.year * 10_000 + time.month * 100 + time.day
        if let start = r.startDate, date < start { return false }
        if let end = r.endDate, date >= end { return false }
        if let minimum = r.minEnergyMilliwattHours, Fraction(Int128(energy)) < Fraction(Int128(minimum), 1000) { return false }
        if let maximum = r.maxEnergyMilliwattHours, !(Fraction(Int128(energy)) < Fraction(Int128(maximum), 1000)) { return false }
        if let minimum = r.minCurrentCentiamps, current < minimum { return false }
        if let maximum = r.maxCurrentCentiamps, current >= maximum { return false }
        if let minimum = r.minPowerWatts, power < minimum { return false }
        if let maximum = r.maxPowerWatts, power >= maximum { return false }
        if let minimum = r.minDurationSeconds, duration < minimum { return false }
        if let maximum = r.maxDurationSeconds, duration >= maximum { return false }
        if let days = r.daysOfWeek, !days.contains(time.weekday) { return false }
        return true
    }

    static func first(_ dimension: TariffDimension, in tariff: Tariff, time: CivilTime, energy: Int64, duration: Int64,
                      current: Int64, power: Int64) -> (Int, PriceComponent)? {
        for (index, element) in tariff.elements.enumerated() {
            guard let component = element.components.first(where: { $0.dimension == dimension }) else { continue }
            if matches(element.restrictions, time: time, energy: energy, duration: duration, current: current, power: power) { return (index, component) }
        }
        return nil
    }

    static func bill(_ tariff: Tariff, _ session: Session, civilTime: (Int64) -> CivilTime) -> Result {
        let start = floorSecond(session.startMilliseconds)
        // Quantities per dimension and element, and which element billed each dimension last.
        var quantities: [TariffDimension: [Int: Int64]] = [:]
        var components: [Int: [TariffDimension: PriceComponent]] = [:]
        var last: [TariffDimension: Int] = [:]
        func add(_ dimension: TariffDimension, _ found: (Int, PriceComponent), _ amount: Int64) {
            quantities[dimension, default: [:]][found.0, default: 0] += amount
            components[found.0, default: [:]][dimension] = found.1
            last[dimension] = found.0
        }
        var energySoFar: Int64 = 0
        var idleSoFar: Int64 = 0
        var flatDone = false
        let slices = slices(of: session)
        for slice in slices {
            let time = civilTime(slice.second)
            let duration = slice.second - start
            let look = { (dimension: TariffDimension) in
                first(dimension, in: tariff, time: time, energy: energySoFar, duration: duration, current: slice.current, power: slice.power)
            }
            if !flatDone, let flat = look(.flat) {
                add(.flat, flat, 1)
                flatDone = true
            }
            if slice.energy > 0, let energy = look(.energy) { add(.energy, energy, slice.energy) }
            if slice.hasLength && slice.activity == .charging, let time = look(.time) { add(.time, time, 1) }
            if slice.hasLength && slice.activity == .idle {
                if idleSoFar >= Int64(tariff.parkingGrace), let parking = look(.parkingTime) { add(.parkingTime, parking, 1) }
                idleSoFar += 1
            }
            energySoFar += slice.energy
        }
        if slices.isEmpty, let flat = first(.flat, in: tariff, time: civilTime(start), energy: 0, duration: 0, current: 0, power: 0) {
            add(.flat, flat, 1)
        }
        // Step sizes: once per dimension on its total, with the last element's step; TIME not
        // when parking was billed.
        let parked = (quantities[.parkingTime]?.values.reduce(0, +) ?? 0) > 0
        for dimension in [TariffDimension.energy, .time, .parkingTime] {
            guard let element = last[dimension], !(dimension == .time && parked) else { continue }
            let total = quantities[dimension]!.values.reduce(0, +)
            let step = Int64(components[element]![dimension]!.stepSize)
            let rounded = (total + step - 1) / step * step
            quantities[dimension]![element]! += rounded - total
        }
        var excluding = Fraction(0), including = Fraction(0)
        var totals: [TariffDimension: Int64] = [:]
        for (dimension, byElement) in quantities {
            for (element, quantity) in byElement {
                let component = components[element]![dimension]!
                let amount = Fraction(Int128(quantity) * Int128(component.priceMillionths), 1_000_000 * Int128(dimension.unitsPerPricedUnit))
                excluding = excluding + amount
                including = including + amount * Fraction(10_000 + Int128(component.vatHundredths ?? 0), 10_000)
                totals[dimension, default: 0] += quantity
            }
        }
        let limit = { (amount: ExactAmount) in Fraction(amount.numerator, ExactAmount.denominator) }
        if let minimum = tariff.minimumPrice {
            excluding = max(excluding, limit(minimum.excludingVAT))
            including = max(including, limit(minimum.includingVAT))
        }
        if let maximum = tariff.maximumPrice {
            excluding = min(excluding, limit(maximum.excludingVAT))
            including = min(including, limit(maximum.includingVAT))
        }
        let places = tariff.currency.minorUnits
        return Result(excludingVAT: excluding, includingVAT: including, excludingCents: excluding.rounded(places: places),
                      includingCents: including.rounded(places: places), quantities: totals)
    }
}
