import EVSECore
import Ledger

/// The JSON document of an alert, as webhooks and MQTT receive it.
public enum AlertDocument {
    public static func json(_ entry: OutboxEntry, charger: String) -> String {
        var json = JSONLine()
        json.add("delivery_id", deliveryID(entry, charger: charger))
        json.add("charger", charger)
        json.add("alert", entry.alert)
        json.add("kind", entry.kind)
        json.add("raised_at", entry.createdAt.description)
        if let session = entry.session { json.add("session", session) }
        if let owner = entry.owner { json.add("owner", owner) }
        json.add("subject", entry.subject)
        json.add("text", entry.text)
        json.add("facts", json: entry.facts)
        return json.description
    }
}

extension AlertDocument {
    /// The delivery's stable id, the same on every attempt: "<charger>-<alert>-<delivery>", the
    /// charger's name in lower case with anything but letters and digits as "-".
    public static func deliveryID(_ entry: OutboxEntry, charger: String) -> String {
        "\(slug(charger))-\(entry.alert)-\(entry.id)"
    }

    /// "Simulated 22 kW charger" → "simulated-22-kw-charger": usable in a Message-ID and a topic.
    public static func slug(_ name: String) -> String {
        var slug = ""
        for character in name.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                slug.append(character)
            } else if !slug.isEmpty && !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "evsed" : slug
    }
}
