import Billing

/// A session written as a test script: readings and changes of activity at given seconds after
/// the start, played into `MeteredSession` exactly as the books feed it.
struct SessionScript {
    /// The start, in UTC (the scripts' tariffs are judged at UTC+0 unless `offset` says otherwise).
    var start: CivilTime
    var offset = 0
    var startRegister: Int64? = 100_000
    var samples: [MeterSample] = []
    private(set) var register: Int64 = 100_000
    private(set) var activity: SegmentActivity = .idle

    init(start: CivilTime, offset: Int = 0) {
        self.start = start
        self.offset = offset
    }

    var startMilliseconds: Int64 { (start.secondsSinceEpoch - Int64(offset)) * 1000 }

    /// What the session does from `second` on.
    mutating func change(at second: Int64, to activity: SegmentActivity) {
        self.activity = activity
        samples.append(.change(at: startMilliseconds + second * 1000, to: activity))
    }

    /// A reading at `second` after the register grew by `energy` Wh since the last one.
    mutating func reading(at second: Int64, adding energy: Int64, amps: Double = 0, watts: Double = 0) {
        register += energy
        samples.append(MeterSample(milliseconds: startMilliseconds + second * 1000, registerWh: register, activity: activity,
                                   current: amps, power: watts))
    }

    /// `minutes` of one reading a minute: `whPerMinute` while `charging(minute)`, idle otherwise.
    static func minutes(_ minutes: Int, from start: CivilTime, whPerMinute: Int64 = 200, amps: Double = 16,
                        charging: (Int) -> Bool = { _ in true }) -> SessionScript {
        var script = SessionScript(start: start)
        for minute in 0..<minutes {
            let isCharging = charging(minute)
            if (isCharging ? SegmentActivity.charging : .idle) != script.activity {
                script.change(at: Int64(minute) * 60, to: isCharging ? .charging : .idle)
            }
            script.reading(at: Int64(minute + 1) * 60, adding: isCharging ? whPerMinute : 0, amps: isCharging ? amps : 0,
                           watts: isCharging ? Double(whPerMinute * 60) : 0)
        }
        return script
    }

    /// The civil time of a UTC second at the script's offset.
    var civilTime: @Sendable (Int64) -> CivilTime {
        let offset = self.offset
        return { CivilTime(utcSecond: $0, offsetSeconds: offset) }
    }

    /// The session as the books hold it after the script; ended at `endSecond` when given (its
    /// figures made final with the last register).
    func metered(_ tariff: Tariff?, endingAt endSecond: Int64? = nil) -> MeteredSession {
        var session = MeteredSession(tariff: tariff, startMilliseconds: startMilliseconds, startRegisterWh: startRegister, civilTime: civilTime)
        for sample in samples {
            if let endSecond, sample.milliseconds > startMilliseconds + endSecond * 1000 { session.end(atMilliseconds: startMilliseconds + endSecond * 1000) }
            session.add(sample)
        }
        if let endSecond {
            session.end(atMilliseconds: startMilliseconds + endSecond * 1000)
            session.finish()
        }
        return session
    }

    func bill(_ tariff: Tariff, endingAt endSecond: Int64? = nil) -> Bill {
        metered(tariff, endingAt: endSecond).bill!
    }
}

extension Bill {
    /// The billed quantity of a dimension, summed over its lines.
    func quantity(_ dimension: TariffDimension) -> Int64 {
        lines.reduce(0) { $0 + ($1.dimension == dimension ? $1.quantity : 0) }
    }
}
