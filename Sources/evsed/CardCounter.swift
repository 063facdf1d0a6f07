import Billing
import ConfigFile
import Cards
import ChargerService
import Console
import EVSECore
import Ledger
import Runtime
import Sessions

/// The consoles' changes of cards, for the pipeline's thread, which alone writes the ledger: a
/// console posts its command and waits (2 s at most) for the answer.
final class CardRequests: Sendable {
    struct Request: Sendable {
        let number: Int
        let command: CardsCommand
        let console: String
    }

    private struct State {
        var next = 1
        var pending: [Request] = []
        var answers: [Int: [String]] = [:]
    }

    private let state = Lock(State())

    /// Posts `command` and waits for its answer; nil when the pipeline did not answer in time.
    func ask(_ command: CardsCommand, console: String, within: Duration = .seconds(2)) -> [String]? {
        let number = state.withLock { state in
            defer { state.next += 1 }
            state.pending.append(Request(number: state.next, command: command, console: console))
            return state.next
        }
        let deadline = MonotonicClock.now() + within
        while MonotonicClock.now() < deadline {
            if let answer = state.withLock({ $0.answers.removeValue(forKey: number) }) { return answer }
            MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(5))
        }
        // Too late: whatever the pipeline makes of it is in the log; its answer is not kept.
        state.withLock { state in
            state.pending.removeAll { $0.number == number }
            state.answers.removeValue(forKey: number)
        }
        return nil
    }

    func take() -> [Request] { state.withLock { state in defer { state.pending = [] }; return state.pending } }

    func answer(_ request: Request, _ lines: [String]) { state.withLock { $0.answers[request.number] = lines } }
}

/// The consoles' `cards` changes, made on the pipeline's thread: the terminal's at once, the
/// console server's through `CardRequests`. Each change is logged with the console's name.
final class CardOffice {
    let change: CardChange
    let desk: CardDesk
    let audit: BoundedQueue<String>
    let wallTime: (Instant) -> Timestamp
    /// What to say after `cards learn`: where the card is to be presented.
    let readerHint: String

    init(change: CardChange, desk: CardDesk, audit: BoundedQueue<String>, wallTime: @escaping (Instant) -> Timestamp, readerHint: String) {
        self.change = change
        self.desk = desk
        self.audit = audit
        self.wallTime = wallTime
        self.readerHint = readerHint
    }

    func handle(_ command: CardsCommand, console: String, at now: Instant) -> [String] {
        if case .learn(let owner, let label) = command {
            if let problem = change.ownerProblem(owner) { return ["cards learn: \(problem)"] }
            desk.learn(owner: owner, label: label, by: console, at: now)
            _ = audit.push("\(console): cards learn \(owner)")
            return ["present the card at the reader within 60 s: it becomes \(owner)'s\(readerHint)"]
        }
        let (lines, changed) = change.make(command, by: console, at: wallTime(now))
        if changed { _ = audit.push("\(console): \(lines.first ?? "cards")") }
        return lines
    }
}

/// A change of cards from a console, checked and made on the pipeline's thread.
struct CardChange {
    let ledger: Ledger
    /// The alerts file's owners (a card's owner must be one of them when there are any).
    let owners: [String]

    /// Makes `command` (not `learn`, which the desk holds); the lines answer the console.
    func make(_ command: CardsCommand, by console: String, at now: Timestamp) -> (lines: [String], changed: Bool) {
        do throws(LedgerError) {
            switch command {
            case .add(let text, let owner, let label, let untilText):
                guard let uid = CardID.normalized(text) else { return (["cards add: '\(text)': \(CardID.rule)"], false) }
                if let problem = ownerProblem(owner) { return (["cards add: \(problem)"], false) }
                if let label, label.utf8.count > 64 { return (["cards add: a label has 64 characters at most"], false) }
                var until: Timestamp?
                if let untilText {
                    guard let day = Self.day(untilText) else { return (["cards add: --until is a date, YYYY-MM-DD (found '\(untilText)')"], false) }
                    until = day
                }
                let existing = try ledger.card(uid)
                let card = Card(uid: uid, owner: owner, label: label, validUntil: until, blocked: existing?.blocked ?? false, changedAt: now, changedBy: console)
                try ledger.saveCard(card, action: existing == nil ? "add" : "change")
                let verb = existing.map { "changed (was \($0.owner)'s)" } ?? "added"
                return (["card \(uid) \(verb): \(Self.describe(card))"], true)
            case .block(let text), .unblock(let text), .remove(let text):
                guard let uid = CardID.normalized(text), var card = try ledger.card(uid) else {
                    return (["no card '\(text)' (cards list shows them)"], false)
                }
                card.changedAt = now
                card.changedBy = console
                switch command {
                case .block:
                    guard !card.blocked else { return (["card \(uid) is blocked already"], false) }
                    card.blocked = true
                    try ledger.saveCard(card, action: "block")
                    return (["card \(uid) blocked: \(Self.describe(card))"], true)
                case .unblock:
                    guard card.blocked else { return (["card \(uid) is not blocked"], false) }
                    card.blocked = false
                    try ledger.saveCard(card, action: "unblock")
                    return (["card \(uid) unblocked: \(Self.describe(card))"], true)
                default:
                    try ledger.removeCard(card, at: now, by: console)
                    return (["card \(uid) removed (it was \(card.owner)'s)"], true)
                }
            case .list, .history, .learn:
                return ([], false)
            }
        } catch {
            return (["ledger: \(error); nothing changed"], false)
        }
    }

    /// Why `owner` cannot own a card, or nil.
    func ownerProblem(_ owner: String) -> String? {
        guard !owners.isEmpty, !owners.contains(owner) else { return nil }
        return "no owner '\(owner)'\(closestMatch(to: owner, among: owners).map { " (did you mean '\($0)'?)" } ?? ""); owners: \(owners.joined(separator: ", "))"
    }

    /// The last instant of a local day given as YYYY-MM-DD.
    static func day(_ text: String) -> Timestamp? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (2000...2200).contains(year), (1...12).contains(month), (1...CivilTime.days(in: month, of: year)).contains(day)
        else { return nil }
        return Timestamp(milliseconds: Timestamp(local: CivilTime(year: year, month: month, day: day, hour: 23, minute: 59, second: 59)).milliseconds + 999)
    }

    /// One card in a line of `cards list`.
    static func describe(_ card: Card) -> String {
        var parts = [card.owner]
        if let label = card.label { parts.append("\"\(label)\"") }
        if let until = card.validUntil { parts.append("valid until \(until.local.isoDate)") }
        if card.blocked { parts.append("BLOCKED") }
        return parts.joined(separator: ", ")
    }

    /// `cards list` and `cards history`, read on a console's own connection.
    static func listing(_ command: CardsCommand, ledger: Ledger, json: Bool) -> [String] {
        do throws(LedgerError) {
            if command == .history {
                let changes = try ledger.cardChanges(limit: 30)
                if changes.isEmpty { return ["no card was ever changed"] }
                return changes.map { json ? $0.body : "\($0.at.local)  \($0.body)" }
            }
            let cards = try ledger.cards()
            if cards.isEmpty { return ["no cards (cards add CARD OWNER, or cards learn OWNER and present the card)"] }
            return cards.map { card in
                guard json else { return "\(card.uid)  \(describe(card))" }
                var line = JSONLine()
                line.add("card", card.uid)
                line.add("owner", card.owner)
                if let label = card.label { line.add("label", label) }
                if let until = card.validUntil { line.add("valid_until", until.description) }
                line.add("blocked", card.blocked)
                line.add("changed", card.changedAt.description)
                line.add("changed_by", card.changedBy)
                return line.description
            }
        } catch {
            return ["ledger: \(error)"]
        }
    }
}
