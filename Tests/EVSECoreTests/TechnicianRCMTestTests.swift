import Testing
@testable import EVSECore

/// The technician's residual-current monitor test (`test rcm` at the console).
@Suite struct TechnicianRCMTestTests {
    @discardableResult
    static func test(_ driver: inout MachineDriver) throws -> [ChargerAction] {
        driver.record(try driver.machine.testResidualCurrentMonitor(at: driver.now))
    }

    @Test func aMonitorThatTripsAndReleasesPasses() throws {
        var driver = MachineDriver()
        #expect(try Self.test(&driver).contains(.setResidualCurrentTest(true)))
        #expect(driver.rcm(tripped: true).contains(.setResidualCurrentTest(false)))
        driver.advance(by: .milliseconds(20))
        #expect(driver.rcm(tripped: false).contains(.residualCurrentTestResult(passed: true)))
        #expect(driver.machine.activeFaults.isEmpty)
        // Done with no car, it does not replace the test before the next close.
        driver.pilot(.b)
        #expect(driver.pilot(.c).contains(.setResidualCurrentTest(true)))
        #expect(!driver.machine.isContactorClosed)
    }

    @Test func aMonitorThatDoesNotTripFailsAndBlocksCharging() throws {
        var driver = MachineDriver()
        try Self.test(&driver)
        let after = driver.advance(by: driver.machine.configuration.residualCurrentSelfTestTimeout + .milliseconds(10))
        #expect(after.contains(.faultRaised(.residualCurrentSelfTestFailed)))
        #expect(after.contains(.residualCurrentTestResult(passed: false)))
        #expect(after.contains(.setResidualCurrentTest(false)))
    }

    @Test func theTestIsRefusedWhileChargingOrWithACurrentPresent() throws {
        var charging = MachineDriver()
        charging.startCharging()
        #expect(throws: CommandRejection.contactorClosed) { try charging.machine.testResidualCurrentMonitor(at: charging.now) }
        var tripped = MachineDriver()
        tripped.rcm(tripped: true)
        #expect(throws: CommandRejection.residualCurrentPresent) { try tripped.machine.testResidualCurrentMonitor(at: tripped.now) }
        var twice = MachineDriver()
        try Self.test(&twice)
        #expect(throws: CommandRejection.selfTestRunning) { try twice.machine.testResidualCurrentMonitor(at: twice.now) }
    }
}
