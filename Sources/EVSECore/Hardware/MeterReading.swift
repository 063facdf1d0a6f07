/// A value per phase; single-phase meters fill `l1` only.
public struct PhaseValues<Value: Hashable & Sendable>: Hashable, Sendable {
    public var l1: Value
    public var l2: Value?
    public var l3: Value?

    public init(_ l1: Value, _ l2: Value? = nil, _ l3: Value? = nil) {
        self.l1 = l1
        self.l2 = l2
        self.l3 = l3
    }

    /// The values present, L1 first.
    public var present: [Value] { [l1] + [l2, l3].compactMap { $0 } }

    /// Combines the values present, L1 first.
    public func reduce<Result>(_ initial: Result, _ combine: (Result, Value) -> Result) -> Result {
        var result = combine(initial, l1)
        if let l2 { result = combine(result, l2) }
        if let l3 { result = combine(result, l3) }
        return result
    }
}

/// One good reading of the energy meter. A reading that failed or is implausible never becomes a
/// `MeterReading`.
public struct MeterReading: Hashable, Sendable {
    public var voltage: PhaseValues<Volts>
    public var current: PhaseValues<Amperes>
    /// Total active power, positive when importing.
    public var power: Watts
    /// The cumulative import-energy register. Session energy is the difference of two registers,
    /// never an integral of power.
    public var importEnergy: WattHours
    /// Grid frequency in hertz, when the meter reports it.
    public var frequency: Double?

    public init(
        voltage: PhaseValues<Volts>, current: PhaseValues<Amperes>, power: Watts,
        importEnergy: WattHours, frequency: Double? = nil
    ) {
        self.voltage = voltage
        self.current = current
        self.power = power
        self.importEnergy = importEnergy
        self.frequency = frequency
    }

    /// The highest phase current.
    public var maximumCurrent: Amperes { current.reduce(Amperes.zero) { max($0, $1) } }
    /// The highest and lowest phase voltages.
    public var maximumVoltage: Volts { voltage.reduce(Volts(-.infinity)) { max($0, $1) } }
    public var minimumVoltage: Volts { voltage.reduce(Volts(.infinity)) { min($0, $1) } }
}
