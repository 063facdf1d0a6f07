import ConfigFile

/// The three texts of each kind of alert: a subject, the full text and the SMS text. evsed ships
/// a set; the alerts file may replace any of them (`[template.ended] sms = "…"`).
public struct AlertTemplates: Sendable {
    public struct Texts: Sendable {
        public var subject: AlertTemplate
        public var text: AlertTemplate
        public var sms: AlertTemplate

        /// The message for `facts`.
        public func render(_ facts: [String: String]) -> AlertMessage {
            AlertMessage(subject: subject.render(facts), text: text.render(facts), sms: sms.render(facts))
        }
    }

    private var sets: [AlertKind: Texts]

    public subscript(kind: AlertKind) -> Texts { sets[kind]! }

    /// evsed's own texts.
    public static let standard: AlertTemplates = {
        var sets: [AlertKind: Texts] = [:]
        for kind in AlertKind.allCases {
            let (subject, text, sms) = defaultTexts(kind)
            let allowed = AlertKind.commonFacts + kind.facts
            // The shipped texts are checked by the tests; a failure here is a programming error.
            sets[kind] = Texts(subject: try! AlertTemplate(subject, allowed: allowed), text: try! AlertTemplate(text, allowed: allowed),
                             sms: try! AlertTemplate(sms, allowed: allowed))
        }
        return AlertTemplates(sets: sets)
    }()

    /// The standard texts with the alerts file's `[template.KIND]` tables applied.
    public static func read(_ table: ConfigTable?) throws(ConfigError) -> AlertTemplates {
        var templates = standard
        guard let table else { return templates }
        try table.rejectUnknownKeys(besides: AlertKind.allCases.map(\.rawValue))
        for kind in AlertKind.allCases {
            guard let texts = try table.table(kind.rawValue) else { continue }
            try texts.rejectUnknownKeys(besides: ["subject", "text", "sms"])
            let allowed = AlertKind.commonFacts + kind.facts
            var set = templates[kind]
            func parse(_ key: String) throws(ConfigError) -> AlertTemplate? {
                guard let source = try texts.string(key) else { return nil }
                do throws(TemplateError) {
                    return try AlertTemplate(source, allowed: allowed)
                } catch {
                    throw texts.error(key, error.problem)
                }
            }
            if let subject = try parse("subject") { set.subject = subject }
            if let text = try parse("text") { set.text = text }
            if let sms = try parse("sms") {
                set.sms = sms
            }
            templates.sets[kind] = set
        }
        return templates
    }

    private static func defaultTexts(_ kind: AlertKind) -> (String, String, String) {
        switch kind {
        case .started:
            return ("Charging started ({charger})",
                    "Hello {owner}, session {session} started at {time} on {charger}. Price: {tariff}.",
                    "{charger}: charging started {time}, session {session}. {tariff}")
        case .endingSoon:
            return ("Charging ends in about {minutes} min ({charger})",
                    "Session {session} on {charger} will end at about {end_time}: {reason}. So far {energy}, {cost}.",
                    "{charger}: session {session} ends ~{end_time} ({reason}). {energy}, {cost}")
        case .nearlyFull:
            return ("Your car is nearly full ({charger})",
                    "Your car's charging power has dropped to {power}: it is nearly full, about {minutes} min left (around {end_time}). So far {energy}, {cost}.",
                    "{charger}: car nearly full, ~{minutes} min left. {energy}, {cost}")
        case .ended:
            return ("Charging finished: {energy}, {cost} ({charger})",
                    "Session {session} on {charger} ended at {time} ({reason}).\nEnergy: {energy}\nDuration: {duration}\nCost: {cost}\n\n{bill}",
                    "{charger}: session {session} ended {time}. {energy}, {duration}, {cost}")
        case .idle:
            return ("Charging complete, please unplug ({charger})",
                    "Your car stopped charging at {time} and is still plugged in to {charger}. {idle_fee} So far {energy}, {cost}.",
                    "{charger}: charging complete {time}. {idle_fee}")
        case .fault:
            return ("Charging problem: {title} ({charger})",
                    "Charging on {charger} stopped at {time}: {title}.{repeats}\n\n{instruction}",
                    "{charger}: charging stopped {time}, {title}. {instruction}")
        case .resumed:
            return ("Charging resumed ({charger})",
                    "The problem on {charger} ({title}) cleared and charging of session {session} resumed at {time}.",
                    "{charger}: problem cleared, charging resumed {time}.")
        case .needsService:
            return ("Charger needs service: {title} ({charger})",
                    "{charger} tried to recover from '{title}' and could not: it needs a technician. Charging is off since {time}.{repeats}\n\n{instruction}",
                    "{charger} needs service: {title}. Charging is off. {instruction}")
        case .powerCut:
            return ("Charger back after {cause} ({charger})",
                    "{charger} was off for {down} ({cause}). Session {session}: {outcome}.",
                    "{charger}: back after {cause} ({down}). Session {session} {outcome}.")
        case .meterLost:
            return ("Charging paused: the meter does not answer ({charger})",
                    "The energy meter of {charger} stopped answering at {time}; charging is paused so that nothing is charged that was not measured.{repeats}\n\n{instruction}",
                    "{charger}: meter lost {time}, charging paused. {instruction}")
        case .statement:
            return ("Charging statement {month} ({charger})",
                    "Your charging on {charger} in {month}: {sessions} session(s), {energy}, {cost}.\n\n{statement}",
                    "{charger}: {month}: {sessions} session(s), {energy}, {cost}. The statement went by email.")
        case .cardRefused:
            return ("Card refused at {charger}",
                    "The card {card} was presented at {charger} at {time} and refused: {reason}. No session started.",
                    "{charger}: card {card} refused {time} ({reason}).")
        }
    }
}
