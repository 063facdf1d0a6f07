import EVSECore
import Foundation
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
}
