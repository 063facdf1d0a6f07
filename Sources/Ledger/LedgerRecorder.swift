import Billing
import EVSECore
import Sessions

/// Keeps the ledger from the control loop's events, off the control thread: sessions, their
/// interruptions and ends, faults are written (durably) as they happen, before the caller reports
/// them anywhere; readings are batched and written every `batchInterval`, so a power cut loses at
/// most that much of *readings* and no *energy* (energy is the register's difference).
public final class LedgerRecorder {
    public let ledger: Ledger
    public private(set) var books: SessionBooks
    public let meter: String
    /// The longest readings wait in memory before they are written.
    public var batchInterval: Duration = .seconds(10)
    /// How long readings are kept at full resolution.
    public var retention = RetentionPolicy()
    private var pending: [MeterSample] = []
    private var pendingSession: SessionID?
    /// The sessions whose start register is on disk.
    private var registered: Set<SessionID> = []
    private var openFaults: [FaultCode: Int64] = [:]
    private var lastReading: MeterReading?
    private var lastTemperature: Celsius?
    private var pilot: PilotLevel = .unknown

    public init(ledger: Ledger, clock: WallClock, tariff: TariffSnapshot?, meter: String) {
        self.ledger = ledger
        self.books = SessionBooks(clock: clock, tariff: tariff)
        self.meter = meter
    }

    /// Changes the books outside the event stream (the owner of the next session, why a session
    /// is being stopped); nothing of it is stored until an event makes a change.
    public func updateBooks<T>(_ body: (inout SessionBooks) -> T) -> T {
        body(&books)
    }

    /// What the state machine must know after a restart.
    public struct Recovery: Sendable {
        /// The number the next new session gets.
        public var nextSessionNumber: UInt64
        /// The session to resume if the vehicle is still connected (else it ends), if any.
        public var carriedOver: SessionID?
        /// Why the charger was down: `power_loss` or `daemon_stopped`.
        public var cause: String?
        /// The carried-over session's last register in the ledger.
        public var lastRegisterWh: Int64?
        /// Faults latched when evsed stopped, which a restart does not clear.
        public var latchedFaults: [FaultCode: RecoveryPolicy.Latch] = [:]
        /// Sessions the start closed itself (an older one where its readings end): each one's
        /// `.closed` change, for the journal and the owner's bill.
        public var closedAtStart: [SessionBooks.Change] = []

        /// The carried-over session as the state machine takes it.
        public var carriedOverSession: CarriedOverSession? {
            carriedOver.map {
                CarriedOverSession(id: $0, endReasonIfGone: cause == "daemon_stopped" ? .daemonStopped : .powerLoss,
                                   lastRegister: lastRegisterWh.map { WattHours(Double($0)) })
            }
        }
    }

    /// Resolves what the ledger still has open, at start-up: an open session is interrupted (by
    /// `power_loss`, or `daemon_stopped` after a planned stop) and handed to the state machine to
    /// resume or end; a session that had ended waits for its end register. Never drops one.
    public func recover(at now: Instant) throws(LedgerError) -> Recovery {
        let at = books.clock.timestamp(now)
        let last = try ledger.lastRecord()
        let cause = last?.kind == "daemon_stopped" ? "daemon_stopped" : "power_loss"
        var recovery = Recovery(nextSessionNumber: UInt64(try ledger.lastSessionID() + 1), carriedOver: nil, cause: nil)
        let unclosed = try ledger.unclosedSessions()
        for (index, session) in unclosed.enumerated() {
            let readings = try ledger.readings(of: session.id).map(\.sample)
            let downSince = Timestamp(milliseconds: max(readings.last?.milliseconds ?? 0, last?.at.milliseconds ?? 0, session.startedAt.milliseconds))
            var note = JSONLine()
            note.add("cause", cause)
            note.add("down_since_ms", downSince.milliseconds)
            if index < unclosed.count - 1 {
                // Only the latest session can still be going; an older one closes where its readings end.
                if session.endedAt == nil { try ledger.markEnded(session.id, at: downSince, reason: cause) }
                let closed = books.settle(session.stored, readings: readings, end: downSince, reason: cause)
                try ledger.closeSession(session.id, figures: closed.figures, source: "last_stored_reading", at: downSince)
                recovery.closedAtStart.append(.closed(closed, source: "last_stored_reading"))
                note.add("decision", "closed")
                try ledger.note("recovery", at: at, session: session.id, note)
                continue
            }
            if session.startRegisterWh != nil { registered.insert(SessionID(rawValue: UInt64(session.id))) }
            for change in books.restore(session.stored, readings: readings, downSince: downSince, cause: cause) { try apply(change) }
            if session.endedAt == nil {
                if session.interruptions.last.map({ $0.end == nil }) == true { try ledger.endInterruption(session.id, at: downSince) }
                try ledger.beginInterruption(session.id, at: downSince, cause: cause)
                recovery.carriedOver = SessionID(rawValue: UInt64(session.id))
                recovery.cause = cause
                recovery.lastRegisterWh = books.open?.figures.lastRegisterWh
                note.add("decision", "resume_if_connected")
            } else {
                note.add("decision", "await_end_register")
            }
            try ledger.note("recovery", at: at, session: session.id, note)
        }
        // Faults still open in the fault log: a latch a restart does not clear stays in force (and
        // open here, so its clearing is recorded); any other is closed, saying why.
        for fault in try ledger.openFaults() {
            guard let code = FaultCode(rawValue: fault.code) else { continue }
            // A ledger that could not be written waited for a restart, which reads it afresh.
            if code != .ledgerWriteFailed, let latch = try ledger.latch(of: fault) {
                recovery.latchedFaults[code] = latch
                openFaults[code] = fault.id
                continue
            }
            try ledger.clearFault(fault.id, at: at)
            var closed = JSONLine()
            closed.add("fault", fault.id)
            closed.add("code", fault.code)
            closed.add("why", "evsed restarted (\(cause)); the condition is checked anew")
            try ledger.note("fault_closed_at_start", at: at, session: fault.session, closed)
        }
        var started = JSONLine()
        started.add("meter", meter)
        try ledger.note("daemon_started", at: at, started)
        try ledger.applyRetention(retention, now: at)
        return recovery
    }

    /// Records one event; returns the books' changes, all of them durable by now.
    @discardableResult
    public func record(_ event: TimedEvent) throws(LedgerError) -> [SessionBooks.Change] {
        let at = books.clock.timestamp(event.at)
        let changes = books.observe(event)
        for change in changes { try apply(change) }
        switch event.event {
        case .meterReading(let reading):
            lastReading = reading
            if let first = pending.first, at.milliseconds - first.milliseconds >= batchInterval.nanoseconds / 1_000_000 { try flush() }
        case .temperature(let celsius):
            lastTemperature = celsius
        case .eventsLost(let count):
            // The books say that they miss something, and how much.
            try flush()
            var fields = JSONLine()
            fields.add("count", count)
            try ledger.note("events_lost", at: at, session: books.open.map { Int64($0.id.rawValue) }, fields)
        case .action(.vehicleStateChanged(let level)):
            pilot = level
        case .action(.faultRaised(let code)):
            try flush()
            openFaults[code] = try ledger.raiseFault(code.rawValue, at: at, session: books.open.map { Int64($0.id.rawValue) }, context: context())
        case .action(.faultCleared(let code)):
            if let id = openFaults.removeValue(forKey: code) { try ledger.clearFault(id, at: at) }
        case .action(.faultLatched(let code, let latch)):
            var fields = JSONLine()
            fields.add("code", code.rawValue)
            fields.add("until", latch.rawValue)
            try ledger.note("fault_latched", at: at, session: books.open.map { Int64($0.id.rawValue) }, fields)
        default:
            break
        }
        return changes
    }

    private func apply(_ change: SessionBooks.Change) throws(LedgerError) {
        switch change {
        case .started(let id, let at, let register, let owner, let card, let clock):
            try flush()
            try ledger.openSession(Int64(id.rawValue), at: at, startRegisterWh: register, owner: owner, card: card, meter: meter,
                                   tariff: books.tariff, clock: clock)
            if register != nil { registered.insert(id) }
        case .sample(let id, let sample):
            if pendingSession != id { try flush() }
            pendingSession = id
            pending.append(sample)
            // A change of what the session does is rare and decides how its time is billed, and
            // a session's first register is where its energy starts: both are written at once,
            // not with the next batch.
            if sample.registerWh == nil || !registered.contains(id) {
                try flush()
                if sample.registerWh != nil { registered.insert(id) }
            }
        case .interrupted(let id, let at, let cause):
            try flush()
            try ledger.beginInterruption(Int64(id.rawValue), at: at, cause: cause)
        case .resumed(let id, let at):
            try flush()
            try ledger.endInterruption(Int64(id.rawValue), at: at)
        case .ended(let id, let at, let reason):
            try flush()
            try ledger.markEnded(Int64(id.rawValue), at: at, reason: reason)
        case .closed(let session, let source):
            let at = session.lastAt
            registered.remove(session.id)
            try flush(figures: session.figures)
            try ledger.closeSession(Int64(session.id.rawValue), figures: session.figures, source: source, at: at)
            try ledger.applyRetention(retention, now: at)
        }
    }

    /// The system clock was set (`SessionBooks.clockStepped`): what a step changed in the open
    /// session is stored, and the step is noted (`clock_step`), followed or not.
    @discardableResult
    public func clockStepped(at instant: Instant, to now: Timestamp) throws(LedgerError) -> (step: SessionBooks.ClockStep?, changes: [SessionBooks.Change]) {
        let (step, changes) = books.clockStepped(at: instant, to: now)
        guard let step else { return (nil, []) }
        for change in changes { try apply(change) }
        var fields = JSONLine()
        fields.add("from_ms", step.from.milliseconds)
        fields.add("to_ms", step.to.milliseconds)
        fields.add("step_ms", step.milliseconds)
        fields.add("followed", step.followed)
        try ledger.note("clock_step", at: step.followed ? step.to : step.from, session: step.session.map { Int64($0.rawValue) }, fields)
        return (step, changes)
    }

    /// Writes the readings waiting in memory.
    public func flush() throws(LedgerError) {
        guard let session = pendingSession else { return }
        let figures = books.open.flatMap { $0.id == session ? $0.figures : nil } ?? books.closing.first(where: { $0.id == session })?.figures
        if let figures { try flush(figures: figures) } else { pending.removeAll() }
    }

    private func flush(figures: MeteredSession) throws(LedgerError) {
        guard let session = pendingSession, !pending.isEmpty else { return }
        try ledger.storeReadings(pending, session: Int64(session.rawValue), figures: figures)
        pending.removeAll(keepingCapacity: true)
    }

    /// A planned stop: the readings are written, a session waiting for its end register is
    /// closed with the last one known, an open session stays open (resumable), and the stop is
    /// recorded so the next start knows it was not a power cut.
    @discardableResult
    public func stop(at now: Instant) throws(LedgerError) -> [SessionBooks.Change] {
        let changes = books.finish(at: now)
        for change in changes { try apply(change) }
        try flush()
        try ledger.note("daemon_stopped", at: books.clock.timestamp(now))
        return changes
    }

    /// What the charger measured, for a fault's record.
    private func context() -> String {
        var parts = ["pilot \(pilot)"]
        if let reading = lastReading {
            parts.append("\(fixed(reading.minimumVoltage.value, 1)) V, \(fixed(reading.maximumCurrent.value, 1)) A, \(fixed(reading.power.value, 1)) W")
        }
        if let celsius = lastTemperature { parts.append("\(fixed(celsius.value, 1)) °C") }
        return parts.joined(separator: ", ")
    }
}
