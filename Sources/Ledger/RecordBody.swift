import Crypto
import EVSECore
import Sessions

/// The canonical bodies of chain records that mirror a table row. Verification renders them
/// again from the rows and compares: a row changed after the fact no longer matches its record.
enum RecordBody {
    static func started(_ session: SessionRecord) -> JSONLine {
        var body = JSONLine()
        body.add("connector", session.connector)
        if let owner = session.owner { body.add("owner", owner) }
        body.add("started_ms", session.startedAt.milliseconds)
        body.add("meter", session.meter)
        if let id = session.tariffID { body.add("tariff_id", id) }
        if let text = session.tariffText { body.add("tariff_sha256", Digest.sha256(text)) }
        // Added with schema 4, only when known, so older records still read the same.
        if let clock = session.clockStatus { body.add("clock", clock.rawValue) }
        // Added with schema 6, only for a session started with a card.
        if let card = session.card { body.add("card", card) }
        return body
    }

    static func closed(_ session: SessionRecord, signature: String) -> JSONLine {
        var body = JSONLine()
        body.add("connector", session.connector)
        if let owner = session.owner { body.add("owner", owner) }
        if let card = session.card { body.add("card", card) }
        body.add("started_ms", session.startedAt.milliseconds)
        if let ended = session.endedAt { body.add("ended_ms", ended.milliseconds) }
        body.add("reason", session.endReason ?? "")
        body.add("end_register_source", session.endRegisterSource ?? "")
        if let register = session.startRegisterWh { body.add("start_register_wh", register) }
        if let register = session.endRegisterWh { body.add("end_register_wh", register) }
        body.add("energy_wh", session.energyWh)
        body.add("charging_s", session.chargingSeconds)
        body.add("idle_s", session.idleSeconds)
        body.add("outage_s", session.outageSeconds)
        // Fields added with schema 3 appear only when set, so older records still read the same.
        if session.unavailableSeconds > 0 { body.add("unavailable_s", session.unavailableSeconds) }
        body.add("meter", session.meter)
        if let id = session.tariffID { body.add("tariff_id", id) }
        if let text = session.tariffText { body.add("tariff_sha256", Digest.sha256(text)) }
        if let currency = session.currency { body.add("currency", currency) }
        if let cost = session.costExcludingVAT { body.add("cost_excl_vat", number: cost) }
        if let vat = session.costVAT { body.add("vat", number: vat) }
        if let cost = session.costIncludingVAT { body.add("cost_incl_vat", number: cost) }
        if let adjustment = session.adjustment { body.add("adjustment", number: adjustment) }
        let interruptions = session.interruptions.map { interruption in
            "[\(interruption.start.milliseconds),\(interruption.end.map { String($0.milliseconds) } ?? "null"),\(JSONLine.quote(interruption.cause))]"
        }
        body.add("interruptions", json: "[" + interruptions.joined(separator: ",") + "]")
        let lines = session.billLines.map { line in
            ([line.dimension, line.quantity, line.unitPrice, line.vatPercent, line.excludingVAT, line.vat, line.includingVAT]
                + (line.unit.map { [$0] } ?? []))
                .map(JSONLine.quote).joined(separator: ",")
        }
        body.add("bill", json: "[" + lines.map { "[\($0)]" }.joined(separator: ",") + "]")
        if let periods = session.periods { body.add("periods", json: periods) }
        body.add("signature", signature)
        return body
    }

    static func faultRaised(_ fault: FaultRecord) -> JSONLine {
        var body = JSONLine()
        body.add("fault", fault.id)
        body.add("code", fault.code)
        body.add("context", fault.context)
        return body
    }
}

/// The signed record of a closed session, in the spirit of OCMF (Open Charge Metering Format):
/// who measured, the start and end register readings with their times, and the session.
public enum SignedRecord {
    /// The payload that is signed: one line of canonical JSON.
    static func payload(of session: SessionRecord, charger: String) -> String {
        var payload = JSONLine()
        payload.add("FV", "1.0")
        payload.add("GI", "evsed")
        payload.add("GS", charger)
        payload.add("PG", "T\(session.id)")
        payload.add("MS", session.meter)
        // The identification: a session started with a card carries it (an RFID UID read in
        // plain, or an idTag); others name their owner, unidentified, as before schema 6.
        if let card = session.card {
            payload.add("IS", true)
            payload.add("IF", json: CardID.isUID(card) ? "[\"RFID_PLAIN\"]" : "[]")
            payload.add("IT", CardID.isUID(card) ? "ISO14443" : "UNDEFINED")
            payload.add("ID", card)
        } else {
            payload.add("IS", false)
            if let owner = session.owner { payload.add("ID", owner) }
        }
        var readings: [String] = []
        if let start = session.startRegisterWh {
            readings.append(reading(at: session.startedAt, clock: session.clockStatus, wattHours: start, type: "B"))
        }
        if let end = session.endRegisterWh {
            readings.append(reading(at: session.endedAt ?? session.startedAt, clock: session.clockStatus, wattHours: end, type: "E"))
        }
        payload.add("RD", json: "[" + readings.joined(separator: ",") + "]")
        payload.add("EN", session.energyWh)
        payload.add("ER", session.endReason ?? "")
        if let cost = session.costIncludingVAT, let currency = session.currency { payload.add("CT", "\(cost) \(currency)") }
        return payload.description
    }

    /// A reading's time carries OCMF's clock status letter (`2026-11-25T10:49:47.120Z S`); sessions
    /// stored before evsed kept the status show the time alone, as they were signed.
    private static func reading(at time: Timestamp, clock: ClockStatus?, wattHours: Int64, type: String) -> String {
        var reading = JSONLine()
        reading.add("TM", time.description + (clock.map { " \($0.ocmf)" } ?? ""))
        reading.add("TX", type)
        reading.add("RV", number: kilowattHours(wattHours))
        reading.add("RI", "1-0:1.8.0")
        reading.add("RU", "kWh")
        return reading.description
    }

    /// Watt-hours as exact kWh text: 12345 → "12.345".
    static func kilowattHours(_ wattHours: Int64) -> String {
        let sign = wattHours < 0 ? "-" : ""
        let magnitude = wattHours.magnitude
        let fraction = String(magnitude % 1000 + 1000).dropFirst()
        return "\(sign)\(magnitude / 1000).\(fraction)"
    }

    /// The record as OCMF writes it: `OCMF|payload|{"SA":…,"SD":…}`.
    public static func ocmf(payload: String, signature: String) -> String {
        var signed = JSONLine()
        signed.add("SA", "ECDSA-secp256r1-SHA256")
        signed.add("SE", "hex")
        signed.add("SD", signature)
        return "OCMF|\(payload)|\(signed)"
    }
}

enum Digest {
    static func sha256(_ text: String) -> String {
        Hex.encode(Array(SHA256.hash(data: Array(text.utf8))))
    }
}
