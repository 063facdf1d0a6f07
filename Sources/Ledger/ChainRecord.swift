import Billing
import Crypto
import EVSECore
import Sessions

/// One record of the ledger's hash chain. Its hash covers the previous record's hash and every
/// field of its own, so changing, removing or inserting a record breaks every hash after it.
public struct ChainRecord: Hashable, Sendable {
    public var sequence: Int64
    public var at: Timestamp
    /// What happened: `ledger_created`, `session_started`, `readings`, `session_closed`, `fault_raised`, …
    public var kind: String
    public var session: Int64?
    /// The record's content, canonical JSON.
    public var body: String
    public var hash: [UInt8]

    /// The hash of a record with these fields after a record whose hash is `previous`.
    static func hash(previous: [UInt8], sequence: Int64, at: Timestamp, kind: String, session: Int64?, body: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        let header = "\(sequence)\n\(at.milliseconds)\n\(kind)\n\(session.map(String.init) ?? "")\n"
        hasher.update(data: Array(header.utf8))
        hasher.update(data: Array(body.utf8))
        return Array(hasher.finalize())
    }

    /// The previous hash of the first record.
    static let genesis = [UInt8](repeating: 0, count: 32)
}

/// The digest of a batch of stored readings: SHA-256 over one canonical line per reading.
enum ReadingsDigest {
    static func of(_ readings: [MeterSample]) -> String {
        var hasher = SHA256()
        for reading in readings {
            // A change of activity has no register: "-" (rows before schema 3 always have one).
            let register = reading.registerWh.map(String.init) ?? "-"
            let line = "\(reading.milliseconds),\(register),\(reading.power),\(reading.current),\(reading.voltage),\(reading.activity.rawValue)\n"
            hasher.update(data: Array(line.utf8))
        }
        return Hex.encode(Array(hasher.finalize()))
    }
}
