import Runtime

/// The journal under systemd, as one more reader of the pipeline: each entry with its priority and
/// structured fields (`SESSION_ID`, `FAULT_CODE`, `EVSED_<FIELD>`), so `journalctl -u evsed
/// SESSION_ID=12` finds a session's story.
public final class JournalSubscriber: ServiceSubscriber {
    private let journal: JournalWriter

    public init(_ journal: JournalWriter) {
        self.journal = journal
    }

    public func serviceProcessed(_ update: ServiceUpdate) {
        for entry in update.entries { record(entry) }
    }

    private func record(_ entry: EventEntry) {
        var fields: [(String, String)] = [("EVSED_EVENT", entry.event)]
        for member in entry.fields.members {
            switch member.key {
            case "session": fields.append(("SESSION_ID", member.plain))
            case "code": fields.append(("FAULT_CODE", member.plain))
            default: fields.append(("EVSED_" + member.key.uppercased(), member.plain))
            }
        }
        journal.send(message: "\(entry.event) \(entry.text)", priority: entry.priority, fields: fields)
    }
}
