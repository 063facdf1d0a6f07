import Billing
import EVSECore
import Sessions

/// A session as the ledger holds it.
public struct SessionRecord: Hashable, Sendable {
    public var id: Int64
    public var connector: Int
    public var owner: String?
    /// The card it started with (an RFID UID, an OCPP idTag); nil without one or before schema 6.
    public var card: String?
    public var startedAt: Timestamp
    public var endedAt: Timestamp?
    /// Why it ended (`vehicle_unplugged`, `stop_command`, `power_loss`, …); nil while open.
    public var endReason: String?
    /// Whether its figures are final (end register known, bill made, record signed).
    public var closed: Bool
    /// Where the end register came from: `meter` (a reading after the end) or
    /// `last_stored_reading` (the meter could not be read; the last stored reading stands).
    public var endRegisterSource: String?
    public var startRegisterWh: Int64?
    public var endRegisterWh: Int64?
    public var energyWh: Int64
    public var chargingSeconds: Int64
    public var idleSeconds: Int64
    public var outageSeconds: Int64
    /// Time the charger could not charge (a fault, a pause, a retry wait): not billed.
    public var unavailableSeconds: Int64 = 0
    /// The meter that measured it ("simulated", "sdm630 at /dev/ttyUSB0, unit 1").
    public var meter: String
    public var tariffID: String?
    /// The tariff file's text as it was when the session started.
    public var tariffText: String?
    public var currency: String?
    public var costExcludingVAT: String?
    public var costVAT: String?
    public var costIncludingVAT: String?
    /// The change the tariff's minimum or maximum price made, excluding VAT.
    public var adjustment: String?
    public var interruptions: [Interruption] = []
    public var billLines: [BillLineRecord] = []
    /// The charging periods as stored (`ChargingPeriodsText`), for OCPI CDRs; nil before schema 3.
    public var periods: String?
    /// Whether its times were taken with a synchronised clock; nil before schema 4.
    public var clockStatus: ClockStatus?

    public typealias Interruption = SessionInterruption

    /// What the session's books need to carry it on after a restart.
    public var stored: StoredSession {
        StoredSession(id: SessionID(rawValue: UInt64(id)), owner: owner, startedAt: startedAt, startRegisterWh: startRegisterWh, endedAt: endedAt,
                      endReason: endReason, tariffText: tariffText, interruptions: interruptions,
                      clockStatus: clockStatus, card: card)
    }

    /// Seconds from start to end (or to `now` while open).
    public func durationSeconds(at now: Timestamp) -> Int64 {
        ((endedAt ?? now).milliseconds - startedAt.milliseconds) / 1000
    }
}

/// One line of a stored bill (a `BillRow` as the ledger keeps it).
public struct BillLineRecord: Hashable, Sendable {
    /// `ENERGY`, `TIME`, `PARKING_TIME`, `FLAT`, `CHARGER_UNAVAILABLE`, `CHARGER_DOWN`, `MIN_PRICE`, `MAX_PRICE`.
    public var dimension: String
    /// Exact decimal text in `unit`.
    public var quantity: String
    /// `kWh`, `s`, `session` or empty; nil in bills stored before schema 3, whose quantities are
    /// kWh for energy, hours for time and sessions for flat fees.
    public var unit: String?
    public var unitPrice: String
    public var vatPercent: String
    public var excludingVAT: String
    public var vat: String
    public var includingVAT: String

    public init(dimension: String, quantity: String, unit: String?, unitPrice: String, vatPercent: String, excludingVAT: String,
                vat: String, includingVAT: String) {
        self.dimension = dimension
        self.quantity = quantity
        self.unit = unit
        self.unitPrice = unitPrice
        self.vatPercent = vatPercent
        self.excludingVAT = excludingVAT
        self.vat = vat
        self.includingVAT = includingVAT
    }

    /// The row this line stores; a line from before schema 3 gets the unit it was kept in.
    public var row: BillRow {
        let legacyUnit = dimension == "ENERGY" ? "kWh" : dimension == "FLAT" ? "session" : dimension.hasSuffix("_PRICE") ? "" : "h"
        return BillRow(kind: dimension, quantity: quantity, unit: unit ?? legacyUnit, unitPrice: unitPrice, vatPercent: vatPercent,
                       excludingVAT: excludingVAT, vat: vat, includingVAT: includingVAT)
    }

    /// A stored line from a bill's row.
    public init(_ row: BillRow) {
        self.init(dimension: row.kind, quantity: row.quantity, unit: row.unit, unitPrice: row.unitPrice, vatPercent: row.vatPercent,
                  excludingVAT: row.excludingVAT, vat: row.vat, includingVAT: row.includingVAT)
    }
}

/// A fault as the ledger holds it.
public struct FaultRecord: Hashable, Sendable {
    public var id: Int64
    public var code: String
    public var raisedAt: Timestamp
    public var clearedAt: Timestamp?
    public var session: Int64?
    /// What the charger measured when it was raised ("pilot C, 231.0 V, 15.9 A, 34.5 °C").
    public var context: String
}

/// One stored meter reading of a session.
public struct StoredReading: Hashable, Sendable {
    public var sample: MeterSample
    /// The chain record holding the digest of the batch it was stored in.
    public var batch: Int64
}
