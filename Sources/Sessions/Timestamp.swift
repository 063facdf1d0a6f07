#if canImport(Glibc)
import Glibc
#endif
import Billing

/// A wall-clock instant as the ledger stores it: milliseconds since 1970-01-01 00:00 UTC.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(milliseconds: Int64) { self.rawValue = milliseconds }

    public var milliseconds: Int64 { rawValue }

    /// The system's real-time clock now (`clock_gettime(CLOCK_REALTIME)`).
    public static func now() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(milliseconds: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.rawValue < rhs.rawValue }

    /// ISO 8601 in UTC with milliseconds: 2026-11-25T10:49:47.120Z.
    public var description: String {
        let civil = CivilTime(utcMilliseconds: rawValue, offsetSeconds: 0)
        let millis = Int(((rawValue % 1000) + 1000) % 1000)
        let fraction = String(millis + 1000).dropFirst()
        return "\(civil.isoDate)T\(civil.isoTime).\(fraction)Z"
    }

    /// The local civil time (the system's time zone, `localtime_r`), as tariffs and people see it.
    public var local: CivilTime {
        CivilTime(utcMilliseconds: rawValue, offsetSeconds: Self.localOffset(at: rawValue))
    }

    /// The system time zone's offset from UTC at an instant, in seconds east.
    public static func localOffset(at milliseconds: Int64) -> Int {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return Int(parts.tm_gmtoff)
    }

    /// Reads "2026-11-25" (midnight, local time), "2026-11-25T10:49" or "2026-11-25T10:49:47"
    /// (local time), seconds with a fraction ("10:49:47.250", kept to the millisecond), or any of
    /// them with a trailing "Z" (UTC).
    public init?(parsing text: String) {
        let utc = text.hasSuffix("Z")
        let body = utc ? String(text.dropLast()) : text
        let halves = body.split(separator: "T", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard date.count == 3, let year = date[0], let month = date[1], let day = date[2],
              halves[0].count == 10, (1970...9999).contains(year), (1...12).contains(month),
              (1...CivilTime.days(in: month, of: year)).contains(day) else { return nil }
        var clock = [0, 0, 0]
        var milliseconds: Int64 = 0
        if halves.count == 2 {
            var time = halves[1]
            if let dot = time.firstIndex(of: ".") {
                let fraction = time[time.index(after: dot)...]
                guard (1...9).contains(fraction.count), fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
                      time[..<dot].filter({ $0 == ":" }).count == 2 else { return nil }
                milliseconds = Int64(String((fraction + "00").prefix(3)))!
                time = time[..<dot]
            }
            let parts = time.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else { return nil }
            for (index, part) in parts.enumerated() { clock[index] = part! }
            guard (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...59).contains(clock[2]) else { return nil }
        }
        let civil = CivilTime(year: year, month: month, day: day, hour: clock[0], minute: clock[1], second: clock[2])
        if utc {
            self.init(milliseconds: civil.secondsSinceEpoch * 1000 + milliseconds)
        } else {
            self.init(local: civil)
            self = Timestamp(milliseconds: self.milliseconds + milliseconds)
        }
    }

    /// The instant of a local civil time (the system's time zone).
    public init(local civil: CivilTime) {
        let asUTC = civil.secondsSinceEpoch * 1000
        // The offset at the instant itself: one guess, then corrected once (daylight-saving edges).
        let guess = asUTC - Int64(Self.localOffset(at: asUTC)) * 1000
        self.init(milliseconds: asUTC - Int64(Self.localOffset(at: guess)) * 1000)
    }
}
