/// What the charger is doing, as the control loop last saw it: published for the console and the
/// status line, which run on other threads.
public struct ChargerStatus: Hashable, Sendable {
    public var pilotLevel: PilotLevel
    public var pilotOutput: PilotOutput
    public var contactorClosed: Bool
    public var contactorFeedback: Bool?
    public var enabled: Bool
    /// Whether the charger has been declared ready (the pilot left the start-up state F).
    public var started: Bool
    public var session: SessionID?
    public var interruption: InterruptionCause?
    public var activeFaults: FaultSet
    public var latchedFaults: FaultSet
    /// The current the PWM offers when it runs (limit and derating applied).
    public var offeredCurrent: Amperes
    public var currentLimit: Amperes
    public var derateStep: Int

    public init(_ machine: ChargerStateMachine) {
        pilotLevel = machine.pilotLevel
        pilotOutput = machine.pilotOutput
        contactorClosed = machine.isContactorClosed
        contactorFeedback = machine.lastContactorFeedback
        enabled = machine.isEnabled
        started = machine.isStarted
        session = machine.sessionID
        interruption = machine.interruption
        activeFaults = machine.activeFaults
        latchedFaults = machine.latchedFaults
        offeredCurrent = machine.offeredCurrent
        currentLimit = machine.currentLimit
        derateStep = machine.temperatureDerateStep
    }
}
