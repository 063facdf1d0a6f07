import Billing
import EVSECore
import Foundation
@testable import Ledger
import Sessions

/// A fresh directory for one test's ledger.
func temporaryLedgerPath() -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-ledger-\(UUID().uuidString)")
    return directory.appendingPathComponent("ledger.sqlite").path
}

/// A tariff with every dimension: energy by time of day, time, an idle fee after a grace period,
/// a flat fee, VAT and step sizes.
let testTariff = try! TariffSnapshot(text: """
    id = "test"
    currency = "EUR"
    min_price = "1.00"
    parking_grace_min = 10
    [[element]]
    restrictions = { start_time = "07:00", end_time = "22:00" }
    components = [{ type = "ENERGY", price = "0.30", vat = "20", step_wh = 10 }, { type = "TIME", price = "0.60", vat = "20", step_s = 60 }]
    [[element]]
    components = [{ type = "ENERGY", price = "0.20", vat = "20" }, { type = "PARKING_TIME", price = "3.00", vat = "20", step_s = 300 },
                  { type = "FLAT", price = "0.50", vat = "20" }]
    """, file: "test-tariff.toml")

/// 2026-01-07 21:30 UTC: sessions cross the 22:00 price change.
let testOrigin = Timestamp(milliseconds: CivilTime(year: 2026, month: 1, day: 7, hour: 21, minute: 30).secondsSinceEpoch * 1000)

/// Builds the control loop's events for sessions, in order, at a virtual clock.
struct EventScript {
    var now = Instant.zero
    var register: Double = 1_000_000
    var nextSession: UInt64 = 1
    var events: [TimedEvent] = []

    mutating func at(_ event: ControllerEvent) { events.append(TimedEvent(at: now, event: event)) }

    mutating func wait(_ seconds: Double) { now = now + .nanoseconds(Int64(seconds * 1e9)) }

    mutating func reading(power: Double) {
        at(.meterReading(MeterReading(
            voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(power / 230)), power: Watts(power),
            importEnergy: WattHours(register))))
    }

    /// Draws `power` for `seconds`, a reading every `every` seconds.
    mutating func charge(power: Double, seconds: Int, every: Int = 1) {
        var elapsed = 0
        while elapsed < seconds {
            let step = min(every, seconds - elapsed)
            wait(Double(step))
            register += power * Double(step) / 3600
            reading(power: power)
            elapsed += step
        }
    }

    @discardableResult
    mutating func startSession() -> SessionID {
        let id = SessionID(rawValue: nextSession)
        nextSession += 1
        at(.action(.sessionStarted(id)))
        return id
    }

    /// A whole session: charging, then idle, then unplugged, then the reading that settles it.
    @discardableResult
    mutating func session(chargingSeconds: Int, idleSeconds: Int, power: Double = 7400) -> SessionID {
        reading(power: 0)
        let id = startSession()
        wait(0.5)
        at(.action(.closeContactor))
        charge(power: power, seconds: chargingSeconds)
        at(.action(.openContactor))
        charge(power: 0, seconds: idleSeconds)
        at(.action(.sessionEnded(id, .vehicleUnplugged)))
        wait(1)
        reading(power: 0)
        return id
    }
}

func recorder(_ path: String, at instant: Instant = .zero, origin: Timestamp = testOrigin) throws -> LedgerRecorder {
    let ledger = try Ledger(path: path, create: true, chargerID: "test charger")
    let recorder = LedgerRecorder(ledger: ledger, clock: WallClock(originInstant: instant, originTimestamp: origin), tariff: testTariff, meter: "test meter")
    return recorder
}
