import Testing
@testable import EVSECore

@Suite struct PilotLevelTests {
    @Test(arguments: [
        (12.0, PilotLevel.a), (11.0, .a), (13.0, .a), (9.0, .b), (8.0, .b), (10.0, .b),
        (6.0, .c), (5.0, .c), (7.0, .c), (3.0, .d), (2.0, .d), (4.0, .d), (0.0, .e), (-1.0, .e),
        (1.99, .e), (-12.0, .f), (-11.0, .f), (-13.0, .f),
        (10.5, .unknown), (7.5, .unknown), (4.5, .unknown), (-5.0, .unknown), (14.0, .unknown), (-14.0, .unknown),
    ])
    func decodesTheBandsOfIEC61851(volts: Double, level: PilotLevel) {
        #expect(PilotLevel.decode(high: Volts(volts)) == level)
    }

    @Test func lowPhaseNearMinusTwelveShowsTheDiode() {
        #expect(PilotSample(high: Volts(6), low: Volts(-12)).lowPhaseShowsDiode)
        #expect(!PilotSample(high: Volts(6), low: Volts(-6)).lowPhaseShowsDiode)
        #expect(!PilotSample(high: Volts(6), low: Volts(6)).lowPhaseShowsDiode)
    }
}

@Suite struct PilotDebouncerTests {
    var debouncer = PilotDebouncer(configuration: PilotDebounceConfiguration())
    let tick = Duration.milliseconds(10)

    @Test mutating func aLevelCountsAfterThreeSamples() {
        #expect(debouncer.feed(.b, at: .seconds(0.01)) == nil)
        #expect(debouncer.feed(.b, at: .seconds(0.02)) == nil)
        #expect(debouncer.feed(.b, at: .seconds(0.03)) == .b)
        #expect(debouncer.confirmed == .b)
        #expect(debouncer.feed(.b, at: .seconds(0.04)) == nil)
    }

    @Test mutating func anInterruptedRunStartsAgain() {
        _ = debouncer.feed(.b, at: .seconds(0.01))
        _ = debouncer.feed(.b, at: .seconds(0.02))
        _ = debouncer.feed(.c, at: .seconds(0.03))
        #expect(debouncer.feed(.b, at: .seconds(0.04)) == nil)
        #expect(debouncer.confirmed == .a)
    }

    @Test mutating func anUnplugIsConfirmedWithin25Milliseconds() {
        for i in 1...3 { _ = debouncer.feed(.c, at: .seconds(Double(i) * 0.01)) }
        #expect(debouncer.feed(.a, at: .seconds(0.04)) == nil)
        #expect(debouncer.feed(.a, at: .seconds(0.05)) == .a)
        // Two samples at a 10 ms period: 20 ms after the first A sample was possible.
        #expect(PilotDebounceConfiguration().samplesToConfirmUnplug * 10 <= 25)
    }

    @Test mutating func anUnknownLevelNeverReplacesTheConfirmedOne() {
        for i in 1...3 { _ = debouncer.feed(.c, at: .seconds(Double(i) * 0.01)) }
        for i in 4...40 { #expect(debouncer.feed(.unknown, at: .seconds(Double(i) * 0.01)) == nil) }
        #expect(debouncer.confirmed == .c)
    }

    @Test mutating func anUnknownLevelIsTooLongAfterTheTimeout() {
        _ = debouncer.feed(.unknown, at: .seconds(1.0))
        #expect(!debouncer.unknownTooLong(at: .seconds(1.1)))
        #expect(debouncer.unknownTooLong(at: .seconds(1.101)))
        _ = debouncer.feed(.b, at: .seconds(1.11))
        #expect(!debouncer.unknownTooLong(at: .seconds(2)))
    }
}

@Suite struct PWMDutyTests {
    @Test(arguments: [(6.0, 10.0), (16.0, 26.6667), (32.0, 53.3333), (51.0, 85.0), (52.5, 85.0), (60.0, 88.0), (80.0, 96.0)])
    func dutyForCurrent(amps: Double, percent: Double) throws {
        let duty = try PWMDuty(offering: Amperes(amps))
        #expect(abs(duty.percent - percent) < 0.001)
    }

    @Test func sixteenAmperesIsShownAs26Point7Percent() throws {
        #expect(try PWMDuty(offering: Amperes(16)).displayPercent == 26.7)
    }

    @Test func theGapBetweenTheRangesIsOfferedAs51Amperes() throws {
        let duty = try PWMDuty(offering: Amperes(52))
        #expect(duty.offeredCurrent == Amperes(51))
    }

    @Test(arguments: Array(stride(from: 6.0, through: 80.0, by: 0.5)))
    func currentRoundTripsThroughTheDuty(amps: Double) throws {
        let offered = try #require(try PWMDuty(offering: Amperes(amps)).offeredCurrent)
        #expect(offered.value <= amps + 1e-9)
        #expect(offered.value >= (amps > 51 && amps <= 52.5 ? 51 : amps) - 1e-9)
    }

    @Test func refusesCurrentsThePWMCannotOffer() {
        #expect(throws: PWMDuty.Error.currentBelowMinimum(Amperes(5.9))) { try PWMDuty(offering: Amperes(5.9)) }
        #expect(throws: PWMDuty.Error.currentAboveMaximum(Amperes(80.5))) { try PWMDuty(offering: Amperes(80.5)) }
    }

    @Test(arguments: [-1.0, 1.0, 4.9, 5.5, 7.9, 97.5, 99.0, 100.5])
    func refusesForbiddenDutyCycles(percent: Double) {
        #expect(throws: PWMDuty.Error.forbiddenDuty(percent)) { try PWMDuty(percent: percent) }
    }

    @Test func dutyCyclesWithoutACurrent() throws {
        #expect(try PWMDuty(percent: 5).offeredCurrent == nil)
        #expect(try PWMDuty(percent: 100).offeredCurrent == nil)
        #expect(try PWMDuty(percent: 0).offeredCurrent == nil)
        #expect(try PWMDuty(percent: 9).offeredCurrent == Amperes(6))
        #expect(try PWMDuty(percent: 97).offeredCurrent == Amperes(80))
    }
}

@Suite struct ProximityPilotTests {
    @Test(arguments: [(1500.0, 13.0), (680, 20), (220, 32), (100, 63)])
    func theResistorGivesTheCableRating(ohms: Double, amps: Double) {
        #expect(ProximityPilot.cableRating(ohms: ohms) == Amperes(amps))
    }

    @Test(arguments: [Double.infinity, 5000, 1000, 350, 50, 0])
    func noCableOrAResistanceBetweenBandsHasNoRating(ohms: Double) {
        #expect(ProximityPilot.cableRating(ohms: ohms) == nil)
    }

    @Test func theResistanceComesFromTheDivider() {
        // 220 Ω under 1 kΩ to 3.3 V reads 3.3 × 220 / 1220 = 0.595 V.
        #expect(abs(ProximityPilot.resistance(volts: 3.3 * 220 / 1220, pullUp: 1000, reference: 3.3) - 220) < 0.001)
        #expect(ProximityPilot.resistance(volts: 3.3, pullUp: 1000, reference: 3.3) == .infinity)
    }

    @Test func theOfferedCurrentNeverExceedsTheCable() throws {
        var driver = MachineDriver()
        driver.startCharging()
        let actions = driver.record(driver.machine.cableRatingMeasured(Amperes(13), at: driver.now))
        #expect(actions == [.setPilot(.pwm(try PWMDuty(offering: Amperes(13))))])
        #expect(driver.machine.offeredCurrent == Amperes(13))
        #expect(driver.record(driver.machine.cableRatingMeasured(Amperes(13), at: driver.now)).isEmpty)
        // A 63 A cable does not raise the offer above the charger's 32 A.
        driver.record(driver.machine.cableRatingMeasured(Amperes(63), at: driver.now))
        #expect(driver.machine.offeredCurrent == Amperes(32))
    }
}

@Suite struct NumberFormatTests {
    @Test func anyNumberCanBeShown() {
        #expect(fixed(11.04, 2) == "11.04")
        #expect(fixed(-0.04, 1) == "0.0")
        // Beyond what the digits hold: Swift's own form, never a trap.
        #expect(fixed(1e300, 1) == "1e+300")
        #expect(fixed(-.infinity, 1) == "-inf")
        #expect(fixed(.nan, 1) == "nan")
        #expect(Instant.seconds(1e300) == Instant(nanoseconds: 1_000_000_000_000_000_000))
        #expect(Duration.clampedSeconds(.nan) == .zero)
    }
}
