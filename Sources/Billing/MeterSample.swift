/// What a session does at a moment, which decides what its time is billed as.
public enum SegmentActivity: String, Hashable, Sendable, CaseIterable {
    /// The contactor is closed: TIME.
    case charging
    /// Connected, the charger offering power, the car not taking it (full, not ready, suspended):
    /// PARKING_TIME after the grace period. The owner pays the idle fee only for this.
    case idle
    /// The charger cannot charge: a fault, a retry wait, a pause at the console. Not billed;
    /// the bill shows it on a line of its own at no charge.
    case unavailable
    /// evsed was not running (a power cut, a restart). Not billed, shown like `unavailable`.
    case outage
    /// Only in ledgers written before schema 3: the reading after a session's end that brought
    /// its end register. It changes no activity.
    case settling
}

/// One entry of a session's books: a meter reading (the import register with current, power and
/// voltage), or a change of what the session does, with no reading. Whole milliseconds of UTC,
/// whole watt-hours, current in 10 mA summed over the phases, power in W, voltage in 0.1 V: what
/// the ledger stores, so a sample read back is the sample that was priced.
public struct MeterSample: Hashable, Sendable {
    /// Milliseconds since 1970-01-01 00:00 UTC.
    public var milliseconds: Int64
    /// The cumulative import register; nil for an activity change without a reading.
    public var registerWh: Int64?
    /// What the session does from this instant on.
    public var activity: SegmentActivity
    /// Current summed over all phases, in hundredths of an ampere (OCPI's current restrictions).
    public var currentCentiamps: Int64
    public var powerWatts: Int64
    /// The lowest phase voltage, in tenths of a volt.
    public var voltageDecivolts: Int64

    /// A reading or a change; `current` (A, summed over phases), `power` (W) and `voltage` (V)
    /// are quantized as stored; a value that is not finite or is beyond ±10¹² counts as 0.
    public init(milliseconds: Int64, registerWh: Int64?, activity: SegmentActivity, current: Double = 0, power: Double = 0, voltage: Double = 0) {
        self.init(milliseconds: milliseconds, registerWh: registerWh, activity: activity, storedCurrent: Self.quantized(current, per: 100),
                  storedPower: Self.quantized(power, per: 1), storedVoltage: Self.quantized(voltage, per: 10))
    }

    /// A sample from its stored form.
    public init(milliseconds: Int64, registerWh: Int64?, activity: SegmentActivity, storedCurrent: Int64, storedPower: Int64, storedVoltage: Int64) {
        self.milliseconds = milliseconds
        self.registerWh = registerWh
        self.activity = activity
        self.currentCentiamps = storedCurrent
        self.powerWatts = storedPower
        self.voltageDecivolts = storedVoltage
    }

    /// A change of activity at `milliseconds`, without a reading.
    public static func change(at milliseconds: Int64, to activity: SegmentActivity) -> MeterSample {
        MeterSample(milliseconds: milliseconds, registerWh: nil, activity: activity, storedCurrent: 0, storedPower: 0, storedVoltage: 0)
    }

    public var current: Double { Double(currentCentiamps) / 100 }
    public var power: Double { Double(powerWatts) }
    public var voltage: Double { Double(voltageDecivolts) / 10 }

    /// `value` in units of 1/`per`, rounded.
    static func quantized(_ value: Double, per: Double) -> Int64 {
        let scaled = (value * per).rounded()
        guard scaled.isFinite, abs(scaled) <= 1e12 else { return 0 }
        return Int64(scaled)
    }
}

/// A stretch of a session between two register readings (or the start and the first): the
/// energy the register gained over it, what the session did second by second, and the current
/// and power of the reading that closed it.
public struct MeteredInterval: Hashable, Sendable {
    /// One activity and how many whole seconds it lasted.
    public struct Run: Hashable, Sendable {
        public var activity: SegmentActivity
        public var seconds: Int64
        public init(_ activity: SegmentActivity, seconds: Int64) {
            self.activity = activity
            self.seconds = seconds
        }
    }

    /// The first second, in seconds since 1970-01-01 00:00 UTC.
    public var startSecond: Int64
    /// The activities in order; their seconds add up to the interval's length (0 for two
    /// readings in the same second).
    public var runs: [Run]
    /// The register's growth over the interval (never negative).
    public var energyWh: Int64
    public var currentCentiamps: Int64
    public var powerWatts: Int64

    public init(startSecond: Int64, runs: [Run], energyWh: Int64, currentCentiamps: Int64 = 0, powerWatts: Int64 = 0) {
        self.startSecond = startSecond
        self.runs = runs
        self.energyWh = energyWh
        self.currentCentiamps = currentCentiamps
        self.powerWatts = powerWatts
    }

    public var seconds: Int64 { runs.reduce(0) { $0 + $1.seconds } }
    public var chargingSeconds: Int64 { runs.reduce(0) { $0 + ($1.activity == .charging ? $1.seconds : 0) } }
}
