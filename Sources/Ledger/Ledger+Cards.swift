import EVSECore
import Sessions

/// A card's identifier as evsed keeps it. A UID read from an ISO 14443A card (4, 7 or 10 bytes)
/// is upper-case hex without separators (`04A1B2C3`), however it was typed (`04:a1:b2:c3`); any
/// other identifier (an OCPP idTag on a card of another kind) is kept as given: 1 to 20 printable
/// ASCII characters, without spaces, quotes, backslashes or commas — it is an OCPP idTag as it
/// is, and travels in JSON and CSV unescaped.
public enum CardID {
    /// The identifier `text` stands for, or nil when it cannot be one.
    public static func normalized(_ text: String) -> String? {
        let hex = text.filter { $0 != ":" && $0 != "-" && $0 != " " }
        if [8, 14, 20].contains(hex.count), hex.allSatisfy(\.isHexDigit), hex.allSatisfy(\.isASCII), text.count - hex.count < hex.count / 2 {
            return hex.uppercased()
        }
        guard (1...20).contains(text.utf8.count),
              text.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: ",") })
        else { return nil }
        return text
    }

    /// Whether `id` is an ISO 14443A UID as the reader gives it.
    public static func isUID(_ id: String) -> Bool {
        [8, 14, 20].contains(id.utf8.count) && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }
    }

    /// A UID's bytes as the identifier.
    public static func uid(_ bytes: some Collection<UInt8>) -> String {
        Hex.encode(Array(bytes)).uppercased()
    }

    /// What is wrong with `text` as a card, for an error message.
    public static let rule = "a card is its UID in hex (8, 14 or 20 digits, separators allowed) or an idTag of 1 to 20 printable characters"
}

/// A card the charger knows: whose it is, and whether it may start a session.
public struct Card: Sendable, Equatable {
    public var uid: String
    public var owner: String
    public var label: String?
    /// The last instant it is valid; nil: no end.
    public var validUntil: Timestamp?
    public var blocked: Bool
    /// The last change, and the console that made it.
    public var changedAt: Timestamp
    public var changedBy: String

    public init(uid: String, owner: String, label: String? = nil, validUntil: Timestamp? = nil, blocked: Bool = false,
                changedAt: Timestamp, changedBy: String) {
        self.uid = uid
        self.owner = owner
        self.label = label
        self.validUntil = validUntil
        self.blocked = blocked
        self.changedAt = changedAt
        self.changedBy = changedBy
    }

    /// Why it may not start a session at `now`, or nil when it may.
    public func refusal(at now: Timestamp) -> String? {
        if blocked { return "blocked" }
        if let validUntil, validUntil < now { return "expired on \(validUntil.local.isoDate)" }
        return nil
    }

    /// The chain's record of a change to it (`add`, `change`, `block`, `unblock`, `remove`).
    func record(_ action: String) -> JSONLine {
        var body = JSONLine()
        body.add("action", action)
        body.add("uid", uid)
        body.add("owner", owner)
        if let label { body.add("label", label) }
        if let validUntil { body.add("valid_until_ms", validUntil.milliseconds) }
        body.add("blocked", blocked)
        body.add("by", changedBy)
        return body
    }
}

/// The charger's cards (schema 6). Each change is one transaction with its `card_changed` record
/// in the chain, so that a card moved to another owner after the fact shows in `verify`.
extension Ledger {
    /// Every card, by owner then UID.
    public func cards() throws(LedgerError) -> [Card] {
        try read { () throws(SQLiteError) in
            guard schemaVersion >= 6 else { return [] }
            return try database.query("SELECT \(Self.cardColumns) FROM cards ORDER BY owner, uid", [], Self.cardRow)
        }
    }

    /// The card `uid`, or nil.
    public func card(_ uid: String) throws(LedgerError) -> Card? {
        try read { () throws(SQLiteError) in
            guard schemaVersion >= 6 else { return nil }
            return try database.query("SELECT \(Self.cardColumns) FROM cards WHERE uid = ?", [.text(uid)], Self.cardRow).first
        }
    }

    /// Adds `card` or changes it (`action` says what for the record: `add`, `change`, `block`, `unblock`).
    public func saveCard(_ card: Card, action: String) throws(LedgerError) {
        try write { () throws(SQLiteError) in
            try database.run("""
                INSERT OR REPLACE INTO cards(uid, owner, label, valid_until_ms, blocked, changed_ms, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, .text(card.uid), .text(card.owner), .optional(card.label), .optional(card.validUntil?.milliseconds),
                .int(card.blocked ? 1 : 0), .integer(card.changedAt.milliseconds), .text(card.changedBy))
            try appendRecord("card_changed", session: nil, at: card.changedAt, body: card.record(action))
        }
    }

    /// Removes `card` (as it was), recorded at `at` by `by`.
    public func removeCard(_ card: Card, at: Timestamp, by: String) throws(LedgerError) {
        var removed = card
        removed.changedAt = at
        removed.changedBy = by
        try write { () throws(SQLiteError) in
            try database.run("DELETE FROM cards WHERE uid = ?", .text(card.uid))
            try appendRecord("card_changed", session: nil, at: at, body: removed.record("remove"))
        }
    }

    /// The last `limit` changes of cards, oldest first: when, and the record's body.
    public func cardChanges(limit: Int) throws(LedgerError) -> [(at: Timestamp, body: String)] {
        try read { () throws(SQLiteError) in
            try database.query("SELECT at_ms, body FROM chain WHERE kind = 'card_changed' ORDER BY seq DESC LIMIT ?", [.int(limit)]) {
                (Timestamp(milliseconds: $0.integer(0)), $0.text(1))
            }.reversed()
        }
    }

    /// The cards table against the chain: each row must be what its last record says, and a card
    /// whose last record removed it must be gone.
    func verifyCards(_ chain: [ChainRecord], problem: (Int64?, String) -> Void) throws(LedgerError) {
        var last: [String: ChainRecord] = [:]
        for record in chain where record.kind == "card_changed" {
            if let uid = Self.textField("uid", in: record.body) { last[uid] = record }
        }
        var rows: [String: Card] = [:]
        for card in try cards() { rows[card.uid] = card }
        for (uid, record) in last.sorted(by: { $0.value.sequence < $1.value.sequence }) {
            let action = Self.textField("action", in: record.body) ?? ""
            guard let row = rows.removeValue(forKey: uid) else {
                if action != "remove" { problem(record.sequence, "card \(uid) was recorded but its row is gone") }
                continue
            }
            if action == "remove" || row.record(action).description != record.body || row.changedAt != record.at {
                problem(record.sequence, "card \(uid) differs from the record of its last change (owner, label, validity or blocked)")
            }
        }
        for uid in rows.keys.sorted() { problem(nil, "card \(uid) has no record: the row was added afterwards") }
    }

    private static let cardColumns = "uid, owner, label, valid_until_ms, blocked, changed_ms, changed_by"

    private static func cardRow(_ row: SQLiteStatement) -> Card {
        Card(uid: row.text(0), owner: row.text(1), label: row.optionalText(2),
             validUntil: row.optionalInteger(3).map(Timestamp.init(milliseconds:)), blocked: row.integer(4) != 0,
             changedAt: Timestamp(milliseconds: row.integer(5)), changedBy: row.text(6))
    }
}
