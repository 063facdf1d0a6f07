import Testing
@testable import EVSECore

/// Every fault of the catalogue: detection, the safe reaction in the same step, and recovery.
@Suite struct FaultTests {
    let session1 = SessionID(rawValue: 1)

    @Test func theCatalogueHasOneCompleteEntryPerCode() {
        let catalogue = FaultCatalogue()
        #expect(catalogue.all.map(\.code) == FaultCode.allCases)
        for entry in catalogue.all {
            #expect(!entry.ownerInstruction.isEmpty && !entry.technicianHint.isEmpty && !entry.detection.isEmpty)
            #expect(!entry.ocppErrorCode.isEmpty)
            #expect(catalogue[entry.code].code == entry.code)
        }
        #expect(Set(FaultCode.allCases.map(\.number)).count == FaultCode.allCases.count)
    }

    @Test func missingDiodeOpensPulsesFAndLastsUntilUnplug() {
        var driver = MachineDriver()
        driver.startCharging()
        let actions = driver.pilot(.c, samples: 3, diode: false)
        #expect(actions.first == .openContactor)
        #expect(actions.contains(.faultRaised(.diodeMissing)))
        #expect(actions.contains(.setPilot(.stateF)))
        #expect(actions.contains(.faultLatched(.diodeMissing, .untilUnplugged)))
        #expect(actions.contains(.sessionInterrupted(session1, .fault(.diodeMissing))))
        // F for the hold time, then steady +12 V so an unplug can be seen.
        driver.hold(.c, for: .milliseconds(290))
        #expect(driver.machine.pilotOutput == .stateF)
        driver.hold(.c, for: .milliseconds(20))
        #expect(driver.machine.pilotOutput == .steady)
        driver.hold(.c, for: .seconds(60))
        #expect(driver.machine.activeFaults.contains(.diodeMissing))
        let unplug = driver.pilot(.a, samples: 2)
        #expect(unplug.contains(.faultCleared(.diodeMissing)))
        #expect(unplug.contains(.sessionEnded(session1, .vehicleUnplugged)))
    }

    @Test func shortedPilotIsStateE() {
        var driver = MachineDriver()
        driver.startCharging()
        let actions = driver.pilot(.e)
        #expect(actions.first == .openContactor)
        #expect(actions.raised(.pilotShorted))
        #expect(actions.contains(.setPilot(.stateF)))
        driver.hold(.e, for: .seconds(5))
        #expect(driver.machine.activeFaults.contains(.pilotShorted))
        #expect(driver.pilot(.a, samples: 2).contains(.faultCleared(.pilotShorted)))
    }

    @Test func pilotBetweenBandsIsAFaultAfterTheTimeoutAndClearsWhenValid() {
        var driver = MachineDriver()
        driver.startCharging()
        let between = PilotSample(high: Volts(7.6), low: Volts(-12))
        let early = driver.pilot(between, samples: 10)
        #expect(!early.raised(.pilotUnknown))
        #expect(driver.machine.isContactorClosed)
        let late = driver.pilot(between, samples: 2)
        #expect(late.first == .openContactor)
        #expect(late.raised(.pilotUnknown))
        let back = driver.pilot(.c)
        #expect(back.contains(.faultCleared(.pilotUnknown)))
        #expect(back.contains(.sessionResumed(session1)))
        #expect(back.contains(.closeContactor))
    }

    @Test func residualCurrentOpensAtOnceAndIsRetriedEveryFiveMinutes() {
        var driver = MachineDriver()
        driver.startCharging()
        let trip = driver.rcm(tripped: true)
        #expect(trip.first == .openContactor)
        #expect(trip.raised(.residualCurrent))
        #expect(trip.contains(.sessionInterrupted(session1, .fault(.residualCurrent))))
        driver.rcm(tripped: false)
        driver.hold(.b, for: .seconds(299))
        #expect(driver.machine.activeFaults.contains(.residualCurrent))
        let retry = driver.hold(.b, for: .seconds(2))
        #expect(retry.contains(.recoveryAttempt(.residualCurrent, attempt: 1)))
        #expect(retry.contains(.faultCleared(.residualCurrent)))
        #expect(retry.contains(.sessionResumed(session1)))
        // The self-test runs again before the contactor closes.
        #expect(driver.pilot(.c).contains(.setResidualCurrentTest(true)))
    }

    @Test func residualCurrentIsLatchedAfterSixRetriesUntilUnplug() {
        var driver = MachineDriver()
        driver.startCharging()
        for attempt in 1...6 {
            driver.rcm(tripped: true)
            driver.rcm(tripped: false)
            let retry = driver.hold(.b, for: .seconds(301))
            #expect(retry.contains(.recoveryAttempt(.residualCurrent, attempt: attempt)))
            driver.startCharging()
        }
        let last = driver.rcm(tripped: true)
        #expect(last.contains(.faultLatched(.residualCurrent, .untilUnplugged)))
        driver.rcm(tripped: false)
        #expect(!driver.hold(.b, for: .seconds(600)).contains(.faultCleared(.residualCurrent)))
        #expect(driver.pilot(.a, samples: 2).contains(.faultCleared(.residualCurrent)))
        // A new plug-in has all its retries again.
        driver.pilot(.b)
        driver.pilot(.c)
        driver.rcm(tripped: true)
        driver.rcm(tripped: false)
        #expect(driver.rcm(tripped: true).contains(.faultRaised(.residualCurrent)))
        #expect(!driver.machine.latchedFaults.contains(.residualCurrent))
    }

    @Test func aFailedSelfTestDoesNotCloseAndIsLatchedAfterThreePlugIns() {
        var driver = MachineDriver()
        for plugIn in 1...3 {
            driver.pilot(.b)
            #expect(driver.pilot(.c).contains(.setResidualCurrentTest(true)))
            let timeout = driver.hold(.c, for: .milliseconds(310))
            #expect(timeout.contains(.setResidualCurrentTest(false)))
            #expect(timeout.raised(.residualCurrentSelfTestFailed))
            #expect(!timeout.contains(.closeContactor))
            let latch: RecoveryPolicy.Latch = plugIn < 3 ? .untilUnplugged : .untilTechnicianClears
            #expect(timeout.contains(.faultLatched(.residualCurrentSelfTestFailed, latch)))
            driver.pilot(.a, samples: 2)
        }
        #expect(driver.machine.activeFaults.contains(.residualCurrentSelfTestFailed))
        #expect(!driver.pilot(.b).contains(where: { if case .sessionStarted = $0 { true } else { false } }))
        #expect(driver.record(try! driver.machine.clearFault(.residualCurrentSelfTestFailed, at: driver.now))
            .contains(.faultCleared(.residualCurrentSelfTestFailed)))
    }

    @Test func aWeldedContactorHoldsFUntilATechnicianClearsIt() throws {
        var driver = MachineDriver()
        driver.startCharging()
        driver.contactorFollows = false
        driver.pilot(.b)
        let settle = driver.hold(.b, for: .milliseconds(210))
        #expect(settle.raised(.contactorWelded))
        #expect(settle.contains(.setPilot(.stateF)))
        #expect(settle.contains(.sessionEnded(session1, .fault)))
        #expect(settle.contains(.faultLatched(.contactorWelded, .untilTechnicianClears)))
        driver.hold(.b, for: .seconds(3600))
        #expect(driver.machine.pilotOutput == .stateF)
        #expect(throws: CommandRejection.outOfService(.contactorWelded)) { try driver.machine.startSession(at: driver.now) }
        driver.feedback(closed: false)
        let cleared = driver.record(try driver.machine.clearFault(.contactorWelded, at: driver.now))
        #expect(cleared.contains(.faultCleared(.contactorWelded)))
        #expect(cleared.contains(.setPilot(.steady)))
        #expect(driver.pilot(.b).contains(.sessionStarted(SessionID(rawValue: 2))))
    }

    @Test func aLedgerThatCannotBeWrittenStopsChargingUntilATechnicianClearsIt() throws {
        var driver = MachineDriver()
        driver.startCharging()
        #expect(driver.machine.isContactorClosed)
        let failed = driver.record(try driver.machine.handle(.ledgerWriteFailed, at: driver.now))
        #expect(failed.first == .openContactor)
        #expect(failed.raised(.ledgerWriteFailed))
        #expect(failed.contains(.faultLatched(.ledgerWriteFailed, .untilTechnicianClears)))
        #expect(failed.contains(.sessionEnded(session1, .fault)))
        // Another failed write changes nothing; an hour later nothing has charged.
        #expect(driver.record(try driver.machine.handle(.ledgerWriteFailed, at: driver.now)).isEmpty)
        driver.hold(.c, for: .seconds(3600))
        #expect(!driver.machine.isContactorClosed)
        #expect(throws: CommandRejection.outOfService(.ledgerWriteFailed)) { try driver.machine.startSession(at: driver.now) }
        let cleared = driver.record(try driver.machine.clearFault(.ledgerWriteFailed, at: driver.now))
        #expect(cleared.contains(.faultCleared(.ledgerWriteFailed)))
        // The session ended with the fault; the next plug-in charges again.
        driver.pilot(.a, samples: 2)
        driver.startCharging()
        #expect(driver.log.contains { $0.action == .sessionStarted(SessionID(rawValue: 2)) })
        #expect(driver.machine.isContactorClosed)
    }

    @Test func feedbackThatClosesOnItsOwnIsAWeld() {
        var driver = MachineDriver()
        driver.pilot(.b)
        driver.hold(.b, for: .seconds(1))
        #expect(driver.feedback(closed: true).raised(.contactorWelded))
    }

    @Test func aContactorThatDoesNotCloseIsRetriedThenLatched() {
        var driver = MachineDriver()
        driver.contactorFollows = false
        driver.startCharging()
        var actions = driver.hold(.c, for: .milliseconds(210))
        #expect(actions.first == .openContactor)
        #expect(actions.raised(.contactorFailedToClose))
        for attempt in 1...3 {
            actions = driver.hold(.c, for: .seconds(30))
            #expect(actions.contains(.recoveryAttempt(.contactorFailedToClose, attempt: attempt)))
            #expect(actions.contains(.closeContactor))
            actions = driver.hold(.c, for: .milliseconds(210))
            #expect(actions.raised(.contactorFailedToClose))
        }
        #expect(actions.contains(.faultLatched(.contactorFailedToClose, .untilTechnicianClears)))
        #expect(actions.contains(.sessionEnded(session1, .fault)))
    }

    @Test func overcurrentForSevenSecondsPausesAndResumesAfterAMinute() {
        var driver = MachineDriver()
        driver.startCharging()
        // 32 A limit: 32 × 1.1 + 0.5 = 35.7 A is tolerated.
        driver.meter(amps: 35.6)
        driver.hold(.c, for: .seconds(10))
        #expect(driver.machine.activeFaults.isEmpty)
        driver.meter(amps: 36)
        driver.hold(.c, for: .milliseconds(6990))
        #expect(driver.machine.isContactorClosed)
        let fault = driver.hold(.c, for: .milliseconds(20))
        #expect(fault.first == .openContactor)
        #expect(fault.raised(.overcurrent))
        let retry = driver.hold(.b, for: .seconds(61))
        #expect(retry.contains(.faultCleared(.overcurrent)))
        #expect(retry.contains(.sessionResumed(session1)))
    }

    @Test func overcurrentThatStopsInTimeIsNoFault() {
        var driver = MachineDriver()
        driver.startCharging()
        driver.meter(amps: 40)
        driver.hold(.c, for: .seconds(5))
        driver.meter(amps: 30)
        driver.hold(.c, for: .seconds(10))
        #expect(driver.machine.activeFaults.isEmpty)
    }

    @Test func aVehicleHasFiveSecondsToFollowALowerLimit() throws {
        var driver = MachineDriver()
        driver.startCharging()
        driver.meter(amps: 32)
        driver.record(try driver.machine.setCurrentLimit(Amperes(10), at: driver.now))
        driver.meter(amps: 32)
        driver.hold(.c, for: .seconds(4))
        driver.meter(amps: 32)
        driver.hold(.c, for: .seconds(4))
        #expect(driver.machine.activeFaults.isEmpty)
        // Past the grace, the new 10 A limit applies: 32 A becomes an overcurrent after 7 s.
        driver.meter(amps: 32)
        driver.hold(.c, for: .seconds(7.5))
        #expect(driver.machine.activeFaults.contains(.overcurrent))
    }

    @Test(arguments: [(260.0, FaultCode.overvoltage), (190.0, FaultCode.undervoltage)])
    func voltageOutOfRangePausesAndClearsAfterTenGoodSeconds(volts: Double, code: FaultCode) {
        var driver = MachineDriver()
        driver.startCharging()
        driver.meter(volts: volts, amps: 16)
        driver.hold(.c, for: .seconds(1.9))
        #expect(driver.machine.isContactorClosed)
        let fault = driver.hold(.c, for: .milliseconds(200))
        #expect(fault.first == .openContactor)
        #expect(fault.raised(code))
        driver.meter(volts: 230, amps: 0)
        #expect(!driver.hold(.b, for: .seconds(9.9)).contains(.faultCleared(code)))
        let cleared = driver.hold(.b, for: .milliseconds(200))
        #expect(cleared.contains(.faultCleared(code)))
        #expect(cleared.contains(.sessionResumed(session1)))
    }

    @Test func aBriefVoltageDipIsNoFault() {
        var driver = MachineDriver()
        driver.startCharging()
        driver.meter(volts: 195, amps: 16)
        driver.hold(.c, for: .seconds(1))
        driver.meter(volts: 228, amps: 16)
        driver.hold(.c, for: .seconds(5))
        #expect(driver.machine.activeFaults.isEmpty)
    }

    @Test func heatDeratesToHalfAndQuarterThenStopsAndResumesBelowTheHysteresis() throws {
        var driver = MachineDriver()
        driver.startCharging()
        #expect(driver.temperature(70).contains(.setPilot(.pwm(try PWMDuty(offering: Amperes(16))))))
        #expect(driver.temperature(76).contains(.setPilot(.pwm(try PWMDuty(offering: Amperes(8))))))
        let stop = driver.temperature(80)
        #expect(stop.first == .openContactor)
        #expect(stop.raised(.overtemperature))
        #expect(driver.temperature(71).isEmpty)
        let resumed = driver.temperature(69)
        #expect(resumed.contains(.faultCleared(.overtemperature)))
        #expect(resumed.contains(.setPilot(.pwm(try PWMDuty(offering: Amperes(8))))))
        #expect(driver.temperature(59).contains(.setPilot(.pwm(try PWMDuty(offering: Amperes(32))))))
    }

    @Test func aSilentMeterStopsChargingAndReadingsResumeIt() {
        var driver = MachineDriver()
        driver.startCharging()
        driver.meter(amps: 16)
        driver.meterSilent = true
        driver.hold(.c, for: .seconds(9.9))
        #expect(driver.machine.isContactorClosed)
        let lost = driver.hold(.c, for: .milliseconds(200))
        #expect(lost.first == .openContactor)
        #expect(lost.raised(.meterLost))
        driver.meterSilent = false
        let back = driver.meter(amps: 0)
        #expect(back.contains(.faultCleared(.meterLost)))
        #expect(back.contains(.sessionResumed(session1)))
    }

    @Test func aSilentMeterIsNoFaultWithoutASession() {
        var driver = MachineDriver()
        driver.hold(.a, for: .seconds(60))
        #expect(driver.machine.activeFaults.isEmpty)
    }

    @Test func repeatedLoopOverrunsStopChargingUntilTheLoopKeepsTime() {
        var driver = MachineDriver()
        driver.startCharging()
        for _ in 0..<4 { driver.record(driver.machine.controlLoopTicked(missedDeadlines: 1, at: driver.now)) }
        #expect(driver.machine.isContactorClosed)
        let fault = driver.record(driver.machine.controlLoopTicked(missedDeadlines: 1, at: driver.now))
        #expect(fault.first == .openContactor)
        #expect(fault.raised(.controlLoopOverrun))
        var cleared: [ChargerAction] = []
        for _ in 0..<100 { cleared += driver.record(driver.machine.controlLoopTicked(at: driver.now)) }
        #expect(cleared.contains(.faultCleared(.controlLoopOverrun)))
    }

    @Test func oneLongStallIsAsManyOverrunsAsTheDeadlinesItMissed() {
        var driver = MachineDriver()
        driver.startCharging()
        let stall = driver.record(driver.machine.controlLoopTicked(missedDeadlines: 300, at: driver.now))
        #expect(stall.first == .openContactor)
        #expect(stall.raised(.controlLoopOverrun))
    }

    @Test func aHardwareErrorOpensAndClearsWhenTheHardwareAnswers() {
        var driver = MachineDriver()
        driver.startCharging()
        let fault = driver.record(driver.machine.hardwareStatusChanged(healthy: false, at: driver.now))
        #expect(fault.first == .openContactor)
        #expect(driver.record(driver.machine.hardwareStatusChanged(healthy: true, at: driver.now)).contains(.faultCleared(.hardwareIOError)))
    }

    @Test func aNonLatchedFaultCannotBeClearedByHand() {
        var driver = MachineDriver()
        driver.startCharging()
        driver.temperature(85)
        #expect(throws: CommandRejection.faultNotLatched(.overtemperature)) {
            try driver.machine.clearFault(.overtemperature, at: driver.now)
        }
    }
}

@Suite struct ConnectorLockTests {
    @Test func thePlugIsLockedBeforeAnyCurrentIsOfferedAndReleasedAfter() throws {
        var driver = MachineDriver(configuration: ChargerConfiguration(hasConnectorLock: true))
        let plug = driver.pilot(.b)
        #expect(plug.contains(.setConnectorLock(true)))
        #expect(!plug.contains { if case .setPilot(.pwm) = $0 { true } else { false } })
        let locked = driver.record(driver.machine.connectorLockFeedbackChanged(locked: true, at: driver.now))
        #expect(locked.contains(.setPilot(.pwm(try PWMDuty(offering: Amperes(32))))))
        driver.pilot(.c)
        driver.rcm(tripped: true)
        driver.rcm(tripped: false)
        #expect(driver.machine.isContactorClosed)
        let unplug = driver.pilot(.a, samples: 2)
        #expect(unplug.first == .openContactor)
        #expect(unplug.contains(.setConnectorLock(false)))
    }

    @Test func aLockThatDoesNotFollowIsAFaultRetriedThenLatched() {
        var driver = MachineDriver(configuration: ChargerConfiguration(hasConnectorLock: true))
        driver.pilot(.b)
        var actions = driver.hold(.b, for: .milliseconds(1010))
        #expect(actions.contains(.faultRaised(.connectorLock)))
        for attempt in 1...3 {
            actions = driver.hold(.b, for: .seconds(10))
            #expect(actions.contains(.recoveryAttempt(.connectorLock, attempt: attempt)))
            #expect(actions.contains(.setConnectorLock(true)))
            actions += driver.hold(.b, for: .milliseconds(1010))
            #expect(actions.contains(.faultRaised(.connectorLock)))
        }
        #expect(actions.contains(.faultLatched(.connectorLock, .untilTechnicianClears)))
        // Out of service: the plug is let go so the owner can take the cable.
        #expect(actions.contains(.setConnectorLock(false)))
        #expect(driver.machine.pilotOutput != .pwm(try! PWMDuty(offering: Amperes(32))))
    }
}
