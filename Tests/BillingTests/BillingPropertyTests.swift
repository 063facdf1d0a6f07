import Billing
import Simulation
import TestSupport
import Testing

/// Random tariffs and sessions, priced by evsed and by the reference calculator.
enum BillingCases {
    /// A zone with daylight saving: UTC+1, UTC+2 from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC.
    static let spring = CivilTime(year: 2026, month: 3, day: 29, hour: 1).secondsSinceEpoch
    static let autumn = CivilTime(year: 2026, month: 10, day: 25, hour: 1).secondsSinceEpoch
    static let zone: @Sendable (Int64) -> CivilTime = { second in
        CivilTime(utcSecond: second, offsetSeconds: second >= spring && second < autumn ? 7200 : 3600)
    }

    static func price(_ random: inout SeededRandom) -> Int64 {
        let places = Int.random(in: 0...6, using: &random)
        var unit: Int64 = 1
        for _ in 0..<(6 - places) { unit *= 10 }
        var top: Int64 = 3
        for _ in 0..<places { top *= 10 }
        return Int64.random(in: 0...top, using: &random) * unit
    }

    static func tariff(_ random: inout SeededRandom, around day: CivilTime) -> Tariff {
        let vats: [Int?] = [nil, 0, 770, 1000, 1900, 2000, 2100]
        let sharedVAT: Int?? = random.chance(0.5) ? .some(random.pick(vats)) : nil
        var elements: [TariffElement] = []
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            var components: [PriceComponent] = []
            for dimension in TariffDimension.allCases.shuffled(using: &random) where random.chance(0.45) || components.isEmpty && dimension == .energy {
                let step: Int
                switch dimension {
                case .energy: step = random.pick([1, 1, 1, 100, 250, 500, 1000])
                case .time, .parkingTime: step = random.pick([1, 1, 60, 300, 600, 900])
                case .flat: step = 1
                }
                components.append(PriceComponent(dimension, priceMillionths: price(&random), vatHundredths: sharedVAT ?? random.pick(vats), stepSize: step))
            }
            if components.isEmpty { components = [PriceComponent(.time, priceMillionths: price(&random))] }
            elements.append(TariffElement(components, restrictions: random.chance(0.35) ? nil : restrictions(&random, around: day)))
        }
        if random.chance(0.5) {
            elements.append(TariffElement([PriceComponent(.energy, priceMillionths: price(&random), vatHundredths: sharedVAT ?? random.pick(vats)),
                                           PriceComponent(.parkingTime, priceMillionths: price(&random), stepSize: random.pick([1, 300]))]))
        }
        var tariff = Tariff(id: "random", currency: try! Currency(random.pick(["EUR", "EUR", "JPY", "KWD"])), elements: elements,
                            parkingGraceSeconds: random.pick([0, 0, 300, 900]))
        if random.chance(0.25) {
            let excluding = Int64.random(in: 0...4_000_000, using: &random)
            tariff.minimumPrice = PriceLimit(excludingVAT: ExactAmount(millionths: excluding),
                                             includingVAT: ExactAmount(millionths: excluding + Int64.random(in: 0...900_000, using: &random)))
        }
        if random.chance(0.2) {
            let excluding = Int64.random(in: 4_000_000...20_000_000, using: &random)
            tariff.maximumPrice = PriceLimit(excludingVAT: ExactAmount(millionths: excluding),
                                             includingVAT: ExactAmount(millionths: excluding + Int64.random(in: 0...4_000_000, using: &random)))
        }
        return tariff
    }

    static func restrictions(_ random: inout SeededRandom, around day: CivilTime) -> TariffRestrictions {
        var restrictions = TariffRestrictions()
        let quarter = { (random: inout SeededRandom) in Int.random(in: 0..<96, using: &random) * 900 }
        if random.chance(0.5) {
            restrictions.startTime = random.chance(0.8) ? quarter(&random) : nil
            restrictions.endTime = random.chance(0.8) ? (random.chance(0.2) ? 0 : quarter(&random)) : (restrictions.startTime == nil ? 0 : nil)
        }
        if random.chance(0.2) { restrictions.daysOfWeek = Set((1...7).filter { _ in random.chance(0.5) }) }
        if random.chance(0.1) {
            let key = { (offset: Int) in day.adding(seconds: max(0, offset) * 86_400).dateKey }
            restrictions.startDate = random.chance(0.5) ? key(Int.random(in: 0...2, using: &random)) : nil
            restrictions.endDate = random.chance(0.5) ? key(Int.random(in: 1...3, using: &random)) : nil
        }
        if random.chance(0.3) {
            let kilowattHours = { (random: inout SeededRandom) in Int64.random(in: 0...8_000_000, using: &random) * random.pick([1, 1000]) / 1000 }
            restrictions.minEnergyMilliwattHours = random.chance(0.6) ? kilowattHours(&random) : nil
            restrictions.maxEnergyMilliwattHours = random.chance(0.6) ? kilowattHours(&random) : nil
        }
        if random.chance(0.15) {
            restrictions.minCurrentCentiamps = random.chance(0.6) ? random.pick([600, 1600, 2000, 3200, 4800]) : nil
            restrictions.maxCurrentCentiamps = random.chance(0.6) ? random.pick([1000, 2000, 3200, 6400]) : nil
        }
        if random.chance(0.15) {
            restrictions.minPowerWatts = random.chance(0.6) ? random.pick([1000, 3700, 7400, 11_000]) : nil
            restrictions.maxPowerWatts = random.chance(0.6) ? random.pick([3700, 7400, 11_000, 16_000, 22_000]) : nil
        }
        if random.chance(0.25) {
            restrictions.minDurationSeconds = random.chance(0.6) ? random.pick([60, 300, 900, 1800, 3600]) : nil
            restrictions.maxDurationSeconds = random.chance(0.6) ? random.pick([300, 900, 1800, 3600, 7200]) : nil
        }
        return restrictions
    }

    static func session(_ random: inout SeededRandom) -> (ReferenceCalculator.Session, day: CivilTime) {
        // Around the spring or autumn change, or an ordinary week.
        let anchor = random.pick([spring, autumn, CivilTime(year: 2026, month: 11, day: 23).secondsSinceEpoch])
        // Often just before a change of the clocks, so that sessions and silent meters cross it.
        let spread: Int64 = random.chance(0.4) ? 4 * 3600 : 2 * 86_400
        let startSecond = anchor + Int64.random(in: -spread...spread / 8, using: &random)
        let start = startSecond * 1000 + Int64.random(in: 0...999, using: &random)
        let length = random.pick([0, 30, 600, 1800, 1800, 3600, 3 * 3600]) + Int64.random(in: 0...900, using: &random)
        var register: Int64 = Int64.random(in: 0...5_000_000, using: &random)
        let startRegister: Int64? = random.chance(0.85) ? register : nil
        let activities: [SegmentActivity] = [.charging, .charging, .charging, .idle, .idle, .unavailable, .outage]
        var activity: SegmentActivity = random.chance(0.7) ? .idle : random.pick(activities)
        var samples: [MeterSample] = []
        var time = start
        while time - start < length * 1000 {
            // Mostly a reading a second or so; now and then a meter silent for minutes or hours.
            time += random.pick([0, 1, 1, 1, 2, 5, 10, 10, 30, 60, 300, 1200, 3600, 7200]) * 1000 + Int64.random(in: -400...400, using: &random)
            time = max(time, samples.last?.milliseconds ?? start)
            if random.chance(0.12) {
                activity = random.pick(activities)
                samples.append(.change(at: time, to: activity))
                continue
            }
            let seconds = max(0, (time - (samples.last?.milliseconds ?? start)) / 1000)
            let power = activity == .charging ? Double(Int.random(in: 0...22_000, using: &random)) : random.chance(0.05) ? 50 : 0
            var growth = Int64(power) * max(seconds, 1) / 3600
            if random.chance(0.03) { growth = -Int64.random(in: 1...50, using: &random) }
            if random.chance(0.03) { growth = Int64.random(in: 0...3_000, using: &random) }
            register = max(0, register + growth)
            samples.append(MeterSample(milliseconds: time, registerWh: register, activity: activity,
                                       current: power / 230 * Double(random.pick([1, 3])), power: power))
        }
        var end: Int64? = nil
        if random.chance(0.75) {
            end = start + length * 1000 + Int64.random(in: 0...2000, using: &random)
            if random.chance(0.6) {
                register += Int64.random(in: 0...20, using: &random)
                samples.append(MeterSample(milliseconds: end! + Int64.random(in: 1...3000, using: &random), registerWh: register, activity: activity))
            }
        }
        let session = ReferenceCalculator.Session(startMilliseconds: start, startRegisterWh: startRegister, samples: samples, endMilliseconds: end)
        return (session, zone(startSecond))
    }

    /// The session as evsed's books price it: fed sample by sample, ended as the books end one.
    static func metered(_ tariff: Tariff, _ session: ReferenceCalculator.Session) -> MeteredSession {
        var metered = MeteredSession(tariff: tariff, startMilliseconds: session.startMilliseconds, startRegisterWh: session.startRegisterWh,
                                     activity: session.startActivity, civilTime: zone)
        for sample in session.samples {
            if let end = session.endMilliseconds, sample.milliseconds > end { metered.end(atMilliseconds: end) }
            metered.add(sample)
        }
        if let end = session.endMilliseconds {
            metered.end(atMilliseconds: end)
            metered.finish()
        }
        return metered
    }

    /// The difference between evsed's bill and the reference's, or nil when they agree exactly.
    static func difference(_ tariff: Tariff, _ session: ReferenceCalculator.Session) -> String? {
        let expected = ReferenceCalculator.bill(tariff, session, civilTime: zone)
        guard let bill = metered(tariff, session).bill else { return "no bill" }
        let places = tariff.currency.minorUnits
        var quantities: [TariffDimension: Int64] = [:]
        for line in bill.lines { quantities[line.dimension, default: 0] += line.quantity }
        let actual = ReferenceCalculator.Result(
            excludingVAT: Fraction(bill.exactExcludingVAT.numerator, ExactAmount.denominator),
            includingVAT: Fraction(bill.exactIncludingVAT.numerator, ExactAmount.denominator),
            excludingCents: bill.exactExcludingVAT.minorUnits(places), includingCents: bill.exactIncludingVAT.minorUnits(places),
            quantities: quantities)
        guard actual != expected else { return nil }
        return "evsed: \(actual)\nreference: \(expected)"
    }
}

@Suite struct BillingPropertyTests {
    /// Thousands of random tariffs and sessions, priced by evsed and by the plain reference:
    /// equal exactly (before rounding), hence to the cent, in every case.
    @Test func evsedBillsWhatThePlainCalculatorBills() {
        var random = SeededRandom(seed: 0x65_76_73_65_64_31_33)
        var failures = 0
        for index in 0..<2500 {
            let (session, day) = BillingCases.session(&random)
            let tariff = BillingCases.tariff(&random, around: day)
            if let difference = BillingCases.difference(tariff, session) {
                failures += 1
                if failures <= 3 { Issue.record("case \(index): \(difference)\ntariff: \(tariff)\nsession: \(session)") }
            }
        }
        #expect(failures == 0)
    }

    /// While a session runs, its live cost is the bill of the session as if it ended at its
    /// last reading: the reference prices each prefix afresh.
    @Test func theLiveCostIsTheRecomputedBillAtEveryReading() {
        var random = SeededRandom(seed: 0x6C_69_76_65)
        var failures = 0
        for index in 0..<200 {
            var (session, day) = BillingCases.session(&random)
            let tariff = BillingCases.tariff(&random, around: day)
            session.endMilliseconds = nil
            let samples = session.samples.filter { $0.milliseconds <= (session.samples.last?.milliseconds ?? 0) }
            var live = MeteredSession(tariff: tariff, startMilliseconds: session.startMilliseconds, startRegisterWh: session.startRegisterWh,
                                      civilTime: BillingCases.zone)
            for (count, sample) in samples.enumerated() {
                live.add(sample)
                // A handful of moments per session: each is priced afresh from the start.
                guard count % max(1, samples.count / 5) == 0 || count == samples.count - 1 else { continue }
                var prefix = session
                prefix.samples = Array(samples[...count])
                let expected = ReferenceCalculator.bill(tariff, prefix, civilTime: BillingCases.zone)
                let bill = live.bill!
                if Fraction(bill.exactIncludingVAT.numerator, ExactAmount.denominator) != expected.includingVAT
                    || Fraction(bill.exactExcludingVAT.numerator, ExactAmount.denominator) != expected.excludingVAT {
                    failures += 1
                    if failures <= 3 { Issue.record("case \(index), after \(count + 1) samples: evsed \(bill.totalIncludingVAT), reference \(expected)") }
                }
            }
        }
        #expect(failures == 0)
    }
}
