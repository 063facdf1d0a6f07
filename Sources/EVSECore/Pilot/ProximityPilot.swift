/// The proximity pilot (PP) of a socket: the resistor between PP and PE in the cable's plug tells
/// the cable's current rating (IEC 61851-1 table B.2, with the tolerance bands used by chargers).
public enum ProximityPilot {
    /// The rating for a measured PP resistance in ohms; nil when there is no cable (open circuit)
    /// or the resistance is outside every band (a fault in the plug).
    public static func cableRating(ohms: Double) -> Amperes? {
        switch ohms {
        case 80..<140: return Amperes(63)     // 100 Ω
        case 164..<308: return Amperes(32)    // 220 Ω
        case 400..<936: return Amperes(20)    // 680 Ω
        case 1100..<2460: return Amperes(13)  // 1.5 kΩ
        default: return nil
        }
    }

    /// The PP resistance from the voltage across it, with a pull-up of `pullUp` ohms to
    /// `reference` volts (a voltage divider): R = pullUp × V / (reference − V).
    public static func resistance(volts: Double, pullUp: Double, reference: Double) -> Double {
        guard volts < reference * 0.999 else { return .infinity }
        return pullUp * max(0, volts) / (reference - volts)
    }
}
