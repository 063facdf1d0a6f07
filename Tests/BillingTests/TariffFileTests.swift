import Billing
import ConfigFile
import Foundation
import Testing

@Suite struct TariffFileTests {
    func read(_ text: String) throws(ConfigError) -> Tariff { try Tariff.read(ConfigDocument.parse(text, file: "tariff.toml")) }

    let dayNight = """
        id = "home-2026"
        currency = "EUR"
        min_price = "1.00"
        parking_grace_min = 15

        [[element]]
        restrictions = { start_time = "07:00", end_time = "23:00", days = ["mon", "tue", "wed", "thu", "fri"] }
        components = [{ type = "ENERGY", price = "0.40", vat = "20" }, { type = "TIME", price = "1.00", step_s = 300 }]

        [[element]]
        components = [{ type = "ENERGY", price = "0.20", vat = "20" }, { type = "PARKING_TIME", price = "6" }]
        """

    @Test func aTariffFileReadsExactly() throws {
        let tariff = try read(dayNight)
        #expect(tariff.id == "home-2026")
        #expect(tariff.currency == (try Currency("EUR")))
        #expect(tariff.minimumPrice == 1)
        #expect(tariff.parkingGrace == 900)
        #expect(tariff.elements.count == 2)
        #expect(tariff.elements[0].components == [
            PriceComponent(.energy, price: Decimal(string: "0.40")!, vat: 20),
            PriceComponent(.time, price: 1, stepSize: 300),
        ])
        #expect(tariff.elements[0].restrictions?.startTime == 7 * 3600)
        #expect(tariff.elements[0].restrictions?.daysOfWeek == [1, 2, 3, 4, 5])
        #expect(tariff.elements[1].restrictions == nil)
    }

    @Test func theFileBillsAsExpected() throws {
        var cost = SessionCost(tariff: try read(dayNight))
        // Wednesday 22:00 → 23:30 at 12 kW: one hour by day, half an hour by night.
        let start = CivilTime(year: 2026, month: 11, day: 25, hour: 22)
        for minute in 0..<90 { cost.add(SessionSegment(start: start.adding(seconds: minute * 60), seconds: 60, energyWh: 200, activity: .charging)) }
        // 12 kWh × 0.40 + 1 h × 1.00 + 6 kWh × 0.20 = 7.00 excl., 20 % VAT on energy only: 1.20.
        #expect(cost.bill.totalExcludingVAT.description == "7.00 EUR")
        #expect(cost.bill.totalVAT.description == "1.20 EUR")
    }

    @Test(arguments: [
        ("price = \"0.40\"", "price = 0.40", 8, "element[1].components[1].price", "write it as a string (\"0.30\") so it stays exact"),
        ("currency = \"EUR\"", "currency = \"EURO\"", 2, "currency", "'EURO' is not an ISO 4217 currency evsed knows"),
        ("start_time = \"07:00\"", "start_time = \"7h\"", 7, "element[1].restrictions.start_time", "'7h' is not a time of day (HH:MM)"),
        ("\"thu\", \"fri\"", "\"thu\", \"fry\"", 7, "element[1].restrictions.days", "'fry' is not a day (mon, tue, wed, thu, fri, sat, sun)"),
        ("type = \"PARKING_TIME\"", "type = \"PARKING\"", 11, "element[2].components[2].type", "'PARKING' is not one of: ENERGY, TIME, PARKING_TIME, FLAT"),
        ("min_price = \"1.00\"", "min_price = \"1.00\"\nmax_price = \"0.50\"", 3, "min_price", "is above max_price"),
    ] as [(String, String, Int, String, String)])
    func mistakesAreNamed(original: String, replacement: String, line: Int, key: String, problem: String) {
        #expect(throws: ConfigError(file: "tariff.toml", line: line, key: key, problem: problem)) {
            try read(dayNight.replacingOccurrences(of: original, with: replacement))
        }
    }
}
