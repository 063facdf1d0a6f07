import Crypto
import CryptoExtras
import EVSECore

/// What the console asks of the daemon: the answers to commands. The daemon implements it;
/// tests use a fake.
public protocol ConsoleBackend: AnyObject {
    /// The lines answering `command` (already allowed: a privileged one comes after login).
    /// `console` names the console ("serial ttyAMA0", "socket 3") for the log.
    func execute(_ command: ParsedCommand, console: String) -> [String]
}

/// The technician's PIN as it is stored: a PBKDF2-HMAC-SHA256 of it with a salt and 210 000
/// rounds, `pbkdf2-sha256:ROUNDS:SALTHEX:HASHHEX` (`evsed console --hash-pin` makes one). A
/// PIN has few digits: what the slow hash does not prevent, the file's mode (0600) and the
/// throttle of wrong PINs must. The salted SHA-256 `SALT:HEX` of earlier versions is still
/// read, and called weak.
public struct ConsolePIN: Hashable, Sendable {
    public enum Scheme: Hashable, Sendable {
        case pbkdf2(rounds: Int)
        /// One SHA-256 of salt and PIN: 10⁴ guesses of a 4-digit PIN take no time.
        case saltedSHA256
    }

    public let scheme: Scheme
    public let salt: [UInt8]
    public let digest: [UInt8]

    /// The rounds a new hash takes (OWASP's floor for PBKDF2-HMAC-SHA256; about 0.2 s on a
    /// Raspberry Pi 4, once per login).
    public static let rounds = 210_000

    /// Reads a stored hash; nil when it is not one.
    public init?(_ text: String) {
        let parts = text.trimmingWhitespace.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), (1_000...10_000_000).contains(rounds),
           let salt = Self.bytes(parts[2]), salt.count >= 8, let digest = Self.bytes(parts[3]), digest.count == 32 {
            scheme = .pbkdf2(rounds: rounds)
            self.salt = salt
            self.digest = digest
        } else if parts.count == 2, !parts[0].isEmpty, let digest = Self.bytes(parts[1]), digest.count == 32 {
            scheme = .saltedSHA256
            salt = Array(parts[0].utf8)
            self.digest = digest
        } else {
            return nil
        }
    }

    /// Whether the hash is of the old, fast kind.
    public var isWeak: Bool { scheme == .saltedSHA256 }

    /// The stored form of `pin` with a new random salt.
    public static func make(_ pin: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return make(pin, salt: salt, rounds: rounds)
    }

    /// The stored form of `pin` with `salt` and `rounds` (tests use fewer rounds).
    public static func make(_ pin: String, salt: [UInt8], rounds: Int) -> String {
        "pbkdf2-sha256:\(rounds):\(hex(salt)):\(hex(derive(pin, salt: salt, rounds: rounds)))"
    }

    public func matches(_ pin: String) -> Bool {
        let candidate: [UInt8]
        switch scheme {
        case .pbkdf2(let rounds): candidate = Self.derive(pin, salt: salt, rounds: rounds)
        case .saltedSHA256: candidate = Array(SHA256.hash(data: salt + Array(pin.utf8)))
        }
        // Compared in full, whatever the first difference.
        guard candidate.count == digest.count else { return false }
        return zip(candidate, digest).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func derive(_ pin: String, salt: [UInt8], rounds: Int) -> [UInt8] {
        // Rounds are checked when read (at least 1000); the library wants 210 000 for its checked
        // entry, which tests would wait on.
        let key = try? KDF.Insecure.PBKDF2.deriveKey(from: Array(pin.utf8), salt: salt, using: .sha256, outputByteCount: 32,
                                                    unsafeUncheckedRounds: rounds)
        return key.map { $0.withUnsafeBytes { Array($0) } } ?? []
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let value = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            index += 2
        }
        return bytes
    }
}

/// The wrong PINs of every console together (sockets and serial ports alike): after three, the
/// next try waits 1 s, doubling to 5 minutes, wherever it comes from; a right PIN resets it.
/// Reconnecting does not start afresh. One per daemon, used by the console's one thread.
public final class PINThrottle: @unchecked Sendable {
    public private(set) var failures = 0
    public private(set) var blockedUntil: Instant?

    public init() {}

    /// How long the next try must wait at `now`; nil when it may come.
    public func wait(at now: Instant) -> Duration? {
        guard let blockedUntil, now < blockedUntil else { return nil }
        return blockedUntil - now
    }

    /// A wrong PIN at `now`; returns the wait it sets, if any.
    @discardableResult
    public func failed(at now: Instant) -> Duration? {
        failures += 1
        guard failures >= 3 else { return nil }
        let wait = Duration.seconds(min(300, 1 << min(failures - 3, 9)))
        blockedUntil = now + wait
        return wait
    }

    public func succeeded() {
        failures = 0
        blockedUntil = nil
    }
}

/// One technician's console: their login, what they type, what they are told. Time is an input,
/// so inactivity and PIN throttling are tested without waiting.
public struct ConsoleSession {
    public let name: String
    public let pin: ConsolePIN?
    /// A login lapses after this long without a command.
    public var loginTimeout: Duration = .seconds(300)
    public private(set) var loggedInUntil: Instant?
    public private(set) var awaitingPIN = false
    /// The wrong PINs of all consoles (the server's); a session of its own in tests.
    private let throttle: PINThrottle

    /// Whether this console needs no login: the terminal `evsed run` itself runs in, whose user
    /// started the daemon and can stop it.
    public let trusted: Bool

    public init(name: String, pin: ConsolePIN?, trusted: Bool = false, throttle: PINThrottle = PINThrottle()) {
        self.name = name
        self.pin = pin
        self.trusted = trusted
        self.throttle = throttle
    }

    /// What a line leads to.
    public struct Reply: Equatable {
        public var lines: [String]
        /// The console ends (logout, Ctrl-D).
        public var closes = false
        /// The next line is a PIN: echo it masked.
        public var masked = false
        /// Show `status` again every second until a key is pressed (`watch`).
        public var watch: ParsedCommand?
    }

    /// Whether privileged commands are allowed now.
    public func isLoggedIn(at now: Instant) -> Bool { trusted || (loggedInUntil.map { now < $0 } ?? false) }

    /// Handles one line typed at `now`.
    public mutating func handle(_ line: String, at now: Instant, backend: any ConsoleBackend) -> Reply {
        if awaitingPIN {
            awaitingPIN = false
            return checkPIN(line, at: now)
        }
        let parsed: ParsedCommand
        do throws(ConsoleInputError) {
            parsed = try ConsoleLanguage.parse(line)
        } catch {
            return Reply(lines: line.allSatisfy(\.isWhitespace) ? [] : [error.message])
        }
        switch parsed.command {
        case .help(let topic):
            return Reply(lines: ConsoleLanguage.help(topic))
        case .login:
            guard pin != nil else { return Reply(lines: ["no PIN is configured: evsed run --console-pin-file FILE (evsed console --hash-pin makes one)"]) }
            if let wait = throttle.wait(at: now) {
                return Reply(lines: ["too many wrong PINs: try again in \(Int(wait.seconds.rounded(.up))) s"])
            }
            awaitingPIN = true
            return Reply(lines: ["PIN:"], masked: true)
        case .logout:
            loggedInUntil = nil
            return Reply(lines: ["bye"], closes: true)
        case .watch:
            let status = ParsedCommand(command: .status, json: parsed.json)
            return Reply(lines: backend.execute(status, console: name), watch: status)
        default:
            break
        }
        let spec = ConsoleLanguage.spec(of: parsed.command)
        if spec.privileged {
            guard isLoggedIn(at: now) else {
                return Reply(lines: ["\(spec.name) changes the charger: login first"])
            }
            loggedInUntil = now + loginTimeout
        }
        return Reply(lines: backend.execute(parsed, console: name))
    }

    private mutating func checkPIN(_ entered: String, at now: Instant) -> Reply {
        // A try that came in while blocked (typed ahead) is not even checked.
        if let wait = throttle.wait(at: now) { return Reply(lines: ["too many wrong PINs: try again in \(Int(wait.seconds.rounded(.up))) s"]) }
        guard let pin, pin.matches(entered) else {
            if let wait = throttle.failed(at: now) { return Reply(lines: ["wrong PIN; the next try in \(Int(wait.seconds)) s"]) }
            return Reply(lines: ["wrong PIN"])
        }
        throttle.succeeded()
        loggedInUntil = now + loginTimeout
        return Reply(lines: ["logged in for \(Int(loginTimeout.seconds / 60)) minutes of inactivity"])
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
