import EVSECore
import Runtime

/// A pilot sensor too slow for the control loop's own thread, sampled on a thread of its own.
///
/// The ADS1115's sample is two single-shot conversions over I2C, about 3 ms. Taken by the loop, a
/// residual-current trip that came meanwhile waited for it, and a bus that hangs would hang the
/// loop. Here the daemon's "pilot-sampler" thread calls `sampleOnce()` on the loop's deadlines
/// moved `lead` earlier, so the sample is done just before each tick; the loop's `sample()` takes
/// the latest one at once and never touches the bus.
///
/// - The sampler's error reaches the loop as the device's own did (`hardware_io_error`), and goes
///   with the next good sample.
/// - A sample older than `maximumAge` (two periods and the lead) is refused with an error that says
///   so: the sampler is stuck (a hung bus), and the contactor opens as for a dead device.
/// - A sampler later than its lead has not finished when the tick reads: the tick takes the sample
///   before once more (its debouncer counts it twice). It never reads an older one.
/// - The proximity pilot is on the same ADC, so it is measured on the sampler's thread too, after
///   the pilot's sample is handed over: the ADC is never used by two threads.
public final class SampledPilotSensor: PilotSensor, ProximityPilotSensor, Sendable {
    /// How long before the loop's deadline a sample starts.
    public let lead: Duration
    public let maximumAge: Duration
    private let sensor: any PilotSensor
    private let proximity: (any ProximityPilotSensor)?
    private let clock: any MonotonicTime

    private struct Latest: Sendable {
        var sample: Result<PilotSample, HardwareError>
        var takenAt: Instant
        var rating: Result<Amperes?, HardwareError> = .success(nil)
    }
    private let latest = Lock<Latest?>(nil)

    public init(sensor: any PilotSensor, proximity: (any ProximityPilotSensor)? = nil, period: Duration,
                clock: any MonotonicTime = MonotonicClock()) {
        self.sensor = sensor
        self.proximity = proximity
        self.clock = clock
        lead = Self.lead(for: period)
        maximumAge = period * 2 + lead
    }

    /// 4 ms (an ADS1115 sample takes about 3 ms), but at most half the period.
    public static func lead(for period: Duration) -> Duration {
        min(.milliseconds(4), period / 2)
    }

    /// Takes a sample and keeps it for the loop, then the proximity pilot's figure: the sampler
    /// thread's body (called once before the threads start, so the first tick has a sample).
    public func sampleOnce() {
        let sample: Result<PilotSample, HardwareError>
        do throws(HardwareError) { sample = .success(try sensor.sample()) } catch { sample = .failure(error) }
        let takenAt = clock.now()
        latest.withLock { latest in
            let rating = latest?.rating ?? .success(nil)
            latest = Latest(sample: sample, takenAt: takenAt, rating: rating)
        }
        guard let proximity else { return }
        let rating: Result<Amperes?, HardwareError>
        do throws(HardwareError) { rating = .success(try proximity.cableRating()) } catch { rating = .failure(error) }
        latest.withLock { $0?.rating = rating }
    }

    /// `PilotSensor`: the latest sample, taken by the sampler thread.
    public func sample() throws(HardwareError) -> PilotSample {
        guard let latest = latest.withLock({ $0 }) else {
            throw HardwareError(device: .pilotSensor, detail: "no sample yet from the pilot's sampling thread")
        }
        let age = clock.now() - latest.takenAt
        guard age <= maximumAge else {
            throw HardwareError(device: .pilotSensor, detail: "the pilot's latest sample is \(age.nanoseconds / 1_000_000) ms old: "
                                + "its sampling thread is stuck (a hung I2C bus?)")
        }
        return try latest.sample.get()
    }

    /// `ProximityPilotSensor`: the sampler thread's latest figure.
    public func cableRating() throws(HardwareError) -> Amperes? {
        try (latest.withLock { $0?.rating } ?? .success(nil)).get()
    }
}
