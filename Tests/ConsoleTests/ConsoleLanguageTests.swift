import Console
import EVSECore
import Testing

/// The command language: every command parses, mistakes are named with what to type instead.
@Suite struct ConsoleLanguageTests {
    func parse(_ line: String) throws -> ParsedCommand { try ConsoleLanguage.parse(line) }

    func problem(_ line: String) -> String {
        do {
            _ = try ConsoleLanguage.parse(line)
            return ""
        } catch {
            return error.message
        }
    }

    @Test func everyCommandParses() throws {
        #expect(try parse("status").command == .status)
        #expect(try parse("  STATUS   --json ") == ParsedCommand(command: .status, json: true))
        #expect(try parse("sessions").command == .sessions(count: 10))
        #expect(try parse("sessions 5").command == .sessions(count: 5))
        #expect(try parse("session 12").command == .session(id: 12))
        #expect(try parse("faults --all").command == .faults(all: true))
        #expect(try parse("limit 16").command == .limit(amps: 16))
        #expect(try parse("limit 10A").command == .limit(amps: 10))
        #expect(try parse("start --owner \"Ada Lovelace\"").command == .start(owner: "Ada Lovelace"))
        #expect(try parse("test contactor").command == .testContactor)
        #expect(try parse("test rcm").command == .testResidualCurrentMonitor)
        #expect(try parse("clear residual_current").command == .clear(.residualCurrent))
        #expect(try parse("clear \(FaultCode.contactorWelded.displayCode)").command == .clear(.contactorWelded))
        #expect(try parse("config set charger.max_current_a 16").command == .configSet(key: "charger.max_current_a", value: "16"))
        #expect(try parse("log 50").command == .log(count: 50))
        #expect(try parse("quit").command == .logout)
        for spec in ConsoleLanguage.commands where spec.arguments.isEmpty || spec.arguments.hasPrefix("[") {
            #expect(throws: Never.self) { try ConsoleLanguage.parse(spec.name) }
        }
    }

    @Test func mistakesSayWhatToTypeInstead() {
        #expect(problem("stauts") == "unknown command 'stauts' — did you mean 'status'?")
        #expect(problem("xyzzy").hasSuffix("help lists the commands"))
        #expect(problem("limit").contains("how many amperes?"))
        #expect(problem("limit lots").contains("AMPS must be a number"))
        #expect(problem("session").contains("which session?"))
        #expect(problem("status now").contains("takes no arguments"))
        #expect(problem("test contacter").contains("did you mean 'test contactor'?"))
        #expect(problem("clear residual_curent").contains("did you mean 'residual_current'?"))
        #expect(problem("sessions 0").contains("N must be a number, 1 … 1000"))
        #expect(problem("start --owner \"Ada").contains("quote is not closed"))
        #expect(problem("   ").contains("type a command"))
    }

    @Test func theCardsCommandsParse() throws {
        #expect(try parse("cards").command == .cards(.list))
        #expect(try parse("cards list --json") == ParsedCommand(command: .cards(.list), json: true))
        #expect(try parse("cards history").command == .cards(.history))
        #expect(try parse("cards add 04A1B2C3 alex").command == .cards(.add(card: "04A1B2C3", owner: "alex", label: nil, until: nil)))
        #expect(try parse("cards add 04A1B2C3 alex \"blue card\" --until 2027-01-31").command
            == .cards(.add(card: "04A1B2C3", owner: "alex", label: "blue card", until: "2027-01-31")))
        #expect(try parse("cards add --until 2027-01-31 04A1B2C3 alex").command
            == .cards(.add(card: "04A1B2C3", owner: "alex", label: nil, until: "2027-01-31")))
        #expect(try parse("cards learn kim").command == .cards(.learn(owner: "kim", label: nil)))
        #expect(try parse("cards learn kim spare").command == .cards(.learn(owner: "kim", label: "spare")))
        #expect(try parse("cards block 04A1B2C3").command == .cards(.block(card: "04A1B2C3")))
        #expect(try parse("cards unblock 04A1B2C3").command == .cards(.unblock(card: "04A1B2C3")))
        #expect(try parse("cards remove 04A1B2C3").command == .cards(.remove(card: "04A1B2C3")))
        #expect(problem("cards ad 1 2") == "cards what? list, history, add, learn, block, unblock, remove (did you mean 'cards add'?)")
        #expect(problem("cards add 04A1B2C3").contains("a card and its owner (cards add 04A1B2C3 alex)"))
        #expect(problem("cards add 04A1B2C3 alex blue card").contains("a label with spaces goes in double quotes"))
        #expect(problem("cards add 04A1B2C3 alex --until").contains("--until needs a date"))
        #expect(problem("cards block").contains("which card?"))
        #expect(problem("cards block a b").contains("one card at a time"))
        #expect(problem("cards list now").contains("takes no arguments"))
        #expect(problem("cards learn").contains("whose card?"))
        #expect(ConsoleLanguage.completions(for: "cards b") == ["block"])
    }

    @Test func privilegedCommandsAreMarked() {
        let privileged = Set(ConsoleLanguage.commands.filter(\.privileged).map(\.name))
        #expect(privileged == ["limit", "start", "stop", "pause", "resume", "enable", "disable", "test contactor", "test rcm", "clear", "config set",
                               "cards add", "cards learn", "cards block", "cards unblock", "cards remove"])
        #expect(ConsoleLanguage.help(nil).contains { $0.hasPrefix("* limit AMPS") })
        #expect(ConsoleLanguage.help("test") .count == 2)
        #expect(ConsoleLanguage.help("stauts") == ["no command 'stauts' (did you mean 'status'?)"])
    }

    @Test func completionOffersTheNextWord() {
        #expect(ConsoleLanguage.completions(for: "st") == ["start", "status", "stop"])
        #expect(ConsoleLanguage.completions(for: "test ") == ["contactor", "rcm"])
        #expect(ConsoleLanguage.completions(for: "config s") == ["set", "show"])
        #expect(ConsoleLanguage.completions(for: "clear resid") == ["residual_current", "residual_current_self_test_failed"].filter { FaultCode(rawValue: $0) != nil })
    }
}
