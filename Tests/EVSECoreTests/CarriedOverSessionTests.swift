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
        let ended = driver.advance(by: ChargerConfiguration().carriedOverDecisionTime)
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

/// Faults latched before a restart: a restart is not a repair.
@Suite struct RestoredLatchTests {
    @Test func aFaultATechnicianMustClearHoldsAcrossARestart() throws {
        var driver = MachineDriver(latched: [.contactorWelded: .untilTechnicianClears])
        #expect(driver.machine.activeFaults.contains(.contactorWelded))
        driver.startCharging()
        #expect(!driver.machine.isContactorClosed)
        #expect(driver.machine.pilotOutput == .stateF)
        driver.pilot(.a, samples: 5)
        #expect(driver.machine.activeFaults.contains(.contactorWelded), "no unplug clears it")
        driver.record(try driver.machine.handle(.clearFault(.contactorWelded), at: driver.now))
        #expect(!driver.machine.activeFaults.contains(.contactorWelded))
    }

    @Test func aFaultLatchedUntilUnpluggedHoldsWhileTheCarStays() {
        var stays = MachineDriver(latched: [.diodeMissing: .untilUnplugged])
        stays.startCharging()
        #expect(stays.machine.activeFaults.contains(.diodeMissing))
        #expect(!stays.machine.isContactorClosed)
        #expect(stays.pilot(.a).contains(.faultCleared(.diodeMissing)))
        // No car when evsed comes back: it was unplugged meanwhile.
        var gone = MachineDriver(latched: [.diodeMissing: .untilUnplugged])
        #expect(gone.pilot(.a).contains(.faultCleared(.diodeMissing)))
        gone.startCharging()
        #expect(gone.machine.isContactorClosed)
    }
}
