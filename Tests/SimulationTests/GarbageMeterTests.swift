import Billing
import EVSECore
import Foundation
import Hardware
import Ledger
import Runtime
import Sessions
import Simulation
import Testing
import TestSupport

extension ModbusIntegrationTests {
    /// A car charging on the simulated board whose meter is the real libmodbus driver talking across
    /// a pseudo terminal to a Modbus slave that serves what the simulated world measures, and that
    /// twice answers nothing but garbage (random bytes, cut and padded frames, other slaves' and
    /// other reads' replies, exceptions, random registers with a good CRC, silence): a short burst
    /// the charger rides out, a long one after which it stops charging with `meter_lost` and
    /// resumes when the meter is right again. No garbage reaches the books; the bill is what the
    /// car drew.
    @Test func aMeterThatAnswersGarbageIsNeverBelievedAndTheBillIsRight() throws {
        let line = try PseudoTerminalPair()
        let world = SimulatedWorld(initialRegister: WattHours(kilowattHours: 4321.5))
        let truth = SimulatedEnergyMeter(world: world)
        var setup = SimulatedModbusMeter.Configuration(device: line.first, map: MeterModels.all["sdm630"]!)
        setup.baud = 38400
        setup.paceLikeTheLine = false
        setup.source = { try truth.read() }
        setup.garbageSeed = 0x6761_7262
        let served = ServedMeter(setup)
        defer { served.stop(); line.close() }
        let meter = ModbusEnergyMeter(.init(transport: .rtu(device: line.second, baud: 38400, parity: "N", dataBits: 8, stopBits: 1),
                                            map: MeterModels.all["sdm630"]!, retries: 1,
                                            responseTimeout: .milliseconds(60), byteTimeout: .milliseconds(20)))

        let tariff = try TariffSnapshot(text: """
            id = "energy"
            currency = "EUR"
            [[element]]
            components = [{ type = "ENERGY", price = "0.30" }]
            """, file: "tariff.toml")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-garbage-\(UUID().uuidString)/ledger.sqlite").path
        let ledger = try Ledger(path: path, create: true, chargerID: "garbage")
        let clock = WallClock(originInstant: .zero, originTimestamp: Timestamp(milliseconds: 1_764_000_000_000))
        let books = LedgerRecorder(ledger: ledger, clock: clock, tariff: tariff, meter: "sdm630 across a pseudo terminal")
        let recovery = try books.recover(at: .zero)
        let configuration = ChargerConfiguration()
        let events = EventCollector()
        let controller = ChargerController(
            machine: ChargerStateMachine(configuration: configuration, firstSessionNumber: recovery.nextSessionNumber),
            devices: .simulated(world), meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
        var now = Instant.zero
        controller.driveSafeOutputs(at: now)
        controller.commands.push(ChargerCommand.ready)
        world.withState { $0.ev.plug(at: now) }
        let registerAtPlugIn = world.snapshot.importRegister.value

        let shortBurst = Instant.zero + .seconds(30)..<Instant.zero + .seconds(36)
        let longBurst = Instant.zero + .seconds(60)..<Instant.zero + .seconds(75)
        let unplugAt = Instant.zero + .seconds(100), end = Instant.zero + .seconds(110)
        var nextPoll = Instant.zero
        var lastGood: Instant?, lastGoodBeforeLoss: Instant?
        var believed = 0
        var lostAt: Instant?, clearedAt: Instant?, openedAfterLoss: Instant?, closedAgain: Instant?
        var openDuringShortBurst = false
        var contactorClosedWhileLost = false
        while now < end {
            let garbage = shortBurst.contains(now) || longBurst.contains(now)
            served.meter.answerGarbage(garbage)
            if now >= nextPoll {
                nextPoll = nextPoll + .seconds(1)
                if let (_, reading) = try? meter.readValues(at: now) {
                    // What the driver believed is what the world measured, to the register's resolution.
                    let state = world.snapshot
                    #expect(abs(reading.importEnergy.value - state.importRegister.value) < 0.5,
                            "at \(now): read \(reading.importEnergy.value) Wh, the meter holds \(state.importRegister.value) Wh")
                    #expect(abs(reading.power.value - state.power.value) < 1, "at \(now): read \(reading.power.value) W, drawn \(state.power.value) W")
                    #expect(!garbage, "at \(now): a reading was believed while the meter answered garbage")
                    controller.meterReadings.post(reading, at: now)
                    lastGood = now
                    believed += 1
                }
            }
            controller.tick(at: now)
            for event in events.take() {
                _ = try books.record(event)
                switch event.event {
                case .action(.faultRaised(.meterLost)):
                    lostAt = event.at
                    lastGoodBeforeLoss = lastGood
                case .action(.faultCleared(.meterLost)): clearedAt = event.at
                case .action(.closeContactor) where clearedAt != nil && closedAgain == nil: closedAgain = event.at
                default: break
                }
            }
            let state = world.snapshot
            if lostAt != nil && openedAfterLoss == nil && !state.contactorCommanded { openedAfterLoss = now }
            if shortBurst.contains(now) && !state.contactorCommanded { openDuringShortBurst = true }
            if lostAt != nil && clearedAt == nil && state.contactorCommanded { contactorClosedWhileLost = true }
            if now == unplugAt { world.withState { $0.ev.unplug() } }
            now = now + .milliseconds(10)
            world.advance(to: now)
        }
        _ = try books.stop(at: now)

        #expect(believed >= 80, "\(believed) readings believed, \(meter.statistics)")
        let kinds = served.meter.statistics.garbage
        #expect(SimulatedModbusMeter.Garbage.Kind.allCases.allSatisfy { kinds[$0, default: 0] > 0 }, "\(kinds)")
        // The short burst is ridden out: charging goes on.
        #expect(!openDuringShortBurst)
        // The long one: meter_lost 10 s after the last good reading, the contactor open in the
        // same control period, and closed again only after the fault has cleared.
        let lost = try #require(lostAt)
        #expect(longBurst.contains(lost))
        let silentFor = lost - (try #require(lastGoodBeforeLoss))
        #expect(silentFor >= .seconds(10) && silentFor <= .seconds(10) + .milliseconds(20), "lost \(silentFor) after the last good reading")
        #expect(try #require(openedAfterLoss) - lost <= .milliseconds(10))
        #expect(!contactorClosedWhileLost)
        let cleared = try #require(clearedAt)
        #expect(cleared >= longBurst.upperBound && cleared - longBurst.upperBound <= .seconds(2), "cleared at \(cleared)")
        #expect(try #require(closedAgain) > cleared)

        // One session, closed, holding every watt-hour the car drew, billed at 0.30 EUR/kWh.
        let sessions = try ledger.sessions()
        #expect(sessions.count == 1)
        let session = try #require(sessions.first)
        #expect(session.closed)
        let drew = world.snapshot.importRegister.value - registerAtPlugIn
        // 11 kW for about 75 of the 100 s.
        #expect(drew > 200, "the car charged: \(drew) Wh")
        #expect(abs(Double(session.energyWh) - drew) <= 1, "books \(session.energyWh) Wh, the car drew \(drew) Wh")
        let expected = (Decimal(session.energyWh) * Decimal(string: "0.30")! / 1000)
        var rounded = Decimal(), exact = expected
        NSDecimalRound(&rounded, &exact, 2, .plain)
        #expect(session.costExcludingVAT == "\(rounded)" || Decimal(string: session.costExcludingVAT ?? "") == rounded,
                "\(session.costExcludingVAT ?? "no cost") for \(session.energyWh) Wh")
        #expect(try ledger.verify().isIntact)
    }

    /// Replies with a good CRC and random registers, again and again: never believed, and never
    /// taken for a new meter's baseline however long they last.
    @Test(arguments: MeterModels.names)
    func randomRegistersWithAGoodCRCAreNeverBelieved(model: String) throws {
        let line = try PseudoTerminalPair()
        var setup = configuration(line, model)
        setup.paceLikeTheLine = false
        setup.garbageKinds = [.randomRegisters]
        setup.garbageSeed = 0x7265_6773 ^ UInt64(model.utf8.count)
        let served = ServedMeter(setup)
        defer { served.stop(); line.close() }
        let meter = client(line, model, retries: 0)
        var now = MonotonicClock.now()
        _ = try meter.readValues(at: now)
        served.meter.answerGarbage(true)
        var believed: [Double] = []
        for _ in 0..<150 {
            now = now + .seconds(1)
            if let (_, reading) = try? meter.readValues(at: now) { believed.append(reading.importEnergy.value) }
        }
        #expect(believed.isEmpty, "\(model): \(believed.prefix(5))")
        #expect(served.meter.statistics.garbage[.randomRegisters, default: 0] >= 150)
    }
}
