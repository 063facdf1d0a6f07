import EVSECore
import Foundation
import Sessions
import Testing
@testable import Ledger

/// Start-up after a power cut or a stop: an open session is resolved, never dropped.
@Suite struct RecoveryTests {
    /// A session charging for `seconds`, then the process "dies": nothing after the last
    /// event is written (no stop, the last batch may be lost).
    func crashedWhileCharging(_ path: String, seconds: Int, stopped: Bool = false) throws -> EventScript {
        let books = try recorder(path)
        var script = EventScript()
        script.reading(power: 0)
        script.startSession()
        script.at(.action(.closeContactor))
        script.charge(power: 11000, seconds: seconds)
        for event in script.events { try books.record(event) }
        if stopped { try books.stop(at: script.now) }
        return script
    }

    /// The same ledger after a restart `downSeconds` later.
    func restart(_ path: String, after script: EventScript, downSeconds: Int) throws -> (LedgerRecorder, LedgerRecorder.Recovery) {
        let origin = Timestamp(milliseconds: testOrigin.milliseconds + (script.now - Instant.zero).nanoseconds / 1_000_000 + Int64(downSeconds) * 1000)
        let books = try recorder(path, origin: origin)
        return (books, try books.recover(at: Instant.zero))
    }

    @Test func aVehicleStillConnectedResumesTheSameSessionAndNoEnergyIsLost() throws {
        let path = temporaryLedgerPath()
        var before = try crashedWhileCharging(path, seconds: 45)
        let (books, recovery) = try restart(path, after: before, downSeconds: 20)
        #expect(recovery.carriedOver == SessionID(rawValue: 1))
        #expect(recovery.cause == "power_loss")
        #expect(recovery.nextSessionNumber == 2)
        // The car drew 0.5 kWh more before the power went (readings that never reached the disk).
        before.register += 500
        var after = EventScript(now: .zero, register: before.register, nextSession: 2)
        after.wait(1)
        after.at(.action(.sessionResumed(SessionID(rawValue: 1))))
        after.reading(power: 0)
        after.at(.action(.closeContactor))
        after.charge(power: 11000, seconds: 10)
        after.at(.action(.sessionEnded(SessionID(rawValue: 1), .vehicleUnplugged)))
        after.wait(1)
        after.reading(power: 0)
        for event in after.events { try books.record(event) }
        let session = try #require(try books.ledger.session(1))
        #expect(session.closed)
        #expect(session.energyWh == Int64((after.register - 1_000_000).rounded()))
        #expect(session.interruptions.map(\.cause) == ["power_loss"])
        #expect(session.interruptions.first?.end != nil)
        // The outage is neither charging nor idle time: the owner does not pay for it.
        #expect(session.outageSeconds >= 20)
        #expect(try books.ledger.verify().isIntact)
    }

    @Test func aPlannedStopIsToldApartFromAPowerCut() throws {
        let path = temporaryLedgerPath()
        let before = try crashedWhileCharging(path, seconds: 12, stopped: true)
        let (_, recovery) = try restart(path, after: before, downSeconds: 5)
        #expect(recovery.cause == "daemon_stopped")
        #expect(recovery.carriedOver == SessionID(rawValue: 1))
    }

    @Test func aVehicleGoneClosesTheSessionAtTheMetersRegister() throws {
        let path = temporaryLedgerPath()
        var before = try crashedWhileCharging(path, seconds: 30)
        let (books, _) = try restart(path, after: before, downSeconds: 60)
        before.register += 120
        var after = EventScript(now: .zero, register: before.register, nextSession: 2)
        after.wait(2)
        after.at(.action(.sessionEnded(SessionID(rawValue: 1), .powerLoss)))
        after.reading(power: 0)
        for event in after.events { try books.record(event) }
        let session = try #require(try books.ledger.session(1))
        #expect(session.closed)
        #expect(session.endReason == "power_loss")
        #expect(session.endRegisterSource == "meter")
        #expect(session.endRegisterWh == Int64(before.register.rounded()))
    }

    @Test func anUnreadableMeterClosesAtTheLastStoredReadingAndSaysSo() throws {
        let path = temporaryLedgerPath()
        let before = try crashedWhileCharging(path, seconds: 30)
        let (books, _) = try restart(path, after: before, downSeconds: 60)
        let stored = try #require(try books.ledger.readings(of: 1).last { $0.sample.registerWh != nil })
        var after = EventScript(now: .zero, register: 0, nextSession: 2)
        after.wait(2)
        after.at(.action(.sessionEnded(SessionID(rawValue: 1), .powerLoss)))
        for event in after.events { try books.record(event) }
        // No reading comes: the books close it once the final-reading timeout has passed.
        try books.stop(at: after.now + .seconds(10))
        let session = try #require(try books.ledger.session(1))
        #expect(session.closed)
        #expect(session.endRegisterSource == "last_stored_reading")
        #expect(session.endRegisterWh == stored.sample.registerWh)
    }

    @Test func aSessionThatHadEndedGetsItsEndRegisterAfterTheRestart() throws {
        let path = temporaryLedgerPath()
        let books = try recorder(path)
        var script = EventScript()
        script.reading(power: 0)
        let id = script.startSession()
        script.charge(power: 7000, seconds: 20)
        script.at(.action(.sessionEnded(id, .stopCommand)))
        for event in script.events { try books.record(event) }
        let (again, recovery) = try restart(path, after: script, downSeconds: 3)
        #expect(recovery.carriedOver == nil)
        var after = EventScript(now: .zero, register: script.register + 3, nextSession: 2)
        after.wait(1)
        after.reading(power: 0)
        for event in after.events { try again.record(event) }
        let session = try #require(try again.ledger.session(1))
        #expect(session.closed && session.endReason == "stop_command")
        #expect(session.endRegisterWh == Int64((script.register + 3).rounded()))
        #expect(try again.ledger.verify().isIntact)
    }

    @Test func aCarThatLeavesRightAfterARestartKeepsItsEnergyAndTheNextCarGetsOnlyItsOwn() throws {
        // The first car drew 300 Wh that no stored reading holds when the power went; after the
        // restart it is gone, a second car plugs in at once and draws 1 kWh.
        let path = temporaryLedgerPath()
        var before = try crashedWhileCharging(path, seconds: 20)
        let (books, recovery) = try restart(path, after: before, downSeconds: 30)
        #expect(recovery.carriedOver == SessionID(rawValue: 1))
        before.register += 300
        let startOfSecond = before.register
        var after = EventScript(now: .zero, register: before.register, nextSession: 2)
        after.wait(2)
        after.at(.action(.sessionEnded(SessionID(rawValue: 1), .powerLoss)))
        let second = after.startSession()
        // The state machine closes the contactor only after a reading taken with it open.
        after.reading(power: 0)
        after.at(.action(.closeContactor))
        after.charge(power: 7200, seconds: 500, every: 10)
        after.at(.action(.openContactor))
        after.at(.action(.sessionEnded(second, .vehicleUnplugged)))
        after.wait(1)
        after.reading(power: 0)
        for event in after.events { try books.record(event) }
        let first = try #require(try books.ledger.session(1))
        let next = try #require(try books.ledger.session(2))
        #expect(first.closed && next.closed)
        #expect(first.endReason == "power_loss")
        #expect(first.energyWh == Int64((startOfSecond - 1_000_000).rounded()))
        #expect(next.startRegisterWh == Int64(startOfSecond.rounded()))
        #expect(next.energyWh == 1000)
        #expect(try books.ledger.verify().isIntact)
    }

    @Test func aReplacedMeterClosesTheSessionAtItsLastGoodReading() throws {
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        script.reading(power: 0)
        let first = script.startSession()
        script.at(.action(.closeContactor))
        script.charge(power: 7200, seconds: 50, every: 10)
        let lastGood = script.register
        // The new meter's register starts at 12 Wh; the state machine ends the session and opens
        // the next one in the same step, the contactor staying closed.
        script.register = 12
        script.reading(power: 7200)
        script.at(.action(.sessionEnded(first, .meterReplaced)))
        let second = script.startSession()
        script.charge(power: 7200, seconds: 50, every: 10)
        for event in script.events { try books.record(event) }
        let old = try #require(try books.ledger.session(1))
        #expect(old.closed)
        #expect(old.endReason == "meter_replaced" && old.endRegisterSource == "meter_replaced")
        #expect(old.endRegisterWh == Int64(lastGood.rounded()))
        #expect(old.energyWh == 100)
        try books.flush()
        let new = try #require(try books.ledger.session(Int64(second.rawValue)))
        #expect(new.startRegisterWh == 12)
        #expect(new.energyWh == 100)
        #expect(try books.ledger.verify().isIntact)
    }

    @Test func aSessionWithNoRegisterWaitsForTheMeterAndItsStartIsWrittenAtOnce() throws {
        // evsed started with the meter silent: a session opens and ends with no register known.
        let books = try recorder(temporaryLedgerPath())
        var script = EventScript()
        let id = script.startSession()
        script.wait(3)
        script.at(.action(.sessionEnded(id, .vehicleUnplugged)))
        script.wait(30)
        script.at(.action(.vehicleStateChanged(.a)))
        for event in script.events { try books.record(event) }
        // Not closed with no register at all, however long the meter stays silent.
        #expect(try books.ledger.session(1)?.closed == false)
        var more = EventScript(now: script.now, register: 1_000_000, nextSession: 2)
        more.wait(1)
        more.reading(power: 0)
        let next = more.startSession()
        more.wait(1)
        more.reading(power: 0)
        for event in more.events { try books.record(event) }
        let closed = try #require(try books.ledger.session(1))
        #expect(closed.closed && closed.energyWh == 0 && closed.endRegisterSource == "meter")
        // The next session's start register is on disk before any batch of readings.
        #expect(try books.ledger.session(Int64(next.rawValue))?.startRegisterWh == 1_000_000)
    }

    @Test func aLatchedFaultStaysInForceAndOthersAreClosedWithWhy() throws {
        let path = temporaryLedgerPath()
        let books = try recorder(path)
        var script = EventScript()
        script.at(.action(.faultRaised(.contactorWelded)))
        script.at(.action(.faultLatched(.contactorWelded, .untilTechnicianClears)))
        script.at(.action(.faultRaised(.undervoltage)))
        for event in script.events { try books.record(event) }
        let (again, recovery) = try restart(path, after: script, downSeconds: 5)
        #expect(recovery.latchedFaults == [.contactorWelded: .untilTechnicianClears])
        let open = try again.ledger.openFaults()
        #expect(open.map(\.code) == ["contactor_welded"])
        #expect(try again.ledger.lastRecord(ofKind: "fault_closed_at_start")?.body.contains("evsed restarted (power_loss); the condition is checked anew") == true)
        // The technician clears it after the restart: the fault log records it.
        var after = EventScript(now: .zero, register: 1_000_000, nextSession: 1)
        after.wait(1)
        after.at(.action(.faultCleared(.contactorWelded)))
        for event in after.events { try again.record(event) }
        #expect(try again.ledger.openFaults().isEmpty)
        #expect(try again.ledger.verify().isIntact)
    }
}
