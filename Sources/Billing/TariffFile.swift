import ConfigFile

extension Tariff {
    /// Reads a tariff from its TOML table. Prices are strings ("0.30") or integers, never floats:
    /// money stays exact from the file to the bill. A price with more digits than evsed keeps, or
    /// a figure out of range, is refused with the key and the reason.
    ///
    /// ```toml
    /// id = "home-2026"
    /// currency = "EUR"
    /// min_price = "1.00"              # excluding VAT, optional; min_price_incl_vat when VAT rates differ
    /// parking_grace_min = 15
    /// [[element]]
    /// restrictions = { start_time = "07:00", end_time = "23:00", days = ["mon", "tue", "wed", "thu", "fri"] }
    /// components = [{ type = "ENERGY", price = "0.40", vat = "20" }, { type = "TIME", price = "1.00", step_s = 300 }]
    /// ```
    public static func read(_ table: ConfigTable) throws(ConfigError) -> Tariff {
        let id = try table.required("id", table.string)
        let code = try table.required("currency", table.string)
        let currency: Currency
        do throws(Currency.Error) { currency = try Currency(code) } catch { throw table.error("currency", "\(error)") }
        var elements: [TariffElement] = []
        for element in try table.tables("element") {
            var components: [PriceComponent] = []
            guard case .array(let entries)? = element.value("components")?.kind, !entries.isEmpty else {
                throw element.error(nil, "missing key 'components' (an array of { type, price })")
            }
            for (index, entry) in entries.enumerated() {
                guard case .table(let component) = entry.kind else {
                    throw element.error("components", "element \(index + 1) is not a table")
                }
                let type = TariffDimension(rawValue: try component.choice("type", of: TariffDimension.allCases.map(\.rawValue)))!
                guard let price = try exact(component, "price", places: PriceComponent.pricePlaces, in: 0...largestPrice) else {
                    throw component.error(nil, "missing key 'price'")
                }
                let vat = try exact(component, "vat", places: PriceComponent.vatPlaces, in: 0...10_000).map(Int.init)
                let step: Int
                switch type {
                case .energy: step = try component.integer("step_wh", default: 1, in: 1...1_000_000)
                case .time, .parkingTime: step = try component.integer("step_s", default: 1, in: 1...86_400)
                case .flat: step = 1
                }
                if components.contains(where: { $0.dimension == type }) {
                    throw component.error("type", "this element prices \(type.rawValue) twice (only its first component would count)")
                }
                try component.rejectUnknownKeys()
                components.append(PriceComponent(type, priceMillionths: price, vatHundredths: vat, stepSize: step))
            }
            let restrictions = try element.table("restrictions").map { (table) throws(ConfigError) in try Self.restrictions(table) }
            try element.rejectUnknownKeys()
            elements.append(TariffElement(components, restrictions: restrictions))
        }
        guard !elements.isEmpty else { throw table.error(nil, "a tariff needs at least one [[element]]") }
        var tariff = Tariff(id: id, currency: currency, elements: elements,
                            parkingGraceSeconds: try table.integer("parking_grace_min", default: 0, in: 0...1440) * 60)
        tariff.minimumPrice = try limit(table, "min_price", of: tariff)
        tariff.maximumPrice = try limit(table, "max_price", of: tariff)
        if let minimum = tariff.minimumPrice, let maximum = tariff.maximumPrice,
           minimum.excludingVAT > maximum.excludingVAT || minimum.includingVAT > maximum.includingVAT {
            throw table.error("min_price", "is above max_price")
        }
        try table.rejectUnknownKeys()
        return tariff
    }

    /// `min_price` or `max_price` (excluding VAT) with its `…_incl_vat`: given, or the price plus
    /// the VAT rate all components share; when their rates differ it must be given.
    private static func limit(_ table: ConfigTable, _ key: String, of tariff: Tariff) throws(ConfigError) -> PriceLimit? {
        let including = try exact(table, key + "_incl_vat", places: PriceComponent.pricePlaces, in: 0...largestPrice)
        guard let excluding = try exact(table, key, places: PriceComponent.pricePlaces, in: 0...largestPrice) else {
            if including != nil { throw table.error(key + "_incl_vat", "needs \(key) (excluding VAT) as well") }
            return nil
        }
        if let including {
            guard including >= excluding else { throw table.error(key + "_incl_vat", "is below \(key), which excludes VAT") }
            return PriceLimit(excludingVAT: ExactAmount(millionths: excluding), includingVAT: ExactAmount(millionths: including))
        }
        guard let vat = tariff.commonVAT else {
            throw table.error(key, "the components have different VAT rates: give \(key)_incl_vat too")
        }
        return PriceLimit(millionths: excluding, vatHundredths: vat)
    }

    private static func restrictions(_ table: ConfigTable) throws(ConfigError) -> TariffRestrictions {
        var restrictions = TariffRestrictions()
        restrictions.startTime = try time(table, "start_time")
        restrictions.endTime = try time(table, "end_time")
        restrictions.startDate = try date(table, "start_date")
        restrictions.endDate = try date(table, "end_date")
        // Up to a million kWh with 6 decimals (mWh); current summed over phases to 10 mA, up to
        // 10 000 A; power to the watt, up to 100 MW; durations up to ten years.
        restrictions.minEnergyMilliwattHours = try exact(table, "min_kwh", places: 6, in: 0...1_000_000_000_000)
        restrictions.maxEnergyMilliwattHours = try exact(table, "max_kwh", places: 6, in: 0...1_000_000_000_000)
        restrictions.minCurrentCentiamps = try measure(table, "min_current_a", places: 2, in: 0...1_000_000)
        restrictions.maxCurrentCentiamps = try measure(table, "max_current_a", places: 2, in: 0...1_000_000)
        restrictions.minPowerWatts = try measure(table, "min_power_kw", places: 3, in: 0...100_000_000)
        restrictions.maxPowerWatts = try measure(table, "max_power_kw", places: 3, in: 0...100_000_000)
        restrictions.minDurationSeconds = try table.integer("min_duration_min").map { (minutes) throws(ConfigError) in try duration(table, "min_duration_min", minutes) }
        restrictions.maxDurationSeconds = try table.integer("max_duration_min").map { (minutes) throws(ConfigError) in try duration(table, "max_duration_min", minutes) }
        if let days = try table.strings("days") {
            let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            var set = Set<Int>()
            for day in days {
                guard let index = names.firstIndex(of: day.lowercased()) else {
                    throw table.error("days", "'\(FixedDecimal.excerpt(day))' is not a day (mon, tue, wed, thu, fri, sat, sun)")
                }
                set.insert(index + 1)
            }
            restrictions.daysOfWeek = set
        }
        try table.rejectUnknownKeys()
        return restrictions
    }

    private static func duration(_ table: ConfigTable, _ key: String, _ minutes: Int) throws(ConfigError) -> Int64 {
        guard (0...5_256_000).contains(minutes) else { throw table.error(key, "\(minutes) is outside 0 … 5256000 (ten years)") }
        return Int64(minutes) * 60
    }

    /// A money or energy figure, exact: a string of digits ("0.30") or an integer, never a float;
    /// in units of 10⁻ᵖ with `places` decimals at most.
    static func exact(_ table: ConfigTable, _ key: String, places: Int, in range: ClosedRange<Int64>) throws(ConfigError) -> Int64? {
        guard let value = table.value(key) else { return nil }
        let text: String
        switch value.kind {
        case .integer(let integer): text = String(integer)
        case .string(let string): text = string
        case .float: throw table.error(key, "write it as a string (\"0.30\") so it stays exact")
        default: throw table.error(key, "expected a decimal number as a string, found \(value.typeName)")
        }
        do throws(FixedDecimal.Error) { return try FixedDecimal.parse(text, places: places, in: range) } catch {
            throw table.error(key, "\(error)")
        }
    }

    /// A measured figure (current, power): an integer, a float or a decimal string, kept to
    /// `places` decimals; a float with more is refused rather than rounded.
    static func measure(_ table: ConfigTable, _ key: String, places: Int, in range: ClosedRange<Int64>) throws(ConfigError) -> Int64? {
        guard let value = table.value(key) else { return nil }
        guard case .float(let double) = value.kind else { return try exact(table, key, places: places, in: range) }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = double * scale
        let upper = Double(range.upperBound), lower = Double(range.lowerBound)
        guard scaled.isFinite, scaled >= lower, scaled <= upper else {
            throw table.error(key, "\(double) is outside \(FixedDecimal.text(range.lowerBound, places: places)) … \(FixedDecimal.text(range.upperBound, places: places))")
        }
        guard abs(scaled - scaled.rounded()) < 1e-6 else { throw table.error(key, "\(double) has more than \(places) decimal places") }
        return Int64(scaled.rounded())
    }

    /// "HH:MM" (two digits each, 00:00 … 23:59) as seconds of the day.
    static func time(_ table: ConfigTable, _ key: String) throws(ConfigError) -> Int? {
        guard let text = try table.string(key) else { return nil }
        let digits = Array(text.utf8)
        guard digits.count == 5, digits[2] == UInt8(ascii: ":"), [0, 1, 3, 4].allSatisfy({ (48...57).contains(digits[$0]) }) else {
            throw table.error(key, "'\(FixedDecimal.excerpt(text))' is not a time of day (HH:MM)")
        }
        let hour = Int(digits[0] - 48) * 10 + Int(digits[1] - 48), minute = Int(digits[3] - 48) * 10 + Int(digits[4] - 48)
        guard hour <= 23, minute <= 59 else { throw table.error(key, "'\(text)' is not a time of day (HH:MM)") }
        return hour * 3600 + minute * 60
    }

    /// "YYYY-MM-DD" (years 1970 … 9999) as yyyymmdd.
    static func date(_ table: ConfigTable, _ key: String) throws(ConfigError) -> Int? {
        guard let text = try table.string(key) else { return nil }
        let digits = Array(text.utf8)
        let positions = [0, 1, 2, 3, 5, 6, 8, 9]
        guard digits.count == 10, digits[4] == UInt8(ascii: "-"), digits[7] == UInt8(ascii: "-"),
              positions.allSatisfy({ (48...57).contains(digits[$0]) }) else {
            throw table.error(key, "'\(FixedDecimal.excerpt(text))' is not a date (YYYY-MM-DD)")
        }
        let number = { (range: Range<Int>) in range.reduce(0) { $0 * 10 + Int(digits[$1] - 48) } }
        let year = number(0..<4), month = number(5..<7), day = number(8..<10)
        guard year >= 1970, (1...12).contains(month), (1...CivilTime.days(in: month, of: year)).contains(day) else {
            throw table.error(key, "'\(text)' is not a date (YYYY-MM-DD, 1970 or later)")
        }
        return year * 10_000 + month * 100 + day
    }
}

/// A tariff with the text it was read from: what a session keeps as it was when the session
/// started, so its bill can be recomputed and checked later whatever the tariff file says then.
public struct TariffSnapshot: Hashable, Sendable {
    /// The tariff file's TOML text.
    public let text: String
    public let tariff: Tariff

    /// Reads the tariff in `text`; `file` names it in errors.
    public init(text: String, file: String) throws(ConfigError) {
        self.text = text
        self.tariff = try Tariff.read(ConfigDocument.parse(text, file: file))
    }
}
