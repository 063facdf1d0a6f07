import FoundationEssentials

/// How an amount is rounded.
public enum DecimalRoundingRule: Sendable {
    /// To the nearest; a half goes away from zero (0.125 → 0.13, −0.125 → −0.13).
    case halfAwayFromZero
    /// Towards +∞ (a step size's last block is billed whole).
    case up
}

extension Decimal {
    /// The value rounded to `scale` decimal places, exactly: done on the decimal digits, so no
    /// binary floating point comes near money. (FoundationEssentials' Decimal has no public
    /// rounding; Foundation's NSDecimalRound would pull ICU into the binary.)
    public func rounded(scale: Int, _ rule: DecimalRoundingRule) -> Decimal {
        let text = description
        let negative = text.hasPrefix("-")
        let digits = negative ? String(text.dropFirst()) : text
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        guard fraction.count > scale else { return self }
        let kept = String(fraction.prefix(scale))
        let dropped = fraction.dropFirst(scale)
        let increment: Bool
        switch rule {
        case .halfAwayFromZero: increment = dropped.first.map { $0 >= "5" } ?? false
        case .up: increment = !negative && dropped.contains { $0 != "0" }
        }
        var magnitude = Array(whole + kept)
        if increment {
            var index = magnitude.count - 1
            while index >= 0 {
                if magnitude[index] == "9" {
                    magnitude[index] = "0"
                    index -= 1
                } else {
                    magnitude[index] = Character(String(magnitude[index].wholeNumberValue! + 1))
                    break
                }
            }
            if index < 0 { magnitude.insert("1", at: 0) }
        }
        let integerCount = magnitude.count - scale
        var result = String(magnitude.prefix(integerCount))
        if scale > 0 { result += "." + String(magnitude.suffix(scale)) }
        return Decimal(string: (negative ? "-" : "") + result) ?? self
    }
}
