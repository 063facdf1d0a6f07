#if canImport(Glibc)
import Glibc
#endif
import Crypto
import FoundationEssentials

/// The charger's key for signing closed sessions: ECDSA P-256, generated at the ledger's first
/// start and kept in a PEM file of mode 0600 beside the database.
struct SigningKey {
    let key: P256.Signing.PrivateKey
    let path: String

    /// The public key as base64 DER (SubjectPublicKeyInfo): what the ledger and exports carry.
    var publicKeyBase64: String { key.publicKey.derRepresentation.base64EncodedString() }

    /// Creates a new key at `path`; fails when a file is there already (it is never overwritten).
    /// The key is written to a temporary file and linked into place, so a crash never leaves half a key.
    static func create(at path: String) throws(LedgerError) -> SigningKey {
        let key = P256.Signing.PrivateKey()
        let temporary = path + ".new"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .signingKey(path: path, problem: "cannot be created: \(String(cString: strerror(errno)))") }
        let bytes = Array((key.pemRepresentation + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        defer { unlink(temporary) }
        guard written == bytes.count, synced else {
            throw .signingKey(path: path, problem: "cannot be written: \(String(cString: strerror(errno)))")
        }
        guard link(temporary, path) == 0 else {
            throw .signingKey(path: path, problem: "cannot be put in place: \(String(cString: strerror(errno)))")
        }
        return SigningKey(key: key, path: path)
    }

    /// Reads the key at `path`; refuses one that others can read.
    static func load(from path: String) throws(LedgerError) -> SigningKey {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .signingKey(path: path, problem: "missing (\(String(cString: strerror(errno))))") }
        guard status.st_mode & 0o077 == 0 else {
            throw .signingKey(path: path, problem: "is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .signingKey(path: path, problem: "cannot be read")
        }
        do {
            return SigningKey(key: try P256.Signing.PrivateKey(pemRepresentation: text), path: path)
        } catch {
            throw .signingKey(path: path, problem: "is not a P-256 private key in PEM form")
        }
    }

    /// The signature of `payload`'s UTF-8 bytes (ECDSA over SHA-256), as hex of its DER form.
    func sign(_ payload: String) throws(LedgerError) -> String {
        do {
            return Hex.encode(Array(try key.signature(for: Data(payload.utf8)).derRepresentation))
        } catch {
            throw .signingKey(path: path, problem: "could not sign: \(error)")
        }
    }

    /// Whether `signature` (hex DER) is a valid signature of `payload` by `publicKey` (base64 DER).
    static func isValid(signature: String, of payload: String, publicKey: String) -> Bool {
        guard let der = Data(base64Encoded: publicKey), let key = try? P256.Signing.PublicKey(derRepresentation: der),
              let bytes = Hex.decode(signature), let parsed = try? P256.Signing.ECDSASignature(derRepresentation: bytes) else { return false }
        return key.isValidSignature(parsed, for: Data(payload.utf8))
    }
}

/// Lower-case hexadecimal.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
