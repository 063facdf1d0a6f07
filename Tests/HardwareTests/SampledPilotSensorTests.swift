import EVSECore
import Hardware
import Runtime
import Synchronization
import Testing
import TestSupport

/// The ADC pilot sampled on a thread of its own: the loop's `sample()` takes what the sampler
/// took, never the bus, and refuses a sample its sampler left too old.
@Suite struct SampledPilotSensorTests {
    /// An ADS1115 whose registers read a car in state C: 3.0 V on the high level's channel (+6 V
    /// through the board's divider), 0 V on the low one's (−12 V), and 0.595 V on the proximity
    /// channel (220 Ω: a 32 A cable). Counts the bus's transfers.
    final class CountingADS1115: I2CDevice, @unchecked Sendable {
        let name = "/dev/i2c-1 address 0x48"
        let transfers = Atomic<Int>(0)
        var channel = 0
        var failing = false
        func writeWord(register: UInt8, _ value: UInt16) throws(HardwareError) {
            transfers.add(1, ordering: .relaxed)
            if failing { throw HardwareError(device: .pilotSensor, detail: "\(name): write register 1: Remote I/O error") }
            if register == 1 { channel = Int(value >> 12 & 0x3) }
        }
        func readWord(register: UInt8) throws(HardwareError) -> UInt16 {
            transfers.add(1, ordering: .relaxed)
            if register == 1 { return 0x8000 }
            return [UInt16(3.0 / 4.096 * 32768), 0, UInt16(3.3 * 220 / 1220 / 4.096 * 32768), 0][channel]
        }
    }

    func sensor(_ device: CountingADS1115, clock: ManualMonotonicTime) -> SampledPilotSensor {
        let adc = ADS1115PilotSensor(adc: ADS1115(device: device), highChannel: 0, lowChannel: 1, gain: 6, offset: -12,
                                     proximity: .init(channel: 2, pullUp: 1000, reference: 3.3))
        return SampledPilotSensor(sensor: adc, proximity: adc, period: .milliseconds(10), clock: clock)
    }

    @Test func theLoopTakesTheSamplersSampleWithoutTouchingTheBus() throws {
        let device = CountingADS1115()
        let clock = ManualMonotonicTime(.seconds(100))
        let sampled = sensor(device, clock: clock)
        sampled.sampleOnce()
        let afterSampling = device.transfers.load(ordering: .relaxed)
        #expect(afterSampling > 0)
        for _ in 0..<5 {
            clock.advance(.milliseconds(3))
            let sample = try sampled.sample()
            #expect(PilotLevel.decode(high: sample.high) == .c)
            #expect(sample.lowPhaseShowsDiode)
            #expect(try sampled.cableRating() == Amperes(32))
        }
        #expect(device.transfers.load(ordering: .relaxed) == afterSampling, "the loop's reads reach no bus")
    }

    @Test func aSampleOlderThanTwoPeriodsAndTheLeadIsRefused() throws {
        let device = CountingADS1115()
        let clock = ManualMonotonicTime(.seconds(100))
        let sampled = sensor(device, clock: clock)
        #expect(sampled.lead == .milliseconds(4))
        #expect(sampled.maximumAge == .milliseconds(24))
        sampled.sampleOnce()
        clock.advance(.milliseconds(24))
        _ = try sampled.sample()
        clock.advance(.milliseconds(1))
        #expect(throws: HardwareError(device: .pilotSensor, detail: "the pilot's latest sample is 25 ms old: its sampling thread is stuck (a hung I2C bus?)")) {
            try sampled.sample()
        }
        // The sampler comes back: so does the pilot.
        sampled.sampleOnce()
        #expect(PilotLevel.decode(high: try sampled.sample().high) == .c)
    }

    @Test func theSamplersErrorReachesTheLoopAndGoesWithTheNextGoodSample() throws {
        let device = CountingADS1115()
        let clock = ManualMonotonicTime(.seconds(100))
        let sampled = sensor(device, clock: clock)
        #expect(throws: HardwareError(device: .pilotSensor, detail: "no sample yet from the pilot's sampling thread")) { try sampled.sample() }
        device.failing = true
        sampled.sampleOnce()
        #expect(throws: HardwareError(device: .pilotSensor, detail: "/dev/i2c-1 address 0x48: write register 1: Remote I/O error")) {
            try sampled.sample()
        }
        device.failing = false
        clock.advance(.milliseconds(10))
        sampled.sampleOnce()
        #expect(PilotLevel.decode(high: try sampled.sample().high) == .c)
    }

    @Test func theLeadIsFourMillisecondsButAtMostHalfThePeriod() {
        #expect(SampledPilotSensor.lead(for: .milliseconds(10)) == .milliseconds(4))
        #expect(SampledPilotSensor.lead(for: .milliseconds(100)) == .milliseconds(4))
        #expect(SampledPilotSensor.lead(for: .milliseconds(5)) == .microseconds(2500))
        #expect(SampledPilotSensor.lead(for: .milliseconds(1)) == .microseconds(500))
    }

    /// The daemon's arrangement: the sampler on the loop's deadlines moved its lead earlier, so a
    /// tick's sample was begun `lead` before it.
    @Test func onTheLoopsDeadlinesMovedEarlierEachTickHasASampleOfItsOwnPeriod() throws {
        let device = CountingADS1115()
        let sampled = SampledPilotSensor(
            sensor: ADS1115PilotSensor(adc: ADS1115(device: device), highChannel: 0, lowChannel: 1, gain: 6, offset: -12),
            period: .milliseconds(10))
        let sampledAt = Mutex<[Instant]>([])
        let ages = Mutex<[Duration]>([])
        let first = MonotonicClock.now() + .milliseconds(20)
        let sampler = PeriodicThread(name: "test-sampler", period: .milliseconds(10), firstDeadline: first - sampled.lead) { deadline, _ in
            sampled.sampleOnce()
            sampledAt.withLock { $0.append(deadline) }
        }
        let loop = PeriodicThread(name: "test-loop", period: .milliseconds(10), firstDeadline: first) { deadline, _ in
            let last = sampledAt.withLock { $0.last }
            if let last, (try? sampled.sample()) != nil { ages.withLock { $0.append(deadline - last) } }
        }
        for _ in 0..<2000 where ages.withLock({ $0.count }) < 20 { MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(5)) }
        loop.stop()
        sampler.stop()
        let seen = ages.withLock { $0 }
        try #require(seen.count >= 20)
        // The deadlines are absolute: a tick's latest sampler deadline is its own minus the lead, or
        // whole periods before that when the sampler was late on a busy machine; never another phase.
        #expect(seen.allSatisfy { $0.nanoseconds % 10_000_000 == 4_000_000 }, "\(seen)")
        #expect(seen.contains(.milliseconds(4)), "\(seen)")
    }
}
