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
        min_price_incl_vat = "1.20"
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
        #expect(tariff.minimumPrice == PriceLimit(excludingVAT: ExactAmount(millionths: 1_000_000), includingVAT: ExactAmount(millionths: 1_200_000)))
        #expect(tariff.parkingGrace == 900)
        #expect(tariff.elements.count == 2)
        #expect(tariff.elements[0].components == [
            PriceComponent(.energy, price: "0.40", vat: "20"),
            PriceComponent(.time, price: "1.00", stepSize: 300),
        ])
        #expect(tariff.elements[0].restrictions?.startTime == 7 * 3600)
        #expect(tariff.elements[0].restrictions?.daysOfWeek == [1, 2, 3, 4, 5])
        #expect(tariff.elements[1].restrictions == nil)
    }

    @Test func theFileBillsAsExpected() throws {
        // Wednesday 22:00 → 23:30 at 12 kW: one hour by day, half an hour by night.
        let bill = SessionScript.minutes(90, from: CivilTime(year: 2026, month: 11, day: 25, hour: 22)).bill(try read(dayNight))
        // 12 kWh × 0.40 + 1 h × 1.00 + 6 kWh × 0.20 = 7.00 excl., 20 % VAT on energy only: 1.20.
        #expect(bill.totalExcludingVAT.description == "7.00 EUR")
        #expect(bill.totalVAT.description == "1.20 EUR")
    }

    @Test func aMinimumTakesTheSharedVATRate() throws {
        let shared = try read("""
            id = "t"
            currency = "EUR"
            min_price = "0.50"
            [[element]]
            components = [{ type = "ENERGY", price = "0.25", vat = "7.7" }, { type = "FLAT", price = "0.123457", vat = "7.7" }]
            """)
        // 0.50 + 7.7 % = 0.5385: exact, rounded only on the bill.
        #expect(shared.minimumPrice == PriceLimit(millionths: 500_000, vatHundredths: 770))
        #expect(shared.minimumPrice?.includingVAT.rounded(try Currency("EUR")).description == "0.54 EUR")
        #expect(shared.elements[0].components[1].priceMillionths == 123_457)
    }

    @Test(arguments: [
        ("price = \"0.40\"", "price = 0.40", 9, "element[1].components[1].price", "write it as a string (\"0.30\") so it stays exact"),
        ("currency = \"EUR\"", "currency = \"EURO\"", 2, "currency", "'EURO' is not an ISO 4217 currency evsed knows"),
        ("start_time = \"07:00\"", "start_time = \"7h\"", 8, "element[1].restrictions.start_time", "'7h' is not a time of day (HH:MM)"),
        ("\"thu\", \"fri\"", "\"thu\", \"fry\"", 8, "element[1].restrictions.days", "'fry' is not a day (mon, tue, wed, thu, fri, sat, sun)"),
        ("type = \"PARKING_TIME\"", "type = \"PARKING\"", 12, "element[2].components[2].type", "'PARKING' is not one of: ENERGY, TIME, PARKING_TIME, FLAT"),
        ("min_price = \"1.00\"", "min_price = \"1.00\"\nmax_price = \"0.50\"\nmax_price_incl_vat = \"0.60\"", 3, "min_price", "is above max_price"),
        ("min_price_incl_vat = \"1.20\"", "", 3, "min_price", "the components have different VAT rates: give min_price_incl_vat too"),
        ("min_price_incl_vat = \"1.20\"", "min_price_incl_vat = \"0.90\"", 4, "min_price_incl_vat", "is below min_price, which excludes VAT"),
        ("price = \"0.40\"", "price = \"0.4000001\"", 9, "element[1].components[1].price",
         "'0.4000001' has more than 6 decimal places (evsed keeps 6; it does not round a price)"),
        ("price = \"0.40\"", "price = \"-0.40\"", 9, "element[1].components[1].price", "'-0.40' is outside 0 … 10000"),
        ("price = \"0.40\"", "price = \"99999999999999999999\"", 9, "element[1].components[1].price", "'99999999999999999999' is outside 0 … 10000"),
        ("price = \"0.40\"", "price = \"4e1\"", 9, "element[1].components[1].price", "'4e1' is not a decimal number"),
        ("vat = \"20\" }, { type = \"TIME\"", "vat = \"20.125\" }, { type = \"TIME\"", 9, "element[1].components[1].vat",
         "'20.125' has more than 2 decimal places (evsed keeps 2; it does not round a price)"),
        ("type = \"TIME\"", "type = \"ENERGY\"", 9, "element[1].components[2].type", "this element prices ENERGY twice (only its first component would count)"),
        ("end_time = \"23:00\"", "end_time = \"23:00\", max_duration_min = 9223372036854775807", 8, "element[1].restrictions.max_duration_min",
         "9223372036854775807 is outside 0 … 5256000 (ten years)"),
        ("end_time = \"23:00\"", "end_time = \"23:00\", min_kwh = \"0.0000001\"", 8, "element[1].restrictions.min_kwh",
         "'0.0000001' has more than 6 decimal places (evsed keeps 6; it does not round a price)"),
        ("end_time = \"23:00\"", "end_time = \"23:00\", min_current_a = 6.125", 8, "element[1].restrictions.min_current_a", "6.125 has more than 2 decimal places"),
        ("end_time = \"23:00\"", "end_time = \"24:00\"", 8, "element[1].restrictions.end_time", "'24:00' is not a time of day (HH:MM)"),
        ("end_time = \"23:00\"", "end_time = \"+7:00\"", 8, "element[1].restrictions.end_time", "'+7:00' is not a time of day (HH:MM)"),
    ] as [(String, String, Int, String, String)])
    func mistakesAreNamed(original: String, replacement: String, line: Int, key: String, problem: String) {
        #expect(throws: ConfigError(file: "tariff.toml", line: line, key: key, problem: problem)) {
            try read(dayNight.replacingOccurrences(of: original, with: replacement))
        }
    }
}
