import Billing
import EVSECore

/// A session's interruption: a fault, a pause, or the charger down (`fault:<code>`, `paused`,
/// `power_loss`, `daemon_stopped`); the last one may still be open.
public struct SessionInterruption: Hashable, Sendable {
    public var start: Timestamp
    public var end: Timestamp?
    public var cause: String

    public init(start: Timestamp, end: Timestamp?, cause: String) {
        self.start = start
        self.end = end
        self.cause = cause
    }
}

/// Whether a session's times were taken with a synchronised clock, as OCMF marks a reading's time:
/// `S` synchronised (NTP said so when the session started), `U` unsynchronised (it had not yet: a
/// board without a battery-backed clock right after boot), `I` informative (nothing could tell).
public enum ClockStatus: String, Hashable, Sendable {
    case synchronized
    case unsynchronized
    case unknown

    /// OCMF's letter for it.
    public var ocmf: String {
        switch self {
        case .synchronized: "S"
        case .unsynchronized: "U"
        case .unknown: "I"
        }
    }
}

/// A session as a store kept it, to carry its books on after a restart.
public struct StoredSession: Sendable {
    public var id: SessionID
    public var owner: String?
    /// The card (an RFID UID, an OCPP idTag) it was started with; nil without one.
    public var card: String?
    public var startedAt: Timestamp
    public var startRegisterWh: Int64?
    public var endedAt: Timestamp?
    public var endReason: String?
    /// The tariff file's text as it was when the session started.
    public var tariffText: String?
    public var interruptions: [SessionInterruption]
    /// Nil for a session stored before evsed kept it.
    public var clockStatus: ClockStatus?

    public init(id: SessionID, owner: String?, startedAt: Timestamp, startRegisterWh: Int64?, endedAt: Timestamp?, endReason: String?,
                tariffText: String?, interruptions: [SessionInterruption], clockStatus: ClockStatus?, card: String? = nil) {
        self.id = id
        self.owner = owner
        self.card = card
        self.startedAt = startedAt
        self.startRegisterWh = startRegisterWh
        self.endedAt = endedAt
        self.endReason = endReason
        self.tariffText = tariffText
        self.interruptions = interruptions
        self.clockStatus = clockStatus
    }
}

/// The one model of a charging session, kept from the control loop's events: its owner, meter
/// samples, energy, times, interruptions, end and cost. The ledger (`LedgerRecorder`) stores its
/// changes, the bill is its figures', the owner's alerts and the log read it, and the scenario
/// checks of `evsed simulate` and the tests judge it. Pure: it says what changed and does nothing.
///
/// Besides readings, the samples record each change of what the session does (charging, idle,
/// the charger unavailable or down), so the time between two readings is billed as what it was.
/// A session that ended is final at the first reading after its end (the contactor is open by
/// then, so that register holds every watt-hour it drew), or `finalReadingTimeout` after its end
/// with the last register known.
///
/// Time: instants come from the monotonic clock; `clock` maps them to wall-clock time. When the
/// system clock is stepped forward (NTP on a board without a battery-backed clock), the books
/// follow it (`clockStepped`), and an open session records the jump as time the charger was down,
/// never billed as charging or parking. A step backwards is not followed: the books never run
/// backwards. Waits (the end register) are measured on the monotonic clock, so a step never cuts
/// them short.
public struct SessionBooks: Sendable {
    /// What changed, in order.
    public enum Change: Sendable {
        case started(SessionID, at: Timestamp, startRegisterWh: Int64?, owner: String?, card: String?, clock: ClockStatus)
        /// A sample to store with the session's readings: a reading, or a change of activity.
        case sample(SessionID, MeterSample)
        case interrupted(SessionID, at: Timestamp, cause: String)
        case resumed(SessionID, at: Timestamp)
        case ended(SessionID, at: Timestamp, reason: String)
        /// The session's figures are final (it has its `endedAt` and `endReason`, also for a
        /// session that ended before a restart); `source` says where the end register came from.
        case closed(Session, source: String)
    }

    /// A session's books, open or ended.
    public struct Session: Sendable {
        public let id: SessionID
        /// Who pays: the owner of the card it started with, one named at the console, or the
        /// site's default owner.
        public let owner: String?
        /// The card it started with (an RFID UID, an OCPP idTag); nil without one.
        public var card: String? = nil
        public var figures: MeteredSession
        public var interruptions: [SessionInterruption]
        public var endedAt: Timestamp?
        /// `vehicle_unplugged`, `stop_command`, `limit` (its owner's), `power_loss`, … (`SessionEndReason`).
        public var endReason: String?
        /// Whether its times were taken with a synchronised clock (nil: stored before evsed kept it).
        public let clockStatus: ClockStatus?
        /// When it ended on the monotonic clock: how long it has waited for its end register.
        var endedInstant: Instant? = nil

        public var startedAt: Timestamp { Timestamp(milliseconds: figures.startMilliseconds) }
        /// When it ended, or (still open) its last sample.
        public var lastAt: Timestamp { endedAt ?? Timestamp(milliseconds: figures.lastMilliseconds) }
    }

    /// The wall clock now: where the control loop's instants are in real time.
    public private(set) var clock: WallClock
    /// Whether the system clock is synchronised now; a new session keeps what it was at its start.
    public var clockStatus: ClockStatus = .unknown
    public let tariff: TariffSnapshot?
    public var finalReadingTimeout: Duration = .seconds(5)
    /// How long a session waits for the meter when the only register known is the ledger's from
    /// before a restart: what the car drew before the power went is in the meter's next reading,
    /// and no other session can draw energy before it (the state machine waits for it too).
    public var storedRegisterTimeout: Duration = .seconds(600)
    /// The owner of sessions nobody named (the alerts file's `default_owner`).
    public var defaultOwner: String?
    /// Named for the next session (console `start --owner`, a card); its start record fixes it.
    private var nextOwner: String?
    /// The card the next session starts with.
    private var nextCard: String?
    /// Why a session's coming `stop_command` end is really something else (`limit`).
    private var stopReasons: [SessionID: String] = [:]
    public private(set) var open: Session?
    /// Sessions that ended and wait for their end register, oldest first: the next reading ends
    /// them all (a car that left right after a restart, before the meter answered, waits for the
    /// reading the next car's session starts from).
    public private(set) var closing: [Session] = []
    /// The last register known and whether it came from the ledger rather than the meter.
    public private(set) var lastRegisterWh: Int64?
    private var lastRegisterStored = false
    private var contactorClosed = false
    /// When the last reading from the meter came, and whether the contactor closed after it:
    /// a register is a session's start only while no energy can have flowed since.
    private var lastReadingAt: Instant?
    private var closedSinceReading = false
    /// A reading whose register went down (a new meter): the next session starts from it.
    private var newBaseline: Int64?
    /// The open session is interrupted by a fault or a pause.
    private var interrupted = false
    /// The open session is carried over from before a restart and not resumed yet.
    private var down = false

    public init(clock: WallClock, tariff: TariffSnapshot?, defaultOwner: String? = nil) {
        self.clock = clock
        self.tariff = tariff
        self.defaultOwner = defaultOwner
    }

    /// Names the owner of the next session (console `start --owner`), and the card it starts
    /// with when a card named them (a card with no owner leaves the default owner).
    public mutating func nameNextOwner(_ name: String?, card: String? = nil) {
        nextOwner = name
        nextCard = card
    }

    /// The card the next session will start with.
    public var cardOfNextSession: String? { nextCard }

    /// Who the next session will belong to.
    public var ownerOfNextSession: String? { nextOwner ?? defaultOwner }

    /// The session `id` is being stopped for `reason` (its owner's `limit`): its end says so
    /// instead of `stop_command`.
    public mutating func stopping(_ id: SessionID, because reason: String) {
        stopReasons[id] = reason
    }

    /// The open or ending session `id`.
    public func session(_ id: SessionID) -> Session? {
        open?.id == id ? open : closing.first { $0.id == id }
    }

    /// What the open session does now.
    var activity: SegmentActivity {
        down ? .outage : contactorClosed ? .charging : interrupted ? .unavailable : .idle
    }

    /// A new session's books (tariff restrictions judged in the system's local time).
    func newFigures(at start: Timestamp, register: Int64?, tariff: Tariff?) -> MeteredSession {
        MeteredSession(tariff: tariff, startMilliseconds: start.milliseconds, startRegisterWh: register) {
            Timestamp(milliseconds: $0 * 1000).local
        }
    }

    /// The figures of a stored session, replayed from its stored samples: how the books carry on
    /// after a restart.
    public func replay(_ session: StoredSession, readings: [MeterSample]) -> MeteredSession {
        let tariff = session.tariffText.flatMap { try? TariffSnapshot(text: $0, file: "session \(session.id) tariff").tariff }
        var figures = newFigures(at: session.startedAt, register: session.startRegisterWh, tariff: tariff)
        let end = session.endedAt?.milliseconds
        for reading in readings {
            if let end, reading.milliseconds > end { figures.end(atMilliseconds: end) }
            figures.add(reading)
        }
        if let end { figures.end(atMilliseconds: end) }
        return figures
    }

    /// A stored session made final where its readings end, ending at `end` for `reason` unless it
    /// had ended already: after a restart only the latest session can still be going.
    public func settle(_ stored: StoredSession, readings: [MeterSample], end: Timestamp, reason: String) -> Session {
        var figures = replay(stored, readings: readings)
        figures.end(atMilliseconds: (stored.endedAt ?? end).milliseconds)
        figures.finish()
        return Session(id: stored.id, owner: stored.owner, card: stored.card, figures: figures, interruptions: stored.interruptions,
                       endedAt: stored.endedAt ?? end, endReason: stored.endReason ?? reason, clockStatus: stored.clockStatus)
    }

    /// Carries on a session a store still has open after a restart: from `downSince` the charger
    /// was down (`cause`: `power_loss` or `daemon_stopped`), until the session resumes. A session
    /// that had ended waits for its end register. Returns the change of activity to store.
    public mutating func restore(_ stored: StoredSession, readings: [MeterSample], downSince: Timestamp, cause: String) -> [Change] {
        var books = Session(id: stored.id, owner: stored.owner, card: stored.card, figures: replay(stored, readings: readings),
                            interruptions: stored.interruptions, endedAt: stored.endedAt, endReason: stored.endReason,
                            clockStatus: stored.clockStatus, endedInstant: stored.endedAt.map(clock.instant))
        if let register = books.figures.lastRegisterWh {
            lastRegisterWh = register
            lastRegisterStored = true
        }
        contactorClosed = false
        interrupted = false
        guard stored.endedAt == nil else {
            closing.append(books)
            return []
        }
        down = true
        if let last = books.interruptions.indices.last, books.interruptions[last].end == nil { books.interruptions[last].end = downSince }
        books.interruptions.append(SessionInterruption(start: downSince, end: nil, cause: cause))
        let change = MeterSample.change(at: max(downSince.milliseconds, books.figures.lastMilliseconds), to: .outage)
        books.figures.add(change)
        open = books
        return [.sample(stored.id, change)]
    }

    /// Feeds one event; returns what changed.
    public mutating func observe(_ event: TimedEvent) -> [Change] {
        let at = clock.timestamp(event.at)
        var changes: [Change] = []
        let timeout = lastRegisterStored ? storedRegisterTimeout : finalReadingTimeout
        for ending in closing {
            if let endedAt = ending.endedInstant, event.at - endedAt >= timeout {
                changes += close(ending.id, at: at)
            }
        }
        let before = activity
        switch event.event {
        case .meterReading(let reading):
            // The drivers refuse registers beyond 10¹¹ Wh; one that got here anyway is not priced.
            guard reading.importEnergy.value.isFinite, (0...1e15).contains(reading.importEnergy.value) else { break }
            let register = Int64(reading.importEnergy.value.rounded())
            if let previous = lastRegisterWh, register < previous - 1 { newBaseline = register }
            lastRegisterWh = register
            lastRegisterStored = false
            lastReadingAt = event.at
            closedSinceReading = false
            let total = reading.current.reduce(0) { $0 + $1.value }
            let sample = MeterSample(milliseconds: at.milliseconds, registerWh: register, activity: activity,
                                     current: total, power: reading.power.value, voltage: reading.minimumVoltage.value)
            for var ending in closing {
                ending.figures.add(sample)
                closing = closing.map { $0.id == ending.id ? ending : $0 }
                changes.append(.sample(ending.id, sample))
                changes += close(ending.id, at: at, source: "meter")
            }
            if var books = open {
                books.figures.add(sample)
                open = books
                changes.append(.sample(books.id, sample))
            }
        case .action(.sessionStarted(let id)):
            interrupted = false
            down = false
            // The last register starts the session if it came from the meter and no energy can
            // have flowed since (the contactor stayed open, or the reading is of this very
            // moment); otherwise the session's first reading does, before the contactor closes.
            let fresh = !lastRegisterStored && (lastReadingAt == event.at || (!contactorClosed && !closedSinceReading))
            let start = newBaseline ?? (fresh ? lastRegisterWh : nil)
            newBaseline = nil
            let (owner, card) = (ownerOfNextSession, nextCard)
            (nextOwner, nextCard) = (nil, nil)
            open = Session(id: id, owner: owner, card: card, figures: newFigures(at: at, register: start, tariff: tariff?.tariff),
                           interruptions: [], endedAt: nil, endReason: nil, clockStatus: clockStatus)
            changes.append(.started(id, at: at, startRegisterWh: start, owner: owner, card: card, clock: clockStatus))
            if activity != .idle, var books = open {
                // The contactor is already closed (a technician's test cannot be, so never in practice).
                let change = MeterSample.change(at: at.milliseconds, to: activity)
                books.figures.add(change)
                open = books
                changes.append(.sample(id, change))
            }
            return changes
        case .action(.closeContactor):
            contactorClosed = true
            closedSinceReading = true
        case .action(.openContactor):
            contactorClosed = false
        case .action(.sessionInterrupted(let id, let cause)):
            guard open?.id == id else { break }
            interrupted = true
            let text: String
            switch cause {
            case .fault(let code): text = "fault:\(code.rawValue)"
            case .paused: text = "paused"
            }
            open?.interruptions.append(SessionInterruption(start: at, end: nil, cause: text))
            changes.append(.interrupted(id, at: at, cause: text))
        case .action(.sessionResumed(let id)):
            guard open?.id == id else { break }
            interrupted = false
            down = false
            endInterruption(at: at)
            changes.append(.resumed(id, at: at))
        case .action(.sessionEnded(let id, let reason)):
            guard open?.id == id else { break }
            endInterruption(at: at)
            guard var books = open else { break }
            let said = stopReasons.removeValue(forKey: id)
            let reason = reason == .stopCommand ? said ?? reason.rawValue : reason.rawValue
            // The energy up to the end comes with the next reading.
            books.figures.end(atMilliseconds: at.milliseconds)
            books.endedAt = at
            books.endedInstant = event.at
            books.endReason = reason
            open = nil
            closing.append(books)
            interrupted = false
            down = false
            changes.append(.ended(id, at: at, reason: reason))
            // The meter was replaced: its last good reading is the end, and the next reading is
            // the new meter's.
            if reason == SessionEndReason.meterReplaced.rawValue { changes += close(id, at: at, source: "meter_replaced") }
            return changes
        default:
            break
        }
        if activity != before, var books = open {
            let change = MeterSample.change(at: at.milliseconds, to: activity)
            books.figures.add(change)
            open = books
            changes.append(.sample(books.id, change))
        }
        return changes
    }

    /// A step of the system clock, as the books took it.
    public struct ClockStep: Sendable {
        /// The books' time at the step, before it.
        public let from: Timestamp
        /// What the system clock said right after.
        public let to: Timestamp
        /// Whether the books follow it (forward only).
        public let followed: Bool
        /// The open session the step cut into, if any: it shows the jump as time the charger was down.
        public let session: SessionID?

        public var milliseconds: Int64 { to.milliseconds - from.milliseconds }
    }

    /// Differences between the books' time and the system clock's below this are not steps: NTP
    /// steps only larger offsets (timesyncd from 0.4 s) and slews the rest.
    public static let smallestClockStep: Duration = .seconds(1)

    /// Whether the system clock reading `now` where the books say `from` is a step.
    public static func isClockStep(from: Timestamp, to now: Timestamp) -> Bool {
        abs(now.milliseconds - from.milliseconds) >= smallestClockStep.nanoseconds / 1_000_000
    }

    /// The system clock was set: at `instant` it reads `now`. A difference from the books' time
    /// of `smallestClockStep` or more is a step (else nil). A step forward is followed (the books'
    /// times from here are the real ones, and an open session spends the jump down, so that none
    /// of it is billed); a step backward is not (the books never run backwards).
    public mutating func clockStepped(at instant: Instant, to now: Timestamp) -> (step: ClockStep?, changes: [Change]) {
        let from = clock.timestamp(instant)
        guard Self.isClockStep(from: from, to: now) else { return (nil, []) }
        guard now > from else { return (ClockStep(from: from, to: now, followed: false, session: open?.id), []) }
        var changes: [Change] = []
        let activity = activity
        if activity != .outage, var books = open {
            let down = MeterSample.change(at: from.milliseconds, to: .outage)
            let back = MeterSample.change(at: now.milliseconds, to: activity)
            books.figures.add(down)
            books.figures.add(back)
            open = books
            changes = [.sample(books.id, down), .sample(books.id, back)]
        }
        clock = WallClock(originInstant: instant, originTimestamp: now)
        return (ClockStep(from: from, to: now, followed: true, session: open?.id), changes)
    }

    /// Makes the sessions still waiting for their end register final now, with the last register
    /// known (a run's end, a meter that stays silent).
    public mutating func finish(at now: Instant) -> [Change] {
        closing.flatMap { close($0.id, at: clock.timestamp(now)) }
    }

    private mutating func close(_ id: SessionID, at: Timestamp, source: String? = nil) -> [Change] {
        guard var ending = closing.first(where: { $0.id == id }) else { return [] }
        // A session with no register at all is not made final with none: it waits for the
        // meter's first reading (it cannot have charged without one).
        if source == nil && ending.figures.startRegisterWh == nil && ending.figures.lastRegisterWh == nil && lastRegisterWh == nil { return [] }
        closing.removeAll { $0.id == id }
        ending.figures.finish()
        if ending.endedAt == nil { ending.endedAt = at }
        let source = source ?? (lastRegisterStored ? "last_stored_reading" : "last_reading")
        return [.closed(ending, source: source)]
    }

    /// Ends the open session's open interruption.
    private mutating func endInterruption(at: Timestamp) {
        guard let last = open?.interruptions.indices.last, open?.interruptions[last].end == nil else { return }
        open?.interruptions[last].end = at
    }
}
