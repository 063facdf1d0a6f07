import EVSECore
import Ledger
import Sessions

/// What happens to a card presented at the reader (an RFID reader, `tap` on the simulated board):
/// learned for an owner (`cards learn`), accepted and its session started — at once when a car is
/// connected, or when one connects within `connectionTimeout` —, the session stopped, or refused
/// with the reason. Pure decisions on the pipeline's thread: it returns what to do, and its caller
/// (`evsed run`'s terminal) does it in the pipeline's order; a subscriber of the pipeline, it knows
/// the open session's card. With a central system, a card that is not being learned is handed to
/// the charge point, which authorizes it as OCPP says.
public final class CardDesk: ServiceSubscriber {
    /// What the desk asks of the daemon.
    public enum Action: Equatable, Sendable {
        /// The next session belongs to `owner` (nil: the default owner) and starts with `card`.
        case nameNextSession(owner: String?, card: String)
        /// A card naming for the next session expired: forget it, if it still names the next session.
        case forgetNextSession(card: String)
        case command(ChargerCommand)
        /// Stop the open session: its card was presented again (it ends with reason `card`).
        case stopSession(SessionID)
        /// A card refused: the log says why, and the operator hears of it.
        case refused(card: String, reason: String)
        /// A card the charger now knows (learned): saved by the caller's ledger.
        case learn(Card)
        /// Handed to the central system's charge point.
        case authorizeWithCentralSystem(card: String)
        case log(String)
    }

    public let mode: CardMode
    /// How long an accepted card waits for a car.
    public let connectionTimeout: Duration
    /// Whether a central system authorizes cards (the board has an `[ocpp]` table).
    public let centralSystem: Bool
    /// A `cards learn` waiting for the next card: whose it will be, its label, the console, until when.
    public private(set) var learning: (owner: String, label: String?, by: String, until: Instant)?
    /// An accepted card waiting for a car.
    public private(set) var waiting: (card: String, owner: String?, until: Instant, asked: Bool)?
    /// The open session and the card it started with.
    public private(set) var open: (session: SessionID, card: String?)?
    private var vehicleConnected = false

    public init(mode: CardMode, connectionTimeout: Duration = .seconds(60), centralSystem: Bool) {
        self.mode = mode
        self.connectionTimeout = connectionTimeout
        self.centralSystem = centralSystem
    }

    /// The next card presented goes to `owner` (for 60 s).
    public func learn(owner: String, label: String?, by console: String, at now: Instant) {
        learning = (owner, label, console, now + .seconds(60))
    }

    /// A card at the reader. `known` is what the charger's cards say of it; `wallTime` the time now.
    public func present(_ raw: String, known: Card?, at now: Instant, wallTime: Timestamp) -> [Action] {
        guard let card = CardID.normalized(raw) else { return [.log("card '\(raw)' ignored: \(CardID.rule)")] }
        if let learning, now <= learning.until {
            self.learning = nil
            if let known {
                return [.log("cards learn: card \(card) already belongs to \(known.owner)\(known.label.map { " (\($0))" } ?? ""); cards remove \(card) first")]
            }
            return [.learn(Card(uid: card, owner: learning.owner, label: learning.label, changedAt: wallTime, changedBy: learning.by)),
                    .log("card \(card) learned for \(learning.owner) (\(learning.by))")]
        }
        learning = nil
        if centralSystem { return [.authorizeWithCentralSystem(card: card)] }
        if let open {
            switch mode {
            case .sameCard where open.card == card:
                return [.log("card \(card): stopping session \(open.session), which it started"), .stopSession(open.session)]
            case .sameCard:
                return [.refused(card: card, reason: "session \(open.session) is open and only the card that started it stops it")]
            case .card, .free:
                return [.log("card \(card): session \(open.session) is open; it ends when the car stops or leaves")]
            }
        }
        if let reason = known.map({ $0.refusal(at: wallTime) }) ?? "unknown card" {
            if mode == .free { return [.log("card \(card) (\(reason)) does not name the next session: free charging goes on for the default owner")] }
            return [.refused(card: card, reason: reason)]
        }
        let owner = known?.owner
        let whose = owner ?? "the default owner"
        if mode.needsCard && vehicleConnected {
            waiting = (card, owner, now + .seconds(5), true)
            return [.nameNextSession(owner: owner, card: card), .log("card \(card) accepted for \(whose): starting the session"), .command(.startSession)]
        }
        waiting = (card, owner, now + connectionTimeout, false)
        return [.nameNextSession(owner: owner, card: card),
                .log("card \(card) accepted for \(whose): the session starts when a car is connected (within \(Int(connectionTimeout.seconds)) s)")]
    }

    /// The timers: a car connected while a card waits starts its session; a card that waited too
    /// long is forgotten, and so is a `cards learn` nobody answered.
    public func poll(at now: Instant) -> [Action] {
        var actions: [Action] = []
        if let learning, now > learning.until {
            self.learning = nil
            actions.append(.log("cards learn \(learning.owner): no card within 60 s"))
        }
        guard let waiting else { return actions }
        if now > waiting.until {
            self.waiting = nil
            let why = waiting.asked ? "the session did not start (the log says why)" : "no car within \(Int(connectionTimeout.seconds)) s"
            return actions + [.forgetNextSession(card: waiting.card), .log("card \(waiting.card): \(why); tap it again")]
        }
        if mode.needsCard, !waiting.asked, vehicleConnected, open == nil {
            // Asked once: the session's start follows, or a refusal in the log and the card is
            // forgotten 5 s later.
            self.waiting?.asked = true
            self.waiting?.until = min(waiting.until, now + .seconds(5))
            return actions + [.log("card \(waiting.card): a car is connected: starting the session"), .command(.startSession)]
        }
        return actions
    }

    /// The pipeline: whether a car is connected (the pilot's state), the session that started
    /// (and whether it took the waiting card), and its end.
    public func serviceProcessed(_ update: ServiceUpdate) {
        if case .action(.vehicleStateChanged(let level)) = update.event?.event { vehicleConnected = [.b, .c, .d].contains(level) }
        for change in update.changes {
            switch change {
            case .started(let id, _, _, _, let card, _):
                open = (id, card)
                if waiting?.card == card { waiting = nil }
            case .ended(let id, _, _) where open?.session == id:
                open = nil
            default:
                break
            }
        }
    }
}
