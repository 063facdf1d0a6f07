import Billing
import Foundation
import Testing

/// The cost of sessions under OCPI-style tariffs, including the cases people get wrong.
@Suite struct SessionCostTests {
    let euro = try! Currency("EUR")
    let evening = CivilTime(year: 2026, month: 11, day: 25, hour: 22, minute: 0)

    func tariff(_ elements: [TariffElement], minimum: PriceLimit? = nil, maximum: PriceLimit? = nil, grace: Int = 0) -> Tariff {
        Tariff(id: "t", currency: euro, elements: elements, minimumPrice: minimum, maximumPrice: maximum, parkingGraceSeconds: grace)
    }

    func window(_ start: Int?, _ end: Int?) -> TariffRestrictions {
        var restrictions = TariffRestrictions()
        restrictions.startTime = start.map { $0 * 3600 }
        restrictions.endTime = end.map { $0 * 3600 }
        return restrictions
    }

    @Test func energyAtOnePriceWithVAT() {
        let tariff = tariff([TariffElement([PriceComponent(.energy, price: "0.30", vat: "20")])])
        // 50 minutes at 12 kW: 10 kWh.
        let bill = SessionScript.minutes(50, from: evening).bill(tariff)
        #expect(bill.lines.count == 1)
        #expect(bill.lines.first?.quantity == 10_000)
        #expect(bill.totalExcludingVAT.description == "3.00 EUR")
        #expect(bill.totalVAT.description == "0.60 EUR")
        #expect(bill.totalIncludingVAT.description == "3.60 EUR")
    }

    @Test func aSessionAcrossMidnightTakesBothPrices() {
        // Day price 07:00 – 23:00, night price otherwise; 22:00 → 01:00 at 12 kW.
        let tariff = tariff([
            TariffElement([PriceComponent(.energy, price: "0.40")], restrictions: window(7, 23)),
            TariffElement([PriceComponent(.energy, price: "0.20")]),
        ])
        let bill = SessionScript.minutes(180, from: evening).bill(tariff)
        #expect(bill.lines.map(\.component.priceText) == ["0.4", "0.2"])
        // 12 kWh by day, 24 kWh by night: 4.80 + 4.80.
        #expect(bill.lines.map(\.quantity) == [12_000, 24_000])
        #expect(bill.totalExcludingVAT.description == "9.60 EUR")
    }

    @Test func aRestrictionThatWrapsPastMidnight() {
        let tariff = tariff([
            TariffElement([PriceComponent(.energy, price: "0.10")], restrictions: window(22, 6)),
            TariffElement([PriceComponent(.energy, price: "0.50")]),
        ])
        let lateNight = SessionScript.minutes(60, from: CivilTime(year: 2026, month: 11, day: 25, hour: 23, minute: 30)).bill(tariff)
        #expect(lateNight.lines.map(\.component.priceText) == ["0.1"])
        let morning = SessionScript.minutes(60, from: CivilTime(year: 2026, month: 11, day: 26, hour: 5, minute: 30)).bill(tariff)
        #expect(morning.lines.map(\.component.priceText) == ["0.1", "0.5"])
        #expect(morning.lines.map(\.quantity) == [6000, 6000])
    }

    @Test func anEndTimeOfMidnightIsTheEndOfTheDay() {
        // "to stop at end of the day use 00:00": 18:00 – 00:00 covers 23:30; 00:00 – 00:00 is the whole day.
        let evening = tariff([
            TariffElement([PriceComponent(.energy, price: "0.10")], restrictions: window(18, 0)),
            TariffElement([PriceComponent(.energy, price: "0.50")]),
        ])
        let late = SessionScript.minutes(60, from: CivilTime(year: 2026, month: 11, day: 25, hour: 23, minute: 30)).bill(evening)
        #expect(late.lines.map(\.component.priceText) == ["0.1", "0.5"])
        #expect(late.lines.map(\.quantity) == [6000, 6000])
        let allDay = tariff([
            TariffElement([PriceComponent(.energy, price: "0.10")], restrictions: window(0, 0)),
            TariffElement([PriceComponent(.energy, price: "0.50")]),
        ])
        #expect(SessionScript.minutes(180, from: today(at: 21)).bill(allDay).lines.map(\.component.priceText) == ["0.1"])
    }

    func today(at hour: Int) -> CivilTime { CivilTime(year: 2026, month: 11, day: 25, hour: hour) }

    @Test func timeIsBilledInWholeSteps() {
        // 2.00 EUR per hour in 15-minute steps: 20 minutes cost 30 minutes.
        let tariff = tariff([TariffElement([PriceComponent(.time, price: "2", stepSize: 900)])])
        let bill = SessionScript.minutes(20, from: evening).bill(tariff)
        #expect(bill.lines.first?.measuredQuantity == 1200)
        #expect(bill.lines.first?.quantity == 1800)
        #expect(bill.totalExcludingVAT.description == "1.00 EUR")
    }

    @Test func aStepSizeAppliesOnceToTheSessionsTotalWithTheLastElementsStep() {
        // OCPI 2.2.1's example: 0.20/kWh before 17:00, 0.27 after, both in 500 Wh steps; 4.3 kWh
        // before and 1.1 kWh after are 5.4 kWh, billed 5.5: the remainder at the last price.
        let energy = tariff([
            TariffElement([PriceComponent(.energy, price: "0.20", stepSize: 500)], restrictions: window(nil, 17)),
            TariffElement([PriceComponent(.energy, price: "0.27", stepSize: 500)]),
        ])
        var script = SessionScript(start: today(at: 16))
        script.change(at: 0, to: .charging)
        script.reading(at: 3600, adding: 4300)
        script.reading(at: 5400, adding: 1100)
        let bill = script.bill(energy, endingAt: 5400)
        #expect(bill.lines.map(\.quantity) == [4300, 1200])
        // 0.86 + 0.324 = 1.184 (per-line rounding up would bill 4.5 + 1.5 kWh: 1.305).
        #expect(bill.totalExcludingVAT.description == "1.18 EUR")

        // The same for time: 5/h before 17:00, 7/h after, 10-minute steps; 6 + 22 minutes are
        // billed as 30, so 24 minutes after 17:00.
        let time = tariff([
            TariffElement([PriceComponent(.time, price: "5", stepSize: 600)], restrictions: window(nil, 17)),
            TariffElement([PriceComponent(.time, price: "7", stepSize: 600)]),
        ])
        var short = SessionScript(start: CivilTime(year: 2026, month: 11, day: 25, hour: 16, minute: 54))
        short.change(at: 0, to: .charging)
        short.reading(at: 28 * 60, adding: 1000)
        let timeBill = short.bill(time, endingAt: 28 * 60)
        #expect(timeBill.lines.map(\.quantity) == [6 * 60, 24 * 60])
        #expect(timeBill.totalExcludingVAT.description == "3.30 EUR")
    }

    @Test func chargingTimeFollowedByParkingIsNotRoundedOnItsOwn() {
        // OCPI 2.2.1: 1/h charging and 2/h parking, 10-minute steps; 21 minutes charging and 16
        // parked bill 21 + 20 minutes, not 30 + 20.
        let tariff = tariff([TariffElement([PriceComponent(.time, price: "1", stepSize: 600), PriceComponent(.parkingTime, price: "2", stepSize: 600)])])
        var script = SessionScript(start: evening)
        script.change(at: 0, to: .charging)
        script.change(at: 21 * 60, to: .idle)
        script.reading(at: 37 * 60, adding: 3000)
        let bill = script.bill(tariff, endingAt: 37 * 60)
        #expect(bill.quantity(.time) == 21 * 60)
        #expect(bill.quantity(.parkingTime) == 20 * 60)
        // 0.35 + 0.6667 = 1.0167.
        #expect(bill.totalExcludingVAT.description == "1.02 EUR")
        // Without parking, the charging time is rounded.
        var charging = SessionScript(start: evening)
        charging.change(at: 0, to: .charging)
        charging.reading(at: 21 * 60, adding: 3000)
        #expect(charging.bill(tariff, endingAt: 21 * 60).quantity(.time) == 30 * 60)
    }

    @Test func theIdleFeeStartsAfterTheGracePeriod() {
        // 30 minutes charging, then 45 minutes idle with 15 minutes of grace: 30 idle minutes at 6/h.
        let tariff = tariff([TariffElement([PriceComponent(.energy, price: "0.30"), PriceComponent(.parkingTime, price: "6")])], grace: 15 * 60)
        let session = SessionScript.minutes(75, from: evening) { $0 < 30 }.metered(tariff)
        let bill = session.bill!
        #expect(session.idleSeconds == 45 * 60)
        #expect(bill.quantity(.parkingTime) == 30 * 60)
        // 6 kWh × 0.30 + 0.5 h × 6.
        #expect(bill.totalExcludingVAT.description == "4.80 EUR")
    }

    @Test func timeTheChargerCouldNotChargeIsNoIdleTime() {
        // Charging, a fault (20 min), charging, then the car is full (30 min): the idle fee covers
        // the car's 30 minutes only; the fault's 20 are on a line of their own, not billed.
        let tariff = tariff([TariffElement([PriceComponent(.energy, price: "0.30"), PriceComponent(.parkingTime, price: "6")])])
        var script = SessionScript(start: evening)
        script.change(at: 0, to: .charging)
        script.reading(at: 600, adding: 2000)
        script.change(at: 600, to: .unavailable)
        script.reading(at: 1800, adding: 0)
        script.change(at: 1800, to: .charging)
        script.reading(at: 2400, adding: 2000)
        script.change(at: 2400, to: .idle)
        script.reading(at: 4200, adding: 0)
        let session = script.metered(tariff, endingAt: 4200)
        let bill = session.bill!
        #expect(session.unavailableSeconds == 1200)
        #expect(bill.quantity(.parkingTime) == 1800)
        #expect(bill.unbilled == [UnbilledTime(reason: .chargerUnavailable, seconds: 1200)])
        #expect(bill.rows.map(\.kind) == ["ENERGY", "PARKING_TIME", "CHARGER_UNAVAILABLE"])
        #expect(bill.rows.last?.includingVAT == "0.00")
        // 4 kWh × 0.30 + 0.5 h × 6.
        #expect(bill.totalExcludingVAT.description == "4.20 EUR")
    }

    @Test func minimumAndMaximumPricesHoldExcludingAndIncludingVAT() {
        let cheap = tariff([TariffElement([PriceComponent(.energy, price: "0.30", vat: "20")])],
                           minimum: PriceLimit(millionths: 2_000_000, vatHundredths: 2000))
        // 1.2 kWh × 0.30 = 0.36, raised to the 2.00 minimum, 2.40 with VAT.
        let small = SessionScript.minutes(6, from: evening).bill(cheap)
        #expect(small.totalExcludingVAT.description == "2.00 EUR")
        #expect(small.totalIncludingVAT.description == "2.40 EUR")
        #expect(small.adjustments.first?.excludingVAT.rounded(euro).description == "1.64 EUR")
        // Nothing billed at all: still the minimum including its VAT, not the bare 2.00.
        let nothing = SessionScript.minutes(6, from: evening) { _ in false }.bill(cheap)
        #expect(nothing.totalIncludingVAT.description == "2.40 EUR")
        #expect(nothing.totalVAT.description == "0.40 EUR")
        let capped = tariff([TariffElement([PriceComponent(.energy, price: "1")])], maximum: PriceLimit(millionths: 10_000_000, vatHundredths: nil))
        #expect(SessionScript.minutes(120, from: evening).bill(capped).totalExcludingVAT.description == "10.00 EUR")
        // OCPI 2.2.1's example: 0.25/kWh, 10 % VAT, min_price 0.50 / 0.55; 20 kWh cost 5.00 / 5.50.
        let example = tariff([TariffElement([PriceComponent(.energy, price: "0.25", vat: "10")])],
                             minimum: PriceLimit(excludingVAT: ExactAmount(millionths: 500_000), includingVAT: ExactAmount(millionths: 550_000)))
        let twenty = SessionScript.minutes(100, from: evening).bill(example)
        #expect(twenty.totalExcludingVAT.description == "5.00 EUR")
        #expect(twenty.totalIncludingVAT.description == "5.50 EUR")
        let one = SessionScript.minutes(5, from: evening).bill(example)
        #expect(one.totalIncludingVAT.description == "0.55 EUR")
    }

    @Test func aSessionWithNoEnergyPaysOnlyTheFlatFee() {
        let withFlat = tariff([TariffElement([PriceComponent(.flat, price: "1", vat: "20"), PriceComponent(.energy, price: "0.30", vat: "20")])])
        let idle = SessionScript.minutes(10, from: evening) { _ in false }.bill(withFlat)
        #expect(idle.totalIncludingVAT.description == "1.20 EUR")
        let noFlat = tariff([TariffElement([PriceComponent(.energy, price: "0.30")])])
        #expect(SessionScript.minutes(10, from: evening) { _ in false }.bill(noFlat).totalIncludingVAT.description == "0.00 EUR")
        // A session that ends where it began still pays its flat fee.
        #expect(SessionScript(start: evening).bill(withFlat, endingAt: 0).totalIncludingVAT.description == "1.20 EUR")
    }

    @Test func roundingIsOnceAndHalfAwayFromZero() {
        #expect(Money(Decimal(string: "0.125")!, euro).rounded.description == "0.13 EUR")
        #expect(Money(Decimal(string: "-0.125")!, euro).rounded.description == "-0.13 EUR")
        #expect(Money(Decimal(string: "0.124999")!, euro).rounded.description == "0.12 EUR")
        #expect(Money(Decimal(string: "12.5")!, try! Currency("JPY")).rounded.description == "13 JPY")
        #expect(throws: Currency.Error.unknown("XYZ")) { try Currency("XYZ") }
        // 120 s at 0.15 per hour is exactly 0.005: half a cent, rounded up (not 0.00499… down).
        let time = tariff([TariffElement([PriceComponent(.time, price: "0.15")])])
        var script = SessionScript(start: evening)
        script.change(at: 0, to: .charging)
        script.reading(at: 120, adding: 10)
        #expect(script.bill(time, endingAt: 120).totalExcludingVAT.description == "0.01 EUR")
        #expect(ExactAmount(quantity: 120, unitsPerPricedUnit: 3600, priceMillionths: -150_000).rounded(euro).description == "-0.01 EUR")
    }

    @Test func aSilentMeterSplitsItsEnergyAtAPriceChange() {
        // Readings at 16:30 and 17:30 only, the price changing at 17:00: half the energy each side.
        let tariff = tariff([
            TariffElement([PriceComponent(.energy, price: "0.20")], restrictions: window(nil, 17)),
            TariffElement([PriceComponent(.energy, price: "0.40")]),
        ])
        var script = SessionScript(start: CivilTime(year: 2026, month: 11, day: 25, hour: 16, minute: 30))
        script.change(at: 0, to: .charging)
        script.reading(at: 3600, adding: 2000)
        #expect(script.bill(tariff).lines.map(\.quantity) == [1000, 1000])
        // The contactor opened at 17:10 (the meter lost): its energy flowed over the 40 minutes it
        // was closed, 30 of them before 17:00; those 40 minutes are charging time, the rest not.
        var lost = SessionScript(start: CivilTime(year: 2026, month: 11, day: 25, hour: 16, minute: 30))
        lost.change(at: 0, to: .charging)
        lost.change(at: 2400, to: .unavailable)
        lost.reading(at: 3600, adding: 2000)
        let session = lost.metered(tariff)
        #expect(session.bill?.lines.map(\.quantity) == [1500, 500])
        #expect(session.chargingSeconds == 2400)
        #expect(session.unavailableSeconds == 1200)
    }

    @Test func currentRestrictionsAreTheSumOverAllPhases() {
        // 3 × 10 A is 30 A to OCPI: an element for 20 A and more applies.
        var strong = TariffRestrictions()
        strong.minCurrentCentiamps = 2000
        let tariff = tariff([
            TariffElement([PriceComponent(.energy, price: "0.50")], restrictions: strong),
            TariffElement([PriceComponent(.energy, price: "0.30")]),
        ])
        #expect(SessionScript.minutes(10, from: evening, amps: 30).bill(tariff).lines.map(\.component.priceText) == ["0.5"])
        #expect(SessionScript.minutes(10, from: evening, amps: 16).bill(tariff).lines.map(\.component.priceText) == ["0.3"])
    }

    @Test func aWindowIsFoundAcrossADaylightSavingChange() {
        // The clocks go forward at 01:00 UTC (02:00 local becomes 03:00). A window 03:00 – 03:30
        // local begins right at the jump, an hour of UTC earlier than on a day without it: a
        // meter silent from 01:00 to 04:00 local (two hours, 7200 Wh) puts 1800 Wh in the window.
        let jump: Int64 = CivilTime(year: 2026, month: 3, day: 29, hour: 1).secondsSinceEpoch
        let zone: @Sendable (Int64) -> CivilTime = { CivilTime(utcSecond: $0, offsetSeconds: $0 < jump ? 3600 : 7200) }
        var early = TariffRestrictions()
        early.startTime = 3 * 3600
        early.endTime = 3 * 3600 + 1800
        let tariff = tariff([
            TariffElement([PriceComponent(.energy, price: "0.10")], restrictions: early),
            TariffElement([PriceComponent(.energy, price: "0.30")]),
        ])
        let start = (jump - 3600) * 1000
        var session = MeteredSession(tariff: tariff, startMilliseconds: start, startRegisterWh: 0, activity: .charging, civilTime: zone)
        session.add(MeterSample(milliseconds: start + 7_200_000, registerWh: 7200, activity: .charging))
        // The fallback's line holds 01:00 – 02:00 and 03:30 – 04:00 local.
        #expect(session.bill?.lines.map(\.quantity) == [5400, 1800])
        #expect(session.bill?.lines.map(\.component.priceText) == ["0.3", "0.1"])
    }

    @Test func theLiveCostIsTheBillOfTheSessionSoFar() {
        // After each reading the running cost equals the bill of the readings so far, computed
        // afresh: the live cost never drifts from the final bill.
        let tariff = tariff([
            TariffElement([PriceComponent(.energy, price: "0.40", vat: "19"), PriceComponent(.time, price: "1", stepSize: 300)], restrictions: window(7, 23)),
            TariffElement([PriceComponent(.energy, price: "0.20", vat: "19"), PriceComponent(.parkingTime, price: "3")]),
        ], grace: 600)
        let script = SessionScript.minutes(180, from: evening) { $0 % 50 < 35 }
        var live = MeteredSession(tariff: tariff, startMilliseconds: script.startMilliseconds, startRegisterWh: script.startRegister, civilTime: script.civilTime)
        for (index, sample) in script.samples.enumerated() {
            live.add(sample)
            if index % 29 == 0 || index == script.samples.count - 1 {
                var prefix = script
                prefix.samples = Array(script.samples[...index])
                #expect(live.bill == prefix.metered(tariff).bill, "after \(index + 1) samples")
            }
        }
        // Day energy and time from the first element; parking from the second (the first has none);
        // night energy from the second after 23:00; no time price at night.
        #expect(live.bill?.lines.map(\.dimension) == [.energy, .time, .parkingTime, .energy])
    }

    @Test func weekdaysAndDatesRestrictElements() {
        var weekend = TariffRestrictions()
        weekend.daysOfWeek = [6, 7]
        let tariff = tariff([
            TariffElement([PriceComponent(.energy, price: "0.15")], restrictions: weekend),
            TariffElement([PriceComponent(.energy, price: "0.35")]),
        ])
        // 2026-11-28 is a Saturday, 2026-11-25 a Wednesday.
        #expect(CivilTime(year: 2026, month: 11, day: 28).weekday == 6)
        #expect(CivilTime(year: 2026, month: 11, day: 25).weekday == 3)
        let saturday = SessionScript.minutes(60, from: CivilTime(year: 2026, month: 11, day: 28, hour: 10)).bill(tariff)
        #expect(saturday.lines.map(\.component.priceText) == ["0.15"])
        #expect(SessionScript.minutes(60, from: evening).bill(tariff).lines.map(\.component.priceText) == ["0.35"])
    }
}
