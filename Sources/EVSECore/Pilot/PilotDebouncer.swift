/// How many consecutive samples confirm a pilot level, and how long an unknown level is tolerated.
public struct PilotDebounceConfiguration: Hashable, Sendable {
    /// Consecutive identical samples that confirm a new level (B, C, D, E, F).
    public var samplesToConfirm: Int
    /// Consecutive samples that confirm A (unplug). Kept short: at a 10 ms period, 2 samples
    /// confirm an unplug within 20 ms, inside the 25 ms the design allows.
    public var samplesToConfirmUnplug: Int
    /// How long the pilot may sit between bands before it is a fault.
    public var unknownLevelTimeout: Duration
    /// Consecutive samples with a missing diode (low phase not near −12 V) before it is a fault.
    public var samplesToConfirmDiodeFault: Int

    public init(
        samplesToConfirm: Int = 3,
        samplesToConfirmUnplug: Int = 2,
        unknownLevelTimeout: Duration = .milliseconds(100),
        samplesToConfirmDiodeFault: Int = 3
    ) {
        precondition(samplesToConfirm >= 1 && samplesToConfirmUnplug >= 1 && samplesToConfirmDiodeFault >= 1)
        self.samplesToConfirm = samplesToConfirm
        self.samplesToConfirmUnplug = samplesToConfirmUnplug
        self.unknownLevelTimeout = unknownLevelTimeout
        self.samplesToConfirmDiodeFault = samplesToConfirmDiodeFault
    }
}

/// Turns raw pilot levels into a confirmed level: a level counts once it has held for the configured
/// number of consecutive samples; a level between bands never replaces the confirmed one.
public struct PilotDebouncer: Hashable, Sendable {
    public let configuration: PilotDebounceConfiguration

    /// The last confirmed level. Starts at A: until proven otherwise nobody is plugged in.
    public private(set) var confirmed: PilotLevel = .a
    private var candidate: PilotLevel = .a
    var candidateCount = 0
    /// How many consecutive samples have shown the latest valid level.
    public var stableSamples: Int { unknownSince == nil ? candidateCount : 0 }
    /// When the pilot last left the accepted bands, while it stays outside them.
    public internal(set) var unknownSince: Instant?

    public init(configuration: PilotDebounceConfiguration) {
        self.configuration = configuration
    }

    /// Feeds one raw level; returns the newly confirmed level when it changed.
    public mutating func feed(_ raw: PilotLevel, at now: Instant) -> PilotLevel? {
        if raw == .unknown {
            if unknownSince == nil { unknownSince = now }
            candidateCount = 0
            return nil
        }
        unknownSince = nil
        if raw == candidate {
            candidateCount += 1
        } else {
            candidate = raw
            candidateCount = 1
        }
        let needed = raw == .a ? configuration.samplesToConfirmUnplug : configuration.samplesToConfirm
        guard raw != confirmed, candidateCount >= needed else { return nil }
        confirmed = raw
        return raw
    }

    /// Whether the pilot has been between bands for longer than allowed at `now`.
    public func unknownTooLong(at now: Instant) -> Bool {
        guard let since = unknownSince else { return false }
        return now - since > configuration.unknownLevelTimeout
    }

    /// Forgets the history, as when the EVSE itself drove the pilot to F and the readings were its own.
    public mutating func restart(assuming level: PilotLevel) {
        confirmed = level
        candidate = level
        candidateCount = 0
        unknownSince = nil
    }
}
