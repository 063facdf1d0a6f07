import Testing
@testable import EVSECore

/// The technician's contactor test (`test contactor` at the console): the one time the contactor
/// closes without a vehicle, so every way it can go wrong is here.
@Suite struct TechnicianContactorTestTests {
    static func idle() -> MachineDriver {
        var driver = MachineDriver()
        driver.contactorFollows = false
        driver.pilot(.a)
        return driver
    }

    @Test func theContactorClosesOpensAndBothTimesAreReported() throws {
        var driver = Self.idle()
        let start = driver.record(try driver.machine.testContactor(at: driver.now))
        // The pilot goes to F before the contactor closes: a car plugged in now is told "unavailable".
        let pilotF = try #require(start.firstIndex(of: .setPilot(.stateF)))
        let close = try #require(start.firstIndex(of: .closeContactor))
        #expect(pilotF < close)
        driver.advance(by: .milliseconds(30))
        #expect(driver.feedback(closed: true).first == .openContactor)
        driver.advance(by: .milliseconds(20))
        let done = driver.feedback(closed: false)
        #expect(done.contains(.contactorTestResult(closedAfter: .milliseconds(30), openedAfter: .milliseconds(20), passed: true)))
        #expect(done.contains(.setPilot(.steady)), "the charger is available again")
        #expect(driver.machine.activeFaults.isEmpty && !driver.machine.isContactorClosed && driver.machine.contactorTest == nil)
        // And a car that comes afterwards charges as usual.
        driver.contactorFollows = true
        driver.startCharging()
        #expect(driver.machine.isContactorClosed)
    }

    @Test func theTestIsRefusedWithACarACableSessionAFaultOrNoFeedback() throws {
        var car = MachineDriver()
        car.pilot(.b)
        #expect(throws: CommandRejection.vehicleConnected) { try car.machine.testContactor(at: car.now) }
        var charging = MachineDriver()
        charging.startCharging()
        #expect(throws: CommandRejection.vehicleConnected) { try charging.machine.testContactor(at: charging.now) }
        var disabled = Self.idle()
        disabled.record(disabled.machine.disable(at: disabled.now))
        #expect(throws: CommandRejection.chargerDisabled) { try disabled.machine.testContactor(at: disabled.now) }
        var faulted = Self.idle()
        faulted.rcm(tripped: true)
        #expect(throws: CommandRejection.outOfService(.residualCurrent)) { try faulted.machine.testContactor(at: faulted.now) }
        var noFeedback = MachineDriver(configuration: ChargerConfiguration(hasContactorFeedback: false))
        noFeedback.pilot(.a)
        #expect(throws: CommandRejection.noContactorFeedback) { try noFeedback.machine.testContactor(at: noFeedback.now) }
        var twice = Self.idle()
        twice.record(try twice.machine.testContactor(at: twice.now))
        #expect(throws: CommandRejection.contactorTestRunning) { try twice.machine.testContactor(at: twice.now) }
        #expect(throws: CommandRejection.contactorTestRunning) { try twice.machine.testResidualCurrentMonitor(at: twice.now) }
    }

    @Test func aContactorThatDoesNotCloseFailsTheTest() throws {
        var driver = Self.idle()
        driver.record(try driver.machine.testContactor(at: driver.now))
        let settle = driver.advance(by: driver.machine.configuration.contactorSettleTime)
        #expect(settle.contains(.openContactor))
        #expect(settle.raised(.contactorFailedToClose))
        let done = driver.feedback(closed: false)
        #expect(done.contains { if case .contactorTestResult(nil, _, false) = $0 { true } else { false } }, "\(done)")
        #expect(!driver.machine.isContactorClosed)
    }

    @Test func aContactorThatDoesNotOpenIsWelded() throws {
        var driver = Self.idle()
        driver.record(try driver.machine.testContactor(at: driver.now))
        driver.advance(by: .milliseconds(10))
        driver.feedback(closed: true)
        let settle = driver.advance(by: driver.machine.configuration.contactorSettleTime)
        #expect(settle.raised(.contactorWelded))
        #expect(settle.contains(.contactorTestResult(closedAfter: .milliseconds(10), openedAfter: nil, passed: false)))
        #expect(driver.machine.pilotOutput == .stateF, "a welded contactor keeps the charger unavailable")
    }

    @Test func aResidualCurrentDuringTheTestOpensTheContactorFirst() throws {
        var driver = Self.idle()
        driver.record(try driver.machine.testContactor(at: driver.now))
        let trip = driver.rcm(tripped: true)
        #expect(trip.first == .openContactor)
        #expect(trip.raised(.residualCurrent))
        let done = driver.feedback(closed: false)
        #expect(done.contains { if case .contactorTestResult(_, _, false) = $0 { true } else { false } })
    }
}
