import Billing
import Foundation
import Testing

/// The cost of sessions under OCPI-style tariffs, including the cases people get wrong.
@Suite struct SessionCostTests {
    let euro = try! Currency("EUR")

    /// A session of `minutes` one-minute segments from `start`, drawing `whPerMinute` (200 Wh a
    /// minute is 12 kW) while `charging`. Registers count whole watt-hours, as meters do.
    func cost(_ tariff: Tariff, from start: CivilTime, minutes: Int, whPerMinute: Int = 200, charging: (Int) -> Bool = { _ in true })
        -> SessionCost
    {
        var cost = SessionCost(tariff: tariff)
        for minute in 0..<minutes {
            let isCharging = charging(minute)
            cost.add(SessionSegment(start: start.adding(seconds: minute * 60), seconds: 60,
                                    energyWh: isCharging ? Decimal(whPerMinute) : 0, activity: isCharging ? .charging : .idle,
                                    current: isCharging ? 16 : 0, power: isCharging ? Double(whPerMinute * 60) : 0))
        }
        return cost
    }

    let evening = CivilTime(year: 2026, month: 11, day: 25, hour: 22, minute: 0)

    @Test func energyAtOnePriceWithVAT() {
        let tariff = Tariff(id: "t", currency: euro, elements: [TariffElement([PriceComponent(.energy, price: Decimal(string: "0.30")!, vat: 20)])])
        // 50 minutes at 12 kW: 10 kWh.
        let bill = cost(tariff, from: evening, minutes: 50).bill
        #expect(bill.lines.count == 1)
        #expect(bill.totalExcludingVAT.description == "3.00 EUR")
        #expect(bill.totalVAT.description == "0.60 EUR")
        #expect(bill.totalIncludingVAT.description == "3.60 EUR")
    }

    @Test func aSessionAcrossMidnightTakesBothPrices() {
        // Day price 07:00 – 23:00, night price otherwise; 22:00 → 01:00 at 11 kW.
        var day = TariffRestrictions()
        day.startTime = 7 * 3600
        day.endTime = 23 * 3600
        let tariff = Tariff(id: "day-night", currency: euro, elements: [
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.40")!)], restrictions: day),
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.20")!)]),
        ])
        let bill = cost(tariff, from: evening, minutes: 180).bill
        #expect(bill.lines.map(\.unitPrice) == [Decimal(string: "0.40")!, Decimal(string: "0.20")!])
        // 12 kWh by day, 24 kWh by night: 4.80 + 4.80.
        #expect(bill.lines.map(\.quantity) == [12, 24])
        #expect(bill.totalExcludingVAT.description == "9.60 EUR")
    }

    @Test func aRestrictionThatWrapsPastMidnight() {
        var night = TariffRestrictions()
        night.startTime = 22 * 3600
        night.endTime = 6 * 3600
        let tariff = Tariff(id: "night", currency: euro, elements: [
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.10")!)], restrictions: night),
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.50")!)]),
        ])
        let lateNight = cost(tariff, from: CivilTime(year: 2026, month: 11, day: 25, hour: 23, minute: 30), minutes: 60).bill
        #expect(lateNight.lines.map(\.unitPrice) == [Decimal(string: "0.10")!])
        let morning = cost(tariff, from: CivilTime(year: 2026, month: 11, day: 26, hour: 5, minute: 30), minutes: 60).bill
        #expect(morning.lines.map(\.unitPrice) == [Decimal(string: "0.10")!, Decimal(string: "0.50")!])
    }

    @Test func timeIsBilledInWholeSteps() {
        // 2.00 EUR per hour in 15-minute steps: 20 minutes cost 30 minutes.
        let tariff = Tariff(id: "time", currency: euro, elements: [TariffElement([PriceComponent(.time, price: 2, stepSize: 900)])])
        let bill = cost(tariff, from: evening, minutes: 20).bill
        #expect(bill.lines.first?.quantity == Decimal(string: "0.5"))
        #expect(bill.totalExcludingVAT.description == "1.00 EUR")
    }

    @Test func theIdleFeeStartsAfterTheGracePeriod() {
        // 30 minutes charging, then 45 minutes idle with 15 minutes of grace: 30 idle minutes at 6/h.
        let tariff = Tariff(id: "idle", currency: euro, elements: [
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.30")!), PriceComponent(.parkingTime, price: 6)]),
        ], parkingGraceSeconds: 15 * 60)
        let session = cost(tariff, from: evening, minutes: 75) { $0 < 30 }
        let bill = session.bill
        #expect(session.idleSeconds == 45 * 60)
        #expect(bill.lines.first { $0.dimension == .parkingTime }?.quantity == Decimal(string: "0.5"))
        // 6 kWh × 0.30 + 0.5 h × 6.
        #expect(bill.totalExcludingVAT.description == "4.80 EUR")
    }

    @Test func minimumAndMaximumPrices() {
        let cheap = Tariff(id: "min", currency: euro, elements: [TariffElement([PriceComponent(.energy, price: Decimal(string: "0.30")!, vat: 20)])],
                           minimumPrice: 2)
        // 1.2 kWh × 0.30 = 0.36, raised to the 2.00 minimum.
        let small = cost(cheap, from: evening, minutes: 6).bill
        #expect(small.totalExcludingVAT.description == "2.00 EUR")
        #expect(small.adjustment == Decimal(string: "1.64"))
        #expect(small.totalIncludingVAT.description == "2.40 EUR")
        let capped = Tariff(id: "max", currency: euro, elements: [TariffElement([PriceComponent(.energy, price: 1)])], maximumPrice: 10)
        #expect(cost(capped, from: evening, minutes: 120).bill.totalExcludingVAT.description == "10.00 EUR")
    }

    @Test func aSessionWithNoEnergyPaysOnlyTheFlatFee() {
        let withFlat = Tariff(id: "flat", currency: euro, elements: [
            TariffElement([PriceComponent(.flat, price: 1, vat: 20), PriceComponent(.energy, price: Decimal(string: "0.30")!, vat: 20)]),
        ])
        let idle = cost(withFlat, from: evening, minutes: 10) { _ in false }.bill
        #expect(idle.totalIncludingVAT.description == "1.20 EUR")
        let noFlat = Tariff(id: "energy", currency: euro, elements: [TariffElement([PriceComponent(.energy, price: Decimal(string: "0.30")!)])])
        #expect(cost(noFlat, from: evening, minutes: 10) { _ in false }.bill.totalIncludingVAT.description == "0.00 EUR")
    }

    @Test func roundingIsOnceAndHalfAwayFromZero() {
        #expect(Money(Decimal(string: "0.125")!, euro).rounded.description == "0.13 EUR")
        #expect(Money(Decimal(string: "-0.125")!, euro).rounded.description == "-0.13 EUR")
        #expect(Money(Decimal(string: "0.124999")!, euro).rounded.description == "0.12 EUR")
        #expect(Money(Decimal(string: "12.5")!, try! Currency("JPY")).rounded.description == "13 JPY")
        #expect(throws: Currency.Error.unknown("XYZ")) { try Currency("XYZ") }
    }

    @Test func theLiveCostIsTheBillOfTheSessionSoFar() {
        // Adding segments one by one gives, after each, the bill a fresh computation over the same
        // prefix gives: the running cost never drifts from the final bill.
        var day = TariffRestrictions()
        day.startTime = 7 * 3600
        day.endTime = 23 * 3600
        let tariff = Tariff(id: "mixed", currency: euro, elements: [
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.40")!, vat: 19), PriceComponent(.time, price: 1, stepSize: 300)],
                          restrictions: day),
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.20")!, vat: 19), PriceComponent(.parkingTime, price: 3)]),
        ], parkingGraceSeconds: 600)
        let charging: (Int) -> Bool = { $0 % 50 < 35 }
        var live = SessionCost(tariff: tariff)
        for minute in 0..<180 {
            live.add(SessionSegment(start: evening.adding(seconds: minute * 60), seconds: 60,
                                    energyWh: charging(minute) ? 200 : 0, activity: charging(minute) ? .charging : .idle))
            if minute % 29 == 0 || minute == 179 {
                #expect(live.bill == cost(tariff, from: evening, minutes: minute + 1, charging: charging).bill, "after \(minute + 1) min")
            }
        }
        // Day energy and time from the first element; parking from the second (the first has none);
        // night energy from the second after 23:00; no time price at night.
        #expect(live.bill.lines.map(\.dimension) == [.energy, .time, .parkingTime, .energy])
    }

    @Test func weekdaysAndDatesRestrictElements() {
        var weekend = TariffRestrictions()
        weekend.daysOfWeek = [6, 7]
        let tariff = Tariff(id: "weekend", currency: euro, elements: [
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.15")!)], restrictions: weekend),
            TariffElement([PriceComponent(.energy, price: Decimal(string: "0.35")!)]),
        ])
        // 2026-11-28 is a Saturday, 2026-11-25 a Wednesday.
        #expect(CivilTime(year: 2026, month: 11, day: 28).weekday == 6)
        #expect(CivilTime(year: 2026, month: 11, day: 25).weekday == 3)
        let saturday = cost(tariff, from: CivilTime(year: 2026, month: 11, day: 28, hour: 10), minutes: 60).bill
        #expect(saturday.lines.map(\.unitPrice) == [Decimal(string: "0.15")!])
        #expect(cost(tariff, from: evening, minutes: 60).bill.lines.map(\.unitPrice) == [Decimal(string: "0.35")!])
    }
}
