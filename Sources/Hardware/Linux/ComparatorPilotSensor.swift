import EVSECore

/// The control pilot through window comparators on GPIO inputs: four comparators on the peak of
/// the PWM's high level, at 10.5, 7.5, 4.5 and 1.5 V (between the bands of A, B, C, D and E), and
/// one on the trough of its low level at −10.5 V (the vehicle's diode).
///
/// The comparators say which band the level is in; the sample carries the band's nominal voltage,
/// so the same decoding and debouncing as an ADC board apply. Comparators that disagree (above
/// 7.5 V but not above 4.5 V) mean a broken circuit: the sample lies between bands and is never
/// taken for a state.
public final class ComparatorPilotSensor: PilotSensor {
    /// Inputs from the highest threshold to the lowest: > 10.5, > 7.5, > 4.5, > 1.5 V.
    public let highThresholds: [any GPIOLine]
    /// Active when the low level reaches below −10.5 V.
    public let lowBelowThreshold: any GPIOLine

    public init(provider: any GPIOProvider, above10V5: GPIOLineSpec, above7V5: GPIOLineSpec, above4V5: GPIOLineSpec,
                above1V5: GPIOLineSpec, lowBelowMinus10V5: GPIOLineSpec) throws(HardwareError) {
        var lines: [any GPIOLine] = []
        for spec in [above10V5, above7V5, above4V5, above1V5] {
            lines.append(try provider.input(spec, edges: false, device: .pilotSensor))
        }
        highThresholds = lines
        lowBelowThreshold = try provider.input(lowBelowMinus10V5, edges: false, device: .pilotSensor)
    }

    /// The sample for the comparators' outputs (highest threshold first) and the low comparator.
    /// Called every control-loop tick: no arrays, no allocation.
    public static func sample(above: (Bool, Bool, Bool, Bool), lowBelow: Bool) -> PilotSample {
        // Exceeding a threshold means exceeding every lower one: anything else is a fault.
        let consistent = (!above.0 || above.1) && (!above.1 || above.2) && (!above.2 || above.3)
        let count = (above.0 ? 1 : 0) + (above.1 ? 1 : 0) + (above.2 ? 1 : 0) + (above.3 ? 1 : 0)
        // 3 V per band: 0 (E), 3 (D), 6 (C), 9 (B), 12 (A); 10.5 V lies between bands.
        let high = consistent ? Double(count) * 3 : 10.5
        return PilotSample(high: Volts(high), low: Volts(lowBelow ? -12 : high))
    }

    public func sample() throws(HardwareError) -> PilotSample {
        let a = try highThresholds[0].read(), b = try highThresholds[1].read()
        let c = try highThresholds[2].read(), d = try highThresholds[3].read()
        return Self.sample(above: (a, b, c, d), lowBelow: try lowBelowThreshold.read())
    }
}
