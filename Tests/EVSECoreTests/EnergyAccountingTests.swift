import Testing
@testable import EVSECore

/// No energy flows without a register the books can start from, and a replaced meter ends what
/// was measured on the old one.
@Suite struct EnergyAccountingTests {
    @Test func theContactorWaitsForTheFirstReadingAfterAStart() {
        var driver = MachineDriver()
        driver.meterSilent = true
        driver.startCharging()
        // Everything else allows it: the pilot says C, the PWM is on, no fault.
        #expect(!driver.machine.isContactorClosed)
        #expect(driver.machine.pilot.isPWM)
        let read = driver.meter(amps: 0, energy: 5000)
        #expect(read.contains(.closeContactor))
    }

    @Test func theNextSessionWaitsForAReadingTakenWithTheContactorOpen() {
        var driver = MachineDriver()
        driver.startCharging()
        #expect(driver.machine.isContactorClosed)
        driver.meterSilent = true
        let openedAt = driver.now + driver.period
        #expect(driver.pilot(.a).contains(.openContactor))
        // A second car plugs in at once; the only reading comes late and was taken while the first
        // car still drew: it cannot start the second session.
        driver.startCharging()
        let stale = driver.record(driver.machine.meterRead(.sample(amps: 16, energy: 2000), takenAt: openedAt - .milliseconds(500), at: driver.now))
        #expect(!stale.contains(.closeContactor))
        #expect(!driver.machine.isContactorClosed)
        #expect(driver.meter(amps: 0, energy: 2001).contains(.closeContactor))
    }

    @Test func aPauseDoesNotWaitForTheMeter() throws {
        // Within one session the books already have its register: resuming closes at once.
        var driver = MachineDriver()
        driver.startCharging()
        driver.meterSilent = true
        driver.record(try driver.machine.pause(at: driver.now))
        driver.hold(.c, for: .seconds(1))
        #expect(driver.pilot(.b).contains(.openContactor))
        driver.record(try driver.machine.resume(at: driver.now))
        #expect(driver.pilot(.c).contains(.closeContactor))
    }

    @Test func aRegisterThatGoesDownEndsTheSessionAndTheCarGoesOnInANewOne() {
        var driver = MachineDriver()
        driver.startCharging()
        driver.meter(amps: 16, energy: 50_000)
        let replaced = driver.meter(amps: 16, energy: 12)
        #expect(replaced.contains(.sessionEnded(SessionID(rawValue: 1), .meterReplaced)))
        #expect(replaced.contains(.sessionStarted(SessionID(rawValue: 2))))
        // The car keeps charging: nothing opened the contactor.
        #expect(!replaced.contains(.openContactor))
        #expect(driver.machine.isContactorClosed)
        // A register that merely repeats, or grows, is no replacement.
        #expect(!driver.meter(amps: 16, energy: 12).contains { if case .sessionEnded = $0 { return true } else { return false } })
    }

    @Test func aCarriedOverSessionEndsWhenTheRegisterIsBelowTheLedgers() {
        let carried = CarriedOverSession(id: SessionID(rawValue: 7), endReasonIfGone: .powerLoss, lastRegister: WattHours(90_000))
        var driver = MachineDriver(firstSessionNumber: 8, carriedOver: carried)
        driver.meterSilent = true
        let read = driver.meter(amps: 0, energy: 40)
        #expect(read.contains(.sessionEnded(SessionID(rawValue: 7), .meterReplaced)))
        #expect(driver.pilot(.b).contains(.sessionStarted(SessionID(rawValue: 8))))
    }
}
