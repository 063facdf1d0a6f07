import Crypto
import EVSECore

/// What the console asks of the daemon: the answers to commands. The daemon implements it;
/// tests use a fake.
public protocol ConsoleBackend: AnyObject {
    /// The lines answering `command` (already allowed: a privileged one comes after login).
    /// `console` names the console ("serial ttyAMA0", "socket 3") for the log.
    func execute(_ command: ParsedCommand, console: String) -> [String]
}

/// The technician's PIN, kept as a salted SHA-256 in the configuration: `"SALT:HEX"`.
public struct ConsolePIN: Hashable, Sendable {
    public let salt: String
    public let digest: String

    /// Reads `"salt:hex"`; nil when it is not that.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count == 64, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        salt = parts[0]
        digest = parts[1].lowercased()
    }

    /// The configuration value for `pin` with `salt` (for `evsed console --hash-pin`).
    public static func hash(_ pin: String, salt: String) -> String {
        salt + ":" + hex(SHA256.hash(data: Array((salt + pin).utf8)))
    }

    public func matches(_ pin: String) -> Bool {
        // Compared in full, whatever the first difference.
        let candidate = Array(Self.hex(SHA256.hash(data: Array((salt + pin).utf8))).utf8)
        let expected = Array(digest.utf8)
        guard candidate.count == expected.count else { return false }
        return zip(candidate, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
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
    private var failedPINs = 0
    private var blockedUntil: Instant?

    /// Whether this console needs no login: the terminal `evsed run` itself runs in, whose user
    /// started the daemon and can stop it.
    public let trusted: Bool

    public init(name: String, pin: ConsolePIN?, trusted: Bool = false) {
        self.name = name
        self.pin = pin
        self.trusted = trusted
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
            guard pin != nil else { return Reply(lines: ["no PIN is configured: [console] pin_sha256 in the board file (evsed console --hash-pin makes one)"]) }
            if let blocked = blockedUntil, now < blocked {
                return Reply(lines: ["too many wrong PINs: try again in \(Int((blocked - now).seconds.rounded(.up))) s"])
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
        guard let pin, pin.matches(entered) else {
            failedPINs += 1
            // 1 s after the third wrong PIN, doubling to at most 5 minutes.
            if failedPINs >= 3 {
                let seconds = min(300, 1 << min(failedPINs - 3, 9))
                blockedUntil = now + .seconds(seconds)
                return Reply(lines: ["wrong PIN; the next try in \(seconds) s"])
            }
            return Reply(lines: ["wrong PIN"])
        }
        failedPINs = 0
        blockedUntil = nil
        loggedInUntil = now + loginTimeout
        return Reply(lines: ["logged in for \(Int(loginTimeout.seconds / 60)) minutes of inactivity"])
    }
}
