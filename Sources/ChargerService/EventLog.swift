import Alerts
import Billing
import EVSECore
import FoundationEssentials
import Ledger
import Sessions

/// Turns what the charger service processed into log entries: plain text for people, or one JSON
/// object per line for programs. A formatter: it keeps no books and writes nothing; the only state
/// it keeps is what it showed last (readings and temperatures are throttled). A session's end,
/// owner and interruptions come from its books (`SessionBooks.Session`).
///
/// Every JSON line has `t` (seconds since the start) and `event`. Meter readings are throttled to
/// one every `readingInterval`; timers show only when asked for.
public struct EventLog {
    public enum Style: Sendable { case text, json }

    public var style: Style
    public var showTimers = false
    /// At most one `reading` line per interval; nil shows none.
    public var readingInterval: Duration? = .seconds(60)
    /// Subtracted from every instant, so `t` counts from the start of the run.
    public var origin: Instant = .zero

    private let catalogue: FaultCatalogue
    private var lastReadingShown: Instant?
    private var lastTemperatureShown: Celsius?

    public init(style: Style, catalogue: FaultCatalogue = FaultCatalogue()) {
        self.style = style
        self.catalogue = catalogue
    }

    /// The entries for `event` and for what the books made of it (`changes`), in that order.
    /// - Parameters:
    ///   - open: the open session after the event, for the live figures of a `reading` line.
    ///   - clock: the books' wall clock, which dates a session's end.
    public mutating func entries(for event: TimedEvent, changes: [SessionBooks.Change], open: SessionBooks.Session?, clock: WallClock) -> [EventEntry] {
        eventLines(for: event, open: open) + changes.flatMap { entries(for: $0, clock: clock) }
    }

    /// The line of a scenario's step (`evsed simulate`): what the simulated world did, and where
    /// the scenario file says so.
    public func entry(scenarioStep summary: String, line number: Int, at t: Instant) -> EventEntry {
        line(t, "scenario", text: summary) { $0.add("action", summary); $0.add("line", number) }
    }

    /// The technician's residual-current monitor test in words.
    public static func residualCurrentTestText(passed: Bool) -> String {
        passed ? "residual-current monitor test passed: it tripped on its test input and released"
            : "residual-current monitor test FAILED: it did not trip on its test input (rcm_self_test_failed)"
    }

    /// "contactor test passed: closed in 32.0 ms, opened in 18.0 ms".
    public static func contactorTestText(closedAfter: Duration?, openedAfter: Duration?, passed: Bool) -> String {
        func time(_ duration: Duration?, _ verb: String) -> String {
            duration.map { "\(verb) in \(fixed($0.seconds * 1000, 1)) ms" } ?? "did not \(verb == "closed" ? "close" : "open") within the settle time"
        }
        return "contactor test \(passed ? "passed" : "FAILED"): \(time(closedAfter, "closed")), \(time(openedAfter, "opened"))"
    }

    /// The line of a console's command that changes the charger: "serial /dev/ttyAMA0: limit 10.0 A".
    /// A card at the reader: what became of it (`outcome`: accepted, refused, learned, ...).
    public func entry(card: String?, outcome: String, text: String, at t: Instant) -> EventEntry {
        line(t, "card", text: text) { json in
            if let card { json.add("card", card) }
            json.add("outcome", outcome)
        }
    }

    public func entry(console text: String, at t: Instant) -> EventEntry {
        line(t, "console", text: text) { json in
            let parts = text.split(separator: ":", maxSplits: 1)
            json.add("console", String(parts.first ?? ""))
            json.add("command", parts.count > 1 ? String(parts[1].dropFirst()) : "")
        }
    }

    /// The line of an alert delivery attempt.
    public func entry(for report: AlertDelivery.Report, at t: Instant) -> EventEntry {
        let outcome = report.error.map { "failed: \($0)" + (report.retryAt.map { "; retry at \($0.local.isoTime)" } ?? "") } ?? "delivered"
        return line(t, report.error == nil ? "alert_sent" : "alert_failed",
                    text: "\(report.kind) by \(report.channel) to \(report.address) (\(report.deliveryID), attempt \(report.attempts)): \(outcome)") { json in
            json.add("delivery_id", report.deliveryID)
            json.add("kind", report.kind)
            json.add("channel", report.channel)
            json.add("address", report.address)
            json.add("attempt", report.attempts)
            if let error = report.error { json.add("error", error) }
            if let retry = report.retryAt { json.add("retry_at", retry.description) }
        }
    }

    /// The line of an alert the rules raised and the outbox stored (or could not).
    public func entry(alert published: AlertPublisher.Published, at t: Instant) -> EventEntry {
        let alert = published.alert
        let channels = published.deliveries.map { $0.skipped == nil ? $0.channel : "\($0.channel) (skipped: \($0.skipped!))" }
        let to = alert.owner.map { " for \($0)" } ?? ""
        let via = channels.isEmpty ? " (journal only)" : " → \(channels.joined(separator: ", "))"
        let failed = published.error.map { "; NOT STORED in the outbox: \($0)" } ?? ""
        return line(t, "alert", text: "\(alert.kind)\(to): \(published.message.subject)\(via)\(failed)") { json in
            json.add("kind", alert.kind.rawValue)
            if let session = alert.session { json.add("session", "\(session)") }
            if let owner = alert.owner { json.add("owner", owner) }
            json.add("subject", published.message.subject)
            json.add("text", published.message.text)
            json.add("sms", published.message.sms)
            json.add("channels", channels.joined(separator: ","))
            if let error = published.error { json.add("error", "\(error)") }
        }
    }

    /// The line of a step of the system clock: the books' time before it, the clock's after it.
    public func entry(clockStepFrom from: Timestamp, to: Timestamp, followed: Bool, at t: Instant) -> EventEntry {
        let seconds = Double(to.milliseconds - from.milliseconds) / 1000
        let what = followed ? "the books follow it" : "the books keep their time (they never run backwards)"
        return line(t, "clock_step", text: "the system clock stepped \(seconds >= 0 ? "+" : "")\(fixed(seconds, 3)) s, from \(from) to \(to): \(what)") { json in
            json.add("from", from.description)
            json.add("to", to.description)
            json.add("step_s", seconds)
            json.add("followed", followed)
        }
    }

    /// The line of a ledger write that failed.
    public func entry(ledgerError error: LedgerError, at t: Instant) -> EventEntry {
        line(t, "ledger_error", text: "\(error)") { $0.add("error", "\(error)") }
    }

    /// The lines of a change of the books: the end of a session once it is final, with its bill.
    public func entries(for change: SessionBooks.Change, clock: WallClock) -> [EventEntry] {
        guard case .closed(let session, let source) = change else { return [] }
        let t = clock.instant(session.lastAt)
        return [sessionEnded(session, source: source, at: t, clock: clock)] + (session.figures.bill.map { billLines($0, session: session.id, at: t) } ?? [])
    }

    private mutating func eventLines(for event: TimedEvent, open: SessionBooks.Session?) -> [EventEntry] {
        let t = event.at
        switch event.event {
        case .action(let action):
            return line(for: action, at: t).map { [$0] } ?? []
        case .meterReading(let reading):
            guard let interval = readingInterval else { return [] }
            if let last = lastReadingShown, t - last < interval { return [] }
            lastReadingShown = t
            let session = open.map { Double($0.figures.energyWh) }
            let cost = open?.figures.bill?.totalIncludingVAT
            let text = "\(fixed(reading.power.value / 1000, 2)) kW, \(fixed(reading.maximumCurrent.value, 1)) A, \(fixed(reading.minimumVoltage.value, 0)) V, register \(fixed(reading.importEnergy.kilowattHours, 3)) kWh"
                + (session.map { ", session \(fixed($0, 0)) Wh" } ?? "") + (cost.map { ", cost \($0)" } ?? "")
            return [line(t, "reading", text: text) { json in
                json.add("power_w", reading.power.value, decimals: 1)
                json.add("amps", reading.maximumCurrent.value, decimals: 2)
                json.add("volts", reading.minimumVoltage.value, decimals: 1)
                json.add("register_wh", reading.importEnergy.value, decimals: 1)
                if let session { json.add("session_energy_wh", session, decimals: 1) }
                if let cost {
                    json.add("cost", number: Self.number(cost))
                    json.add("currency", cost.currency.code)
                }
            }]
        case .temperature(let celsius):
            if let last = lastTemperatureShown, (celsius - last).magnitude < Celsius(1) { return [] }
            lastTemperatureShown = celsius
            return [line(t, "temperature", text: "\(fixed(celsius.value, 1)) °C") { $0.add("celsius", celsius.value, decimals: 1) }]
        case .commandRejected(let command, let reason):
            return [line(t, "command_rejected", text: "\(command): \(reason)") { $0.add("command", "\(command)"); $0.add("reason", "\(reason)") }]
        case .hardwareError(let error):
            return [line(t, "hardware_error", text: "\(error)") { $0.add("device", error.device.rawValue); $0.add("detail", error.detail) }]
        case .eventsLost(let count):
            return [line(t, "events_lost", text: "\(count) event(s) did not fit the event queue and are lost") { $0.add("count", count) }]
        }
    }

    private func line(for action: ChargerAction, at t: Instant) -> EventEntry? {
        switch action {
        case .vehicleStateChanged(let level):
            return line(t, "state", text: "\(level)") { $0.add("state", level.rawValue) }
        case .setPilot(let output):
            let amps: Double
            if case .pwm(let duty) = output { amps = duty.offeredCurrent?.value ?? 0 } else { amps = 0 }
            let name: String
            switch output {
            case .pwm: name = "pwm"
            case .steady: name = "steady"
            case .stateF: name = "state_f"
            }
            // JSON rounds the duty to 0.1 %, as PWMDuty.displayPercent does.
            let duty = output.dutyPercent
            return line(t, "pwm", text: "\(output)" + (amps > 0 ? " (\(fixed(amps, 1)) A)" : "")) { json in
                json.add("duty", duty, decimals: 1)
                json.add("amps", amps, decimals: 2)
                json.add("output", name)
            }
        case .closeContactor, .openContactor:
            let closed = action == .closeContactor
            return line(t, "contactor", text: closed ? "closed" : "open") { $0.add("closed", closed) }
        case .setResidualCurrentTest(let active):
            return line(t, "rcm_test", text: active ? "self-test input on" : "self-test input off") { $0.add("active", active) }
        case .setConnectorLock(let locked):
            return line(t, "lock", text: locked ? "plug locked" : "plug released") { $0.add("locked", locked) }
        case .startTimer(let timer, let deadline):
            guard showTimers else { return nil }
            return line(t, "timer", text: "\(timer) in \(fixed((deadline - t).seconds, 3)) s") {
                $0.add("timer", "\(timer)")
                $0.add("in_s", (deadline - t).seconds)
            }
        case .cancelTimer(let timer):
            guard showTimers else { return nil }
            return line(t, "timer_cancelled", text: "\(timer)") { $0.add("timer", "\(timer)") }
        case .sessionStarted(let id):
            return line(t, "session_started", text: "session \(id)") { $0.add("session", "\(id)") }
        case .sessionEnded:
            // Reported once final, with its energy (see `sessionEnded(_:)`).
            return nil
        case .sessionInterrupted(let id, let cause):
            return line(t, "session_interrupted", text: "session \(id): \(cause)") { json in
                json.add("session", "\(id)")
                switch cause {
                case .fault(let code): json.add("cause", "fault"); json.add("code", code.rawValue)
                case .paused: json.add("cause", "paused")
                }
            }
        case .sessionResumed(let id):
            return line(t, "session_resumed", text: "session \(id)") { $0.add("session", "\(id)") }
        case .faultRaised(let code):
            let entry = catalogue[code]
            return line(t, "fault", text: "\(code) (\(code.displayCode)) \(entry.title) — \(entry.reaction)") { json in
                json.add("code", code.rawValue)
                json.add("display", code.displayCode)
                json.add("title", entry.title)
                json.add("ocpp", entry.ocppErrorCode)
            }
        case .faultCleared(let code):
            return line(t, "fault_cleared", text: "\(code)") { $0.add("code", code.rawValue) }
        case .faultLatched(let code, let latch):
            return line(t, "fault_latched", text: "\(code) \(latch.rawValue)") { json in
                json.add("code", code.rawValue)
                json.add("until", latch == .untilUnplugged ? "unplugged" : "technician")
            }
        case .recoveryAttempt(let code, let attempt):
            return line(t, "recovery_attempt", text: "\(code) attempt \(attempt)") { $0.add("code", code.rawValue); $0.add("attempt", attempt) }
        case .residualCurrentTestResult(let passed):
            return line(t, "rcm_test_result", text: Self.residualCurrentTestText(passed: passed)) {
                $0.add("passed", passed)
            }
        case .contactorTestResult(let closed, let opened, let passed):
            return line(t, "contactor_test", text: Self.contactorTestText(closedAfter: closed, openedAfter: opened, passed: passed)) { json in
                json.add("passed", passed)
                if let closed { json.add("closed_ms", closed.seconds * 1000, decimals: 1) }
                if let opened { json.add("opened_ms", opened.seconds * 1000, decimals: 1) }
            }
        case .derating(let step):
            let factor = step == 0 ? 1 : step == 1 ? 0.5 : step == 2 ? 0.25 : 0
            return line(t, "derating", text: "temperature step \(step): current ×\(factor)") { $0.add("step", step); $0.add("factor", factor) }
        }
    }

    private func sessionEnded(_ session: SessionBooks.Session, source: String, at end: Instant, clock: WallClock) -> EventEntry {
        let id = session.id
        let figures = session.figures
        let reason = session.endReason ?? "unknown"
        let interruptions = session.interruptions.count
        let bill = figures.bill
        let endMilliseconds = clock.timestamp(end).milliseconds
        let duration = Double(endMilliseconds - figures.startMilliseconds) / 1000
        let energy = Double(figures.energyWh)
        let text = "session \(id) (\(reason)): \(fixed(energy, 0)) Wh in \(fixed(duration, 1)) s, charging \(figures.chargingSeconds) s, \(interruptions) interruption(s)"
            + (bill.map { ", cost \($0.totalIncludingVAT)" } ?? "") + (source == "meter" ? "" : ", end register: \(source)")
        return line(end, "session_ended", text: text) { json in
            json.add("session", "\(id)")
            if let owner = session.owner { json.add("owner", owner) }
            json.add("reason", reason)
            json.add("energy_wh", energy, decimals: 1)
            json.add("duration_s", duration)
            json.add("charging_s", figures.chargingSeconds)
            json.add("idle_s", figures.idleSeconds)
            json.add("unavailable_s", figures.unavailableSeconds)
            json.add("outage_s", figures.outageSeconds)
            json.add("interruptions", interruptions)
            if let start = figures.startRegisterWh { json.add("start_register_wh", start) }
            if let last = figures.lastRegisterWh { json.add("end_register_wh", last) }
            json.add("end_register_source", source)
            if let bill {
                json.add("cost", number: Self.number(bill.totalIncludingVAT))
                json.add("cost_excl_vat", number: Self.number(bill.totalExcludingVAT))
                json.add("vat", number: Self.number(bill.totalVAT))
                json.add("currency", bill.currency.code)
            }
        }
    }

    /// The bill's rows, one entry each, after `session_ended`: exact decimals, as strings in JSON.
    private func billLines(_ bill: Bill, session id: SessionID, at end: Instant) -> [EventEntry] {
        bill.rows.map { row in
            line(end, "bill_line", text: BillText.line(row, currency: bill.currency.code)) { json in
                json.add("session", "\(id)")
                row.add(to: &json)
            }
        }
    }

    /// An amount of money as a JSON number, rounded to its minor unit.
    static func number(_ money: Money) -> String {
        money.plainText
    }

    private func line(_ t: Instant, _ event: String, text: String, _ fields: (inout JSONLine) -> Void) -> EventEntry {
        var json = JSONLine()
        fields(&json)
        return EventEntry(seconds: (t - origin).seconds, event: event, text: text, fields: json)
    }
}

/// One event of the log, before it is rendered: its time, name, words and fields.
public struct EventEntry: Sendable {
    /// Seconds since the start of the run.
    public var seconds: Double
    /// The event's name (`state`, `fault`, `session_ended`, …).
    public var event: String
    /// The event in words, for people.
    public var text: String
    /// The event's fields, as in its JSON form (without `t` and `event`).
    public var fields: JSONLine

    /// The entry as one line of text or JSON.
    public func rendered(_ style: EventLog.Style) -> String {
        switch style {
        case .json:
            var json = JSONLine()
            json.add("t", seconds)
            json.add("event", event)
            json.append(contentsOf: fields)
            return json.description
        case .text:
            let time = fixed(seconds, 3)
            let padded = String(repeating: " ", count: max(0, 10 - time.count)) + time
            let name = event + String(repeating: " ", count: max(0, 20 - event.count))
            return "\(padded) s  \(name)\(text)"
        }
    }

    /// How serious the event is, as a syslog priority: 3 error, 4 warning, 5 notice, 6 info.
    public var priority: Int {
        switch event {
        case "fault_latched", "hardware_error": return 3
        case "fault", "command_rejected": return 4
        case "fault_cleared", "recovery_attempt", "session_started", "session_ended", "session_interrupted", "session_resumed",
             "clock_step": return 5
        default: return 6
        }
    }
}
