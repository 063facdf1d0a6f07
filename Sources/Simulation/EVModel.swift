import EVSECore

/// A simulated electric vehicle as the charger sees it: the resistors and diode on its pilot, and
/// an on-board charger that draws what the PWM offers, tapering as the battery fills.
public struct EVModel: Sendable {
    /// What the vehicle is like.
    public struct Parameters: Hashable, Sendable {
        public var batteryCapacity: WattHours
        /// State of charge at plug-in, 0 … 1.
        public var initialStateOfCharge: Double
        /// The on-board charger's limit per phase.
        public var maximumCurrent: Amperes
        public var phases: Int
        /// Above this state of charge the current tapers linearly towards 5 % at full.
        public var taperFrom: Double
        /// How long the vehicle takes to follow a new duty cycle (IEC 61851-1 allows 5 s).
        public var responseDelay: Duration
        /// How long the vehicle takes to go from C to B when the PWM is withdrawn.
        public var stopDelay: Duration
        /// How long the vehicle takes to close its S2 switch (B → C) once it sees a PWM.
        public var readyDelay: Duration
        /// Whether the vehicle asks for ventilation (state D instead of C).
        public var requestsVentilation: Bool

        public init(
            batteryCapacity: WattHours = WattHours(kilowattHours: 40), initialStateOfCharge: Double = 0.5,
            maximumCurrent: Amperes = Amperes(16), phases: Int = 3, taperFrom: Double = 0.8,
            responseDelay: Duration = .seconds(1), stopDelay: Duration = .milliseconds(500),
            readyDelay: Duration = .milliseconds(500), requestsVentilation: Bool = false
        ) {
            self.batteryCapacity = batteryCapacity
            self.initialStateOfCharge = initialStateOfCharge
            self.maximumCurrent = maximumCurrent
            self.phases = phases
            self.taperFrom = taperFrom
            self.responseDelay = responseDelay
            self.stopDelay = stopDelay
            self.readyDelay = readyDelay
            self.requestsVentilation = requestsVentilation
        }
    }

    /// Faults a scenario can give the vehicle.
    public struct Faults: Hashable, Sendable {
        /// The pilot diode is missing: the low phase reads −high instead of −12 V.
        public var diodeMissing = false
        /// The pilot is shorted to PE: 0 V.
        public var pilotShorted = false
        /// Draws this factor times what is offered (1 = well behaved).
        public var overdraw = 1.0
        /// Ignores a withdrawn PWM and stays in C.
        public var ignoresStop = false
        public init() {}
    }

    public var parameters: Parameters
    public var faults = Faults()
    public private(set) var plugged = false
    /// Whether the vehicle wants energy (its S2 switch closes when a PWM is offered).
    public var wantsCharge = true
    public private(set) var stateOfCharge: Double
    /// The pilot state the vehicle presents (A, B, C, D or E).
    public private(set) var level: PilotLevel = .a
    /// The current drawn per phase, when the contactor delivers power.
    public private(set) var current = Amperes.zero

    private var offerSeen: Amperes?
    private var offerSeenAt: Instant = .zero
    private var previousOffer: Amperes = .zero
    private var pwmLostAt: Instant?
    private var pwmSeenAt: Instant?

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
        self.stateOfCharge = parameters.initialStateOfCharge
    }

    public mutating func plug(at now: Instant) {
        plugged = true
        stateOfCharge = parameters.initialStateOfCharge
        level = faults.pilotShorted ? .e : .b
    }

    public mutating func unplug() {
        plugged = false
        level = .a
        current = .zero
    }

    /// Advances the vehicle to `now`, seeing `pilot` from the charger and `powered` when the
    /// contactor delivers power.
    public mutating func step(to now: Instant, pilot: PilotOutput, powered: Bool) {
        guard plugged else {
            level = .a
            current = .zero
            return
        }
        if faults.pilotShorted {
            level = .e
            current = .zero
            return
        }
        let offer: Amperes?
        if case .pwm(let duty) = pilot { offer = duty.offeredCurrent } else { offer = nil }
        if offer != offerSeen {
            previousOffer = offerSeen ?? .zero
            offerSeen = offer
            offerSeenAt = now
        }
        if offer == nil {
            if pwmLostAt == nil { pwmLostAt = now }
            pwmSeenAt = nil
        } else {
            pwmLostAt = nil
            if pwmSeenAt == nil { pwmSeenAt = now }
        }

        let full = stateOfCharge >= 1
        let charging = level == .c || level == .d
        if pilot == .stateF {
            level = .b
        } else if !wantsCharge || full {
            level = .b
        } else if let seen = pwmSeenAt, now - seen >= parameters.readyDelay {
            level = parameters.requestsVentilation ? .d : .c
        } else if let lost = pwmLostAt, charging, !faults.ignoresStop, now - lost >= parameters.stopDelay {
            level = .b
        } else if !charging {
            level = .b
        }

        guard powered && (level == .c || level == .d) else {
            current = .zero
            return
        }
        // The vehicle follows a lower offer only after its response delay.
        var allowed = offer ?? (faults.ignoresStop ? previousOffer : .zero)
        if now - offerSeenAt < parameters.responseDelay { allowed = max(allowed, previousOffer) }
        let taper = stateOfCharge < parameters.taperFrom
            ? 1 : max(0.05, (1 - stateOfCharge) / (1 - parameters.taperFrom))
        current = min(allowed, parameters.maximumCurrent * taper) * faults.overdraw
    }

    /// Stores `energy` in the battery (what reached it through the charger).
    public mutating func absorb(_ energy: WattHours) {
        stateOfCharge = min(1, stateOfCharge + energy.value / parameters.batteryCapacity.value)
    }
}
