/// An electric potential in volts.
public struct Volts: Quantity {
    public let value: Double
    public init(_ value: Double) { self.value = value }
    public static let symbol = "V"
}

/// An electric current in amperes.
public struct Amperes: Quantity {
    public let value: Double
    public init(_ value: Double) { self.value = value }
    public static let symbol = "A"
}

/// An active power in watts.
public struct Watts: Quantity {
    public let value: Double
    public init(_ value: Double) { self.value = value }
    public static let symbol = "W"
}

/// An energy in watt-hours. Meter registers in kWh are converted on reading.
public struct WattHours: Quantity {
    public let value: Double
    public init(_ value: Double) { self.value = value }
    public static let symbol = "Wh"

    /// Creates an energy from kilowatt-hours.
    public init(kilowattHours: Double) { self.value = kilowattHours * 1000 }
    /// The energy in kilowatt-hours.
    public var kilowattHours: Double { value / 1000 }
}

/// A temperature in degrees Celsius.
public struct Celsius: Quantity {
    public let value: Double
    public init(_ value: Double) { self.value = value }
    public static let symbol = "°C"
}

extension Volts {
    /// Power drawn at this voltage by `current` on one phase with unity power factor.
    public static func * (lhs: Volts, rhs: Amperes) -> Watts { Watts(lhs.value * rhs.value) }
}

extension Watts {
    /// Energy of this power held for `duration`.
    public func energy(over duration: Duration) -> WattHours {
        WattHours(value * duration.seconds / 3600)
    }
}
