import Billing
import FoundationEssentials
import Testing

/// Rounding done on the decimal digits.
@Suite struct DecimalRoundingTests {
    func rounded(_ text: String, _ scale: Int, _ rule: DecimalRoundingRule) -> String {
        Decimal(string: text)!.rounded(scale: scale, rule).description
    }

    @Test func halfGoesAwayFromZero() {
        #expect(rounded("0.125", 2, .halfAwayFromZero) == "0.13")
        #expect(rounded("-0.125", 2, .halfAwayFromZero) == "-0.13")
        #expect(rounded("0.124999", 2, .halfAwayFromZero) == "0.12")
        #expect(rounded("9.995", 2, .halfAwayFromZero) == "10")
        #expect(rounded("99.5", 0, .halfAwayFromZero) == "100")
        #expect(rounded("1.2", 2, .halfAwayFromZero) == "1.2")
        #expect(rounded("0.0049", 2, .halfAwayFromZero) == "0")
    }

    @Test func upGoesTowardsPlusInfinity() {
        #expect(rounded("2.0001", 0, .up) == "3")
        #expect(rounded("2", 0, .up) == "2")
        #expect(rounded("2.000", 0, .up) == "2")
        #expect(rounded("-2.7", 0, .up) == "-2")
        #expect(rounded("0.001", 2, .up) == "0.01")
    }
}
