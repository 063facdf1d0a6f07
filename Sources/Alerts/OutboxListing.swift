import EVSECore
import Ledger

/// The outbox as people and scripts read it (`evsed alerts list`, the console's `alerts`).
public enum OutboxListing {
    /// One line per delivery, newest alert first: when, what, to whom, and how it stands.
    public static func lines(_ entries: [OutboxEntry], json: Bool) -> [String] {
        if json { return entries.map { document($0).description } }
        if entries.isEmpty { return ["the outbox is empty"] }
        return entries.map { entry in
            let state: String
            switch entry.state {
            case "delivered": state = "delivered \(entry.doneAt.map { $0.local.isoTime } ?? "")" + (entry.attempts > 1 ? " (attempt \(entry.attempts))" : "")
            case "pending": state = entry.attempts == 0 ? "pending" : "pending, retry at \(entry.nextAttemptAt.local.isoTime) after \(entry.attempts) attempt(s): \(entry.lastError ?? "")"
            case "skipped": state = "skipped (\(entry.lastError ?? ""))"
            default: state = "\(entry.state) after \(entry.attempts) attempt(s): \(entry.lastError ?? "")"
            }
            let session = entry.session.map { " session \($0)" } ?? ""
            return "#\(entry.alert)  \(entry.createdAt.local)  \(entry.kind)\(session)  \(entry.channel) \(entry.address)  \(state)"
        }
    }

    /// A delivery as a JSON object.
    public static func document(_ entry: OutboxEntry) -> JSONLine {
        var json = JSONLine()
        json.add("alert", entry.alert)
        json.add("delivery", entry.id)
        json.add("created", entry.createdAt.description)
        json.add("kind", entry.kind)
        if let session = entry.session { json.add("session", session) }
        if let owner = entry.owner { json.add("owner", owner) }
        json.add("channel", entry.channel)
        json.add("address", entry.address)
        json.add("state", entry.state)
        json.add("attempts", entry.attempts)
        if entry.state == "pending" { json.add("next_attempt", entry.nextAttemptAt.description) }
        if let error = entry.lastError { json.add("last_error", error) }
        if let done = entry.doneAt { json.add("done", done.description) }
        json.add("subject", entry.subject)
        return json
    }
}
