/// What the charger does the moment a fault is detected.
public enum FaultReaction: Hashable, Sendable, CustomStringConvertible {
    /// Open the contactor (if closed) and withdraw the PWM; the vehicle sees B1/C1.
    case openContactor
    /// Open the contactor and drive the pilot to state F for the F-hold time (about 300 ms), then
    /// release it to a steady +12 V so an unplug can be seen.
    case openContactorAndPulseF
    /// Open the contactor and hold the pilot in state F until the fault is cleared: the charger is
    /// out of service.
    case openContactorAndHoldF

    public var description: String {
        switch self {
        case .openContactor: return "open the contactor and withdraw the PWM"
        case .openContactorAndPulseF: return "open the contactor, pilot to state F, then steady +12 V"
        case .openContactorAndHoldF: return "open the contactor and hold the pilot in state F"
        }
    }
}

/// How a fault goes away.
public enum RecoveryPolicy: Hashable, Sendable, CustomStringConvertible {
    /// Clears by itself once the condition has been gone for `stableFor`.
    case whenConditionClears(stableFor: Duration)
    /// Retried after `every`; after `maxAttempts` retries that end in the same fault, latched as
    /// `thenLatch` says.
    case retry(every: Duration, maxAttempts: Int, thenLatch: Latch)
    /// Retried on the next plug-in; latched until a technician clears it after `latchAfter`
    /// consecutive failures.
    case retryOnNextPlugIn(latchAfter: Int)
    /// Stays until the vehicle is unplugged.
    case untilUnplugged
    /// Stays until a technician clears it at the console.
    case untilTechnicianClears

    /// Who clears a latched fault.
    public enum Latch: String, Hashable, Sendable {
        case untilUnplugged = "until unplugged"
        case untilTechnicianClears = "until a technician clears it"
    }

    public var description: String {
        switch self {
        case .whenConditionClears(let stable):
            return stable == .zero ? "clears when the condition goes" : "clears when the condition has been gone for \(stable.seconds) s"
        case .retry(let every, let max, let latch):
            return "retry every \(every.seconds) s, \(max) times, then latched \(latch.rawValue)"
        case .retryOnNextPlugIn(let after):
            return "retry on the next plug-in; latched until a technician clears it after \(after) failures"
        case .untilUnplugged: return "latched until the vehicle is unplugged"
        case .untilTechnicianClears: return "latched until a technician clears it"
        }
    }
}

/// One entry of the fault catalogue: everything evsed knows about a fault, as data.
public struct FaultDescriptor: Hashable, Sendable {
    public var code: FaultCode
    /// A short title for logs and the console.
    public var title: String
    /// The detection rule, in words (the code implementing it is in `ChargerStateMachine`).
    public var detection: String
    public var reaction: FaultReaction
    public var recovery: RecoveryPolicy
    /// The OCPP 1.6 `ChargePointErrorCode` reported for this fault.
    public var ocppErrorCode: String
    /// For the car's owner: what happened and what to do, in plain language.
    public var ownerInstruction: String
    /// For the technician: where to look.
    public var technicianHint: String

    public init(
        code: FaultCode, title: String, detection: String, reaction: FaultReaction,
        recovery: RecoveryPolicy, ocppErrorCode: String, ownerInstruction: String, technicianHint: String
    ) {
        self.code = code
        self.title = title
        self.detection = detection
        self.reaction = reaction
        self.recovery = recovery
        self.ocppErrorCode = ocppErrorCode
        self.ownerInstruction = ownerInstruction
        self.technicianHint = technicianHint
    }
}
