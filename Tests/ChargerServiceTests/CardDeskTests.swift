import Testing
import ChargerService
import EVSECore
import Ledger
import Sessions

/// The card desk against a plain reading of the three modes, written apart from it, over
/// thousands of generated days at a charger: cards tapped (known, unknown, blocked, expired, the
/// open session's own), cars coming and going, sessions starting when the desk asks and ending,
/// time passing past the timeouts.
@Suite struct CardDeskTests {
    static let cards: [String: Card] = [
        "04A1B2C3": Card(uid: "04A1B2C3", owner: "alex", changedAt: Timestamp(milliseconds: 0), changedBy: "t"),
        "04A1B2C4": Card(uid: "04A1B2C4", owner: "kim", changedAt: Timestamp(milliseconds: 0), changedBy: "t"),
        "04A1B2C5": Card(uid: "04A1B2C5", owner: "kim", blocked: true, changedAt: Timestamp(milliseconds: 0), changedBy: "t"),
        "04A1B2C6": Card(uid: "04A1B2C6", owner: "alex", validUntil: Timestamp(milliseconds: 1000), changedAt: Timestamp(milliseconds: 0), changedBy: "t"),
    ]
    static let taps = ["04A1B2C3", "04a1b2c4", "04:A1:B2:C5", "04A1B2C6", "DEADBEEF", "CAFEF00D"]

    /// What should happen, in words a reader of the issue would use.
    enum Outcome: Hashable { case name(String?), start, stop, refuse, forget }

    /// The plain reading: a card's fate from the mode, the open session's card, whether a car is
    /// connected, and what the charger's cards say of it.
    struct Reference {
        let mode: CardMode
        var open: String?? = nil
        var connected = false
        /// An accepted card waiting: its card, until when, and whether its start was asked for.
        var waiting: (card: String, until: Instant, asked: Bool)?

        mutating func tap(_ raw: String, at now: Instant, wallTime: Timestamp) -> [Outcome] {
            let card = raw.replacingOccurrences(of: ":", with: "").uppercased()
            if let open {
                if mode == .sameCard { return open == card ? [.stop] : [.refuse] }
                return []
            }
            let known = CardDeskTests.cards[card]
            let accepted = known != nil && !known!.blocked && (known!.validUntil.map { $0 >= wallTime } ?? true)
            guard accepted else { return mode == .free ? [] : [.refuse] }
            if mode != .free && connected {
                waiting = (card, now + .seconds(5), true)
                return [.name(known!.owner), .start]
            }
            waiting = (card, now + .seconds(60), false)
            return [.name(known!.owner)]
        }

        mutating func poll(at now: Instant) -> [Outcome] {
            guard let waiting else { return [] }
            if now > waiting.until {
                self.waiting = nil
                return [.forget]
            }
            if mode != .free && !waiting.asked && connected && open == nil {
                self.waiting = (waiting.card, min(waiting.until, now + .seconds(5)), true)
                return [.start]
            }
            return []
        }
    }

    static func outcomes(_ actions: [CardDesk.Action]) -> [Outcome] {
        actions.compactMap { action in
            switch action {
            case .nameNextSession(let owner, _): .name(owner)
            case .command(.startSession): .start
            case .stopSession: .stop
            case .refused: .refuse
            case .forgetNextSession: .forget
            default: nil
            }
        }
    }

    @Test(arguments: CardMode.allCases)
    func theDeskDecidesAsTheModeSaysOverThousandsOfGeneratedDays(mode: CardMode) {
        var generator = SystemRandomNumberGenerator()
        var compared = 0
        for _ in 0..<200 {
            let desk = CardDesk(mode: mode, centralSystem: false)
            var reference = Reference(mode: mode)
            var now = Instant.zero
            var nextCard: String?
            var session: (id: UInt64, card: String?)?
            var sessions: UInt64 = 0
            func tell(_ event: ControllerEvent?, _ changes: [SessionBooks.Change]) {
                desk.serviceProcessed(ServiceUpdate(event: event.map { TimedEvent(at: now, event: $0) }, changes: changes, entries: [], openSession: nil))
            }
            /// What the charger does with the desk's actions: a session starts when asked (or at the
            /// plug in free mode), with the card named for it; a stop ends it.
            func charger(_ outcomes: [Outcome], actions: [CardDesk.Action]) {
                for action in actions {
                    if case .nameNextSession(_, let card) = action { nextCard = card }
                    if case .forgetNextSession(let card) = action, nextCard == card { nextCard = nil }
                }
                if outcomes.contains(.start), session == nil, reference.connected { startSession() }
                if outcomes.contains(.stop), let open = session { endSession(open.id) }
            }
            func startSession() {
                sessions += 1
                session = (sessions, nextCard)
                reference.open = .some(nextCard)
                if reference.waiting?.card == nextCard { reference.waiting = nil }
                tell(nil, [.started(SessionID(rawValue: sessions), at: Timestamp(milliseconds: 0), startRegisterWh: nil, owner: nil, card: nextCard, clock: .unknown)])
                nextCard = nil
            }
            func endSession(_ id: UInt64) {
                session = nil
                reference.open = nil
                tell(nil, [.ended(SessionID(rawValue: id), at: Timestamp(milliseconds: 0), reason: "x")])
            }
            for _ in 0..<40 {
                now = now + .milliseconds(Int64.random(in: 0...30_000, using: &generator))
                let wallTime = Timestamp(milliseconds: Int64.random(in: 0...2000, using: &generator))
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<4:
                    let raw = Self.taps.randomElement(using: &generator)!
                    let card = CardID.normalized(raw)!
                    let actions = desk.present(raw, known: Self.cards[card], at: now, wallTime: wallTime)
                    let expected = reference.tap(raw, at: now, wallTime: wallTime)
                    #expect(Self.outcomes(actions) == expected, "\(mode) tap \(raw): \(actions) against \(expected)")
                    charger(expected, actions: actions)
                    compared += 1
                case 4..<6:
                    reference.connected.toggle()
                    tell(.action(.vehicleStateChanged(reference.connected ? .b : .a)), [])
                    if reference.connected, mode == .free, session == nil { startSession() }
                    if !reference.connected, let open = session { endSession(open.id) }
                default:
                    break
                }
                let actions = desk.poll(at: now)
                let expected = reference.poll(at: now)
                #expect(Self.outcomes(actions) == expected, "\(mode) poll: \(actions) against \(expected)")
                charger(expected, actions: actions)
                compared += 1
            }
        }
        // 40 polls a day and a tap at four steps in ten: about 11,200 decisions per mode.
        #expect(compared > 10_000)
    }

    @Test func aCardIsLearnedOnceAndALearnNobodyAnswersLapses() {
        let desk = CardDesk(mode: .sameCard, centralSystem: false)
        desk.learn(owner: "kim", label: "spare", by: "serial ttyS0", at: .zero)
        let learned = desk.present("04-a1-b2-c7", known: nil, at: .zero + .seconds(3), wallTime: Timestamp(milliseconds: 5))
        #expect(learned.first == .learn(Card(uid: "04A1B2C7", owner: "kim", label: "spare", changedAt: Timestamp(milliseconds: 5), changedBy: "serial ttyS0")))
        // Learning is over: the same card now is an unknown one (the caller saved it; here it is not).
        #expect(desk.present("04A1B2C7", known: nil, at: .zero + .seconds(4), wallTime: Timestamp(milliseconds: 5)).first == .refused(card: "04A1B2C7", reason: "unknown card"))
        desk.learn(owner: "alex", label: nil, by: "terminal", at: .zero + .seconds(10))
        let known = Self.cards["04A1B2C3"]!
        #expect(desk.present("04A1B2C3", known: known, at: .zero + .seconds(11), wallTime: Timestamp(milliseconds: 5))
            == [.log("cards learn: card 04A1B2C3 already belongs to alex; cards remove 04A1B2C3 first")])
        desk.learn(owner: "alex", label: nil, by: "terminal", at: .zero + .seconds(20))
        #expect(desk.poll(at: .zero + .seconds(81)) == [.log("cards learn alex: no card within 60 s")])
        #expect(desk.learning == nil)
    }

    @Test func withACentralSystemTheChargePointDecides() {
        let desk = CardDesk(mode: .card, centralSystem: true)
        #expect(desk.present("04a1b2c3", known: nil, at: .zero, wallTime: Timestamp(milliseconds: 0)) == [.authorizeWithCentralSystem(card: "04A1B2C3")])
        #expect(desk.present("bad card", known: nil, at: .zero, wallTime: Timestamp(milliseconds: 0)).first.map {
            if case .log(let text) = $0 { text.hasPrefix("card 'bad card' ignored") } else { false }
        } == true)
    }

    @Test func identifiersAreNormalisedAndCheckedBeforeUse() {
        #expect(CardID.normalized("04:a1:b2:c3") == "04A1B2C3")
        #expect(CardID.normalized("04 A1 B2 C3 D4 E5 F6") == "04A1B2C3D4E5F6")
        #expect(CardID.normalized("0102030405060708090a") == "0102030405060708090A")
        #expect(CardID.normalized("RFID-4711") == "RFID-4711")
        #expect(CardID.normalized("deadbeef") == "DEADBEEF")
        for bad in ["", "has space", "quote\"d", "a,b", String(repeating: "x", count: 21), "caf\u{E9}", "back\\slash"] {
            #expect(CardID.normalized(bad) == nil, "'\(bad)'")
        }
        #expect(CardID.isUID("04A1B2C3") && !CardID.isUID("RFID-4711") && !CardID.isUID("04a1b2c3"))
        #expect(CardID.uid([0x04, 0xA1, 0x0B]) == "04A10B")
    }
}
