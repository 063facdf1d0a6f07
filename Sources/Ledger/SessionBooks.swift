import Billing
import EVSECore

/// Maps the control loop's monotonic instants to wall-clock time: the instant and the wall clock
/// read together once.
public struct WallClock: Sendable {
    public var originInstant: Instant
    public var originTimestamp: Timestamp

    public init(originInstant: Instant, originTimestamp: Timestamp) {
        self.originInstant = originInstant
        self.originTimestamp = originTimestamp
    }

    public func timestamp(_ instant: Instant) -> Timestamp {
        Timestamp(milliseconds: originTimestamp.milliseconds + (instant - originInstant).nanoseconds / 1_000_000)
    }

    public func instant(_ timestamp: Timestamp) -> Instant {
        originInstant + .milliseconds(timestamp.milliseconds - originTimestamp.milliseconds)
    }
}

/// The books of the open session, kept from the control loop's events: its meter samples, energy,
/// times and cost. Pure: it says what changed, and the ledger (`LedgerRecorder`) or a display
/// (`evsed simulate`) does the rest. Both therefore price a session from the very same samples.
///
/// A session that ended is final at the first reading after its end (the contactor is open by
/// then, so that register holds every watt-hour it drew), or `finalReadingTimeout` after its end
/// with the last register known.
public struct SessionBooks: Sendable {
    /// What changed, in order.
    public enum Change: Sendable {
        case started(SessionID, at: Timestamp, startRegisterWh: Int64?)
        /// A sample to store with the session's readings.
        case sample(SessionID, MeterSample)
        case interrupted(SessionID, at: Timestamp, cause: String)
        case resumed(SessionID, at: Timestamp)
        case ended(SessionID, at: Timestamp, reason: String)
        /// The session's figures are final; `source` says where the end register came from.
        case closed(SessionID, figures: MeteredSession, source: String, at: Timestamp)
    }

    /// An open (or ending) session's books.
    public struct OpenSession: Sendable {
        public let id: SessionID
        public var figures: MeteredSession
        public var endedAt: Timestamp?
    }

    public let clock: WallClock
    public let tariff: TariffSnapshot?
    public var finalReadingTimeout: Duration = .seconds(5)
    public private(set) var open: OpenSession?
    public private(set) var closing: OpenSession?
    /// The last register known and whether it came from the ledger rather than the meter.
    public private(set) var lastRegisterWh: Int64?
    private var lastRegisterStored = false
    private var lastReadingAt: Timestamp?
    private var contactorClosed = false
    /// The next sample covers time the charger was down.
    private var outagePending = false

    public init(clock: WallClock, tariff: TariffSnapshot?) {
        self.clock = clock
        self.tariff = tariff
    }

    /// A new session's books (tariff restrictions judged in the system's local time).
    func newFigures(at start: Timestamp, register: Int64?, tariff: Tariff?) -> MeteredSession {
        MeteredSession(tariff: tariff, startMilliseconds: start.milliseconds, startRegisterWh: register) {
            Timestamp(milliseconds: $0).local
        }
    }

    /// The figures of a stored session, replayed from its stored readings: how the books carry on
    /// after a restart.
    public func replay(_ session: SessionRecord, readings: [MeterSample]) -> MeteredSession {
        let tariff = session.tariffText.flatMap { try? TariffSnapshot(text: $0, file: "session \(session.id) tariff").tariff }
        var figures = newFigures(at: session.startedAt, register: session.startRegisterWh, tariff: tariff)
        for reading in readings { figures.add(reading) }
        return figures
    }

    /// Carries on a session the ledger still has open after a restart: the next sample covers the
    /// outage. A session that had ended waits for its end register.
    public mutating func restore(_ session: SessionRecord, readings: [MeterSample]) {
        let books = OpenSession(id: SessionID(rawValue: UInt64(session.id)), figures: replay(session, readings: readings), endedAt: session.endedAt)
        if session.endedAt == nil { open = books } else { closing = books }
        if let register = books.figures.lastRegisterWh {
            lastRegisterWh = register
            lastRegisterStored = true
        }
        outagePending = true
    }

    /// Feeds one event; returns what changed.
    public mutating func observe(_ event: TimedEvent) -> [Change] {
        let at = clock.timestamp(event.at)
        var changes: [Change] = []
        if let ending = closing, let endedAt = ending.endedAt, at.milliseconds - endedAt.milliseconds >= finalReadingTimeout.nanoseconds / 1_000_000 {
            changes += close(at: at)
        }
        switch event.event {
        case .meterReading(let reading):
            let register = Int64(reading.importEnergy.value.rounded())
            lastRegisterWh = register
            lastRegisterStored = false
            lastReadingAt = at
            var sample = MeterSample(milliseconds: at.milliseconds, registerWh: register, activity: .settling,
                                     current: reading.maximumCurrent.value, power: reading.power.value, voltage: reading.minimumVoltage.value)
            if var ending = closing {
                ending.figures.add(sample)
                closing = ending
                changes.append(.sample(ending.id, sample))
                changes += close(at: at, source: "meter")
            }
            if var books = open {
                sample.activity = outagePending ? .outage : contactorClosed ? .charging : .idle
                outagePending = false
                books.figures.add(sample)
                open = books
                changes.append(.sample(books.id, sample))
            }
        case .action(.sessionStarted(let id)):
            if closing != nil { changes += close(at: at) }
            open = OpenSession(id: id, figures: newFigures(at: at, register: lastRegisterWh, tariff: tariff?.tariff), endedAt: nil)
            outagePending = false
            changes.append(.started(id, at: at, startRegisterWh: lastRegisterWh))
        case .action(.closeContactor):
            contactorClosed = true
        case .action(.openContactor):
            contactorClosed = false
        case .action(.sessionInterrupted(let id, let cause)):
            guard open?.id == id else { break }
            let text: String
            switch cause {
            case .fault(let code): text = "fault:\(code.rawValue)"
            case .paused: text = "paused"
            }
            changes.append(.interrupted(id, at: at, cause: text))
        case .action(.sessionResumed(let id)):
            guard open?.id == id else { break }
            changes.append(.resumed(id, at: at))
        case .action(.sessionEnded(let id, let reason)):
            guard var books = open, books.id == id else { break }
            // The time up to the end, at the register last known; the energy comes with the next reading.
            let sample = MeterSample(milliseconds: at.milliseconds, registerWh: books.figures.lastRegisterWh ?? lastRegisterWh ?? 0,
                                     activity: outagePending ? .outage : contactorClosed ? .charging : .idle)
            if (books.figures.lastRegisterWh != nil || lastRegisterWh != nil) && at.milliseconds > books.figures.lastMilliseconds {
                books.figures.add(sample)
                changes.append(.sample(id, sample))
            }
            books.endedAt = at
            open = nil
            closing = books
            changes.append(.ended(id, at: at, reason: reason.rawValue))
        default:
            break
        }
        return changes
    }

    /// Makes the session still waiting for its end register final now, with the last register
    /// known (a run's end, a meter that stays silent).
    public mutating func finish(at now: Instant) -> [Change] {
        close(at: clock.timestamp(now))
    }

    private mutating func close(at: Timestamp, source: String? = nil) -> [Change] {
        guard let ending = closing else { return [] }
        closing = nil
        let source = source ?? (lastRegisterStored ? "last_stored_reading" : "last_reading")
        return [.closed(ending.id, figures: ending.figures, source: source, at: ending.endedAt ?? at)]
    }
}
