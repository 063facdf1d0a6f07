import FoundationEssentials

/// An ISO 4217 currency and its minor unit (the number of decimals a bill shows).
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let minorUnits: Int

    /// The currencies evsed bills in, with their minor units.
    static let known: [String: Int] = [
        "EUR": 2, "CHF": 2, "GBP": 2, "USD": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2,
        "RON": 2, "BGN": 2, "ISK": 0, "JPY": 0, "CAD": 2, "AUD": 2, "NZD": 2, "KWD": 3, "BHD": 3,
    ]

    public enum Error: Swift.Error, Hashable, CustomStringConvertible {
        case unknown(String)
        public var description: String {
            switch self {
            case .unknown(let code): return "'\(code)' is not an ISO 4217 currency evsed knows"
            }
        }
    }

    /// The currency of an ISO 4217 code ("EUR").
    public init(_ code: String) throws(Error) {
        guard let minor = Self.known[code.uppercased()] else { throw .unknown(code) }
        self.code = code.uppercased()
        self.minorUnits = minor
    }

    public var description: String { code }
}

/// An amount of money: an exact decimal, never a binary floating-point number.
///
/// Rounding rule: amounts stay exact through a session's calculation; a bill rounds each total once
/// to the currency's minor unit, half away from zero (0.125 EUR → 0.13 EUR).
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var amount: Decimal
    public let currency: Currency

    public init(_ amount: Decimal, _ currency: Currency) {
        self.amount = amount
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(0, currency) }

    /// Rounded to the currency's minor unit, half away from zero.
    public var rounded: Money {
        Money(amount.rounded(scale: currency.minorUnits, .halfAwayFromZero), currency)
    }

    public static func + (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "adding \(lhs.currency) to \(rhs.currency)")
        return Money(lhs.amount + rhs.amount, lhs.currency)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "comparing \(lhs.currency) with \(rhs.currency)")
        return lhs.amount < rhs.amount
    }

    /// "3.60 EUR", rounded to the minor unit.
    public var description: String { "\(plainText) \(currency.code)" }

    /// "3.60": the amount rounded to the minor unit, with all its minor digits.
    public var plainText: String {
        let value = rounded.amount
        var text = value.description
        if currency.minorUnits > 0 {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            let fraction = parts.count > 1 ? String(parts[1]) : ""
            text = String(parts[0]) + "." + fraction + String(repeating: "0", count: max(0, currency.minorUnits - fraction.count))
        }
        return text
    }
}
