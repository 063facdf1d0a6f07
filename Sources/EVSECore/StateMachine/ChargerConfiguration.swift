/// Everything the state machine needs to know about the charger it drives: ratings, thresholds and
/// timings. Boards and configuration files fill it; the defaults are those `boards/sim.toml`
/// documents and the README's fault table lists (IEC 61851-1's timings where it gives them).
public struct ChargerConfiguration: Hashable, Sendable {
    /// The most the installation may deliver per phase (breaker, cable, board rating).
    public var maximumCurrent: Amperes
    /// Phases wired to the socket or cable: 1 or 3.
    public var phases: Int
    /// Whether the site can ventilate, so state D may charge.
    public var ventilationAvailable: Bool
    /// Whether a session starts as soon as a vehicle is plugged in (no authorisation step).
    public var startSessionOnPlugIn: Bool
    /// Whether the residual-current monitor is self-tested before each contactor close.
    public var residualCurrentSelfTestBeforeClose: Bool
    /// Whether the board reads the contactor's auxiliary contact.
    public var hasContactorFeedback: Bool
    /// Whether the socket has a connector lock (with feedback) that must hold the plug while a
    /// session is open.
    public var hasConnectorLock: Bool
    /// Time the lock's feedback may take to follow a command.
    public var connectorLockSettleTime: Duration
    public var connectorLockRetryInterval: Duration
    public var connectorLockMaxRetries: Int

    public var pilot: PilotDebounceConfiguration

    /// Time the contactor's auxiliary contact may take to follow a command.
    public var contactorSettleTime: Duration
    /// How long the RCM has to answer its self-test.
    public var residualCurrentSelfTestTimeout: Duration
    /// How long the pilot is held in F after a fault before it is released to steady +12 V.
    public var stateFHoldTime: Duration
    /// How long a vehicle may stay in C after the PWM is withdrawn (C1) before the contactor opens.
    public var vehicleStopTimeout: Duration
    /// How long a vehicle has to follow a lowered duty cycle before overcurrent applies to the new limit.
    public var currentReductionGrace: Duration

    /// Overcurrent: more than `limit × (1 + overcurrentRatio) + overcurrentMargin` …
    public var overcurrentRatio: Double
    public var overcurrentMargin: Amperes
    /// … for this long.
    public var overcurrentTime: Duration

    public var nominalVoltage: Volts
    /// Voltage outside `nominal × (1 ± voltageTolerance)` on any phase …
    public var voltageTolerance: Double
    /// … for this long is a fault; back in range for `voltageRecoveryTime` clears it.
    public var voltageFaultTime: Duration
    public var voltageRecoveryTime: Duration

    /// Temperatures at which the offered current is halved, quartered, and charging stops.
    public var temperatureDerateHalf: Celsius
    public var temperatureDerateQuarter: Celsius
    public var temperatureLimit: Celsius
    /// How far below a threshold the temperature must fall before the step is undone.
    public var temperatureHysteresis: Celsius

    /// No good meter reading for this long while a session is open is a fault: what cannot be
    /// measured cannot be billed.
    public var meterLostTimeout: Duration
    /// How long after the start the machine waits to see the vehicle of a session carried over
    /// from before a restart (several debounce periods) before it ends that session.
    public var carriedOverDecisionTime: Duration

    /// Consecutive control-loop overruns that make a fault, and on-time ticks that clear it.
    public var overrunsForFault: Int
    public var onTimeTicksToClearOverrun: Int

    public var residualCurrentRetryInterval: Duration
    public var residualCurrentMaxRetries: Int
    public var residualCurrentSelfTestMaxFailures: Int
    public var contactorRetryInterval: Duration
    public var contactorMaxRetries: Int
    public var overcurrentRetryInterval: Duration
    public var overcurrentMaxRetries: Int

    public init(
        maximumCurrent: Amperes = Amperes(32),
        phases: Int = 3,
        ventilationAvailable: Bool = false,
        startSessionOnPlugIn: Bool = true,
        residualCurrentSelfTestBeforeClose: Bool = true,
        hasContactorFeedback: Bool = true,
        hasConnectorLock: Bool = false,
        connectorLockSettleTime: Duration = .seconds(1),
        connectorLockRetryInterval: Duration = .seconds(10),
        connectorLockMaxRetries: Int = 3,
        pilot: PilotDebounceConfiguration = PilotDebounceConfiguration(),
        contactorSettleTime: Duration = .milliseconds(200),
        residualCurrentSelfTestTimeout: Duration = .milliseconds(300),
        stateFHoldTime: Duration = .milliseconds(300),
        vehicleStopTimeout: Duration = .seconds(6),
        currentReductionGrace: Duration = .seconds(5),
        overcurrentRatio: Double = 0.10,
        overcurrentMargin: Amperes = Amperes(0.5),
        overcurrentTime: Duration = .seconds(7),
        nominalVoltage: Volts = Volts(230),
        voltageTolerance: Double = 0.10,
        voltageFaultTime: Duration = .seconds(2),
        voltageRecoveryTime: Duration = .seconds(10),
        temperatureDerateHalf: Celsius = Celsius(70),
        temperatureDerateQuarter: Celsius = Celsius(75),
        temperatureLimit: Celsius = Celsius(80),
        temperatureHysteresis: Celsius = Celsius(10),
        meterLostTimeout: Duration = .seconds(10),
        carriedOverDecisionTime: Duration = .seconds(2),
        overrunsForFault: Int = 5,
        onTimeTicksToClearOverrun: Int = 100,
        residualCurrentRetryInterval: Duration = .seconds(300),
        residualCurrentMaxRetries: Int = 6,
        residualCurrentSelfTestMaxFailures: Int = 3,
        contactorRetryInterval: Duration = .seconds(30),
        contactorMaxRetries: Int = 3,
        overcurrentRetryInterval: Duration = .seconds(60),
        overcurrentMaxRetries: Int = 3
    ) {
        self.maximumCurrent = maximumCurrent
        self.phases = phases
        self.ventilationAvailable = ventilationAvailable
        self.startSessionOnPlugIn = startSessionOnPlugIn
        self.residualCurrentSelfTestBeforeClose = residualCurrentSelfTestBeforeClose
        self.hasContactorFeedback = hasContactorFeedback
        self.hasConnectorLock = hasConnectorLock
        self.connectorLockSettleTime = connectorLockSettleTime
        self.connectorLockRetryInterval = connectorLockRetryInterval
        self.connectorLockMaxRetries = connectorLockMaxRetries
        self.pilot = pilot
        self.contactorSettleTime = contactorSettleTime
        self.residualCurrentSelfTestTimeout = residualCurrentSelfTestTimeout
        self.stateFHoldTime = stateFHoldTime
        self.vehicleStopTimeout = vehicleStopTimeout
        self.currentReductionGrace = currentReductionGrace
        self.overcurrentRatio = overcurrentRatio
        self.overcurrentMargin = overcurrentMargin
        self.overcurrentTime = overcurrentTime
        self.nominalVoltage = nominalVoltage
        self.voltageTolerance = voltageTolerance
        self.voltageFaultTime = voltageFaultTime
        self.voltageRecoveryTime = voltageRecoveryTime
        self.temperatureDerateHalf = temperatureDerateHalf
        self.temperatureDerateQuarter = temperatureDerateQuarter
        self.temperatureLimit = temperatureLimit
        self.temperatureHysteresis = temperatureHysteresis
        self.meterLostTimeout = meterLostTimeout
        self.carriedOverDecisionTime = carriedOverDecisionTime
        self.overrunsForFault = overrunsForFault
        self.onTimeTicksToClearOverrun = onTimeTicksToClearOverrun
        self.residualCurrentRetryInterval = residualCurrentRetryInterval
        self.residualCurrentMaxRetries = residualCurrentMaxRetries
        self.residualCurrentSelfTestMaxFailures = residualCurrentSelfTestMaxFailures
        self.contactorRetryInterval = contactorRetryInterval
        self.contactorMaxRetries = contactorMaxRetries
        self.overcurrentRetryInterval = overcurrentRetryInterval
        self.overcurrentMaxRetries = overcurrentMaxRetries
    }

    /// The voltage band outside which a phase is over- or under-voltage.
    public var voltageBand: ClosedRange<Double> {
        (nominalVoltage.value * (1 - voltageTolerance))...(nominalVoltage.value * (1 + voltageTolerance))
    }
}
