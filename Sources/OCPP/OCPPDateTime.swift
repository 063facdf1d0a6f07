import Billing
import Sessions

/// OCPP's dateTime: ISO 8601 with a time zone (§2.1.2 of OCPP-J uses RFC 3339). evsed writes UTC
/// with milliseconds ("2026-12-06T13:32:26.491Z"); it reads any offset and any fraction.
public enum OCPPDateTime {
    /// `time` as OCPP writes it.
    public static func text(_ time: Timestamp) -> String { time.description }

    /// Reads "2026-12-06T13:32:26Z", "2026-12-06T13:32:26.491302+00:00", "…-05:30"; nil otherwise.
    public static func parse(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func at(_ index: Int, _ character: Character) -> Bool { index < bytes.count && bytes[index] == character.asciiValue! }
        guard let year = number(0..<4), at(4, "-"), let month = number(5..<7), at(7, "-"), let day = number(8..<10),
              at(10, "T") || at(10, "t"), let hour = number(11..<13), at(13, ":"), let minute = number(14..<16), at(16, ":"),
              let second = number(17..<19), (1970...9999).contains(year), (1...12).contains(month),
              (1...CivilTime.days(in: month, of: year)).contains(day), (0...23).contains(hour), (0...59).contains(minute),
              (0...60).contains(second) else { return nil }
        var index = 19
        var milliseconds = 0
        if at(index, ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                if digits < 3 { milliseconds = milliseconds * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { milliseconds *= 10 }
        }
        var offsetSeconds = 0
        if at(index, "Z") || at(index, "z") {
            index += 1
        } else if at(index, "+") || at(index, "-") {
            let sign = at(index, "-") ? -1 : 1
            guard let hours = number(index + 1..<index + 3), at(index + 3, ":"), let minutes = number(index + 4..<index + 6),
                  hours <= 23, minutes <= 59 else { return nil }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let civil = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        let seconds = civil.secondsSinceEpoch - Int64(offsetSeconds)
        return Timestamp(milliseconds: seconds * 1000 + Int64(milliseconds))
    }
}
