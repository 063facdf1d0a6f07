import Testing
@testable import EVSECore

/// A session the ledger still had open when the daemon started: resumed if the car is there.
@Suite struct CarriedOverSessionTests {
    let carried = CarriedOverSession(id: SessionID(rawValue: 41), endReasonIfGone: .powerLoss)

    @Test func aCarStillConnectedResumesTheSameSessionAndCharges() {
        var driver = MachineDriver(firstSessionNumber: 42, carriedOver: carried)
        let found = driver.pilot(.b)
        #expect(found.contains(.sessionResumed(SessionID(rawValue: 41))))
        #expect(!found.contains { if case .sessionStarted = $0 { return true } else { return false } })
        #expect(driver.machine.sessionID == SessionID(rawValue: 41))
        driver.startCharging()
        #expect(driver.machine.isContactorClosed)
        // The decision timer is gone: nothing ends the resumed session later.
        let later = driver.advance(by: .seconds(10))
        #expect(!later.contains { if case .sessionEnded = $0 { return true } else { return false } })
        // The next session after it gets the ledger's next number.
        driver.pilot(.a)
        #expect(driver.pilot(.b).contains(.sessionStarted(SessionID(rawValue: 42))))
    }

    @Test func noCarWithinTheDecisionTimeEndsTheSessionWithItsReason() {
        var driver = MachineDriver(firstSessionNumber: 42, carriedOver: carried)
        let ended = driver.advance(by: CarriedOverSession.decisionTime)
        #expect(ended == [.sessionEnded(SessionID(rawValue: 41), .powerLoss)])
        #expect(driver.machine.sessionID == nil)
        // A car that arrives afterwards gets a new session.
        #expect(driver.pilot(.b).contains(.sessionStarted(SessionID(rawValue: 42))))
    }

    @Test func aResumedSessionIsInterruptedAtOnceWhenAFaultIsActive() {
        var driver = MachineDriver(carriedOver: carried)
        driver.rcm(tripped: true)
        let found = driver.pilot(.b)
        #expect(found.contains(.sessionResumed(SessionID(rawValue: 41))))
        #expect(found.contains(.sessionInterrupted(SessionID(rawValue: 41), .fault(.residualCurrent))))
        #expect(!driver.machine.isContactorClosed)
    }
}
