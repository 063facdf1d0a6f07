#if canImport(Glibc)
import Glibc
#endif
import Billing
import EVSECore
import FoundationEssentials
import Ledger
import Sessions

/// Decides which alerts the owner gets, from the control loop's events and the session's books
/// (`SessionBooks`: who owns a session, its figures, why it ended).
/// Clock-free: the daemon and `evsed simulate` feed it the same events, in real or virtual time,
/// and it answers with alerts (and, when an owner's limit is reached, a request to stop the
/// session). Not pure: quiet hours and the times in its texts are in the system's time zone
/// (`Timestamp.local`, through `localtime_r`).
///
/// - About to end is predicted from the session's present rate: the energy and cost limits from
///   the power now, the duration limit and the departure time from the clock.
/// - Nearly full: the power stayed below `nearlyFullFraction` of the session's peak for
///   `nearlyFullFor`. The time left assumes the taper of a lithium battery, an exponential decay
///   fitted to the readings since the power dropped, down to 5 % of the peak, where cars stop.
/// - A fault raised again within `faultRepeatWindow` of its last alert is counted, not sent; the
///   next alert says how often it came back.
public struct AlertRules: Sendable {
    public let configuration: AlertConfiguration
    public let charger: String
    private let catalogue: FaultCatalogue
    private var clock: WallClock
    private let tariff: Tariff?

    /// What the rules ask of the charger besides alerts.
    public enum Request: Hashable, Sendable {
        /// The session reached its owner's limit: stop it.
        case stopSession(SessionID)
    }

    /// What the rules remember of a session besides its books: what they sent and what they saw of
    /// its power.
    private struct Tracked: Sendable {
        let id: SessionID
        var peakPower = 0.0
        /// Readings since the power dropped below the nearly-full fraction.
        var taper: [(at: Instant, watts: Double)] = []
        var chargedSince = false
        var interruption: FaultCode?
        var faultAlerted = false
        var paused = false
        var nearlyFullSent = false
        var endingSoonSent = false
        var idleSent = false
        var stopRequested = false
    }

    private struct Repeats: Sendable {
        var lastSent: Instant
        var suppressed = 0
    }

    private var sessions: [SessionID: Tracked] = [:]
    /// When the open session is predicted to end, and why (an owner's limit or departure from
    /// the power now, or the car nearly full from its taper); nil when nothing predicts it.
    public private(set) var prediction: (session: SessionID, end: Timestamp, reason: String)?
    private var repeats: [String: Repeats] = [:]
    private var level: PilotLevel = .a
    /// Whether the pilot offers a current (PWM). A car that goes from C to B while it does stopped
    /// on its own; one that does so after the charger withdrew the PWM (a stop, a pause, a fault,
    /// an owner's limit) was told to.
    private var pwmOffered = false
    private var carriedOver: (id: SessionID, cause: String, down: Duration?)?
    public private(set) var requests: [Request] = []

    /// - Parameters:
    ///   - tariff: the tariff new sessions start with (for the started and idle alerts).
    ///   - clock: the events' instants in wall-clock time.
    public init(configuration: AlertConfiguration, charger: String, catalogue: FaultCatalogue, clock: WallClock, tariff: Tariff?) {
        self.configuration = configuration
        self.charger = charger
        self.catalogue = catalogue
        self.clock = clock
        self.tariff = tariff
    }

    /// The session `id`, open when evsed stopped, may resume or end when the vehicle is seen (or
    /// not); either way its owner hears what happened. `down` is how long the charger was off.
    public mutating func expectCarriedOver(_ id: SessionID, cause: String, down: Duration?) {
        carriedOver = (id, cause, down)
    }

    /// The books followed a step of the system clock: times in alerts from now on are the new ones.
    public mutating func follow(_ clock: WallClock) {
        self.clock = clock
    }

    /// The session the charger is on: the newest one tracked (an ended one stays until its books close).
    private var newestSession: SessionID? { sessions.keys.max() }

    /// Takes the requests made since the last call.
    public mutating func takeRequests() -> [Request] {
        defer { requests = [] }
        return requests
    }

    /// The alerts raised by `event`; `books` are the sessions' books after it.
    public mutating func observe(_ event: TimedEvent, books: SessionBooks) -> [Alert] {
        let now = event.at
        switch event.event {
        case .action(let action):
            return observe(action, at: now, books: books)
        case .meterReading(let reading):
            return observe(reading, at: now, open: books.open)
        case .temperature, .commandRejected, .hardwareError, .eventsLost:
            return []
        }
    }

    /// The alert of a session whose books are final: the bill.
    public mutating func observe(_ change: SessionBooks.Change) -> [Alert] {
        guard case .closed(let session, _) = change else { return [] }
        sessions.removeValue(forKey: session.id)
        if prediction?.session == session.id { prediction = nil }
        let figures = session.figures
        var facts = sessionFacts(figures)
        facts["duration"] = AlertFacts.duration(.milliseconds(figures.lastMilliseconds - figures.startMilliseconds))
        facts["reason"] = AlertFacts.reason(session.endReason ?? "unknown")
        facts["bill"] = figures.bill.map(AlertFacts.bill) ?? "no tariff: nothing to pay"
        return [alert(.ended, at: clock.instant(session.lastAt), session: session.id, owner: recipient(session), facts)]
    }

    /// Who gets a session's alerts: its owner in the books, or the default owner.
    private func recipient(_ session: SessionBooks.Session?) -> String? {
        session?.owner ?? configuration.defaultOwner
    }

    private mutating func observe(_ action: ChargerAction, at now: Instant, books: SessionBooks) -> [Alert] {
        let open = books.open
        switch action {
        case .sessionStarted(let id):
            sessions[id] = Tracked(id: id)
            return [alert(.started, at: now, session: id, owner: recipient(books.session(id)),
                          ["tariff": AlertFacts.tariff(tariff, at: clock.timestamp(now).local)])]

        case .sessionResumed(let id):
            if let carried = carriedOver, carried.id == id {
                carriedOver = nil
                sessions[id] = Tracked(id: id)
                return [alert(.powerCut, at: now, session: id, owner: recipient(books.session(id)), [
                    "outcome": "resumed charging where it left off", "down": carried.down.map(AlertFacts.duration) ?? "a while",
                    "cause": Self.cause(carried.cause),
                ])]
            }
            guard var tracked = sessions[id] else { return [] }
            defer { sessions[id] = tracked }
            tracked.paused = false
            guard let code = tracked.interruption else { return [] }
            tracked.interruption = nil
            guard tracked.faultAlerted, send("resumed:\(code)", at: now) != nil else { return [] }
            return [alert(.resumed, at: now, session: id, owner: recipient(books.session(id)), ["fault": code.rawValue, "title": catalogue[code].title])]

        case .sessionInterrupted(let id, let cause):
            switch cause {
            case .fault(let code): sessions[id]?.interruption = code
            case .paused: sessions[id]?.paused = true
            }
            return []

        case .sessionEnded(let id, _):
            if let carried = carriedOver, carried.id == id {
                carriedOver = nil
                sessions[id] = Tracked(id: id)
                return [alert(.powerCut, at: now, session: id, owner: recipient(books.session(id)), [
                    "outcome": "ended, since the car was gone when the charger came back; the bill follows",
                    "down": carried.down.map(AlertFacts.duration) ?? "a while", "cause": Self.cause(carried.cause),
                ])]
            }
            return []

        case .faultRaised(let code):
            let id = newestSession
            let owner = recipient(id.flatMap(books.session))
            // A fault with no session is still news to the default owner: the charger is out of service.
            guard let suppressedBefore = send("fault:\(code)", at: now) else { return [] }
            if let id { sessions[id]?.faultAlerted = true }
            return [alert(code == .meterLost ? .meterLost : .fault, at: now, session: id, owner: owner, faultFacts(code, repeats: suppressedBefore))]

        case .faultLatched(let code, let latch):
            // Latched until the car is unplugged is the owner's to fix, and the fault alert said how.
            guard latch == .untilTechnicianClears else { return [] }
            let id = newestSession
            let owner = recipient(id.flatMap(books.session))
            return [alert(.needsService, at: now, session: id, owner: owner, faultFacts(code, repeats: repeats["fault:\(code)"]?.suppressed ?? 0))]

        case .setPilot(let output):
            pwmOffered = output.isPWM
            return []

        case .vehicleStateChanged(let newLevel):
            defer { level = newLevel }
            // The car itself stopped drawing (state C or D to B, the PWM still offered) with nothing
            // pausing the session: it is done.
            guard newLevel == .b, level == .c || level == .d, pwmOffered, let id = newestSession, var tracked = sessions[id],
                tracked.interruption == nil, !tracked.paused, tracked.chargedSince, !tracked.idleSent
            else { return [] }
            tracked.idleSent = true
            sessions[id] = tracked
            var facts = open.map { sessionFacts($0.figures) } ?? [:]
            facts["idle_fee"] = idleFee(at: now, open: open)
            return [alert(.idle, at: now, session: id, owner: recipient(books.session(id)), facts)]

        default:
            return []
        }
    }

    private mutating func observe(_ reading: MeterReading, at now: Instant, open: SessionBooks.Session?) -> [Alert] {
        guard let open, var tracked = sessions[open.id], open.endedAt == nil else {
            prediction = nil
            return []
        }
        defer { sessions[open.id] = tracked }
        var predicted: (end: Timestamp, reason: String)?
        let watts = reading.power.value
        var alerts: [Alert] = []
        let charging = watts > 50 && tracked.interruption == nil && !tracked.paused
        if charging { tracked.chargedSince = true }

        // Nearly full: a sustained drop from the peak while still charging.
        tracked.peakPower = max(tracked.peakPower, watts)
        if charging && watts < configuration.rules.nearlyFullFraction * tracked.peakPower {
            tracked.taper.append((now, watts))
            if tracked.taper.count > 600 { tracked.taper.removeFirst(tracked.taper.count - 600) }
            if !tracked.nearlyFullSent, let first = tracked.taper.first, now - first.at >= configuration.rules.nearlyFullFor {
                tracked.nearlyFullSent = true
                var facts = sessionFacts(open.figures)
                facts["power"] = AlertFacts.power(watts)
                if let left = Self.timeToFull(tracked.taper, peak: tracked.peakPower) {
                    facts["minutes"] = String(max(1, Int((left.seconds / 60).rounded())))
                    facts["end_time"] = AlertFacts.time(clock.timestamp(now + left))
                } else {
                    facts["minutes"] = "a few"
                    facts["end_time"] = "soon"
                }
                alerts.append(alert(.nearlyFull, at: now, session: open.id, owner: recipient(open), facts))
            }
        } else if !charging || watts >= configuration.rules.nearlyFullFraction * tracked.peakPower {
            tracked.taper.removeAll()
        }
        if charging, tracked.taper.count >= 2, let left = Self.timeToFull(tracked.taper, peak: tracked.peakPower) {
            predicted = (clock.timestamp(now + left), "the car nearly full")
        }

        // The owner's limits: warn ahead, stop on reaching them.
        if let limits = configuration.owner(named: recipient(open))?.limits, !limits.isEmpty {
            let predictions = predict(limits, open: open, watts: charging ? watts : 0, at: now)
            if let soonest = predictions.filter({ $0.left > .zero }).min(by: { $0.left < $1.left }),
               predicted.map({ clock.timestamp(now + soonest.left) < $0.end }) ?? true {
                predicted = (clock.timestamp(now + soonest.left), soonest.reason)
            }
            if !tracked.stopRequested, predictions.contains(where: { $0.left <= .zero && $0.stops }) {
                tracked.stopRequested = true
                requests.append(.stopSession(open.id))
            }
            if !tracked.endingSoonSent, let soonest = predictions.min(by: { $0.left < $1.left }), soonest.left <= configuration.rules.lead {
                tracked.endingSoonSent = true
                var facts = sessionFacts(open.figures)
                facts["reason"] = soonest.reason
                facts["minutes"] = String(max(0, Int((soonest.left.seconds / 60).rounded(.up))))
                facts["end_time"] = AlertFacts.time(clock.timestamp(now + max(soonest.left, .zero)))
                alerts.append(alert(.endingSoon, at: now, session: open.id, owner: recipient(open), facts))
            }
        }
        prediction = predicted.map { (open.id, $0.end, $0.reason) }
        return alerts
    }

    private struct Prediction {
        var reason: String
        var left: Duration
        /// Whether the charger stops the session there (the departure time only warns).
        var stops: Bool
    }

    private func predict(_ limits: SessionLimits, open: SessionBooks.Session, watts: Double, at now: Instant) -> [Prediction] {
        var predictions: [Prediction] = []
        let energy = open.figures.energyWh
        if let limit = limits.energyWh {
            let remaining = Double(limit - energy)
            if remaining <= 0 {
                predictions.append(Prediction(reason: "energy limit \(AlertFacts.energy(limit)) reached", left: .zero, stops: true))
            } else if watts > 0 {
                predictions.append(Prediction(reason: "energy limit \(AlertFacts.energy(limit))", left: .clampedSeconds(remaining / watts * 3600), stops: true))
            }
        }
        if let limit = limits.cost, let bill = open.figures.bill {
            let spent = bill.totalIncludingVAT.amount
            let currency = bill.currency
            if spent >= limit {
                predictions.append(Prediction(reason: "cost limit \(Money(limit, currency)) reached", left: .zero, stops: true))
            } else if watts > 0 && energy > 0 {
                // At the session's average price per kWh so far.
                let perWh = spent.doubleValue / Double(energy)
                let rate = perWh * watts / 3600  // per second
                if rate > 0 {
                    let seconds = (limit - spent).doubleValue / rate
                    predictions.append(Prediction(reason: "cost limit \(Money(limit, currency))", left: .clampedSeconds(seconds), stops: true))
                }
            }
        }
        if let limit = limits.duration {
            let left = clock.instant(open.startedAt) + limit - now
            predictions.append(Prediction(reason: "time limit \(AlertFacts.duration(limit))", left: left, stops: true))
        }
        if let departure = limits.departure {
            let today = clock.timestamp(now)
            let second = today.local.secondOfDay
            var wait = departure - second
            if wait < 0 { wait += 86_400 }
            predictions.append(Prediction(reason: "your departure at \(AlertFacts.time(Timestamp(milliseconds: today.milliseconds + Int64(wait) * 1000)))",
                                          left: .seconds(wait), stops: false))
        }
        return predictions
    }

    /// Why the charger was off, in words: the ledger says `daemon_stopped` for a planned stop.
    static func cause(_ cause: String) -> String {
        cause == "daemon_stopped" ? "a restart" : "a power cut"
    }

    /// The time until the power falls to 5 % of `peak`, from an exponential fitted to `taper`
    /// (least squares on the logarithm); nil when the power is not falling.
    static func timeToFull(_ taper: [(at: Instant, watts: Double)], peak: Double) -> Duration? {
        guard taper.count >= 3, let last = taper.last, let first = taper.first else { return nil }
        let points = taper.filter { $0.watts > 0 }.map { (($0.at - first.at).seconds, log($0.watts)) }
        let n = Double(points.count)
        let meanT = points.reduce(0) { $0 + $1.0 } / n
        let meanY = points.reduce(0) { $0 + $1.1 } / n
        let covariance = points.reduce(0) { $0 + ($1.0 - meanT) * ($1.1 - meanY) }
        let variance = points.reduce(0) { $0 + ($1.0 - meanT) * ($1.0 - meanT) }
        guard variance > 0 else { return nil }
        let slope = covariance / variance
        guard slope < 0 else { return nil }
        let cutoff = 0.05 * peak
        guard last.watts > cutoff else { return .zero }
        return .clampedSeconds(log(last.watts / cutoff) / -slope)
    }

    /// nil when the alert is a repeat inside the window (counted); else how many repeats it stood for.
    private mutating func send(_ key: String, at now: Instant) -> Int? {
        if var entry = repeats[key], now - entry.lastSent < configuration.rules.faultRepeatWindow {
            entry.suppressed += 1
            repeats[key] = entry
            return nil
        }
        let suppressed = repeats[key]?.suppressed ?? 0
        repeats[key] = Repeats(lastSent: now)
        return suppressed
    }

    private func faultFacts(_ code: FaultCode, repeats: Int) -> [String: String] {
        let descriptor = catalogue[code]
        return ["fault": code.rawValue, "title": descriptor.title, "instruction": descriptor.ownerInstruction,
                "repeats": repeats > 0 ? " It happened \(repeats) more time\(repeats == 1 ? "" : "s") before this." : ""]
    }

    private func idleFee(at now: Instant, open: SessionBooks.Session?) -> String {
        let at = clock.timestamp(now)
        let elapsed = open.map { (at.milliseconds - $0.figures.startMilliseconds) / 1000 } ?? 0
        guard let tariff, let parking = tariff.component(for: .parkingTime, at: TariffMoment(
            time: at.local, sessionEnergyWh: open?.figures.energyWh ?? 0, sessionSeconds: max(0, elapsed)))
        else { return "No idle fee applies; please unplug when you can." }
        let starts = Timestamp(milliseconds: at.milliseconds + Int64(tariff.parkingGrace) * 1000)
        return "An idle fee of \(AlertFacts.price(parking.component, currency: tariff.currency, unit: "h")) starts at \(AlertFacts.time(starts)) unless the car is unplugged."
    }

    private func sessionFacts(_ figures: MeteredSession) -> [String: String] {
        ["energy": AlertFacts.energy(figures.energyWh), "cost": figures.bill.map { "\($0.totalIncludingVAT)" } ?? "free"]
    }

    /// `owner`'s statement of `month` (facts: sessions, energy, cost, the statement's text).
    public func statement(owner: String, month: String, _ facts: [String: String], at now: Instant) -> Alert {
        alert(.statement, at: now, session: nil, owner: owner, facts.merging(["month": month]) { $1 })
    }

    /// A card was refused at the reader: an alert to the operator, when the alerts file names one.
    public func cardRefused(_ card: String, reason: String, at now: Instant) -> [Alert] {
        guard let name = configuration.operatorName else { return [] }
        return [alert(.cardRefused, at: now, session: nil, owner: name, ["card": card, "reason": reason])]
    }

    private func alert(_ kind: AlertKind, at now: Instant, session: SessionID?, owner: String?, _ facts: [String: String]) -> Alert {
        let at = clock.timestamp(now)
        var all = facts
        all["charger"] = charger
        all["owner"] = owner ?? "owner"
        all["session"] = session.map { "\($0)" } ?? "-"
        all["time"] = AlertFacts.time(at)
        all["date"] = AlertFacts.date(at)
        return Alert(kind: kind, at: at, session: session, owner: owner, facts: all)
    }
}

extension Decimal {
    /// The nearest binary floating-point value: for predictions, never for money.
    var doubleValue: Double { Double(description) ?? 0 }
}
