import EVSECore

/// The simulated board's devices, each a view of the `SimulatedWorld`.
public final class SimulatedPilot: PilotSensor, PilotSignal {
    private let world: SimulatedWorld
    public init(world: SimulatedWorld) { self.world = world }

    public func sample() throws(HardwareError) -> PilotSample {
        let failing = world.withState { state in state.pilotSensorFailsUntil.map { state.now < $0 } ?? false }
        if failing { throw HardwareError(device: .pilotSensor, detail: "simulated ADC read failed (EIO)") }
        return world.pilotSample()
    }

    public func apply(_ output: PilotOutput) throws(HardwareError) {
        world.withState { $0.pilot = output }
    }
}

/// The simulated contactor: the coil is commanded at once, the contacts follow after the
/// mechanical delay, and a scenario can weld them or keep them from closing.
public final class SimulatedContactor: Contactor {
    private let world: SimulatedWorld
    private let hasFeedback: Bool

    public init(world: SimulatedWorld, hasFeedback: Bool = true) {
        self.world = world
        self.hasFeedback = hasFeedback
    }

    public func command(closed: Bool) throws(HardwareError) {
        world.withState { world in
            guard world.contactorCommanded != closed else { return }
            world.contactorCommanded = closed
            world.contactorCommandedAt = world.now
            if !closed && !world.contactorWelded {
                // Releasing the coil breaks the circuit at once; the contact bounce is the feedback's.
                world.contactorClosed = false
            }
        }
    }

    public func feedback() throws(HardwareError) -> Bool? {
        hasFeedback ? world.withState { $0.contactorClosed } : nil
    }
}

/// The simulated residual-current monitor: trips on an injected leakage or its self-test input.
public final class SimulatedResidualCurrentMonitor: ResidualCurrentMonitor {
    private let world: SimulatedWorld
    public init(world: SimulatedWorld) { self.world = world }

    public func isTripped() throws(HardwareError) -> Bool { world.withState { $0.rcmTripped } }

    public func setSelfTest(_ active: Bool) throws(HardwareError) {
        world.withState { $0.rcmSelfTestInput = active }
    }
}

/// The simulated connector lock: follows its command unless jammed.
public final class SimulatedConnectorLock: ConnectorLock {
    private let world: SimulatedWorld
    public init(world: SimulatedWorld) { self.world = world }

    public func command(locked: Bool) throws(HardwareError) { world.withState { $0.lockCommanded = locked } }

    public func feedback() throws(HardwareError) -> Bool { world.withState { $0.lockEngaged } }
}

/// The simulated meter: the world's grid voltage, the vehicle's current and the import register.
public final class SimulatedEnergyMeter: EnergyMeter {
    private let world: SimulatedWorld
    public init(world: SimulatedWorld) { self.world = world }

    public func read() throws(HardwareError) -> MeterReading {
        let state = world.snapshot
        if let until = state.meterSilentUntil, state.now < until {
            throw HardwareError(device: .energyMeter, detail: "simulated meter: no reply (timeout)")
        }
        let amps = state.ev.current
        let phases = state.ev.parameters.phases
        return MeterReading(
            voltage: PhaseValues(state.gridVoltage, phases > 1 ? state.gridVoltage : nil, phases > 2 ? state.gridVoltage : nil),
            current: PhaseValues(amps, phases > 1 ? amps : nil, phases > 2 ? amps : nil),
            power: state.power, importEnergy: state.importRegister, frequency: 50)
    }
}

/// The simulated temperature sensor.
public final class SimulatedTemperatureSensor: TemperatureSensor {
    private let world: SimulatedWorld
    public init(world: SimulatedWorld) { self.world = world }

    public func read() throws(HardwareError) -> Celsius { world.withState { $0.temperature } }
}

extension ChargerDevices {
    /// The devices of the simulated board, all views of `world`.
    public static func simulated(_ world: SimulatedWorld, contactorFeedback: Bool = true, connectorLock: Bool = false) -> ChargerDevices {
        let pilot = SimulatedPilot(world: world)
        return ChargerDevices(
            pilotSensor: pilot, pilotSignal: pilot,
            contactor: SimulatedContactor(world: world, hasFeedback: contactorFeedback),
            residualCurrentMonitor: SimulatedResidualCurrentMonitor(world: world),
            connectorLock: connectorLock ? SimulatedConnectorLock(world: world) : nil)
    }
}
