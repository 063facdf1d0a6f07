/// A failure of a hardware access, naming the device and what failed so a technician can act on it.
public struct HardwareError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which part of the charger failed.
    public enum Device: String, Hashable, Sendable {
        case pilotSensor = "pilot sensor"
        case pilotOutput = "pilot PWM"
        case contactor = "contactor"
        case residualCurrentMonitor = "residual-current monitor"
        case energyMeter = "energy meter"
        case temperatureSensor = "temperature sensor"
        case connectorLock = "connector lock"
    }

    public var device: Device
    /// What was attempted and where, e.g. "write /sys/class/pwm/pwmchip0/pwm0/duty_cycle: EIO".
    public var detail: String

    public init(device: Device, detail: String) {
        self.device = device
        self.detail = detail
    }

    public var description: String { "\(device.rawValue): \(detail)" }
}

/// Reads the control pilot: the high and low levels of the PWM (an ADC, or window comparators).
public protocol PilotSensor: AnyObject, Sendable {
    /// Takes one sample. Called once per control-loop tick.
    func sample() throws(HardwareError) -> PilotSample
}

/// Drives the control pilot: steady +12 V, a PWM, or −12 V (state F).
public protocol PilotSignal: AnyObject, Sendable {
    func apply(_ output: PilotOutput) throws(HardwareError)
}

/// The contactor (main relay) and, where the board has one, its auxiliary feedback contact.
public protocol Contactor: AnyObject, Sendable {
    /// Energises (`true`) or releases the coil.
    func command(closed: Bool) throws(HardwareError)
    /// The auxiliary contact: true when the main contacts are closed; nil without feedback.
    func feedback() throws(HardwareError) -> Bool?
}

/// The residual-current monitor (6 mA DC, RDC-DD): its fault output and its self-test input.
public protocol ResidualCurrentMonitor: AnyObject, Sendable {
    /// Whether the fault output is asserted.
    func isTripped() throws(HardwareError) -> Bool
    /// Drives the self-test input, which makes a healthy monitor trip.
    func setSelfTest(_ active: Bool) throws(HardwareError)
}

/// The energy meter. Slow (Modbus RTU): polled on its own thread, never from the control loop.
public protocol EnergyMeter: AnyObject, Sendable {
    /// Reads every value once; a value that fails or is implausible throws, it is never returned.
    func read() throws(HardwareError) -> MeterReading
}

/// A temperature sensor (socket or board). Polled off the control loop like the meter.
public protocol TemperatureSensor: AnyObject, Sendable {
    func read() throws(HardwareError) -> Celsius
}

/// The connector lock of a socket: an actuator that holds the plug, and its feedback switch.
public protocol ConnectorLock: AnyObject, Sendable {
    func command(locked: Bool) throws(HardwareError)
    /// Whether the feedback says the plug is held.
    func feedback() throws(HardwareError) -> Bool
}

/// The proximity pilot of a socket: the plugged cable's current rating.
public protocol ProximityPilotSensor: AnyObject, Sendable {
    /// The rating of the cable in the socket, nil when there is none. Called every tick: an
    /// implementation measures at its own pace and returns its latest figure.
    func cableRating() throws(HardwareError) -> Amperes?
}

/// The devices of one charger that the control loop drives directly.
public struct ChargerDevices: Sendable {
    public var pilotSensor: any PilotSensor
    public var pilotSignal: any PilotSignal
    public var contactor: any Contactor
    public var residualCurrentMonitor: any ResidualCurrentMonitor
    /// A socket's proximity pilot; nil with a tethered cable.
    public var proximityPilot: (any ProximityPilotSensor)?
    /// A socket's connector lock; nil with a tethered cable.
    public var connectorLock: (any ConnectorLock)?

    public init(
        pilotSensor: any PilotSensor, pilotSignal: any PilotSignal, contactor: any Contactor,
        residualCurrentMonitor: any ResidualCurrentMonitor, proximityPilot: (any ProximityPilotSensor)? = nil,
        connectorLock: (any ConnectorLock)? = nil
    ) {
        self.pilotSensor = pilotSensor
        self.pilotSignal = pilotSignal
        self.contactor = contactor
        self.residualCurrentMonitor = residualCurrentMonitor
        self.proximityPilot = proximityPilot
        self.connectorLock = connectorLock
    }
}
