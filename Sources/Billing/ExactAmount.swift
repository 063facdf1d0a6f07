import FoundationEssentials

/// An amount of money before the bill rounds it: an exact rational with one fixed denominator.
///
/// Every amount a tariff can produce is a whole number of 1/`denominator` of the currency's
/// major unit: a quantity in Wh or seconds (integers) times a price in millionths, divided by
/// 1000 Wh per kWh or 3600 s per hour, times a VAT rate in hundredths of a percent. The
/// denominator is the product of those divisors (18 000 = lcm(1000, 3600), 10⁶, 10⁴), so sums
/// stay exact and a bill rounds once, at the end. 128-bit integers hold any session's amounts
/// with room to spare (a million kWh at 10 000 per kWh is about 10³⁰ of 1.7 × 10³⁸).
public struct ExactAmount: Hashable, Comparable, Sendable, AdditiveArithmetic {
    /// 1/denominator of the major unit.
    public var numerator: Int128

    public static let denominator: Int128 = 18_000 * 1_000_000 * 10_000
    static let perMillionth: Int128 = denominator / 1_000_000

    public init(numerator: Int128) { self.numerator = numerator }

    public static var zero: ExactAmount { ExactAmount(numerator: 0) }

    /// An amount given in millionths of the major unit (a price limit, a flat fee).
    public init(millionths: Int64) { numerator = Int128(millionths) * Self.perMillionth }

    /// `quantity` units at `priceMillionths` per `unitsPerPricedUnit` units (Wh at a price per
    /// kWh: 1000; seconds at a price per hour: 3600; sessions: 1).
    public init(quantity: Int64, unitsPerPricedUnit: Int64, priceMillionths: Int64) {
        numerator = Int128(quantity) * Int128(priceMillionths) * (Self.perMillionth / Int128(unitsPerPricedUnit))
    }

    /// The VAT on this amount at `hundredths` of a percent (2000: 20 %); none when nil. Exact:
    /// every amount built from prices is a multiple of 10⁴ here.
    public func vat(hundredthsOfPercent hundredths: Int?) -> ExactAmount {
        guard let hundredths else { return .zero }
        return ExactAmount(numerator: numerator / 10_000 * Int128(hundredths))
    }

    public static func + (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount { ExactAmount(numerator: lhs.numerator + rhs.numerator) }
    public static func - (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount { ExactAmount(numerator: lhs.numerator - rhs.numerator) }
    public static func < (lhs: ExactAmount, rhs: ExactAmount) -> Bool { lhs.numerator < rhs.numerator }

    /// The amount in whole minor units (cents for 2), an exact half rounded away from zero.
    public func minorUnits(_ places: Int) -> Int64 {
        var scale: Int128 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = numerator * scale
        let (quotient, remainder) = scaled.quotientAndRemainder(dividingBy: Self.denominator)
        let away = remainder.magnitude * 2 >= Self.denominator.magnitude
        let rounded = away ? quotient + (scaled < 0 ? -1 : 1) : quotient
        // A session's amount in minor units fits 64 bits by far; saturate rather than trap.
        return Int64(clamping: rounded)
    }

    /// The amount as exact decimal text when it has at most 10 decimal places (every price, limit
    /// and VAT on them does); nil otherwise.
    public var exactText: String? {
        // 10⁻¹⁰ of the major unit is denominator / 10¹⁰ = 18 000 of these units.
        guard numerator % 18_000 == 0, let tenBillionths = Int64(exactly: numerator / 18_000) else { return nil }
        return FixedDecimal.text(tenBillionths, places: 10)
    }

    /// Rounded to the currency's minor unit, half away from zero.
    public func rounded(_ currency: Currency) -> Money {
        let minor = minorUnits(currency.minorUnits)
        return Money(Decimal(sign: minor < 0 ? .minus : .plus, exponent: -currency.minorUnits, significand: Decimal(minor.magnitude)), currency)
    }
}
