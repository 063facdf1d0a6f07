/// A local wall-clock date and time (the charger's time zone applied by the caller), as tariff
/// restrictions see it: the date, the day of the week and the second of the day.
public struct CivilTime: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    /// 0 … 86399.
    public var secondOfDay: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        precondition((1...12).contains(month) && (1...CivilTime.days(in: month, of: year)).contains(day), "no such date")
        self.year = year
        self.month = month
        self.day = day
        self.secondOfDay = hour * 3600 + minute * 60 + second
    }

    /// The number of days of `month` in `year` (Gregorian).
    public static func days(in month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// ISO 8601 day of the week: 1 Monday … 7 Sunday.
    public var weekday: Int {
        // Days since 1970-01-01 (a Thursday, ISO 4).
        ((daysSinceEpoch % 7) + 7 + 3) % 7 + 1
    }

    var daysSinceEpoch: Int {
        // The civil-from-days inverse (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date as a sortable number, yyyymmdd.
    public var dateKey: Int { year * 10_000 + month * 100 + day }

    /// The time `seconds` later (no daylight-saving shifts: the caller's civil times handle those).
    public func adding(seconds: Int) -> CivilTime {
        var result = self
        var total = secondOfDay + seconds
        while total >= 86_400 {
            total -= 86_400
            result.day += 1
            if result.day > Self.days(in: result.month, of: result.year) {
                result.day = 1
                result.month += 1
                if result.month > 12 {
                    result.month = 1
                    result.year += 1
                }
            }
        }
        result.secondOfDay = total
        return result
    }

    public static func < (lhs: CivilTime, rhs: CivilTime) -> Bool {
        (lhs.dateKey, lhs.secondOfDay) < (rhs.dateKey, rhs.secondOfDay)
    }

    public var description: String { "\(isoDate) \(isoTime)" }
}

extension CivilTime {
    /// 2026-11-25.
    public var isoDate: String { "\(year)-\(Self.two(month))-\(Self.two(day))" }

    /// 10:49:47.
    public var isoTime: String { "\(Self.two(secondOfDay / 3600)):\(Self.two(secondOfDay / 60 % 60)):\(Self.two(secondOfDay % 60))" }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Seconds since 1970-01-01 00:00 of the same clock.
    public var secondsSinceEpoch: Int64 { Int64(daysSinceEpoch) * 86_400 + Int64(secondOfDay) }
}
