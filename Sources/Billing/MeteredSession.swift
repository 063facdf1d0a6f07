/// A session's figures from its samples: energy from the register (end − start, never an
/// integral of power), time charging, idle, with the charger unavailable and down, and the cost
/// when a tariff prices it. Each register reading closes one interval, which is priced at once;
/// nothing is recomputed, and the live cost is always the bill of the session as if it had ended
/// at its last reading.
///
/// Time is counted in whole seconds (each instant truncated to its second), so the intervals add
/// up to exactly the session's duration. A reading after the session's end brings its end
/// register: the energy drawn until the contactor opened, priced within the session.
public struct MeteredSession: Sendable {
    public let tariff: Tariff?
    public let startMilliseconds: Int64
    /// The register at the start; nil until the first reading when none came before the start.
    public private(set) var startRegisterWh: Int64?
    /// The time of the last sample (a reading after the end counts at the end).
    public private(set) var lastMilliseconds: Int64
    public private(set) var lastRegisterWh: Int64?
    /// When the session ended; nil while it runs.
    public private(set) var endMilliseconds: Int64?
    /// Whether the figures are final: ended, and the interval up to the end priced.
    public private(set) var isFinal = false
    /// What the session does now.
    public private(set) var activity: SegmentActivity
    public private(set) var cost: SessionCost?
    public private(set) var chargingSeconds: Int64 = 0
    public private(set) var idleSeconds: Int64 = 0
    public private(set) var unavailableSeconds: Int64 = 0
    public private(set) var outageSeconds: Int64 = 0

    /// The open interval: from the last reading's second, with the activity changes since.
    private var intervalStart: Int64
    private var changes: [(second: Int64, activity: SegmentActivity)]
    private var lastCurrent: Int64 = 0
    private var lastPower: Int64 = 0

    /// - Parameters:
    ///   - activity: what the session does at its start (idle until the contactor closes).
    ///   - civilTime: the local civil time of a UTC second, where tariff restrictions are judged.
    public init(tariff: Tariff?, startMilliseconds: Int64, startRegisterWh: Int64?, activity: SegmentActivity = .idle,
                civilTime: @escaping @Sendable (Int64) -> CivilTime) {
        self.tariff = tariff
        self.startMilliseconds = startMilliseconds
        self.startRegisterWh = startRegisterWh
        self.lastMilliseconds = startMilliseconds
        self.lastRegisterWh = startRegisterWh
        self.activity = activity == .settling ? .idle : activity
        let start = Self.second(startMilliseconds)
        self.intervalStart = start
        self.changes = [(start, self.activity)]
        self.cost = tariff.map { SessionCost(tariff: $0, startSecond: start, civilTime: civilTime) }
    }

    /// Energy delivered so far: the register's growth since the start.
    public var energyWh: Int64 {
        guard let start = startRegisterWh, let last = lastRegisterWh else { return 0 }
        return max(0, last - start)
    }

    /// The bill so far (the live cost), or the final bill once the figures are final.
    public var bill: Bill? { cost?.bill }

    /// Adds one sample: a change of activity, or a reading, which closes the open interval.
    public mutating func add(_ sample: MeterSample) {
        guard !isFinal else { return }
        var milliseconds = max(sample.milliseconds, lastMilliseconds)
        if let end = endMilliseconds { milliseconds = min(milliseconds, end) }
        let second = max(Self.second(milliseconds), intervalStart)
        if let register = sample.registerWh {
            // A reading taken after the end carries the power of a car already cut off: the last
            // interval keeps the values of the reading before it.
            let afterEnd = endMilliseconds.map { sample.milliseconds > $0 } ?? false
            if !afterEnd {
                lastCurrent = sample.currentCentiamps
                lastPower = sample.powerWatts
            }
            if startRegisterWh == nil { startRegisterWh = register }
            let previous = lastRegisterWh ?? register
            // A register that went backwards (a replaced meter) adds nothing rather than a refund.
            let (growth, overflow) = register.subtractingReportingOverflow(previous)
            close(at: second, energyWh: overflow ? 0 : max(0, growth))
            lastRegisterWh = max(previous, register)
            if afterEnd { isFinal = true }
        }
        if sample.activity != .settling && endMilliseconds == nil && sample.activity != activity {
            activity = sample.activity
            if changes.last?.second == second { changes.removeLast() }
            changes.append((second, activity))
        }
        lastMilliseconds = milliseconds
    }

    /// The session ended at `milliseconds`; its end register comes with the next reading, or
    /// `finish()` closes it with the last one known.
    public mutating func end(atMilliseconds milliseconds: Int64) {
        guard endMilliseconds == nil else { return }
        endMilliseconds = max(milliseconds, lastMilliseconds)
    }

    /// Makes the figures final with the last register known: the meter stayed silent after the
    /// end (or the run stopped). A session that has not ended ends at its last sample.
    public mutating func finish() {
        guard !isFinal else { return }
        let end = endMilliseconds ?? lastMilliseconds
        endMilliseconds = end
        close(at: max(Self.second(end), intervalStart), energyWh: 0)
        isFinal = true
    }

    /// Prices the open interval up to `second` with the energy the register gained over it.
    private mutating func close(at second: Int64, energyWh: Int64) {
        var runs: [MeteredInterval.Run] = []
        for (index, change) in changes.enumerated() {
            let until = index + 1 < changes.count ? changes[index + 1].second : second
            guard until > change.second else { continue }
            if let last = runs.last, last.activity == change.activity {
                runs[runs.count - 1].seconds += until - change.second
            } else {
                runs.append(.init(change.activity, seconds: until - change.second))
            }
        }
        for run in runs {
            switch run.activity {
            case .charging: chargingSeconds += run.seconds
            case .idle: idleSeconds += run.seconds
            case .unavailable: unavailableSeconds += run.seconds
            case .outage: outageSeconds += run.seconds
            case .settling: break
            }
        }
        if !runs.isEmpty {
            cost?.add(MeteredInterval(startSecond: intervalStart, runs: runs, energyWh: energyWh, currentCentiamps: lastCurrent, powerWatts: lastPower))
        } else if energyWh > 0 {
            // Two readings within one second: some energy, no time.
            cost?.add(MeteredInterval(startSecond: intervalStart, runs: [.init(activity, seconds: 0)], energyWh: energyWh,
                                      currentCentiamps: lastCurrent, powerWatts: lastPower))
        }
        intervalStart = second
        changes = [(second, activity)]
    }

    /// The second a UTC instant falls in (floor division, also before 1970).
    public static func second(_ milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : -((-(milliseconds + 1)) / 1000) - 1
    }
}

extension CivilTime {
    /// The civil time of a UTC second seen at a fixed offset from UTC (seconds east).
    public init(utcSecond: Int64, offsetSeconds: Int) {
        let seconds = utcSecond + Int64(offsetSeconds)
        let days = seconds >= 0 ? seconds / 86_400 : -((-(seconds + 1)) / 86_400) - 1
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

    /// The civil time of a UTC instant (ms) seen at a fixed offset from UTC (seconds east).
    public init(utcMilliseconds: Int64, offsetSeconds: Int) {
        self.init(utcSecond: MeteredSession.second(utcMilliseconds), offsetSeconds: offsetSeconds)
    }
}
