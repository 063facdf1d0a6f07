/// A physical quantity stored as a `Double` in its SI-derived unit.
///
/// Each unit is its own type so that volts never get added to amperes; the shared arithmetic lives
/// here once.
public protocol Quantity: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The value in the type's unit (V, A, W, Wh or °C).
    var value: Double { get }
    init(_ value: Double)
    /// The unit's symbol, used by `description`.
    static var symbol: String { get }
}

extension Quantity {
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: Self, rhs: Self) -> Self { Self(lhs.value + rhs.value) }
    public static func - (lhs: Self, rhs: Self) -> Self { Self(lhs.value - rhs.value) }
    public static func * (lhs: Self, rhs: Double) -> Self { Self(lhs.value * rhs) }
    public static func / (lhs: Self, rhs: Double) -> Self { Self(lhs.value / rhs) }
    public static prefix func - (operand: Self) -> Self { Self(-operand.value) }
    public static var zero: Self { Self(0) }

    /// The absolute value, in the same unit.
    public var magnitude: Self { Self(abs(value)) }

    public var description: String {
        let rounded = (value * 100).rounded() / 100
        return "\(rounded) \(Self.symbol)"
    }
}
