import Billing
import FoundationEssentials
import EVSECore
import Sessions

/// Sessions as JSON, CSV and OCMF, for `evsed ledger list/show/export`.
extension SessionRecord {
    /// One JSON object; amounts are exact decimal numbers, times ISO 8601 UTC.
    public var json: JSONLine {
        var json = JSONLine()
        json.add("id", id)
        json.add("connector", connector)
        if let owner { json.add("owner", owner) }
        if let card { json.add("card", card) }
        json.add("started", startedAt.description)
        if let endedAt { json.add("ended", endedAt.description) }
        if let clockStatus { json.add("clock", clockStatus.rawValue) }
        json.add("status", status)
        if let endReason { json.add("end_reason", endReason) }
        if let endRegisterSource { json.add("end_register_source", endRegisterSource) }
        if let startRegisterWh { json.add("start_register_wh", startRegisterWh) }
        if let endRegisterWh { json.add("end_register_wh", endRegisterWh) }
        json.add("energy_wh", energyWh)
        json.add("charging_s", chargingSeconds)
        json.add("idle_s", idleSeconds)
        json.add("outage_s", outageSeconds)
        json.add("unavailable_s", unavailableSeconds)
        json.add("meter", meter)
        if let tariffID { json.add("tariff", tariffID) }
        if let currency { json.add("currency", currency) }
        if let costExcludingVAT { json.add("cost_excl_vat", number: costExcludingVAT) }
        if let costVAT { json.add("vat", number: costVAT) }
        if let costIncludingVAT { json.add("cost_incl_vat", number: costIncludingVAT) }
        let interruptions = self.interruptions.map { interruption in
            var item = JSONLine()
            item.add("start", interruption.start.description)
            if let end = interruption.end { item.add("end", end.description) }
            item.add("cause", interruption.cause)
            return item.description
        }
        json.add("interruptions", json: "[" + interruptions.joined(separator: ",") + "]")
        let lines = billLines.map { line in
            var item = JSONLine()
            line.row.add(to: &item)
            return item.description
        }
        json.add("bill", json: "[" + lines.joined(separator: ",") + "]")
        return json
    }

    /// `open`, `ending` (waiting for its end register) or `closed`.
    public var status: String { closed ? "closed" : endedAt == nil ? "open" : "ending" }

    /// The CSV columns, in order.
    public static let csvHeader = "id,connector,owner,started,ended,status,end_reason,start_register_wh,end_register_wh,energy_wh,charging_s,idle_s,outage_s,meter,tariff,currency,cost_excl_vat,vat,cost_incl_vat,interruptions,unavailable_s,clock,card"

    /// One CSV row (RFC 4180 quoting).
    public var csvRow: String {
        let fields: [String] = [
            String(id), String(connector), owner ?? "", startedAt.description, endedAt?.description ?? "", status, endReason ?? "",
            startRegisterWh.map(String.init) ?? "", endRegisterWh.map(String.init) ?? "", String(energyWh), String(chargingSeconds),
            String(idleSeconds), String(outageSeconds), meter, tariffID ?? "", currency ?? "", costExcludingVAT ?? "", costVAT ?? "",
            costIncludingVAT ?? "", String(interruptions.count), String(unavailableSeconds), clockStatus?.rawValue ?? "", card ?? "",
        ]
        return fields.map(Self.csvField).joined(separator: ",")
    }

    /// A CSV field, quoted as RFC 4180 says when it must be.
    public static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}

extension Ledger {
    /// The signed records (OCMF lines) of the closed sessions started in [since, until).
    public func ocmfRecords(since: Timestamp? = nil, until: Timestamp? = nil) throws(LedgerError) -> [(session: Int64, line: String)] {
        try read { () throws(SQLiteError) in
            try database.query("""
                SELECT s.id, g.payload, g.signature FROM sessions s JOIN signed_sessions g ON g.session = s.id
                WHERE s.started_ms >= ? AND s.started_ms < ? ORDER BY s.id
                """, [.integer(since?.milliseconds ?? Int64.min), .integer(until?.milliseconds ?? Int64.max)]
            ) { row in (row.integer(0), SignedRecord.ocmf(payload: row.text(1), signature: row.text(2))) }
        }
    }
}

extension Ledger {
    /// The signed record (an OCMF line) of a closed session, or nil before it closed.
    public func ocmfRecord(session: Int64) throws(LedgerError) -> String? {
        try read { () throws(SQLiteError) in
            try database.query("SELECT payload, signature FROM signed_sessions WHERE session = ?", [.integer(session)]) { row in
                SignedRecord.ocmf(payload: row.text(0), signature: row.text(1))
            }.first
        }
    }
}

extension BillRow {
    /// The row's fields, exact decimals as strings so no reader takes them for binary floating
    /// point: `dimension`, `quantity`, `unit`, `unit_price`, `vat_percent` (when VAT applies),
    /// `excl_vat`, `vat`, `incl_vat`.
    public func add(to json: inout JSONLine) {
        json.add("dimension", kind)
        json.add("quantity", quantity)
        json.add("unit", unit)
        json.add("unit_price", unitPrice)
        if !vatPercent.isEmpty { json.add("vat_percent", vatPercent) }
        json.add("excl_vat", excludingVAT)
        json.add("vat", vat)
        json.add("incl_vat", includingVAT)
    }
}
