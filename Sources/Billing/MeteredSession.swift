import FoundationEssentials

/// One meter reading of a session as the books keep it: whole milliseconds of UTC and whole
/// watt-hours of the cumulative import register. Live cost and a recomputation from the ledger
/// start from these same values, so they cannot disagree.
public struct MeterSample: Hashable, Sendable {
    /// Milliseconds since 1970-01-01 00:00 UTC.
    public var milliseconds: Int64
    public var registerWh: Int64
    /// What the session did in the interval that ends at this reading.
    public var activity: SegmentActivity
    public var current: Double
    public var power: Double
    public var voltage: Double

    /// Power is kept to the watt, current to 10 mA and voltage to 0.1 V: what the ledger stores,
    /// so a sample read back is the sample that was priced.
    public init(milliseconds: Int64, registerWh: Int64, activity: SegmentActivity, current: Double = 0, power: Double = 0, voltage: Double = 0) {
        self.milliseconds = milliseconds
        self.registerWh = registerWh
        self.activity = activity
        self.current = Self.quantized(current, per: 100)
        self.power = Self.quantized(power, per: 1)
        self.voltage = Self.quantized(voltage, per: 10)
    }

    /// `value` rounded to 1/`per`, as Double(n) / per (the form it is read back in).
    static func quantized(_ value: Double, per: Double) -> Double {
        guard value.isFinite else { return 0 }
        return Double(Int64((value * per).rounded())) / per
    }

    /// Current in units of 10 mA, power in W and voltage in 0.1 V, as stored.
    public var storedCurrent: Int64 { Int64((current * 100).rounded()) }
    public var storedPower: Int64 { Int64(power.rounded()) }
    public var storedVoltage: Int64 { Int64((voltage * 10).rounded()) }

    /// A sample from its stored form.
    public init(milliseconds: Int64, registerWh: Int64, activity: SegmentActivity, storedCurrent: Int64, storedPower: Int64, storedVoltage: Int64) {
        self.milliseconds = milliseconds
        self.registerWh = registerWh
        self.activity = activity
        self.current = Double(storedCurrent) / 100
        self.power = Double(storedPower)
        self.voltage = Double(storedVoltage) / 10
    }
}

/// A session's figures from its meter samples: energy from the register (end − start, never an
/// integral of power), time charging, idle and down, and the cost when a tariff prices it. Each
/// sample adds one interval; nothing is recomputed.
///
/// Time is counted in whole seconds of the samples' clock (each instant truncated to its second),
/// so the intervals add up to exactly the session's duration.
public struct MeteredSession: Sendable {
    public let tariff: Tariff?
    public let startMilliseconds: Int64
    /// The register at the start; nil until the first reading when none came before the start.
    public private(set) var startRegisterWh: Int64?
    public private(set) var lastMilliseconds: Int64
    public private(set) var lastRegisterWh: Int64?
    public private(set) var cost: SessionCost?
    public private(set) var chargingSeconds = 0
    public private(set) var idleSeconds = 0
    public private(set) var outageSeconds = 0
    private let civilTime: @Sendable (Int64) -> CivilTime

    /// - Parameter civilTime: the local civil time of a UTC instant (ms), where tariff restrictions are judged.
    public init(tariff: Tariff?, startMilliseconds: Int64, startRegisterWh: Int64?, civilTime: @escaping @Sendable (Int64) -> CivilTime) {
        self.tariff = tariff
        self.startMilliseconds = startMilliseconds
        self.startRegisterWh = startRegisterWh
        self.lastMilliseconds = startMilliseconds
        self.lastRegisterWh = startRegisterWh
        self.civilTime = civilTime
        self.cost = tariff.map { SessionCost(tariff: $0) }
    }

    /// Energy delivered so far: the register's growth since the start.
    public var energyWh: Int64 {
        guard let start = startRegisterWh, let last = lastRegisterWh else { return 0 }
        return max(0, last - start)
    }

    /// The bill so far (the live cost), or the final bill once the last sample is in.
    public var bill: Bill? { cost?.bill }

    /// Adds the interval from the previous sample (or the start) to `sample`.
    public mutating func add(_ sample: MeterSample) {
        let seconds = sample.activity == .settling ? 0 : Int(Self.second(sample.milliseconds) - Self.second(lastMilliseconds))
        let previousRegister = lastRegisterWh ?? sample.registerWh
        if startRegisterWh == nil { startRegisterWh = sample.registerWh }
        // A register that went backwards (a replaced meter) adds nothing rather than a refund.
        let energy = max(0, sample.registerWh - previousRegister)
        if seconds > 0 || energy > 0 {
            switch sample.activity {
            case .charging: chargingSeconds += seconds
            case .idle: idleSeconds += seconds
            case .outage: outageSeconds += seconds
            case .settling: break
            }
            cost?.add(SessionSegment(
                start: civilTime(lastMilliseconds), seconds: max(0, seconds), energyWh: Decimal(energy), activity: sample.activity,
                current: sample.current, power: sample.power))
        }
        lastMilliseconds = max(lastMilliseconds, sample.milliseconds)
        lastRegisterWh = max(previousRegister, sample.registerWh)
    }

    /// The second a UTC instant falls in (floor division, also before 1970).
    static func second(_ milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : -((-milliseconds + 999) / 1000)
    }
}

extension CivilTime {
    /// The civil time of a UTC instant seen at a fixed offset from UTC (seconds east).
    public init(utcMilliseconds: Int64, offsetSeconds: Int) {
        let seconds = MeteredSession.second(utcMilliseconds) + Int64(offsetSeconds)
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPart = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPart + 2) / 5 + 1
        let month = monthPart < 10 ? monthPart + 3 : monthPart - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let secondOfDay = Int(seconds - days * 86_400)
        self.init(year: Int(year), month: Int(month), day: Int(day), second: secondOfDay)
    }
}
