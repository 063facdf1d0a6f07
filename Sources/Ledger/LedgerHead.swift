#if canImport(Glibc)
import Glibc
#endif
import Crypto
import EVSECore

/// The chain's head — its last sequence number and hash — kept in a small file beside the
/// database (`ledger.sqlite.head`), where losing or damaging the WAL cannot take it along: a
/// database whose chain ends before the head has lost its tail, and says so instead of going on
/// without it.
///
/// Written after every commit, without an fsync of its own: a head that a power cut left behind
/// the database is only old (the database is ahead, which is fine); one ahead of the database
/// means records the database no longer has. A line with its own checksum, so a torn write is
/// seen as no head at all.
struct LedgerHead: Hashable {
    var sequence: Int64
    var hash: [UInt8]

    static func path(for ledger: String) -> String { ledger + ".head" }

    /// "seq hexhash checksum".
    var line: String {
        let body = "\(sequence) \(Hex.encode(hash))"
        return body + " " + Self.checksum(body) + "\n"
    }

    static func checksum(_ body: String) -> String {
        Hex.encode(Array(SHA256.hash(data: Array(body.utf8)).prefix(4)))
    }

    /// The head recorded beside `ledger`; nil when there is none or it is not whole.
    static func read(for ledger: String) -> LedgerHead? {
        let descriptor = open(path(for: ledger), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        guard parts.count == 3, let sequence = Int64(parts[0]), checksum("\(parts[0]) \(parts[1])") == parts[2],
              let hash = Hex.decode(parts[1]) else { return nil }
        return LedgerHead(sequence: sequence, hash: hash)
    }

    /// Replaces the head beside `ledger` (one write of one short line; a failure is not fatal:
    /// the head is a check, not the books).
    func write(for ledger: String) {
        let descriptor = open(Self.path(for: ledger), O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        _ = ftruncate(descriptor, off_t(bytes.count))
    }
}
