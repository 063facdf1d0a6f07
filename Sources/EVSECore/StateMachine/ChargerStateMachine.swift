/// The IEC 61851-1 charging state machine of one connector, with fault detection and recovery.
///
/// A value type with no IO: every input is a `mutating` method that takes the instant it happened
/// and returns the actions the control loop must perform. Inputs update what the machine knows
/// (the confirmed pilot level, faults, the session); then one place, `reconcile`, derives what the
/// contactor and the pilot should do from that knowledge. The safety rule lives there: the
/// contactor is commanded closed only when the confirmed pilot is C (or D with ventilation), the
/// PWM is on, the plug is locked (where the socket has a lock) and no fault is active, and any fault
/// opens it in the step that detects it.
///
/// `Hashable`, so that a search can tell the states it has seen (`canonical(at:)` makes states
/// that differ only in when they were reached equal).
public struct ChargerStateMachine: Hashable, Sendable {
    public let configuration: ChargerConfiguration
    public let catalogue: FaultCatalogue

    // What the machine knows. Internal (not private) so the extensions in the sibling files see it.
    var debouncer: PilotDebouncer
    var vehiclePresent = false
    var enabled = true
    /// The pilot starts in F: the charger is not available until the daemon calls `start(at:)`.
    var pilot: PilotOutput = .stateF
    /// The contactor as last commanded (closed is on).
    var contactor: Commanded = .off(since: nil)
    var contactorFeedback: Bool?
    var residualCurrentTripped = false
    /// The connector lock as last commanded (locked is on).
    var lock: Commanded = .off(since: nil)
    var lockFeedback: Bool?
    var selfTest: SelfTest = .notDone
    var selfTestFailures = 0
    /// The technician's contactor test (`test contactor`), while it runs.
    var contactorTest: ContactorTestRun?
    var diodeBadSamples = 0
    /// Whether the pilot was held in F (start-up, maintenance, out of service) rather than pulsed.
    var stateFWasHeld = true
    /// Whether the daemon has declared the charger ready (`start(at:)`).
    var started = false
    var vehicleStopExpired = false
    var session: Session?
    /// A session open in the ledger when the daemon started: resumed if a vehicle is found
    /// connected, ended otherwise.
    var carriedOver: CarriedOverSession?
    var nextSessionNumber: UInt64
    var offer: Offer
    var register: Register
    var voltageProblem: FaultCode?
    var loopTiming = LoopTiming()
    var hardwareHealthy = true
    var faults: FaultTable
    var timers: TimerQueue

    /// The residual-current monitor self-test, done before the first contactor close of each
    /// plug-in and after every residual-current fault.
    ///
    /// `byTechnician`: the test was asked for by a technician (`test rcm`), who gets its result,
    /// rather than by a contactor close.
    enum SelfTest: Hashable, Sendable {
        /// Not done for this plug-in. Can transition to: `.testing`.
        case notDone
        /// Test input driven, waiting for the RCM to trip. Can transition to: `.releasing`,
        /// `.notDone` (timeout: a fault; unplug).
        case testing(byTechnician: Bool)
        /// The RCM tripped; test input released, waiting for its output to drop. Can transition
        /// to: `.passed`, `.notDone` (timeout: a fault; unplug; a technician's test with no car).
        case releasing(byTechnician: Bool)
        /// Passed for this plug-in. Can transition to: `.notDone` (unplug, residual-current fault).
        case passed

        /// Whether the test input is driven or its release awaited.
        var isRunning: Bool {
            switch self {
            case .testing, .releasing: true
            case .notDone, .passed: false
            }
        }

        /// Whether a running test was a technician's.
        var byTechnician: Bool {
            switch self {
            case .testing(let technician), .releasing(let technician): technician
            case .notDone, .passed: false
            }
        }
    }

    /// An output the machine switches, the contactor or the connector lock: on (closed, locked)
    /// or off since when it was commanded so; `.off(since: nil)` since the machine started.
    enum Commanded: Hashable, Sendable {
        case off(since: Instant?)
        case on(since: Instant)

        var isOn: Bool {
            if case .on = self { true } else { false }
        }

        /// When it was last switched off; nil while on or never switched.
        var offSince: Instant? {
            if case .off(let since) = self { since } else { nil }
        }

        /// Whether the last command is at least `settle` old at `now` (one from the start is).
        func settled(at now: Instant, after settle: Duration) -> Bool {
            switch self {
            case .off(nil): true
            case .off(let since?), .on(let since): now - since >= settle
            }
        }

        /// Seen from `now` (`canonical(at:)`): the instant relative to `now`, its age clamped at
        /// `limit`, where no comparison tells older ones apart.
        func canonical(at now: Instant, agedAtMost limit: Duration) -> Commanded {
            func relative(_ since: Instant) -> Instant { .zero - min(now - since, limit) }
            switch self {
            case .off(nil): return self
            case .off(let since?): return .off(since: relative(since))
            case .on(let since): return .on(since: relative(since))
            }
        }
    }

    /// What the charger offers the car, before the pilot says it: the commanded limit, the
    /// cable's rating, the temperature derating; and the last reduction, which the car is given
    /// `currentReductionGrace` to follow before overcurrent counts.
    struct Offer: Hashable, Sendable {
        var limit: Amperes
        /// The plugged cable's rating from its proximity-pilot resistor; nil without a PP reading
        /// (a tethered cable, or a board without PP).
        var cableRating: Amperes?
        var derateStep = 0
        /// The offer before the last reduction, and when it was reduced.
        var previous: Amperes?
        var reducedAt: Instant?
    }

    /// What the machine knows of the meter's register.
    struct Register: Hashable, Sendable {
        /// The import register of the last good reading (or, after a restart, the ledger's last
        /// for the carried-over session): a lower one means a replaced meter.
        var last: WattHours?
        /// Whether the next close needs a fresh register first: true at start and after each
        /// session ends, until a reading is taken with the contactor open. So no energy flows
        /// without a register the books can start the session from (after a restart, or between
        /// two cars).
        var needsFresh = true
    }

    /// The control loop's timing, as the overrun fault counts it.
    struct LoopTiming: Hashable, Sendable {
        var consecutiveOverruns = 0
        var consecutiveOnTimeTicks = 0
    }

    /// An open charging session.
    struct Session: Hashable, Sendable {
        var id: SessionID
        var pausedByCommand = false
        var stopRequested = false
        var interruption: InterruptionCause?
    }

    /// Creates a machine in the safe initial state: no vehicle, contactor open, pilot in state F
    /// (not available) until `start(at:)`.
    ///
    /// - Parameters:
    ///   - firstSessionNumber: the number the next session gets (the ledger knows the last).
    ///   - carriedOver: a session the ledger still has open from before a restart.
    ///   - latched: faults latched before a restart, which a restart does not clear: those until a
    ///     technician clears them hold; those until unplugged hold while a vehicle is there.
    public init(configuration: ChargerConfiguration, firstSessionNumber: UInt64 = 1, carriedOver: CarriedOverSession? = nil,
                latched: [FaultCode: RecoveryPolicy.Latch] = [:]) {
        self.configuration = configuration
        self.carriedOver = carriedOver
        self.register = Register(last: carriedOver?.lastRegister)
        self.catalogue = FaultCatalogue(configuration: configuration)
        self.debouncer = PilotDebouncer(configuration: configuration.pilot)
        self.nextSessionNumber = firstSessionNumber
        self.offer = Offer(limit: configuration.maximumCurrent)
        // The contactor starts released; a board with feedback must confirm that.
        self.contactorFeedback = configuration.hasContactorFeedback ? false : nil
        self.faults = FaultTable()
        self.timers = TimerQueue()
        for (code, latch) in latched {
            var entry = faults[code]
            entry.active = true
            entry.latch = latch
            faults[code] = entry
        }
    }
}

// MARK: - What the outside may read

extension ChargerStateMachine {
    /// The confirmed (debounced) pilot level.
    public var pilotLevel: PilotLevel { debouncer.confirmed }
    /// What the pilot is driven with.
    public var pilotOutput: PilotOutput { pilot }
    /// Whether the contactor is commanded closed.
    public var isContactorClosed: Bool { contactor.isOn }
    /// Whether the plug is locked, by command and by feedback (always true without a lock).
    public var isConnectorLocked: Bool { !configuration.hasConnectorLock || (lock.isOn && lockFeedback == true) }
    /// The contactor feedback last reported, if the board has one.
    public var lastContactorFeedback: Bool? { contactorFeedback }
    /// Whether a vehicle is plugged in.
    public var isVehiclePresent: Bool { vehiclePresent }
    /// Whether the charger is enabled (not in maintenance state F).
    public var isEnabled: Bool { enabled }
    /// Whether the daemon has declared the charger ready.
    public var isStarted: Bool { started }
    /// The faults now active.
    public var activeFaults: FaultSet { faults.active }
    /// The faults now latched (cleared only by unplug or a technician).
    public var latchedFaults: FaultSet { faults.latched }
    /// The open session, if any.
    public var sessionID: SessionID? { session?.id }
    /// Why the open session is not charging, if it is interrupted.
    public var interruption: InterruptionCause? { session?.interruption }
    /// The current limit set by command (before derating).
    public var currentLimit: Amperes { offer.limit }
    /// The plugged cable's rating, when the board reads the proximity pilot.
    public var cableCurrentRating: Amperes? { offer.cableRating }
    /// The temperature derating step: 0 full current, 1 half, 2 quarter, 3 stopped.
    public var temperatureDerateStep: Int { offer.derateStep }
    /// The deadline of `timer`, when armed.
    public func deadline(of timer: ChargerTimer) -> Instant? { timers[timer] }

    /// The current the PWM offers when it runs: the commanded limit, derated for temperature,
    /// never below the 6 A a PWM can offer.
    public var offeredCurrent: Amperes {
        let factor: Double = offer.derateStep == 1 ? 0.5 : offer.derateStep == 2 ? 0.25 : 1
        let limit = min(offer.limit, configuration.maximumCurrent, offer.cableRating ?? configuration.maximumCurrent) * factor
        return max(limit, PWMDuty.minimumCurrent)
    }
}

// MARK: - Fault bookkeeping without allocation

/// Per-fault state, stored in a fixed array indexed by fault number.
struct FaultTable: Hashable, Sendable {
    struct Entry: Hashable, Sendable {
        var active = false
        var latch: RecoveryPolicy.Latch?
        /// Automatic retries spent since the vehicle was plugged in.
        var retries = 0
    }

    private var entries = [Entry](repeating: Entry(), count: FaultCode.all.count + 1)
    private(set) var active = FaultSet()
    private(set) var latched = FaultSet()

    subscript(code: FaultCode) -> Entry {
        get { entries[code.number] }
        set {
            entries[code.number] = newValue
            if newValue.active { active.insert(code) } else { active.remove(code) }
            if newValue.latch != nil { latched.insert(code) } else { latched.remove(code) }
        }
    }
}

/// A session that was open when the charger went down (a power cut, a crash, a planned stop).
/// Once the charger is ready, a vehicle confirmed connected within the configuration's `carriedOverDecisionTime`
/// resumes it (`sessionResumed`); otherwise it ends (`sessionEnded` with `endReasonIfGone`).
public struct CarriedOverSession: Hashable, Sendable {
    public var id: SessionID
    public var endReasonIfGone: SessionEndReason
    /// The session's last register in the ledger, when it has one.
    public var lastRegister: WattHours?

    public init(id: SessionID, endReasonIfGone: SessionEndReason, lastRegister: WattHours? = nil) {
        self.id = id
        self.endReasonIfGone = endReasonIfGone
        self.lastRegister = lastRegister
    }
}

/// The technician's contactor test in progress: the one time the contactor closes without a
/// vehicle. It runs only from state A with no session and no fault, with the pilot held in F for
/// its whole length, and takes twice the contactor's settle time at most.
struct ContactorTestRun: Hashable, Sendable {
    let startedAt: Instant
    /// How long the feedback took to follow the close command; nil until it did.
    var closedAfter: Duration?
    /// When the open command went out.
    var openCommandedAt: Instant?
    /// Why the test failed, once it has.
    var failed = false
}
