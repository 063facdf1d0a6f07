/// What an alert tells the car's owner. The raw values are stable: they name the events in the
/// alerts file (`events = { email = ["ended", "fault"] }`), in the outbox and in templates.
public enum AlertKind: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A session started; the facts carry the tariff in one line.
    case started
    /// The session is predicted to reach one of the owner's limits, or the departure time, within the lead.
    case endingSoon = "ending_soon"
    /// The car's power has tapered: it is nearly full; the facts carry the estimated time left.
    case nearlyFull = "nearly_full"
    /// The session ended; the facts carry the bill.
    case ended
    /// The car stopped charging but is still plugged in: the idle fee starts after the grace period.
    case idle
    /// A fault stopped or paused charging; the facts carry the catalogue's instruction.
    case fault
    /// The fault that paused the session cleared and charging resumed.
    case resumed
    /// Automatic retries are exhausted: the charger needs a person.
    case needsService = "needs_service"
    /// The charger came back after a power cut (or a restart): what became of the open session.
    case powerCut = "power_cut"
    /// The energy meter stopped answering: charging is paused, since it cannot be billed.
    case meterLost = "meter_lost"
    /// A card was refused at the reader (unknown, blocked, expired, or refused by the central
    /// system): for the charger's operator (the alerts file's `operator`), not a session's owner.
    case cardRefused = "card_refused"
    /// The month's statement, at the start of the next (`[rules] monthly_statement`): the owner's
    /// sessions with energy, cost and card, and the totals.
    case statement

    public var description: String { rawValue }

    /// Whether the alert goes out during an owner's quiet hours: a problem does, news does not.
    public var isProblem: Bool {
        switch self {
        case .fault, .needsService, .meterLost, .powerCut: return true
        case .started, .endingSoon, .nearlyFull, .ended, .idle, .resumed, .cardRefused, .statement: return false
        }
    }

    /// The placeholders a template of this kind may use, besides the common ones.
    public var facts: [String] {
        switch self {
        case .started: return ["tariff"]
        case .endingSoon: return ["reason", "minutes", "end_time", "energy", "cost"]
        case .nearlyFull: return ["minutes", "end_time", "power", "energy", "cost"]
        case .ended: return ["energy", "duration", "cost", "reason", "bill"]
        case .idle: return ["idle_fee", "energy", "cost"]
        case .fault, .needsService, .meterLost: return ["fault", "title", "instruction", "repeats"]
        case .resumed: return ["fault", "title"]
        case .powerCut: return ["outcome", "down", "cause"]
        case .cardRefused: return ["card", "reason"]
        case .statement: return ["month", "sessions", "energy", "cost", "statement"]
        }
    }

    /// Placeholders every kind may use.
    public static let commonFacts = ["charger", "owner", "session", "time", "date"]
}
