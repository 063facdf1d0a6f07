import Billing
import EVSECore
import Foundation
import PropertyBased
import Sessions
import Testing
@testable import Ledger

/// The books: what the recorder stores, and that a session's cost can be recomputed from it.
@Suite struct LedgerBooksTests {
    /// The figures of a stored session, recomputed from its stored readings alone.
    func recomputed(_ ledger: Ledger, _ id: Int64) throws -> MeteredSession {
        let session = try #require(try ledger.session(id))
        let books = SessionBooks(clock: WallClock(originInstant: .zero, originTimestamp: testOrigin), tariff: nil)
        return books.replay(session.stored, readings: try ledger.readings(of: id).map(\.sample))
    }

    @Test func aSessionIsStoredWithItsBillAndSignature() throws {
        let path = temporaryLedgerPath()
        let books = try recorder(path)
        var script = EventScript()
        script.session(chargingSeconds: 3600, idleSeconds: 1200)
        for event in script.events { try books.record(event) }
        let session = try #require(try books.ledger.session(1))
        #expect(session.closed)
        #expect(session.endReason == "vehicle_unplugged")
        #expect(session.endRegisterSource == "meter")
        // 7.4 kW for an hour: the register's difference, in whole Wh.
        #expect(session.energyWh == 7400)
        #expect(session.energyWh == session.endRegisterWh! - session.startRegisterWh!)
        #expect(session.chargingSeconds == 3600)
        #expect(session.idleSeconds == 1200)
        // 0.50 flat; 21:30–22:00 at 0.30/kWh + 0.60/h; from 22:00 at 0.20/kWh, 3.00/h idle after 10 min.
        #expect(session.billLines.map(\.dimension) == ["FLAT", "ENERGY", "TIME", "ENERGY", "PARKING_TIME"])
        #expect(session.billLines.map(\.unitPrice) == ["0.5", "0.3", "0.6", "0.2", "3"])
        #expect(session.costIncludingVAT != nil)
        #expect(session.costIncludingVAT == (try recomputed(books.ledger, 1)).bill?.totalIncludingVAT.plainText)
        #expect(try books.ledger.verify().signatures == 1)
        let payload = SignedRecord.payload(of: session, charger: "test charger")
        #expect(payload.contains("\"RV\":1000.000") && payload.contains("\"RV\":1007.400"))
    }

    @Test func aSessionWithZeroEnergyCostsTheMinimumPrice() throws {
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        script.session(chargingSeconds: 0, idleSeconds: 60, power: 0)
        for event in script.events { try books.record(event) }
        let session = try #require(try books.ledger.session(1))
        #expect(session.energyWh == 0)
        // The flat fee (0.50) is below the minimum price (1.00): the bill is lifted to it.
        #expect(session.costExcludingVAT == "1.00")
        #expect(session.billLines.last?.dimension == "MIN_PRICE")
    }

    @Test func readingsAreBatchedAndTheRestWrittenOnStop() throws {
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        script.reading(power: 0)
        script.startSession()
        script.at(.action(.closeContactor))
        script.charge(power: 11000, seconds: 35)
        for event in script.events { try books.record(event) }
        // The contactor's closing is written at once; then 10 s batches: 30 s of readings are on
        // disk, the last few wait in memory.
        let stored = try books.ledger.readings(of: 1)
        #expect(stored.first?.sample == MeterSample.change(at: stored.first?.sample.milliseconds ?? 0, to: .charging))
        let readings = stored.filter { $0.sample.registerWh != nil }
        #expect(readings.count >= 30 && readings.count < 35)
        #expect(Set(readings.map(\.batch)).count == 3)
        try books.stop(at: script.now)
        #expect(try books.ledger.readings(of: 1).filter { $0.sample.registerWh != nil }.count == 35)
        // Still open: a planned stop leaves the session to be resumed.
        #expect(try books.ledger.session(1)?.closed == false)
        #expect(try books.ledger.lastRecord()?.kind == "daemon_stopped")
    }

    @Test func faultsAreStoredWithWhatTheChargerMeasured() throws {
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        script.reading(power: 0)
        script.startSession()
        script.charge(power: 7000, seconds: 3)
        script.at(.action(.faultRaised(.residualCurrent)))
        script.at(.action(.sessionInterrupted(SessionID(rawValue: 1), .fault(.residualCurrent))))
        script.wait(300)
        script.at(.action(.faultCleared(.residualCurrent)))
        script.at(.action(.sessionResumed(SessionID(rawValue: 1))))
        for event in script.events { try books.record(event) }
        let faults = try books.ledger.faults()
        #expect(faults.count == 1)
        #expect(faults[0].code == "residual_current")
        #expect(faults[0].session == 1)
        #expect(faults[0].context.contains("7000.0 W"))
        #expect(faults[0].clearedAt.map { $0.milliseconds - faults[0].raisedAt.milliseconds } == 300_000)
        let interruption = try #require(try books.ledger.session(1)?.interruptions.first)
        #expect(interruption.cause == "fault:residual_current")
        #expect(interruption.end != nil)
        #expect(try books.ledger.verify().isIntact)
    }

    @Test func aReadingsCurrentIsTheSumOverItsPhases() throws {
        // OCPI's current restrictions compare the current of all phases together.
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        script.startSession()
        script.wait(1)
        script.at(.meterReading(MeterReading(voltage: PhaseValues(Volts(230), Volts(231), Volts(229)),
                                             current: PhaseValues(Amperes(10), Amperes(10.5), Amperes(9.5)), power: Watts(6900),
                                             importEnergy: WattHours(1_000_000))))
        for event in script.events { try books.record(event) }
        try books.flush()
        let reading = try #require(try books.ledger.readings(of: 1).last)
        #expect(reading.sample.current == 30)
        #expect(reading.sample.voltage == 229)
    }

    @Test func timeWithAFaultIsNotBilledAsIdleTime() throws {
        // Charging, a residual-current trip with its 5-minute retry wait, charging again, then the
        // car is full for 20 minutes: the idle fee (after 10 minutes of grace) covers the car's
        // time only; the charger's 5 minutes are a line of their own at no charge.
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        script.reading(power: 0)
        let id = script.startSession()
        script.at(.action(.closeContactor))
        script.charge(power: 7400, seconds: 60, every: 10)
        script.at(.action(.faultRaised(.residualCurrent)))
        script.at(.action(.openContactor))
        script.at(.action(.sessionInterrupted(id, .fault(.residualCurrent))))
        script.charge(power: 0, seconds: 300, every: 10)
        script.at(.action(.faultCleared(.residualCurrent)))
        script.at(.action(.sessionResumed(id)))
        script.at(.action(.closeContactor))
        script.charge(power: 7400, seconds: 60, every: 10)
        script.at(.action(.openContactor))
        script.charge(power: 0, seconds: 1200, every: 10)
        script.at(.action(.sessionEnded(id, .vehicleUnplugged)))
        script.wait(1)
        script.reading(power: 0)
        for event in script.events { try books.record(event) }
        let session = try #require(try books.ledger.session(1))
        #expect(session.closed)
        #expect(session.unavailableSeconds == 300)
        #expect(session.idleSeconds == 1200)
        #expect(session.chargingSeconds == 120)
        let rows = Dictionary(uniqueKeysWithValues: session.billLines.map { ($0.dimension, $0) })
        // 20 idle minutes less 10 of grace, in 5-minute steps: 600 s.
        #expect(rows["PARKING_TIME"]?.quantity == "600")
        #expect(rows["CHARGER_UNAVAILABLE"]?.quantity == "300")
        #expect(rows["CHARGER_UNAVAILABLE"]?.includingVAT == "0.00")
        #expect(try books.ledger.verify().isIntact)
    }

    /// Live cost, as the books priced each reading, equals the cost recomputed from what the
    /// ledger stored, on generated sessions (lengths, powers, reading intervals, idle time, time of day).
    @Test func liveCostEqualsARecomputationFromTheStoredReadings() async throws {
        let shapes = Gen.int(in: 0...5400).array(of: 4)
        await propertyCheck(count: 40, input: shapes) { numbers in
            let path = temporaryLedgerPath()
            let books = try recorder(path, origin: Timestamp(milliseconds: testOrigin.milliseconds + Int64(numbers[3] % 3600) * 1000))
            var script = EventScript()
            script.reading(power: 0)
            let id = script.startSession()
            script.at(.action(.closeContactor))
            script.charge(power: 1500 + Double(numbers[2] % 20000), seconds: numbers[0], every: 1 + numbers[3] % 15)
            script.at(.action(.openContactor))
            script.charge(power: 0, seconds: numbers[1] / 3, every: 1 + numbers[2] % 30)
            for event in script.events { try books.record(event) }
            // Mid-session: the live figures against the stored readings (flushed first).
            try books.flush()
            let live = try #require(books.books.open?.figures)
            let stored = try recomputed(books.ledger, Int64(id.rawValue))
            #expect(stored.bill == live.bill)
            #expect(stored.energyWh == live.energyWh)
            // Closed: the stored bill against the recomputation.
            script.at(.action(.sessionEnded(id, .stopCommand)))
            script.wait(1)
            script.reading(power: 0)
            for event in script.events.suffix(2) { try books.record(event) }
            let session = try #require(try books.ledger.session(Int64(id.rawValue)))
            let final = try recomputed(books.ledger, Int64(id.rawValue))
            #expect(session.closed)
            #expect(session.costIncludingVAT == final.bill?.totalIncludingVAT.plainText)
            #expect(session.energyWh == final.energyWh)
            #expect(session.chargingSeconds == Int64(final.chargingSeconds))
        }
    }
}
