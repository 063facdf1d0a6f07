import ConfigFile
import EVSECore

/// A technician's command, parsed.
public enum ConsoleCommand: Hashable, Sendable {
    case help(topic: String?)
    case status
    case watch
    case meter
    case sessions(count: Int)
    case session(id: Int64)
    case faults(all: Bool)
    case alerts(pendingOnly: Bool)
    case ocpp
    case cards(CardsCommand)
    case limit(amps: Double)
    case start(owner: String?)
    case stop
    case pause
    case resume
    case enable
    case disable
    case testContactor
    case testResidualCurrentMonitor
    case clear(FaultCode)
    case configShow
    case configSet(key: String, value: String)
    case log(count: Int)
    case version
    case login
    case logout
}

/// The `cards` commands: the charger's RFID cards and their owners.
public enum CardsCommand: Hashable, Sendable {
    case list
    case history
    /// `until` as typed (YYYY-MM-DD, the last day it is valid); the backend checks it.
    case add(card: String, owner: String, label: String?, until: String?)
    /// The next card presented at the reader becomes `owner`'s.
    case learn(owner: String, label: String?)
    case block(card: String)
    case unblock(card: String)
    case remove(card: String)

    /// Its command's words in the table.
    var name: String {
        switch self {
        case .list: "cards list"
        case .history: "cards history"
        case .add: "cards add"
        case .learn: "cards learn"
        case .block: "cards block"
        case .unblock: "cards unblock"
        case .remove: "cards remove"
        }
    }
}

/// A command with its options.
public struct ParsedCommand: Hashable, Sendable {
    public var command: ConsoleCommand
    /// `--json`: one JSON object per line, for scripts.
    public var json: Bool

    public init(command: ConsoleCommand, json: Bool) {
        self.command = command
        self.json = json
    }
}

/// Why a line is not a command; the message says what to type instead.
public struct ConsoleInputError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// One command of the console's language, for parsing, help and completion.
public struct CommandSpec: Sendable {
    /// The command's words ("status", "test contactor").
    public let name: String
    /// Its arguments as the help shows them ("AMPS", "[N]").
    public let arguments: String
    public let summary: String
    /// Whether it changes anything, and so needs `login` first.
    public let privileged: Bool
}

/// The console's command language: the table of commands, the parser, completion.
public enum ConsoleLanguage {
    public static let commands: [CommandSpec] = [
        CommandSpec(name: "help", arguments: "[COMMAND]", summary: "list the commands, or explain one", privileged: false),
        CommandSpec(name: "status", arguments: "", summary: "state, pilot, PWM, contactor, RCM, temperature, meter, session, faults", privileged: false),
        CommandSpec(name: "watch", arguments: "", summary: "status every second until a key is pressed", privileged: false),
        CommandSpec(name: "meter", arguments: "", summary: "the meter's latest values", privileged: false),
        CommandSpec(name: "sessions", arguments: "[N]", summary: "the last N sessions (10)", privileged: false),
        CommandSpec(name: "session", arguments: "ID", summary: "one session and its bill", privileged: false),
        CommandSpec(name: "faults", arguments: "[--all]", summary: "active faults; --all: the fault log", privileged: false),
        CommandSpec(name: "alerts", arguments: "[--pending]", summary: "the alerts outbox: each delivery and how it stands", privileged: false),
        CommandSpec(name: "ocpp", arguments: "", summary: "the central system: connection, boot, transaction queue, last exchange", privileged: false),
        CommandSpec(name: "cards list", arguments: "", summary: "the charger's cards: owner, label, validity, blocked", privileged: false),
        CommandSpec(name: "cards history", arguments: "", summary: "the last changes of cards, and by which console", privileged: false),
        CommandSpec(name: "cards add", arguments: "CARD OWNER [LABEL] [--until YYYY-MM-DD]", summary: "a card (its UID) for an owner", privileged: true),
        CommandSpec(name: "cards learn", arguments: "OWNER [LABEL]", summary: "the next card presented at the reader becomes OWNER's", privileged: true),
        CommandSpec(name: "cards block", arguments: "CARD", summary: "refuse the card from now on (kept in the list)", privileged: true),
        CommandSpec(name: "cards unblock", arguments: "CARD", summary: "accept a blocked card again", privileged: true),
        CommandSpec(name: "cards remove", arguments: "CARD", summary: "forget the card", privileged: true),
        CommandSpec(name: "limit", arguments: "AMPS", summary: "set the current offered to the car", privileged: true),
        CommandSpec(name: "start", arguments: "[--owner NAME]", summary: "open a session for the connected car", privileged: true),
        CommandSpec(name: "stop", arguments: "", summary: "end the session", privileged: true),
        CommandSpec(name: "pause", arguments: "", summary: "pause charging; the session stays open", privileged: true),
        CommandSpec(name: "resume", arguments: "", summary: "resume a paused session", privileged: true),
        CommandSpec(name: "enable", arguments: "", summary: "leave maintenance: the charger is available", privileged: true),
        CommandSpec(name: "disable", arguments: "", summary: "maintenance: contactor open, pilot held in state F", privileged: true),
        CommandSpec(name: "test contactor", arguments: "", summary: "close, check the feedback, open (no car connected)", privileged: true),
        CommandSpec(name: "test rcm", arguments: "", summary: "the residual-current monitor's self-test", privileged: true),
        CommandSpec(name: "clear", arguments: "FAULT", summary: "clear a latched fault after the repair", privileged: true),
        CommandSpec(name: "config show", arguments: "", summary: "the configuration in use", privileged: false),
        CommandSpec(name: "config set", arguments: "KEY VALUE", summary: "change a setting (validated and saved)", privileged: true),
        CommandSpec(name: "log", arguments: "[N]", summary: "the last N events (20)", privileged: false),
        CommandSpec(name: "version", arguments: "", summary: "evsed's version and libraries", privileged: false),
        CommandSpec(name: "login", arguments: "", summary: "enter the PIN for the commands that change things", privileged: false),
        CommandSpec(name: "logout", arguments: "", summary: "end the console session", privileged: false),
    ]

    /// The spec of a parsed command.
    public static func spec(of command: ConsoleCommand) -> CommandSpec {
        let name: String
        switch command {
        case .help: name = "help"
        case .status: name = "status"
        case .watch: name = "watch"
        case .meter: name = "meter"
        case .sessions: name = "sessions"
        case .session: name = "session"
        case .faults: name = "faults"
        case .alerts: name = "alerts"
        case .ocpp: name = "ocpp"
        case .cards(let command): name = command.name
        case .limit: name = "limit"
        case .start: name = "start"
        case .stop: name = "stop"
        case .pause: name = "pause"
        case .resume: name = "resume"
        case .enable: name = "enable"
        case .disable: name = "disable"
        case .testContactor: name = "test contactor"
        case .testResidualCurrentMonitor: name = "test rcm"
        case .clear: name = "clear"
        case .configShow: name = "config show"
        case .configSet: name = "config set"
        case .log: name = "log"
        case .version: name = "version"
        case .login: name = "login"
        case .logout: name = "logout"
        }
        return commands.first { $0.name == name }!
    }

    /// Parses one line. Words are separated by spaces; a value with spaces goes in double quotes.
    public static func parse(_ line: String) throws(ConsoleInputError) -> ParsedCommand {
        var words = try split(line)
        let json = words.contains("--json")
        words.removeAll { $0 == "--json" }
        guard let first = words.first else { throw ConsoleInputError(message: "type a command; help lists them") }
        let name = first.lowercased()
        var rest = Array(words.dropFirst())

        func noArguments(_ command: ConsoleCommand) throws(ConsoleInputError) -> ConsoleCommand {
            guard rest.isEmpty else { throw usage(spec(of: command), "takes no arguments (found '\(rest[0])')") }
            return command
        }
        func count(_ command: String, default fallback: Int) throws(ConsoleInputError) -> Int {
            guard let text = rest.first else { return fallback }
            guard rest.count == 1, let value = Int(text), (1...1000).contains(value) else {
                throw usage(commands.first { $0.name == command }!, "N must be a number, 1 … 1000 (found '\(rest.joined(separator: " "))')")
            }
            return value
        }

        let command: ConsoleCommand
        switch name {
        case "help", "?":
            command = .help(topic: rest.isEmpty ? nil : rest.joined(separator: " ").lowercased())
        case "status": command = try noArguments(.status)
        case "watch": command = try noArguments(.watch)
        case "meter": command = try noArguments(.meter)
        case "sessions": command = .sessions(count: try count("sessions", default: 10))
        case "session":
            guard rest.count == 1, let id = Int64(rest[0]), id > 0 else {
                throw usage(spec(of: .session(id: 1)), rest.isEmpty ? "which session? (sessions lists them)" : "ID must be a session number (found '\(rest.joined(separator: " "))')")
            }
            command = .session(id: id)
        case "faults":
            let all = rest == ["--all"]
            guard rest.isEmpty || all else { throw usage(spec(of: .faults(all: true)), "the only option is --all (found '\(rest[0])')") }
            command = .faults(all: all)
        case "alerts":
            guard rest.isEmpty || rest == ["--pending"] else { throw usage(spec(of: .alerts(pendingOnly: false)), "the only option is --pending") }
            command = .alerts(pendingOnly: !rest.isEmpty)
        case "ocpp":
            guard rest.isEmpty else { throw usage(spec(of: .ocpp), "ocpp takes no arguments") }
            command = .ocpp
        case "cards":
            command = .cards(try cards(rest))
        case "limit":
            guard rest.count == 1, let amps = Double(rest[0].lowercased().replacing("a", with: "")), amps.isFinite else {
                throw usage(spec(of: .limit(amps: 0)), rest.isEmpty ? "how many amperes? (limit 16)" : "AMPS must be a number (found '\(rest.joined(separator: " "))')")
            }
            command = .limit(amps: amps)
        case "start":
            if rest.isEmpty {
                command = .start(owner: nil)
            } else if rest.count == 2 && rest[0] == "--owner" && !rest[1].isEmpty {
                command = .start(owner: rest[1])
            } else {
                throw usage(spec(of: .start(owner: nil)), "the only option is --owner NAME")
            }
        case "stop": command = try noArguments(.stop)
        case "pause": command = try noArguments(.pause)
        case "resume": command = try noArguments(.resume)
        case "enable": command = try noArguments(.enable)
        case "disable": command = try noArguments(.disable)
        case "test":
            let what = rest.first?.lowercased()
            rest = Array(rest.dropFirst())
            switch what {
            case "contactor": command = try noArguments(.testContactor)
            case "rcm": command = try noArguments(.testResidualCurrentMonitor)
            default:
                let hint = what.flatMap { closestMatch(to: $0, among: ["contactor", "rcm"]) }.map { " (did you mean 'test \($0)'?)" } ?? ""
                throw ConsoleInputError(message: "test what? 'test contactor' or 'test rcm'" + hint)
            }
        case "clear":
            guard rest.count == 1 else { throw usage(spec(of: .clear(.residualCurrent)), "which fault? (faults lists the active ones)") }
            let codes = FaultCode.all.map(\.rawValue)
            let code = rest[0].lowercased()
            guard let fault = FaultCode(rawValue: code) ?? FaultCode.all.first(where: { $0.displayCode.lowercased() == code }) else {
                let hint = closestMatch(to: code, among: codes).map { "; did you mean '\($0)'?" } ?? "; evsed faults lists the codes"
                throw ConsoleInputError(message: "clear: '\(rest[0])' is not a fault code" + hint)
            }
            command = .clear(fault)
        case "config":
            let what = rest.first?.lowercased()
            rest = Array(rest.dropFirst())
            switch what {
            case "show": command = try noArguments(.configShow)
            case "set":
                guard rest.count == 2 else { throw usage(spec(of: .configSet(key: "", value: "")), "config set KEY VALUE (config show lists the keys)") }
                command = .configSet(key: rest[0], value: rest[1])
            default: throw ConsoleInputError(message: "config what? 'config show' or 'config set KEY VALUE'")
            }
        case "log": command = .log(count: try count("log", default: 20))
        case "version": command = try noArguments(.version)
        case "login": command = try noArguments(.login)
        case "logout", "exit", "quit": command = try noArguments(.logout)
        default:
            let names = Set(commands.map { String($0.name.split(separator: " ")[0]) })
            let hint = closestMatch(to: name, among: names.sorted()).map { " — did you mean '\($0)'?" } ?? "; help lists the commands"
            throw ConsoleInputError(message: "unknown command '\(first)'" + hint)
        }
        return ParsedCommand(command: command, json: json)
    }

    /// `cards …`: which, with its arguments.
    private static func cards(_ words: [String]) throws(ConsoleInputError) -> CardsCommand {
        let what = words.first?.lowercased() ?? "list"
        var rest = Array(words.dropFirst())
        let spec = commands.first { $0.name == "cards " + what }
        func one(_ make: (String) -> CardsCommand) throws(ConsoleInputError) -> CardsCommand {
            guard rest.count == 1 else { throw usage(spec!, rest.isEmpty ? "which card? (cards list shows them)" : "one card at a time") }
            return make(rest[0])
        }
        switch what {
        case "list", "history":
            guard rest.isEmpty else { throw usage(spec!, "takes no arguments (found '\(rest[0])')") }
            return what == "list" ? .list : .history
        case "add":
            var until: String?
            if let index = rest.firstIndex(of: "--until") {
                guard index + 1 < rest.count else { throw usage(spec!, "--until needs a date (YYYY-MM-DD)") }
                until = rest[index + 1]
                rest.removeSubrange(index...index + 1)
            }
            guard (2...3).contains(rest.count), !rest[1].isEmpty else {
                throw usage(spec!, rest.count < 2 ? "a card and its owner (cards add 04A1B2C3 alex)" : "a label with spaces goes in double quotes")
            }
            return .add(card: rest[0], owner: rest[1], label: rest.count == 3 ? rest[2] : nil, until: until)
        case "learn":
            guard (1...2).contains(rest.count), !rest[0].isEmpty else {
                throw usage(spec!, rest.isEmpty ? "whose card? (cards learn alex)" : "a label with spaces goes in double quotes")
            }
            return .learn(owner: rest[0], label: rest.count == 2 ? rest[1] : nil)
        case "block": return try one { .block(card: $0) }
        case "unblock": return try one { .unblock(card: $0) }
        case "remove": return try one { .remove(card: $0) }
        default:
            let names = ["list", "history", "add", "learn", "block", "unblock", "remove"]
            let hint = closestMatch(to: what, among: names).map { " (did you mean 'cards \($0)'?)" } ?? ""
            throw ConsoleInputError(message: "cards what? \(names.joined(separator: ", "))" + hint)
        }
    }

    /// The words that may complete `text` (the line up to the cursor), for Tab.
    public static func completions(for text: String) -> [String] {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let typed = words.last ?? ""
        let before = words.dropLast().joined(separator: " ")
        var candidates: [String]
        if before.isEmpty {
            candidates = Array(Set(commands.map { String($0.name.split(separator: " ")[0]) }))
        } else {
            candidates = commands.compactMap { spec in
                let parts = spec.name.split(separator: " ").map(String.init)
                return parts.count > words.count - 1 && parts.prefix(words.count - 1).joined(separator: " ") == before ? parts[words.count - 1] : nil
            }
            if before == "clear" { candidates = FaultCode.all.map(\.rawValue) }
        }
        return candidates.filter { $0.hasPrefix(typed) }.sorted()
    }

    /// The help text: every command, or one.
    public static func help(_ topic: String?) -> [String] {
        if let topic {
            let matches = commands.filter { $0.name == topic || $0.name.hasPrefix(topic + " ") }
            guard !matches.isEmpty else {
                let hint = closestMatch(to: topic, among: commands.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                return ["no command '\(topic)'" + hint]
            }
            return matches.map { line($0) }
        }
        return commands.map { line($0) } + ["", "* needs login. Add --json to any command for one JSON object per line."]
    }

    private static func line(_ spec: CommandSpec) -> String {
        let usage = spec.name + (spec.arguments.isEmpty ? "" : " " + spec.arguments)
        return (spec.privileged ? "* " : "  ") + usage + String(repeating: " ", count: max(1, 28 - usage.count)) + spec.summary
    }

    private static func usage(_ spec: CommandSpec, _ problem: String) -> ConsoleInputError {
        ConsoleInputError(message: "\(spec.name): \(problem); usage: \(spec.name)\(spec.arguments.isEmpty ? "" : " " + spec.arguments)")
    }

    /// Words, with double quotes around a value that holds spaces.
    private static func split(_ line: String) throws(ConsoleInputError) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
                started = true
            } else if character.isWhitespace && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        guard !quoted else { throw ConsoleInputError(message: "a quote is not closed") }
        if started { words.append(current) }
        return words
    }
}
