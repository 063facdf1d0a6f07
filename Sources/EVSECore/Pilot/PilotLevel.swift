/// The control-pilot state of IEC 61851-1, as read from the high level of the pilot signal.
public enum PilotLevel: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// +12 V: no vehicle.
    case a = "A"
    /// +9 V: vehicle connected, not ready to charge.
    case b = "B"
    /// +6 V: vehicle ready, charging allowed.
    case c = "C"
    /// +3 V: vehicle ready, ventilation required.
    case d = "D"
    /// 0 V: pilot shorted to protective earth, or an EVSE error.
    case e = "E"
    /// −12 V: EVSE not available (the EVSE drives −12 V).
    case f = "F"
    /// Between the accepted bands: never guessed, only debounced.
    case unknown = "unknown"

    public var description: String { rawValue }

    /// The accepted band of each state's high level (IEC 61851-1 table A.3, with tolerance).
    ///
    /// Bands do not overlap: a level exactly on a shared edge (E/D at 2 V) belongs to the band above,
    /// so a falling voltage is called D until it is clearly below 2 V.
    public static func decode(high: Volts) -> PilotLevel {
        switch high.value {
        case 11...13: return .a
        case 8...10: return .b
        case 5...7: return .c
        case 2...4: return .d
        case -1..<2: return .e
        case -13 ... -11: return .f
        default: return .unknown
        }
    }

    /// Whether a vehicle is plugged in: B, C or D.
    public var vehiclePresent: Bool {
        switch self {
        case .b, .c, .d: return true
        case .a, .e, .f, .unknown: return false
        }
    }

    /// Whether the vehicle asks for energy: C or D.
    public var vehicleRequestsCharge: Bool { self == .c || self == .d }
}

/// One reading of the control pilot: the voltage during the PWM high phase and during the low phase.
///
/// With PWM off the pilot is a steady level and `low` equals `high`.
public struct PilotSample: Hashable, Sendable, CustomStringConvertible {
    /// The level during the high phase of the PWM (or the steady level with PWM off).
    public var high: Volts
    /// The level during the low phase of the PWM; about −12 V when the vehicle's diode is present.
    public var low: Volts

    public init(high: Volts, low: Volts) {
        self.high = high
        self.low = low
    }

    /// The nominal sample of a state with a healthy vehicle diode and the PWM running.
    public static func nominal(_ level: PilotLevel) -> PilotSample {
        let high: Double
        switch level {
        case .a: high = 12
        case .b: high = 9
        case .c: high = 6
        case .d: high = 3
        case .e: high = 0
        case .f: high = -12
        case .unknown: high = 10.5
        }
        return PilotSample(high: Volts(high), low: Volts(-12))
    }

    /// Whether the low phase shows the vehicle's diode: near −12 V (−13 … −11 V).
    public var lowPhaseShowsDiode: Bool { (-13 ... -11).contains(low.value) }

    public var description: String { "high \(high), low \(low)" }
}
