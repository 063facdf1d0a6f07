import Billing
import EVSECore
import Foundation
import Ledger
import Sessions
import Simulation
import Testing
import TestSupport

/// The daemon killed at random moments, hundreds of times, in virtual time: the real controller,
/// state machine and books over the simulated world, and one ledger file that outlives every run
/// as the meter's register and the cars do. After each kill nothing but the ledger on disk is
/// kept (the batch of readings in memory is lost, the contactor drops with the power); the next
/// run recovers from the ledger. In the end every watt-hour the meter counted is in exactly one
/// session, and each car's sessions hold what that car drew.
@Suite struct CrashLoopTests {
    /// One plug-in: when the car came and left (in the world's time), and the register then.
    struct Visit {
        var arrived: Instant
        var left: Instant?
        var registerAtArrival: Double
        var registerAtLeaving: Double?
    }

    @Test func everyWattHourIsInTheSessionOfTheCarThatDrewIt() throws {
        var random = SeededRandom(seed: 0x6B69_6C6C)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-crash-\(UUID().uuidString)/ledger.sqlite").path
        let configuration = ChargerConfiguration()
        let period = Duration.milliseconds(100)
        var ev = EVModel.Parameters()
        ev.batteryCapacity = WattHours(kilowattHours: 400)
        ev.initialStateOfCharge = 0.1
        let world = SimulatedWorld(ev: ev, initialRegister: WattHours(kilowattHours: 1234.5))
        let wall = Timestamp(milliseconds: CivilTime(year: 2026, month: 11, day: 25, hour: 20).secondsSinceEpoch * 1000)
        let meter = SimulatedEnergyMeter(world: world)
        var now = Instant.zero
        var visits: [Visit] = []
        var kills = 0

        func advanceWorld(to instant: Instant) {
            while now < instant {
                now = min(instant, now + period)
                world.advance(to: now)
            }
        }
        func register() -> Double { world.snapshot.importRegister.value }
        /// Cars come and go at random; while evsed is down a car may leave but none arrives (a
        /// car that replaced another unseen would resume its session: nothing on the pilot tells
        /// two cars apart).
        func maybeChangeCar(arrivals: Bool = true) {
            let plugged = world.snapshot.ev.plugged
            if plugged && random.chance(0.004) {
                world.withState { $0.ev.unplug() }
                visits[visits.count - 1].left = now
                visits[visits.count - 1].registerAtLeaving = register()
            } else if arrivals && !plugged && now - (visits.last?.left ?? .zero) > .seconds(5) && random.chance(0.01) {
                world.withState { $0.ev.plug(at: now) }
                visits.append(Visit(arrived: now, left: nil, registerAtArrival: register(), registerAtLeaving: nil))
            }
        }

        for _ in 0..<240 {
            // A run of evsed: it opens the ledger, recovers what it left open, and runs until killed.
            let ledger = try Ledger(path: path, create: true, chargerID: "crash loop")
            let clock = WallClock(originInstant: now, originTimestamp: Timestamp(milliseconds: wall.milliseconds + (now - Instant.zero).nanoseconds / 1_000_000))
            let books = LedgerRecorder(ledger: ledger, clock: clock, tariff: nil, meter: "simulated")
            let recovery = try books.recover(at: now)
            let events = EventCollector()
            let controller = ChargerController(
                machine: ChargerStateMachine(configuration: configuration, firstSessionNumber: recovery.nextSessionNumber,
                                             carriedOver: recovery.carriedOverSession),
                devices: .simulated(world), meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64),
                events: events)
            controller.driveSafeOutputs(at: now)
            controller.commands.push(ChargerCommand.ready)
            let poller = DevicePoller(mailbox: controller.meterReadings, events: events) { () throws(HardwareError) in try meter.read() }
            let killAt = now + .milliseconds(Int64(random.pick([300, 900, 1500, 2500, 4000, 9000, 20_000, 45_000])) + Int64(random.next() % 1000))
            // The meter's poller runs on its own: its first reading may come late (a slow line, a
            // 5 s poll interval).
            let pollInterval = Duration.seconds(random.pick([1, 2, 5]))
            var nextPoll = now + .milliseconds(Int64(random.next() % UInt64(pollInterval.nanoseconds / 1_000_000)))
            while now < killAt {
                maybeChangeCar()
                if now >= nextPoll {
                    poller.poll(at: now)
                    nextPoll = nextPoll + pollInterval
                }
                controller.cycle(at: now, missedDeadlines: 0)
                for event in events.take() { try books.record(event) }
                advanceWorld(to: now + period)
            }
            // Killed: what was not written is gone; the contactor opens as the power goes.
            kills += 1
            world.withState { state in
                state.contactorCommanded = false
                state.contactorClosed = false
                state.pilot = .stateF
            }
            // Down for a while; cars may come and go meanwhile.
            let downUntil = now + .milliseconds(Int64(random.pick([100, 500, 1500, 3000, 8000])))
            while now < downUntil {
                maybeChangeCar(arrivals: false)
                advanceWorld(to: now + period)
            }
        }
        // A last run to the end: every session closes.
        let ledger = try Ledger(path: path, create: true, chargerID: "crash loop")
        let clock = WallClock(originInstant: now, originTimestamp: Timestamp(milliseconds: wall.milliseconds + (now - Instant.zero).nanoseconds / 1_000_000))
        let books = LedgerRecorder(ledger: ledger, clock: clock, tariff: nil, meter: "simulated")
        let recovery = try books.recover(at: now)
        let events = EventCollector()
        let controller = ChargerController(
            machine: ChargerStateMachine(configuration: configuration, firstSessionNumber: recovery.nextSessionNumber, carriedOver: recovery.carriedOverSession),
            devices: .simulated(world), meterReadings: Mailbox(), temperatures: Mailbox(), commands: BoundedQueue(capacity: 64), events: events)
        controller.driveSafeOutputs(at: now)
        controller.commands.push(ChargerCommand.ready)
        let poller = DevicePoller(mailbox: controller.meterReadings, events: events) { () throws(HardwareError) in try meter.read() }
        if world.snapshot.ev.plugged {
            world.withState { $0.ev.unplug() }
            visits[visits.count - 1].left = now
            visits[visits.count - 1].registerAtLeaving = register()
        }
        let end = now + .seconds(30)
        var nextPoll = now
        while now < end {
            if now >= nextPoll {
                poller.poll(at: now)
                nextPoll = nextPoll + .seconds(1)
            }
            controller.cycle(at: now, missedDeadlines: 0)
            for event in events.take() { try books.record(event) }
            advanceWorld(to: now + period)
        }
        try books.stop(at: now)

        #expect(kills == 240)
        let report = try ledger.verify()
        #expect(report.isIntact, "\(report.problems.prefix(3))")
        let sessions = try ledger.sessions()
        let unclosed = sessions.filter { !$0.closed }.map { $0.id }
        #expect(unclosed.isEmpty, "\(unclosed)")
        // The meter's whole advance is in the books, once.
        let total = sessions.reduce(Int64(0)) { $0 + $1.energyWh }
        let advance = Int64((register() - 1_234_500).rounded())
        #expect(abs(total - advance) <= Int64(sessions.count), "books \(total) Wh, meter \(advance) Wh")
        // Each car's sessions hold what that car drew (whole Wh: one per session of rounding).
        var checked = 0
        for visit in visits {
            guard let left = visit.left, let leaving = visit.registerAtLeaving else { continue }
            let from = clock.timestamp(visit.arrived).milliseconds - 1000, until = clock.timestamp(left).milliseconds + 1000
            let own = sessions.filter { $0.startedAt.milliseconds >= from && $0.startedAt.milliseconds <= until }
            let drew = Int64((leaving - visit.registerAtArrival).rounded())
            let billed = own.reduce(Int64(0)) { $0 + $1.energyWh }
            #expect(abs(billed - drew) <= Int64(own.count) + 1, "car \(visit.arrived)–\(left): drew \(drew) Wh, its sessions \(own.map(\.id)) hold \(billed) Wh")
            if drew > 0 { checked += 1 }
        }
        #expect(checked >= 10, "enough cars charged to tell (\(checked) of \(visits.count))")
    }
}
