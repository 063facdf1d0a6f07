import Alerts
import Billing
import EVSECore
import Ledger
import Sessions

/// What the charger service tells its subscribers of each thing it processed: one event of the
/// control loop (or, with no event, what a start-up's recovery or a stop settled), after the books.
public struct ServiceUpdate {
    /// The control loop's event; nil for what a recovery or the end of a run settled, and for
    /// entries reported from elsewhere (alert deliveries, console changes).
    public let event: TimedEvent?
    /// What the books made of it: a session started, interrupted, ended, closed with its bill.
    public let changes: [SessionBooks.Change]
    /// The log's entries for it, in order: a ledger error, the event, the books' changes, the alerts.
    public let entries: [EventEntry]
    /// The open session after it, with its figures so far (the live bill in `figures.bill`).
    public let openSession: SessionBooks.Session?
    /// When the alert rules predict the open session's end, and why.
    public let predictedEnd: (end: Timestamp, reason: String)?

    public init(event: TimedEvent?, changes: [SessionBooks.Change], entries: [EventEntry], openSession: SessionBooks.Session?,
                predictedEnd: (end: Timestamp, reason: String)? = nil) {
        self.event = event
        self.changes = changes
        self.entries = entries
        self.openSession = openSession
        self.predictedEnd = predictedEnd
    }
}

/// One more reader of the pipeline (the console's view and the MQTT state today; OCPP and the
/// owner's live page next): told of every update, in the order it subscribed, once the books hold it.
public protocol ServiceSubscriber: AnyObject {
    func serviceProcessed(_ update: ServiceUpdate)
}

/// The charger's event pipeline, in one fixed order: the books first (the ledger, durable, or
/// memory without one), then the log's entries, then the owner's alerts raised from the same books
/// (stored in the ledger's outbox), then each subscriber. What the pipeline asks of the control
/// loop (stop a session at its owner's limit, stop charging when the ledger cannot be written)
/// goes back through `takeCommands()`, the one path into the loop's command queue.
///
/// `evsed run` and `evsed simulate` build it with the same initializer; `simulate` gives it a
/// virtual clock, a ledger only with `--ledger`, and no subscribers. Used from one thread.
public struct ChargerService {
    /// Formats what the service processed.
    public var log: EventLog
    /// The ledger that keeps the books: each change is durable before anyone is told.
    public let recorder: LedgerRecorder?
    /// The sessions' books when no ledger keeps them (`evsed simulate` without --ledger).
    private var memoryBooks: SessionBooks
    /// Owner alerts: raised from the same events and books, stored in the ledger's outbox.
    public var alerts: AlertPublisher?
    private var subscribers: [any ServiceSubscriber] = []
    /// When the control loop was last asked to stop charging because a ledger write failed (once a
    /// second at most, so that failing writes do not fill its command queue).
    private var ledgerFailureReported: Instant?
    private var commands: [(command: ChargerCommand, why: String?)] = []

    /// The service as `run` and `simulate` both build it: the books in `recorder` (or in memory
    /// without a ledger), the log, and the owner's alerts from the same books and clock. After a
    /// restart, the session the ledger carried over goes to the owner the ledger names.
    ///
    /// - Parameters:
    ///   - clock: the wall clock of the books (the recorder's, when there is one).
    ///   - tariff: prices the sessions when no ledger does.
    ///   - recovery: what the start-up's `recover(at:)` found, with a ledger; `recovered(_:at:)`
    ///     then says what it settled.
    ///   - down: how long the charger was down before this start, when known (for the alert).
    public init(style: EventLog.Style, charger: ChargerConfiguration, chargerName: String, clock: WallClock,
                tariff: TariffSnapshot?, recorder: LedgerRecorder?, recovery: LedgerRecorder.Recovery?,
                alerts: AlertConfiguration, down: Duration? = nil) {
        let catalogue = FaultCatalogue(configuration: charger)
        log = EventLog(style: style, catalogue: catalogue)
        self.recorder = recorder
        memoryBooks = SessionBooks(clock: clock, tariff: tariff, defaultOwner: alerts.defaultOwner)
        recorder?.updateBooks { $0.defaultOwner = alerts.defaultOwner }
        var rules = AlertRules(configuration: alerts, charger: chargerName, catalogue: catalogue, clock: clock, tariff: tariff?.tariff)
        if let recovery, let carried = recovery.carriedOver {
            rules.expectCarriedOver(carried, cause: recovery.cause ?? "power_loss", down: down)
        }
        self.alerts = AlertPublisher(rules: rules, ledger: recorder?.ledger)
    }

    /// Adds a reader of every update, after those already there.
    public mutating func subscribe(_ subscriber: any ServiceSubscriber) {
        subscribers.append(subscriber)
    }

    /// The books: the ledger's, or memory's without one.
    public var books: SessionBooks { recorder?.books ?? memoryBooks }

    /// The open session's books.
    public var openSession: SessionBooks.Session? { books.open }

    /// The open session's cost so far, including VAT, when a tariff prices it.
    public var liveCost: Money? { openSession?.figures.bill?.totalIncludingVAT }

    /// A console named the owner of the next session (`start --owner`), or a card did (with the
    /// card; a card with no owner leaves the default owner).
    public mutating func nameNextOwner(_ name: String?, card: String? = nil) {
        updateBooks { $0.nameNextOwner(name, card: card) }
    }

    /// The session `id` is being stopped for `reason` (`card`): its end says so instead of `stop_command`.
    public mutating func stopping(_ id: SessionID, because reason: String) {
        updateBooks { $0.stopping(id, because: reason) }
    }

    /// A card's naming of the next session expired: forgotten, unless something else named it since.
    public mutating func forgetNextSession(card: String) {
        updateBooks { books in if books.cardOfNextSession == card { books.nameNextOwner(nil) } }
    }

    /// A card was refused at the reader: its line, and the operator's alert when one is configured.
    public mutating func cardRefused(_ card: String, reason: String, at t: Instant) -> [EventEntry] {
        var entries = [log.entry(card: card, outcome: "refused", text: "card \(card) refused: \(reason)", at: t)]
        if let publisher = alerts {
            entries += publisher.publish(publisher.rules.cardRefused(card, reason: reason, at: t)).map { log.entry(alert: $0, at: t) }
        }
        return report(entries)
    }

    /// Changes the books outside the event stream, wherever they are kept.
    private mutating func updateBooks(_ body: (inout SessionBooks) -> Void) {
        if let recorder { recorder.updateBooks(body) } else { body(&memoryBooks) }
    }

    /// One event of the control loop through the pipeline; returns its log entries.
    public mutating func process(_ event: TimedEvent) -> [EventEntry] {
        var entries: [EventEntry] = []
        let changes: [SessionBooks.Change]
        if let recorder {
            do throws(LedgerError) {
                changes = try recorder.record(event)
            } catch {
                changes = []
                entries.append(ledgerFailed(error, at: event.at))
            }
        } else {
            changes = memoryBooks.observe(event)
        }
        let open = openSession
        entries += log.entries(for: event, changes: changes, open: open, clock: books.clock)
        if var publisher = alerts {
            var published = publisher.observe(event, books: books)
            for change in changes { published += publisher.observe(change) }
            alerts = publisher
            entries += published.map { log.entry(alert: $0, at: event.at) }
        }
        let prediction = alerts?.rules.prediction.flatMap { $0.session == open?.id ? ($0.end, $0.reason) : nil }
        tell(ServiceUpdate(event: event, changes: changes, entries: entries, openSession: open, predictedEnd: prediction))
        return entries
    }

    /// The system clock was set: at `instant` it reads `now` (from the runtime's watch, or a
    /// scenario). The books follow a step forward and note any step (`SessionBooks.clockStepped`:
    /// less than a second is none); the alerts' times follow the books. Returns the log's entries.
    public mutating func clockStepped(at instant: Instant, to now: Timestamp) -> [EventEntry] {
        let from = books.clock.timestamp(instant)
        guard SessionBooks.isClockStep(from: from, to: now) else { return [] }
        var entries: [EventEntry] = []
        var changes: [SessionBooks.Change] = []
        if let recorder {
            do throws(LedgerError) {
                changes = try recorder.clockStepped(at: instant, to: now).changes
            } catch {
                entries.append(ledgerFailed(error, at: instant))
            }
        } else {
            changes = memoryBooks.clockStepped(at: instant, to: now).changes
        }
        // The books decided whether to follow it (forward only): their clock says which.
        let clock = books.clock
        alerts?.rules.follow(clock)
        entries.append(log.entry(clockStepFrom: from, to: now, followed: clock.timestamp(instant) == now, at: instant))
        tell(ServiceUpdate(event: nil, changes: changes, entries: entries, openSession: openSession))
        return entries
    }

    /// Whether the system clock is synchronised now: new sessions record it with their times.
    public mutating func clockStatus(_ status: ClockStatus) {
        updateBooks { $0.clockStatus = status }
    }

    /// A ledger write failed: its line, and the loop is asked to stop charging (once a second at most).
    private mutating func ledgerFailed(_ error: LedgerError, at t: Instant) -> EventEntry {
        if ledgerFailureReported.map({ t - $0 >= .seconds(1) }) ?? true {
            ledgerFailureReported = t
            commands.append((.ledgerWriteFailed, nil))
        }
        return log.entry(ledgerError: error, at: t)
    }

    /// Entries that did not come from the control loop (an alert delivery attempt, a change made
    /// at a console): passed to the subscribers like the rest, and returned.
    public func report(_ entries: [EventEntry]) -> [EventEntry] {
        tell(ServiceUpdate(event: nil, changes: [], entries: entries, openSession: openSession))
        return entries
    }

    /// What the pipeline asks of the control loop since the last call, each with what to tell the
    /// user when there is something: stop a session at its owner's limit; stop charging because the
    /// ledger could not be written (its `ledger_error` line has said why).
    public mutating func takeCommands() -> [(command: ChargerCommand, why: String?)] {
        for request in alerts?.rules.takeRequests() ?? [] {
            switch request {
            case .stopSession(let id):
                updateBooks { $0.stopping(id, because: "limit") }
                commands.append((.stopSession, "session \(id) reached its owner's limit: stopping it"))
            }
        }
        defer { commands.removeAll() }
        return commands
    }

    /// At the start of a month (the alerts file's `[rules] monthly_statement`): each owner of the
    /// alerts file with sessions in the month before gets that month's statement once they are all
    /// closed, once — the statement alert in the outbox is the record that it went. Returns the
    /// log's entries.
    public mutating func sendMonthlyStatements(at now: Instant) -> [EventEntry] {
        guard let publisher = alerts, publisher.rules.configuration.rules.monthlyStatement, let ledger = recorder?.ledger else { return [] }
        let today = books.clock.timestamp(now).local
        let (year, month) = today.month == 1 ? (today.year - 1, 12) : (today.year, today.month - 1)
        let name = "\(year)-\(month < 10 ? "0" : "")\(month)"
        let from = Timestamp(local: CivilTime(year: year, month: month, day: 1))
        let until = Timestamp(local: CivilTime(year: today.year, month: today.month, day: 1))
        var entries: [EventEntry] = []
        do throws(LedgerError) {
            for owner in try ledger.owners(from: from, until: until) where publisher.rules.configuration.owner(named: owner) != nil {
                guard try !ledger.statementAlerted(owner: owner, month: name) else { continue }
                let statement = try ledger.statement(owner: owner, from: from, until: until)
                // A session of the month still open (it began on the last evening) waits: the
                // statement goes once it is on it, so that no session misses its month's mail.
                guard !statement.lines.isEmpty, statement.openSessions == 0 else { continue }
                let totals = statement.totals
                let facts = [
                    "sessions": String(statement.lines.count),
                    "energy": AlertFacts.energy(totals.reduce(0) { $0 + $1.energyWh }),
                    "cost": totals.isEmpty ? "free" : totals.map { "\(Statement.money($0.includingVAT, $0.currency)) \($0.currency ?? "")" }.joined(separator: " + "),
                    "statement": statement.text(month: name).joined(separator: "\n"),
                ]
                let published = publisher.publish([publisher.rules.statement(owner: owner, month: name, facts, at: now)])
                entries += published.map { log.entry(alert: $0, at: now) }
            }
        } catch {
            entries.append(log.entry(ledgerError: error, at: now))
        }
        return report(entries)
    }

    /// The end of a run: a session still waiting for its end register is made final with the
    /// last one known; with a ledger, the readings are written and the stop recorded (an open
    /// session stays open, to be resumed).
    public mutating func finish(at now: Instant) -> [EventEntry] {
        guard let recorder else { return settled(memoryBooks.finish(at: now), at: now) }
        do throws(LedgerError) {
            return settled(try recorder.stop(at: now), at: now)
        } catch {
            let entries = [log.entry(ledgerError: error, at: now)]
            tell(ServiceUpdate(event: nil, changes: [], entries: entries, openSession: openSession))
            return entries
        }
    }

    /// What the restart itself settled (`LedgerRecorder.Recovery`): the end and bill of each
    /// session it closed, and its owner's alert.
    public mutating func recovered(_ recovery: LedgerRecorder.Recovery, at t: Instant) -> [EventEntry] {
        settled(recovery.closedAtStart, at: t)
    }

    /// Changes of the books that no event brought (a recovery, a stop): their lines and alerts.
    private mutating func settled(_ changes: [SessionBooks.Change], at t: Instant) -> [EventEntry] {
        var entries: [EventEntry] = []
        for change in changes {
            entries += log.entries(for: change, clock: books.clock)
            if var publisher = alerts {
                let published = publisher.observe(change)
                alerts = publisher
                entries += published.map { log.entry(alert: $0, at: t) }
            }
        }
        tell(ServiceUpdate(event: nil, changes: changes, entries: entries, openSession: openSession))
        return entries
    }

    private func tell(_ update: ServiceUpdate) {
        for subscriber in subscribers { subscriber.serviceProcessed(update) }
    }
}
