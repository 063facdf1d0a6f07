import EVSECore

/// The physical world of the simulated board: the vehicle, the pilot wire, the contactor, the
/// residual-current monitor, the grid, the meter and the temperature. The simulated devices read
/// and drive it; scenarios and the `run` console inject faults into it.
///
/// Thread-safe: in `evsed run` the control loop, the meter poller and the console reach it from
/// different threads; every access takes its lock for the time of a copy.
public final class SimulatedWorld: Sendable {
    /// Everything that can be set or observed, as one value.
    public struct State: Sendable {
        public var now: Instant = .zero
        public var ev: EVModel
        /// What the charger drives on the pilot.
        public var pilot: PilotOutput = .steady
        /// A voltage forced onto the pilot (a bad contact), until `pilotOverrideUntil`.
        public var pilotOverride: Volts?
        public var pilotOverrideUntil: Instant?

        public var contactorCommanded = false
        public var contactorClosed = false
        public var contactorCommandedAt: Instant = .zero
        /// How long the auxiliary contact takes to follow the coil.
        public var contactorDelay: Duration = .milliseconds(20)
        /// The main contacts stay closed whatever the coil does.
        public var contactorWelded = false
        /// The main contacts never close.
        public var contactorStuckOpen = false

        /// A leakage current the RCM sees, until `leakageUntil` (nil: until removed).
        public var leakage = false
        public var leakageUntil: Instant?
        public var rcmSelfTestInput = false
        public var rcmSelfTestBroken = false
        public var rcmTripped = false
        public var lockCommanded = false
        /// The lock's actuator does not move (a jammed plug).
        public var lockJammed = false
        public var lockEngaged = false

        public var gridVoltage = Volts(230)
        public var importRegister = WattHours(0)
        /// The meter does not answer until this instant.
        public var meterSilentUntil: Instant?
        public var temperature = Celsius(25)
        /// The pilot sensor fails (an I/O error) until this instant.
        public var pilotSensorFailsUntil: Instant?
        /// Control-loop overruns are reported until this instant.
        public var loopStalledUntil: Instant?
        /// The books take no events from the loop until this instant (a stalled disk).
        public var booksStalledUntil: Instant?

        init(ev: EVModel) { self.ev = ev }

        /// Whether power reaches the vehicle.
        public var powered: Bool { contactorClosed }

        /// Total active power drawn.
        public var power: Watts {
            gridVoltage * ev.current * Double(ev.parameters.phases)
        }
    }

    private let state: Lock<State>

    /// - Parameter start: the world's clock at creation (`.zero` in virtual time, the monotonic
    ///   clock when it runs in real time).
    public init(ev: EVModel.Parameters = EVModel.Parameters(), initialRegister: WattHours = WattHours(kilowattHours: 1234.5),
                start: Instant = .zero) {
        var initial = State(ev: EVModel(parameters: ev))
        initial.importRegister = initialRegister
        initial.now = start
        state = Lock(initial)
    }

    /// Reads or changes the world under its lock.
    public func withState<Result>(_ body: (inout State) -> Result) -> Result {
        state.withLock { body(&$0) }
    }

    /// A copy of the world as it is now.
    public var snapshot: State { state.withLock { $0 } }

    /// Advances the physics to `now`: contactor mechanics, the RCM, the vehicle, the energy.
    public func advance(to now: Instant) {
        state.withLock { world in
            let elapsed = now - world.now
            guard elapsed > .zero else { return }
            // Energy flows at the power of the interval's start.
            let energy = world.power.energy(over: elapsed)
            world.importRegister = world.importRegister + energy
            world.ev.absorb(energy)
            world.now = now

            if now - world.contactorCommandedAt >= world.contactorDelay {
                let closed = world.contactorCommanded && !world.contactorStuckOpen
                world.contactorClosed = closed || world.contactorWelded && world.contactorClosed
            }
            if let until = world.leakageUntil, now >= until {
                world.leakage = false
                world.leakageUntil = nil
            }
            if let until = world.pilotOverrideUntil, now >= until {
                world.pilotOverride = nil
                world.pilotOverrideUntil = nil
            }
            world.rcmTripped = world.leakage || (world.rcmSelfTestInput && !world.rcmSelfTestBroken)
            if !world.lockJammed { world.lockEngaged = world.lockCommanded }
            world.ev.step(to: now, pilot: world.pilot, powered: world.powered)
        }
    }

    /// The pilot as the charger's sensor measures it.
    public func pilotSample() -> PilotSample {
        state.withLock { world in
            if world.pilot == .stateF { return PilotSample(high: Volts(-12), low: Volts(-12)) }
            let high = world.pilotOverride ?? PilotSample.nominal(world.ev.level).high
            guard world.pilot.isPWM else { return PilotSample(high: high, low: high) }
            // With a vehicle, its diode blocks the negative half; without one, nothing loads it.
            let diodeWorks = !world.ev.plugged || !world.ev.faults.diodeMissing
            return PilotSample(high: high, low: diodeWorks ? Volts(-12) : -high)
        }
    }
}
