/// Decimal numbers read from text into an integer count of 10⁻ᵖ units, and written back: how
/// prices, VAT rates and thresholds enter the books, exactly and within stated bounds.
public enum FixedDecimal {
    /// Why a text is not a number evsed keeps.
    public enum Error: Swift.Error, Hashable, CustomStringConvertible {
        /// Not digits with an optional sign and fraction ("1e3", "0,30", " 1").
        case notADecimal(String)
        /// More decimal places than evsed keeps for this figure.
        case tooManyPlaces(String, places: Int)
        /// Outside the figure's range.
        case outOfRange(String, minimum: String, maximum: String)

        public var description: String {
            switch self {
            case .notADecimal(let text): return "'\(excerpt(text))' is not a decimal number"
            case .tooManyPlaces(let text, let places):
                return "'\(excerpt(text))' has more than \(places) decimal places (evsed keeps \(places); it does not round a price)"
            case .outOfRange(let text, let minimum, let maximum): return "'\(excerpt(text))' is outside \(minimum) … \(maximum)"
            }
        }
    }

    /// "0.2834" read with 6 places: 283400. Digits, an optional leading "-" and an optional
    /// fraction, nothing else (no exponent, no spaces, no "+"); the result lies in `range`.
    public static func parse(_ text: String, places: Int, in range: ClosedRange<Int64>) throws(Error) -> Int64 {
        let negative = text.hasPrefix("-")
        let bytes = Array(text.utf8)
        let unsigned = negative ? bytes.dropFirst() : bytes[...]
        let parts = unsigned.split(separator: UInt8(ascii: "."), maxSplits: 2, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { (48...57).contains($0) } }) else {
            throw .notADecimal(text)
        }
        let whole = parts[0], fraction = parts.count == 2 ? parts[1] : []
        // Trailing zeros of the fraction carry no value ("0.300000000" is 0.3).
        let significant = fraction.reversed().drop(while: { $0 == 48 }).count
        guard significant <= places else { throw .tooManyPlaces(text, places: places) }
        let outOfRange = Error.outOfRange(text, minimum: Self.text(range.lowerBound, places: places),
                                          maximum: Self.text(range.upperBound, places: places))
        // Leading zeros are harmless; more digits than an Int64 holds are out of range, not a trap.
        let wholeDigits = whole.drop(while: { $0 == 48 })
        guard wholeDigits.count + places <= 18 else { throw outOfRange }
        var value: Int64 = 0
        for digit in wholeDigits { value = value * 10 + Int64(digit - 48) }
        var fractionDigits = Array(fraction.prefix(significant))
        fractionDigits += Array(repeating: 48, count: places - fractionDigits.count)
        for digit in fractionDigits { value = value * 10 + Int64(digit - 48) }
        if negative { value = -value }
        guard range.contains(value) else { throw outOfRange }
        return value
    }

    /// 283400 with 6 places: "0.2834"; trailing zeros dropped, but at least `minimumPlaces` kept
    /// ("3.60" for 3600000 with minimum 2).
    public static func text(_ value: Int64, places: Int, minimumPlaces: Int = 0) -> String {
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<places { divisor *= 10 }
        let whole = magnitude / divisor
        var fraction = places == 0 ? "" : String(String(magnitude % divisor + divisor).dropFirst())
        while fraction.count > minimumPlaces, fraction.last == "0" { fraction.removeLast() }
        return (value < 0 ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// The start of a long text, for error messages that must not repeat a whole bad value.
    static func excerpt(_ text: String) -> String {
        text.count <= 24 ? text : String(text.prefix(21)) + "…"
    }
}
