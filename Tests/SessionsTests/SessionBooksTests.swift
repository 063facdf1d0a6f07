import Billing
import EVSECore
import PropertyBased
import Sessions
import Testing

/// Feeds the books as the charger service does, one event at a time, and keeps what they changed.
struct BooksDriver {
    var books: SessionBooks
    var now = Instant.zero
    var register = 1_000_000.0
    var changes: [SessionBooks.Change] = []

    static let origin = Timestamp(milliseconds: 1_795_000_000_000)

    init(defaultOwner: String? = "alex") {
        books = SessionBooks(clock: WallClock(originInstant: .zero, originTimestamp: Self.origin), tariff: nil, defaultOwner: defaultOwner)
    }

    mutating func feed(_ event: ControllerEvent) {
        changes += books.observe(TimedEvent(at: now, event: event))
    }

    mutating func wait(_ seconds: Int64) { now = now + .seconds(seconds) }

    mutating func reading(watts: Double) {
        feed(.meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(watts / 690)), power: Watts(watts),
                                        importEnergy: WattHours(register))))
    }

    /// `seconds` of drawing `watts`, a reading every ten seconds.
    mutating func charge(_ seconds: Int64, watts: Double) {
        for _ in 0..<(seconds / 10) {
            wait(10)
            register += watts * 10 / 3600
            reading(watts: watts)
        }
    }

    /// A car plugs in on a meter read just before, and the contactor closes.
    mutating func startCharging(_ id: SessionID) {
        reading(watts: 0)
        feed(.action(.sessionStarted(id)))
        feed(.action(.closeContactor))
    }

    /// The contactor opens and the car leaves.
    mutating func unplug(_ id: SessionID) {
        feed(.action(.openContactor))
        feed(.action(.sessionEnded(id, .vehicleUnplugged)))
    }

    mutating func stepClock(_ seconds: Int64) -> SessionBooks.ClockStep? {
        let (step, stepped) = books.clockStepped(at: now, to: Timestamp(milliseconds: books.clock.timestamp(now).milliseconds + seconds * 1000))
        changes += stepped
        return step
    }

    var closed: [SessionBooks.Session] {
        changes.compactMap { if case .closed(let session, _) = $0 { session } else { nil } }
    }
}

@Suite struct SessionBooksTests {
    @Test func aSessionBelongsToTheOwnerNamedForItThenTheDefaultOwner() {
        var driver = BooksDriver()
        driver.books.nameNextOwner("sam")
        #expect(driver.books.ownerOfNextSession == "sam")
        driver.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        #expect(driver.books.open?.owner == "sam")
        guard case .started(_, _, _, let owner, _, _) = driver.changes.first else {
            Issue.record("no start: \(driver.changes)")
            return
        }
        #expect(owner == "sam", "the ledger stores the owner with the start")
        driver.feed(.action(.sessionEnded(SessionID(rawValue: 1), .vehicleUnplugged)))
        driver.feed(.action(.sessionStarted(SessionID(rawValue: 2))))
        #expect(driver.books.open?.owner == "alex", "a name is for one session")
    }

    @Test func aStopForTheOwnersLimitEndsAsTheLimitAndOnlyThen() {
        var driver = BooksDriver()
        driver.reading(watts: 0)
        driver.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        driver.books.stopping(SessionID(rawValue: 1), because: "limit")
        driver.feed(.action(.sessionEnded(SessionID(rawValue: 1), .stopCommand)))
        driver.reading(watts: 0)
        #expect(driver.closed.map(\.endReason) == ["limit"])

        // The car was unplugged before the stop took effect: that is why it ended.
        driver.feed(.action(.sessionStarted(SessionID(rawValue: 2))))
        driver.books.stopping(SessionID(rawValue: 2), because: "limit")
        driver.feed(.action(.sessionEnded(SessionID(rawValue: 2), .vehicleUnplugged)))
        driver.reading(watts: 0)
        #expect(driver.closed.map(\.endReason) == ["limit", "vehicle_unplugged"])
    }

    @Test func interruptionsAreKeptWithTheirEnds() {
        var driver = BooksDriver()
        let id = SessionID(rawValue: 1)
        driver.reading(watts: 0)
        driver.feed(.action(.sessionStarted(id)))
        driver.wait(60)
        driver.feed(.action(.sessionInterrupted(id, .fault(.overcurrent))))
        driver.wait(30)
        driver.feed(.action(.sessionResumed(id)))
        driver.wait(60)
        driver.feed(.action(.sessionInterrupted(id, .paused)))
        driver.wait(30)
        driver.feed(.action(.sessionEnded(id, .vehicleUnplugged)))
        driver.reading(watts: 0)
        guard let session = driver.closed.first else {
            Issue.record("the session did not close")
            return
        }
        #expect(session.interruptions.map(\.cause) == ["fault:overcurrent", "paused"])
        #expect(session.interruptions.map { $0.end.map { $0.milliseconds - BooksDriver.origin.milliseconds } } == [90_000, 180_000],
                "the pause ends with the session")
    }

    @Test func aSessionRecordsWhetherTheClockWasSynchronisedWhenItStarted() {
        var driver = BooksDriver()
        driver.books.clockStatus = .unsynchronized
        driver.feed(.action(.sessionStarted(SessionID(rawValue: 1))))
        driver.books.clockStatus = .synchronized
        #expect(driver.books.open?.clockStatus == .unsynchronized, "its start was taken before")
        driver.feed(.action(.sessionEnded(SessionID(rawValue: 1), .vehicleUnplugged)))
        driver.feed(.action(.sessionStarted(SessionID(rawValue: 2))))
        #expect(driver.books.open?.clockStatus == .synchronized)
    }

    @Test func aStepForwardIsFollowedAndSpentDown() throws {
        var driver = BooksDriver()
        driver.startCharging(SessionID(rawValue: 1))
        driver.charge(600, watts: 7400)
        let stepped = driver.stepClock(3600)
        let step = try #require(stepped)
        #expect(step.followed && step.milliseconds == 3_600_000 && step.session == SessionID(rawValue: 1))
        #expect(driver.books.clock.timestamp(driver.now).milliseconds == BooksDriver.origin.milliseconds + 4_200_000)
        driver.charge(600, watts: 7400)
        driver.unplug(SessionID(rawValue: 1))
        driver.reading(watts: 0)
        let session = try #require(driver.closed.first)
        #expect(session.figures.chargingSeconds == 1200)
        #expect(session.figures.outageSeconds == 3600)
        #expect(session.lastAt.milliseconds - session.startedAt.milliseconds == 4_800_000)
    }

    @Test func aStepBackwardIsNotFollowedAndASmallSetIsNoStep() throws {
        var driver = BooksDriver()
        driver.wait(100)
        let stepped = driver.stepClock(-60)
        let back = try #require(stepped)
        #expect(!back.followed && back.milliseconds == -60_000)
        #expect(driver.books.clock.timestamp(driver.now).milliseconds == BooksDriver.origin.milliseconds + 100_000, "the books never run backwards")
        let before = driver.books.clock
        let (small, changes) = driver.books.clockStepped(at: driver.now, to: Timestamp(milliseconds: before.timestamp(driver.now).milliseconds + 999))
        #expect(small == nil && changes.isEmpty)
        #expect(driver.books.clock.timestamp(driver.now) == before.timestamp(driver.now))
    }

    /// A session waits for its end register for `finalReadingTimeout` on the monotonic clock: a
    /// step forward right after its end does not cut the wait short.
    @Test func aStepDoesNotCutTheWaitForTheEndRegisterShort() throws {
        var driver = BooksDriver()
        driver.startCharging(SessionID(rawValue: 1))
        driver.charge(60, watts: 7400)
        driver.unplug(SessionID(rawValue: 1))
        _ = driver.stepClock(3600)
        driver.now = driver.now + .seconds(1)
        driver.feed(.temperature(Celsius(20)))
        #expect(driver.closed.isEmpty)
        driver.register += 3
        driver.reading(watts: 0)
        let session = try #require(driver.closed.first)
        #expect(session.figures.energyWh == Int64((7400.0 * 60 / 3600).rounded()) + 3, "closed by the meter's reading, with its register")
    }

    /// Whatever the steps, a session's charging, idle and unavailable time and its energy are those
    /// of the same events with no step; only its down time grows, by the steps forward. Compared
    /// over 400 generated event sequences with the books of a plain run.
    @Test func stepsOnlyEverAddDownTime() {
        var random = Xoshiro(seed: (0x5E55_1035, 0, 0, 1))
        var casesWithAStepIntoCharging = 0
        for _ in 0..<400 {
            var stepped = BooksDriver(), plain = BooksDriver()
            var added: Int64 = 0
            var closed = false, interrupted = false
            let id = SessionID(rawValue: 1)
            func both(_ event: ControllerEvent) {
                stepped.feed(event)
                plain.feed(event)
            }
            both(.meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(0)), power: Watts(0),
                                            importEnergy: WattHours(plain.register))))
            both(.action(.sessionStarted(id)))
            for _ in 0..<Int(random.next() % 40) {
                let wait = Int64(random.next() % 120) + 1
                stepped.wait(wait)
                plain.wait(wait)
                switch random.next() % 8 {
                case 0: both(.action(closed ? .openContactor : .closeContactor)); closed.toggle()
                case 1 where !interrupted:
                    both(.action(.sessionInterrupted(id, random.next() % 2 == 0 ? .paused : .fault(.overcurrent))))
                    interrupted = true
                case 2 where interrupted:
                    both(.action(.sessionResumed(id)))
                    interrupted = false
                case 3:
                    let seconds = Int64(random.next() % 7200) + 1
                    if stepped.stepClock(seconds) != nil {
                        added += seconds
                        if closed { casesWithAStepIntoCharging += 1 }
                    }
                case 4:
                    _ = stepped.stepClock(-Int64(random.next() % 600) - 1)
                default:
                    let watts = closed ? 7400.0 : 0
                    stepped.register += watts * Double(wait) / 3600
                    plain.register = stepped.register
                    both(.meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(watts / 690)),
                                                    power: Watts(watts), importEnergy: WattHours(plain.register))))
                }
            }
            if closed { both(.action(.openContactor)) }
            both(.action(.sessionEnded(id, .vehicleUnplugged)))
            stepped.wait(1)
            plain.wait(1)
            both(.meterReading(MeterReading(voltage: PhaseValues(Volts(230)), current: PhaseValues(Amperes(0)), power: Watts(0),
                                            importEnergy: WattHours(plain.register))))
            guard let a = stepped.closed.first?.figures, let b = plain.closed.first?.figures else {
                Issue.record("a session did not close")
                return
            }
            #expect(a.energyWh == b.energyWh)
            #expect(a.chargingSeconds == b.chargingSeconds && a.idleSeconds == b.idleSeconds && a.unavailableSeconds == b.unavailableSeconds)
            #expect(a.outageSeconds == b.outageSeconds + added)
        }
        #expect(casesWithAStepIntoCharging > 100, "the cases step the clock while the car charges")
    }
}
