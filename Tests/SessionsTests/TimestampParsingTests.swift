#if canImport(Glibc)
import Glibc
#endif
import Sessions
import Testing

/// Timestamp(parsing:) against a plain formatter written here with gmtime_r: every instant of a
/// spread of years, written as ISO 8601 in UTC with and without its milliseconds, reads back.
@Suite struct TimestampParsingTests {
    /// "2026-11-25T14:05:07.250Z", by the C library's calendar.
    static func iso(_ milliseconds: Int64, fraction digits: Int) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var text = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if digits > 0 {
            let millis = String(milliseconds % 1000)
            let three = String(repeating: "0", count: 3 - millis.count) + millis
            text += "." + (digits <= 3 ? String(three.prefix(digits)) : three + String(repeating: "7", count: digits - 3))
        }
        return text + "Z"
    }

    @Test func instantsWrittenInUTCReadBack() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            // 1970 … 2100, to the millisecond.
            let instant = Int64.random(in: 0..<4_102_444_800_000, using: &generator)
            let digits = Int.random(in: 0...9, using: &generator)
            let kept = digits == 0 ? instant / 1000 * 1000
                : digits == 1 ? instant / 100 * 100 : digits == 2 ? instant / 10 * 10 : instant
            let text = Self.iso(instant, fraction: digits)
            #expect(Timestamp(parsing: text)?.milliseconds == kept, "\(text)")
        }
    }

    @Test func theOutboxsOwnFormatReadsBack() {
        let stamp = Timestamp(milliseconds: 1_764_079_500_123)
        #expect(Timestamp(parsing: stamp.description)?.milliseconds == 1_764_079_500_123, "\(stamp)")
    }

    @Test(arguments: ["2026-11-25T10:49.5Z", "2026-11-25T10:49:47.Z", "2026-11-25T10:49:47.1234567890Z",
                      "2026-11-25T10:49:47.12aZ", "2026-11-25T10:49:47.-1Z", "2026-11-25.5", "2026-11-25T10:49:47..5Z"])
    func aMalformedFractionIsRefused(text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }
}
