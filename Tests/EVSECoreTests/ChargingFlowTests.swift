import Testing
@testable import EVSECore

/// The normal IEC 61851-1 charging flow, step by step.
@Suite struct ChargingFlowTests {
    @Test func theMachineStartsSafeAndUnavailableUntilStarted() {
        var machine = ChargerStateMachine(configuration: .testing)
        #expect(machine.pilotLevel == .a)
        #expect(machine.pilotOutput == .stateF)
        #expect(!machine.isContactorClosed)
        #expect(machine.activeFaults.isEmpty)
        // A car already plugged in is not seen while the pilot is F, and nothing starts.
        for step in 1...10 { #expect(machine.pilotSampled(.nominal(.c), at: .seconds(Double(step) * 0.01)).isEmpty) }
        #expect(machine.start(at: .seconds(0.2)) == [.setPilot(.steady)])
        #expect(machine.start(at: .seconds(0.3)).isEmpty)
        var found: [ChargerAction] = []
        for step in 1...3 { found += machine.pilotSampled(.nominal(.b), at: .seconds(0.3 + Double(step) * 0.01)) }
        #expect(found.contains(.sessionStarted(SessionID(rawValue: 1))))
    }

    @Test func plugInStartsASessionAndOffersTheCurrent() throws {
        var driver = MachineDriver()
        let actions = driver.pilot(.b)
        let duty = try PWMDuty(offering: Amperes(32))
        #expect(actions.contains(.vehicleStateChanged(.b)))
        #expect(actions.contains(.sessionStarted(SessionID(rawValue: 1))))
        #expect(actions.contains(.setPilot(.pwm(duty))))
        #expect(!actions.contains(.closeContactor))
    }

    @Test func stateCRunsTheSelfTestThenClosesWithinThreeSeconds() {
        var driver = MachineDriver()
        driver.pilot(.b)
        let readyAt = driver.now
        let test = driver.pilot(.c)
        #expect(test.contains(.setResidualCurrentTest(true)))
        #expect(!test.contains(.closeContactor))
        #expect(driver.rcm(tripped: true).contains(.setResidualCurrentTest(false)))
        driver.advance(by: .milliseconds(20))
        let close = driver.rcm(tripped: false)
        #expect(close.contains(.closeContactor))
        #expect(driver.now - readyAt < .seconds(3))
        #expect(driver.machine.isContactorClosed)
    }

    @Test func leavingCOpensTheContactorInTheStepThatConfirmsB() {
        var driver = MachineDriver()
        driver.startCharging()
        var steps: [[ChargerAction]] = []
        for _ in 0..<3 { steps.append(driver.pilot(.b, samples: 1)) }
        #expect(!steps[0].contains(.openContactor) && !steps[1].contains(.openContactor))
        #expect(steps[2].first == .openContactor)
        #expect(steps[2].contains(.vehicleStateChanged(.b)))
        // Three samples at 10 ms: 30 ms, inside the 100 ms of IEC 61851-1.
        #expect(driver.machine.sessionID == SessionID(rawValue: 1))
    }

    @Test func unplugWhileChargingOpensAndEndsTheSession() {
        var driver = MachineDriver()
        driver.startCharging()
        let actions = driver.pilot(.a, samples: 2)
        #expect(actions.first == .openContactor)
        #expect(actions.contains(.sessionEnded(SessionID(rawValue: 1), .vehicleUnplugged)))
        #expect(driver.machine.sessionID == nil)
        #expect(driver.machine.pilotOutput == .steady)
    }

    @Test func theNextPlugInIsANewSession() {
        var driver = MachineDriver()
        driver.startCharging()
        driver.pilot(.a)
        #expect(driver.pilot(.b).contains(.sessionStarted(SessionID(rawValue: 2))))
    }

    @Test func stateDChargesOnlyWithVentilation() {
        var withVentilation = MachineDriver(configuration: ChargerConfiguration(ventilationAvailable: true))
        withVentilation.pilot(.b)
        withVentilation.pilot(.d)
        withVentilation.rcm(tripped: true)
        #expect(withVentilation.rcm(tripped: false).contains(.closeContactor))

        var without = MachineDriver()
        without.pilot(.b)
        let actions = without.pilot(.d)
        #expect(actions.contains(.faultRaised(.ventilationUnavailable)))
        #expect(!without.machine.isContactorClosed)
        #expect(without.machine.pilotOutput == .steady)
        // Leaving D clears the fault and charging proceeds in C.
        #expect(without.pilot(.c).contains(.faultCleared(.ventilationUnavailable)))
    }

    @Test func aVehicleLeftInC1For6SecondsIsSwitchedOff() throws {
        var driver = MachineDriver()
        driver.startCharging()
        let paused = driver.record(try driver.machine.pause(at: driver.now))
        #expect(paused.contains(.setPilot(.steady)))
        #expect(!paused.contains(.openContactor))
        let pausedAt = driver.now
        driver.hold(.c, for: .milliseconds(5990))
        #expect(driver.machine.isContactorClosed)
        driver.hold(.c, for: .milliseconds(20))
        #expect(!driver.machine.isContactorClosed)
        let openedAt = try #require(driver.times(of: .openContactor).last)
        #expect(openedAt - pausedAt >= .seconds(6))
        #expect(openedAt - pausedAt < .seconds(6) + .milliseconds(20))
    }

    @Test func aVehicleThatFollowsThePauseOpensAtOnce() throws {
        var driver = MachineDriver()
        driver.startCharging()
        driver.record(try driver.machine.pause(at: driver.now))
        driver.hold(.c, for: .seconds(1))
        #expect(driver.pilot(.b).contains(.openContactor))
        #expect(driver.machine.interruption == .paused)
        let resumed = driver.record(try driver.machine.resume(at: driver.now))
        #expect(resumed.contains(.sessionResumed(SessionID(rawValue: 1))))
        #expect(driver.pilot(.c).contains(.closeContactor))
    }

    @Test func stopEndsTheSessionOnceTheContactorIsOpen() throws {
        var driver = MachineDriver()
        driver.startCharging()
        let stop = driver.record(try driver.machine.stopSession(at: driver.now))
        #expect(!stop.contains(.sessionEnded(SessionID(rawValue: 1), .stopCommand)))
        let actions = driver.pilot(.b)
        #expect(actions.contains(.openContactor))
        #expect(actions.contains(.sessionEnded(SessionID(rawValue: 1), .stopCommand)))
        // The vehicle stays connected with no session until it is unplugged or started again.
        #expect(driver.pilot(.c).contains(.closeContactor) == false)
        #expect(driver.record(try driver.machine.startSession(at: driver.now)).contains(.sessionStarted(SessionID(rawValue: 2))))
    }

    @Test func currentLimitChangesTheDutyCycle() throws {
        var driver = MachineDriver()
        driver.startCharging()
        let actions = driver.record(try driver.machine.setCurrentLimit(Amperes(16), at: driver.now))
        #expect(actions == [.setPilot(.pwm(try PWMDuty(offering: Amperes(16))))])
        #expect(throws: CommandRejection.currentOutOfRange(Amperes(5))) {
            try driver.machine.setCurrentLimit(Amperes(5), at: driver.now)
        }
        #expect(throws: CommandRejection.currentOutOfRange(Amperes(40))) {
            try driver.machine.setCurrentLimit(Amperes(40), at: driver.now)
        }
    }

    @Test func disableHoldsStateFAndEnableFindsTheVehicleAgain() {
        var driver = MachineDriver()
        driver.startCharging()
        let disabled = driver.record(driver.machine.disable(at: driver.now))
        #expect(disabled.first == .openContactor)
        #expect(disabled.contains(.setPilot(.stateF)))
        #expect(disabled.contains(.sessionEnded(SessionID(rawValue: 1), .chargerDisabled)))
        driver.hold(.f, for: .seconds(1))
        #expect(driver.machine.pilotOutput == .stateF)
        driver.record(driver.machine.enable(at: driver.now))
        #expect(driver.pilot(.b).contains(.sessionStarted(SessionID(rawValue: 2))))
    }

    @Test func commandsThatDoNotApplyAreRefused() {
        var machine = ChargerStateMachine(configuration: .testing)
        #expect(throws: CommandRejection.noVehicle) { try machine.startSession(at: .zero) }
        #expect(throws: CommandRejection.noSession) { try machine.stopSession(at: .zero) }
        #expect(throws: CommandRejection.noSession) { try machine.pause(at: .zero) }
        #expect(throws: CommandRejection.faultNotActive(.contactorWelded)) { try machine.clearFault(.contactorWelded, at: .zero) }
    }

    @Test func withoutAutoStartTheSessionWaitsForACommand() throws {
        var driver = MachineDriver(configuration: ChargerConfiguration(startSessionOnPlugIn: false))
        #expect(!driver.pilot(.b).contains(where: { if case .sessionStarted = $0 { true } else { false } }))
        #expect(driver.machine.pilotOutput == .steady)
        #expect(driver.record(try driver.machine.startSession(at: driver.now)).contains(.sessionStarted(SessionID(rawValue: 1))))
    }
}
