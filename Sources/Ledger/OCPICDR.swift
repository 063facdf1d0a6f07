import Billing
import ConfigFile
import EVSECore
import Sessions

/// Who runs the charger and where it is, as an OCPI 2.2.1 CDR names them: the `[ocpi]` table of a
/// site file (`boards/site.example.toml`).
public struct OCPISite: Hashable, Sendable {
    /// ISO 3166-1 alpha-2 country of the operator (CPO), and its party id.
    public var countryCode: String
    public var partyID: String
    public var locationID: String
    public var locationName: String?
    public var address: String
    public var city: String
    public var postalCode: String?
    /// ISO 3166-1 alpha-3.
    public var country: String
    /// Decimal degrees as OCPI writes them ("52.520008").
    public var latitude: String
    public var longitude: String
    public var evseUID: String
    /// The eMI3 EVSE id ("DE*EVS*E1").
    public var evseID: String
    public var connectorID: String
    /// OCPI `ConnectorType` ("IEC_62196_T2"), `ConnectorFormat` ("SOCKET", "CABLE"), `PowerType`.
    public var connectorStandard: String
    public var connectorFormat: String
    public var powerType: String

    static let standards = ["IEC_62196_T1", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T1_COMBO", "IEC_60309_2_single_16",
                            "IEC_60309_2_three_16", "IEC_60309_2_three_32", "DOMESTIC_F", "DOMESTIC_E", "DOMESTIC_G", "GBT_AC"]

    /// Reads the `[ocpi]` table: every key checked, unknown keys refused.
    public static func read(_ table: ConfigTable) throws(ConfigError) -> OCPISite {
        func text(_ table: ConfigTable, _ key: String, _ pattern: (String) -> Bool, _ what: String, length: Int) throws(ConfigError) -> String {
            let value = try table.required(key, table.string)
            guard value.count <= length, pattern(value) else { throw table.error(key, "'\(value.prefix(24))' is not \(what)") }
            return value
        }
        func optional(_ table: ConfigTable, _ key: String, length: Int) throws(ConfigError) -> String? {
            guard let value = try table.string(key) else { return nil }
            guard value.count <= length else { throw table.error(key, "is longer than \(length) characters") }
            return value
        }
        let upper = { (count: Int) in { (text: String) in text.count == count && text.allSatisfy { $0.isASCII && $0.isUppercase } } }
        let plain = { (text: String) in !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "*-_.".contains($0)) } }
        let degrees = { (limit: Int) in
            { (text: String) -> Bool in
                let parts = (text.hasPrefix("-") ? String(text.dropFirst()) : text).split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 2, (1...3).contains(parts[0].count), (5...7).contains(parts[1].count),
                      parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), let whole = Int(parts[0]) else { return false }
                return whole <= limit
            }
        }
        let countryCode = try text(table, "country_code", upper(2), "an ISO 3166-1 alpha-2 country code (\"DE\")", length: 2)
        let partyID = try text(table, "party_id", { $0.count == 3 && plain($0) }, "a party id of 3 letters or digits", length: 3)
        guard let location = try table.table("location") else { throw table.error(nil, "missing table 'location'") }
        guard let evse = try table.table("evse") else { throw table.error(nil, "missing table 'evse'") }
        let site = OCPISite(
            countryCode: countryCode, partyID: partyID,
            locationID: try text(location, "id", plain, "an id (letters, digits, * - _ .)", length: 36),
            locationName: try optional(location, "name", length: 255),
            address: try text(location, "address", { !$0.isEmpty }, "an address", length: 45),
            city: try text(location, "city", { !$0.isEmpty }, "a city", length: 45),
            postalCode: try optional(location, "postal_code", length: 10),
            country: try text(location, "country", upper(3), "an ISO 3166-1 alpha-3 country code (\"DEU\")", length: 3),
            latitude: try text(location, "latitude", degrees(90), "a latitude with 5 to 7 decimals (\"52.520008\")", length: 10),
            longitude: try text(location, "longitude", degrees(180), "a longitude with 5 to 7 decimals (\"13.404954\")", length: 11),
            evseUID: try text(evse, "uid", plain, "an id (letters, digits, * - _ .)", length: 36),
            evseID: try text(evse, "evse_id", plain, "an EVSE id (\"DE*EVS*E1\")", length: 48),
            connectorID: try text(evse, "connector_id", plain, "an id (letters, digits, * - _ .)", length: 36),
            connectorStandard: try evse.choice("standard", of: standards, default: "IEC_62196_T2"),
            connectorFormat: try evse.choice("format", of: ["SOCKET", "CABLE"], default: "SOCKET"),
            powerType: try evse.choice("power_type", of: ["AC_1_PHASE", "AC_2_PHASE", "AC_3_PHASE"], default: "AC_3_PHASE"))
        try location.rejectUnknownKeys()
        try evse.rejectUnknownKeys()
        try table.rejectUnknownKeys()
        return site
    }
}

extension SessionRecord {
    /// The session as an OCPI 2.2.1 CDR, or nil while its figures are not final. Its totals are the
    /// ledger's bill; its charging periods are the ones the bill was priced in (none for a session
    /// closed before schema 3), with their tariff.
    public func ocpiCDR(site: OCPISite, charger: String) -> String? {
        guard closed, let endedAt else { return nil }
        let tariff = tariffText.flatMap { try? TariffSnapshot(text: $0, file: "session \(id) tariff").tariff }
        var cdr = JSONLine()
        cdr.add("country_code", site.countryCode)
        cdr.add("party_id", site.partyID)
        cdr.add("id", String("\(charger)-\(id)".suffix(39)))
        cdr.add("start_date_time", startedAt.description)
        cdr.add("end_date_time", endedAt.description)
        cdr.add("session_id", String(id))
        var token = JSONLine()
        token.add("country_code", site.countryCode)
        token.add("party_id", site.partyID)
        token.add("uid", owner ?? "session-\(id)")
        token.add("type", "OTHER")
        token.add("contract_id", owner ?? "session-\(id)")
        cdr.add("cdr_token", json: token.description)
        cdr.add("auth_method", "WHITELIST")
        cdr.add("cdr_location", json: Self.location(site).description)
        cdr.add("meter_id", String(meter.prefix(255)))
        cdr.add("currency", currency ?? tariff?.currency.code ?? "EUR")
        if let tariff { cdr.add("tariffs", json: "[" + OCPITariffJSON.tariff(tariff, site: site, updated: startedAt).description + "]") }
        let periods = self.periods.flatMap(ChargingPeriodsText.decode) ?? []
        let restrictsCurrent = tariff?.elements.contains { $0.restrictions.map { $0.minCurrentCentiamps != nil || $0.maxCurrentCentiamps != nil } ?? false } ?? false
        let restrictsPower = tariff?.elements.contains { $0.restrictions.map { $0.minPowerWatts != nil || $0.maxPowerWatts != nil } ?? false } ?? false
        let chargingPeriods = periods.map { period in
            var json = JSONLine()
            json.add("start_date_time", Timestamp(milliseconds: period.startSecond * 1000).description)
            var dimensions: [String] = []
            func dimension(_ type: String, _ volume: String) { dimensions.append("{\"type\":\"\(type)\",\"volume\":\(volume)}") }
            if period.energyWh > 0 || period.activity == .charging { dimension("ENERGY", FixedDecimal.text(period.energyWh, places: 3, minimumPlaces: 3)) }
            if period.activity == .charging && period.seconds > 0 { dimension("TIME", Self.hours(period.seconds)) }
            if period.activity == .idle && period.billableParking && period.seconds > 0 { dimension("PARKING_TIME", Self.hours(period.seconds)) }
            if restrictsCurrent {
                dimension("MIN_CURRENT", FixedDecimal.text(period.currentCentiamps, places: 2))
                dimension("MAX_CURRENT", FixedDecimal.text(period.currentCentiamps, places: 2))
            }
            if restrictsPower {
                dimension("MIN_POWER", FixedDecimal.text(period.powerWatts, places: 3))
                dimension("MAX_POWER", FixedDecimal.text(period.powerWatts, places: 3))
            }
            // Every period has a dimension; a stretch with nothing to bill has zero energy.
            if dimensions.isEmpty { dimension("ENERGY", "0.000") }
            json.add("dimensions", json: "[" + dimensions.joined(separator: ",") + "]")
            if let tariff { json.add("tariff_id", tariff.id) }
            return json.description
        }
        cdr.add("charging_periods", json: "[" + chargingPeriods.joined(separator: ",") + "]")
        cdr.add("total_cost", json: Self.price(costExcludingVAT ?? "0", costIncludingVAT))
        let rows = billLines.map(\.row)
        func cost(_ kind: TariffDimension) -> String? {
            let matching = rows.filter { $0.kind == kind.rawValue }
            guard !matching.isEmpty else { return nil }
            return Self.price(Self.sum(matching.map(\.excludingVAT)), Self.sum(matching.map(\.includingVAT)))
        }
        if let flat = cost(.flat) { cdr.add("total_fixed_cost", json: flat) }
        cdr.add("total_energy", number: FixedDecimal.text(energyWh, places: 3, minimumPlaces: 3))
        if let energy = cost(.energy) { cdr.add("total_energy_cost", json: energy) }
        let duration = max(0, MeteredSession.second(endedAt.milliseconds) - MeteredSession.second(startedAt.milliseconds))
        cdr.add("total_time", number: Self.hours(duration))
        if let time = cost(.time) { cdr.add("total_time_cost", json: time) }
        // OCPI: the time the car was not charging, whatever the reason.
        cdr.add("total_parking_time", number: Self.hours(max(0, duration - chargingSeconds)))
        if let parking = cost(.parkingTime) { cdr.add("total_parking_cost", json: parking) }
        var remarks: [String] = []
        if unavailableSeconds > 0 { remarks.append("charger unavailable \(BillText.duration(unavailableSeconds)), not billed") }
        if outageSeconds > 0 { remarks.append("charger down \(BillText.duration(outageSeconds)), not billed") }
        if let grace = tariff?.parkingGrace, grace > 0 { remarks.append("first \(grace / 60) min idle free") }
        if !remarks.isEmpty { cdr.add("remark", String(remarks.joined(separator: "; ").prefix(255))) }
        cdr.add("last_updated", endedAt.description)
        return cdr.description
    }

    static func location(_ site: OCPISite) -> JSONLine {
        var location = JSONLine()
        location.add("id", site.locationID)
        if let name = site.locationName { location.add("name", name) }
        location.add("address", site.address)
        location.add("city", site.city)
        if let postal = site.postalCode { location.add("postal_code", postal) }
        location.add("country", site.country)
        location.add("coordinates", json: "{\"latitude\":\(JSONLine.quote(site.latitude)),\"longitude\":\(JSONLine.quote(site.longitude))}")
        location.add("evse_uid", site.evseUID)
        location.add("evse_id", site.evseID)
        location.add("connector_id", site.connectorID)
        location.add("connector_standard", site.connectorStandard)
        location.add("connector_format", site.connectorFormat)
        location.add("connector_power_type", site.powerType)
        return location
    }

    /// Seconds as hours, to 6 decimals (OCPI counts time in hours; 1 s is 0.000278 h).
    static func hours(_ seconds: Int64) -> String {
        let millionths = (seconds * 1_000_000 + 1800) / 3600
        return FixedDecimal.text(millionths, places: 6, minimumPlaces: 1)
    }

    /// An OCPI `Price`: excluding VAT, and including it when known.
    static func price(_ excluding: String, _ including: String?) -> String {
        "{\"excl_vat\":\(excluding)" + (including.map { ",\"incl_vat\":\($0)" } ?? "") + "}"
    }

    /// The sum of rounded amounts as they are stored ("1.54", "0.30").
    static func sum(_ amounts: [String]) -> String {
        let places = amounts.map { $0.split(separator: ".").dropFirst().first?.count ?? 0 }.max() ?? 0
        let total = amounts.reduce(Int64(0)) { $0 + ((try? FixedDecimal.parse($1, places: places, in: Int64.min / 2...Int64.max / 2)) ?? 0) }
        return FixedDecimal.text(total, places: places, minimumPlaces: places)
    }
}

/// A tariff as an OCPI 2.2.1 `Tariff` object.
enum OCPITariffJSON {
    static let days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]

    static func tariff(_ tariff: Tariff, site: OCPISite, updated: Timestamp) -> JSONLine {
        var json = JSONLine()
        json.add("country_code", site.countryCode)
        json.add("party_id", site.partyID)
        json.add("id", String(tariff.id.prefix(36)))
        json.add("currency", tariff.currency.code)
        if tariff.parkingGrace > 0 {
            json.add("tariff_alt_text", json: "[{\"language\":\"en\",\"text\":"
                     + JSONLine.quote("The first \(tariff.parkingGrace / 60) minutes of idle time per session are free.") + "}]")
        }
        let elements = tariff.elements.map { element -> String in
            var item = JSONLine()
            let components = element.components.map { component -> String in
                var price = JSONLine()
                price.add("type", component.dimension.rawValue)
                price.add("price", number: component.priceText)
                if let vat = component.vatText { price.add("vat", number: vat) }
                price.add("step_size", component.stepSize)
                return price.description
            }
            item.add("price_components", json: "[" + components.joined(separator: ",") + "]")
            if let restrictions = element.restrictions { item.add("restrictions", json: Self.restrictions(restrictions).description) }
            return item.description
        }
        json.add("elements", json: "[" + elements.joined(separator: ",") + "]")
        if let minimum = tariff.minimumPrice { json.add("min_price", json: limit(minimum)) }
        if let maximum = tariff.maximumPrice { json.add("max_price", json: limit(maximum)) }
        json.add("last_updated", updated.description)
        return json
    }

    static func limit(_ limit: PriceLimit) -> String {
        "{\"excl_vat\":\(limit.excludingVAT.exactText ?? "0"),\"incl_vat\":\(limit.includingVAT.exactText ?? "0")}"
    }

    static func restrictions(_ restrictions: TariffRestrictions) -> JSONLine {
        var json = JSONLine()
        let clock = { (second: Int) in
            let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
            return "\(two(second / 3600)):\(two(second / 60 % 60))"
        }
        let date = { (key: Int) in
            let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
            return "\(key / 10_000)-\(two(key / 100 % 100))-\(two(key % 100))"
        }
        if let start = restrictions.startTime { json.add("start_time", clock(start)) }
        if let end = restrictions.endTime { json.add("end_time", clock(end)) }
        if let start = restrictions.startDate { json.add("start_date", date(start)) }
        if let end = restrictions.endDate { json.add("end_date", date(end)) }
        if let energy = restrictions.minEnergyMilliwattHours { json.add("min_kwh", number: FixedDecimal.text(energy, places: 6)) }
        if let energy = restrictions.maxEnergyMilliwattHours { json.add("max_kwh", number: FixedDecimal.text(energy, places: 6)) }
        if let current = restrictions.minCurrentCentiamps { json.add("min_current", number: FixedDecimal.text(current, places: 2)) }
        if let current = restrictions.maxCurrentCentiamps { json.add("max_current", number: FixedDecimal.text(current, places: 2)) }
        if let power = restrictions.minPowerWatts { json.add("min_power", number: FixedDecimal.text(power, places: 3)) }
        if let power = restrictions.maxPowerWatts { json.add("max_power", number: FixedDecimal.text(power, places: 3)) }
        if let duration = restrictions.minDurationSeconds { json.add("min_duration", duration) }
        if let duration = restrictions.maxDurationSeconds { json.add("max_duration", duration) }
        if let days = restrictions.daysOfWeek {
            json.add("day_of_week", json: "[" + days.sorted().map { JSONLine.quote(Self.days[$0 - 1]) }.joined(separator: ",") + "]")
        }
        return json
    }
}
