import ConfigFile
import FoundationEssentials

extension Tariff {
    /// "-12.30", "7": digits with an optional sign and fraction, nothing else (no exponent, no spaces).
    static func isPlainDecimal(_ text: String) -> Bool {
        let unsigned = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let parts = unsigned.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// Reads a tariff from its TOML table. Prices are strings ("0.30") or integers, never floats:
    /// money stays exact from the file to the bill.
    ///
    /// ```toml
    /// id = "home-2026"
    /// currency = "EUR"
    /// min_price = "1.00"              # excluding VAT, optional
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
                let price = try decimal(component, "price", required: true)!
                let vat = try decimal(component, "vat", required: false)
                if let vat, vat < 0 || vat > 100 { throw component.error("vat", "must be a percentage, 0 … 100") }
                let step: Int
                switch type {
                case .energy: step = try component.integer("step_wh", default: 1, in: 1...1_000_000)
                case .time, .parkingTime: step = try component.integer("step_s", default: 1, in: 1...86_400)
                case .flat: step = 1
                }
                try component.rejectUnknownKeys()
                components.append(PriceComponent(type, price: price, vat: vat, stepSize: step))
            }
            let restrictions = try element.table("restrictions").map { (table) throws(ConfigError) in try Self.restrictions(table) }
            try element.rejectUnknownKeys()
            elements.append(TariffElement(components, restrictions: restrictions))
        }
        guard !elements.isEmpty else { throw table.error(nil, "a tariff needs at least one [[element]]") }
        let tariff = Tariff(
            id: id, currency: currency, elements: elements, minimumPrice: try decimal(table, "min_price", required: false),
            maximumPrice: try decimal(table, "max_price", required: false),
            parkingGraceSeconds: try table.integer("parking_grace_min", default: 0, in: 0...1440) * 60)
        if let minimum = tariff.minimumPrice, let maximum = tariff.maximumPrice, minimum > maximum {
            throw table.error("min_price", "is above max_price")
        }
        try table.rejectUnknownKeys()
        return tariff
    }

    private static func restrictions(_ table: ConfigTable) throws(ConfigError) -> TariffRestrictions {
        var restrictions = TariffRestrictions()
        restrictions.startTime = try time(table, "start_time")
        restrictions.endTime = try time(table, "end_time")
        restrictions.startDate = try date(table, "start_date")
        restrictions.endDate = try date(table, "end_date")
        restrictions.minKWh = try decimal(table, "min_kwh", required: false)
        restrictions.maxKWh = try decimal(table, "max_kwh", required: false)
        restrictions.minCurrent = try table.double("min_current_a")
        restrictions.maxCurrent = try table.double("max_current_a")
        restrictions.minPower = try table.double("min_power_kw").map { $0 * 1000 }
        restrictions.maxPower = try table.double("max_power_kw").map { $0 * 1000 }
        restrictions.minDuration = try table.integer("min_duration_min").map { $0 * 60 }
        restrictions.maxDuration = try table.integer("max_duration_min").map { $0 * 60 }
        if let days = try table.strings("days") {
            let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            var set = Set<Int>()
            for day in days {
                guard let index = names.firstIndex(of: day.lowercased()) else {
                    throw table.error("days", "'\(day)' is not a day (mon, tue, wed, thu, fri, sat, sun)")
                }
                set.insert(index + 1)
            }
            restrictions.daysOfWeek = set
        }
        try table.rejectUnknownKeys()
        return restrictions
    }

    /// A money or energy figure: a string of digits or an integer, never a float.
    static func decimal(_ table: ConfigTable, _ key: String, required: Bool) throws(ConfigError) -> Decimal? {
        guard let value = table.value(key) else {
            if required { throw table.error(nil, "missing key '\(key)'") }
            return nil
        }
        switch value.kind {
        case .integer(let integer): return Decimal(integer)
        case .string(let text):
            guard Self.isPlainDecimal(text), let decimal = Decimal(string: text) else {
                throw table.error(key, "'\(text)' is not a decimal number")
            }
            return decimal
        case .float: throw table.error(key, "write it as a string (\"0.30\") so it stays exact")
        default: throw table.error(key, "expected a decimal number as a string, found \(value.typeName)")
        }
    }

    /// "HH:MM" as seconds of the day.
    static func time(_ table: ConfigTable, _ key: String) throws(ConfigError) -> Int? {
        guard let text = try table.string(key) else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute) else {
            throw table.error(key, "'\(text)' is not a time of day (HH:MM)")
        }
        return hour * 3600 + minute * 60
    }

    /// "YYYY-MM-DD" as yyyymmdd.
    static func date(_ table: ConfigTable, _ key: String) throws(ConfigError) -> Int? {
        guard let text = try table.string(key) else { return nil }
        let parts = text.split(separator: "-")
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...CivilTime.days(in: month, of: year)).contains(day)
        else { throw table.error(key, "'\(text)' is not a date (YYYY-MM-DD)") }
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
