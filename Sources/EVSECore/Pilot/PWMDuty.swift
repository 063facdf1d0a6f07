/// A control-pilot PWM duty cycle in percent (0 … 100), and its meaning under IEC 61851-1.
public struct PWMDuty: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The duty cycle in percent.
    public let percent: Double

    /// Errors for currents and duty cycles the standard does not allow.
    public enum Error: Swift.Error, Hashable, CustomStringConvertible {
        /// Below 6 A, the smallest current a PWM can offer.
        case currentBelowMinimum(Amperes)
        /// Above 80 A, the largest current a PWM can offer.
        case currentAboveMaximum(Amperes)
        /// A duty cycle that has no meaning (between 0 and 5 %, 5 … 8 %, 97 … 100 %, or out of 0 … 100).
        case forbiddenDuty(Double)

        public var description: String {
            switch self {
            case .currentBelowMinimum(let amps): return "\(amps) is below the 6 A a pilot PWM can offer"
            case .currentAboveMaximum(let amps): return "\(amps) is above the 80 A a pilot PWM can offer"
            case .forbiddenDuty(let duty): return "a duty cycle of \(duty) % is not allowed by IEC 61851-1"
            }
        }
    }

    /// The smallest current a PWM can offer.
    public static let minimumCurrent = Amperes(6)
    /// The largest current a PWM can offer.
    public static let maximumCurrent = Amperes(80)
    /// 5 %: digital communication (ISO 15118) requested.
    public static let digitalCommunication = PWMDuty(uncheckedPercent: 5)

    private init(uncheckedPercent: Double) { self.percent = uncheckedPercent }

    /// A duty cycle with a meaning under IEC 61851-1: 5 %, 8 … 97 %, 0 % or 100 %.
    ///
    /// 8 … 10 % reads as 6 A and 96 … 97 % as 80 A, the tolerance vehicles apply.
    public init(percent: Double) throws(Error) {
        guard percent == 0 || percent == 5 || percent == 100 || (8...97).contains(percent) else {
            throw .forbiddenDuty(percent)
        }
        self.percent = percent
    }

    /// The duty cycle that offers `current`: duty = I / 0.6 A up to 51 A (85 %), and
    /// I / 2.5 A + 64 from 52.5 A (above 85 %). The two ranges leave a gap: 51 … 52.5 A is offered
    /// (inclusive) as 51 A.
    ///
    /// The duty is exact (16 A is 26.666… %); the PWM driver rounds it down to its resolution, so
    /// the vehicle is never offered more than `current`.
    public init(offering current: Amperes) throws(Error) {
        guard current >= Self.minimumCurrent else { throw .currentBelowMinimum(current) }
        guard current <= Self.maximumCurrent else { throw .currentAboveMaximum(current) }
        switch current.value {
        case ...51: self.percent = current.value / 0.6
        case ...52.5: self.percent = 85
        default: self.percent = current.value / 2.5 + 64
        }
    }

    /// The duty rounded to 0.1 %, for people and logs.
    public var displayPercent: Double { (percent * 10).rounded() / 10 }

    /// The current this duty cycle offers, or nil when it offers none (0 %, 5 %, 100 %).
    public var offeredCurrent: Amperes? {
        switch percent {
        case 8..<10: return Amperes(6)
        case 10...85: return Amperes(percent * 0.6)
        case 85.0.nextUp...96: return Amperes((percent - 64) * 2.5)
        case 96...97: return Amperes(80)
        default: return nil
        }
    }

    public static func < (lhs: PWMDuty, rhs: PWMDuty) -> Bool { lhs.percent < rhs.percent }

    public var description: String { "\(displayPercent) %" }
}

/// What the EVSE drives on the control pilot.
public enum PilotOutput: Hashable, Sendable, CustomStringConvertible {
    /// A steady +12 V: no current offered (states A, B1, C1).
    case steady
    /// A 1 kHz ±12 V PWM whose duty cycle offers a current (states B2, C2).
    case pwm(PWMDuty)
    /// A steady −12 V: EVSE not available (state F).
    case stateF

    /// The duty cycle in percent as the PWM hardware sees it: 100 % steady, 0 % for F.
    public var dutyPercent: Double {
        switch self {
        case .steady: return 100
        case .pwm(let duty): return duty.percent
        case .stateF: return 0
        }
    }

    /// Whether a PWM is running (a current is offered).
    public var isPWM: Bool {
        if case .pwm = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .steady: return "steady +12 V"
        case .pwm(let duty): return "PWM \(duty)"
        case .stateF: return "state F (−12 V)"
        }
    }
}
