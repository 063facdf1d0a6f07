import Foundation
import Testing
import TestSupport

/// Cards on a shared charger: the technician manages them at the serial console, two owners
/// take turns with their cards at the simulated reader and each hears only of their own sessions,
/// the operator hears of refused cards, and the books, the signed records and the statements
/// carry each session's card and owner. The RFID reader's real library path (libnfc's PN532 UART
/// driver) is driven against a simulated PN532 on a pseudo terminal.
@Suite(.serialized) struct CardTests {
    let cli = CommandLineTests()

    /// The simulated board with a `[cards]` table.
    static func board(in directory: String, cards: String) throws -> String {
        let text = try String(contentsOfFile: CommandLineTests.root + "/boards/sim.toml", encoding: .utf8)
            .replacingOccurrences(of: "[simulation]\n", with: cards + "\n\n[simulation]\n")
        let path = directory + "/board.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func alerts(in directory: String, http: Peer) throws -> String {
        let path = directory + "/alerts.toml"
        try """
            default_owner = "alex"
            operator = "site"
            [webhook]
            [[owner]]
            name = "alex"
            webhook = "http://127.0.0.1:\(http.address)/alex"
            [[owner]]
            name = "kim"
            webhook = "http://127.0.0.1:\(http.address)/kim"
            [[owner]]
            name = "site"
            webhook = "http://127.0.0.1:\(http.address)/site"
            events = { webhook = ["card_refused"] }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aSharedChargerWhereEachOwnersCardStartsAndStopsTheirOwnSession() throws {
        let line = try PseudoTerminalPair()
        defer { line.close() }
        let directory = try Peer.scratchDirectory("cards-shared")
        let http = try Peer.http(in: directory)
        defer { http.stop() }
        let board = try Self.board(in: directory, cards: "[cards]\nmode = \"same_card\"")
        let ledger = directory + "/ledger.sqlite"
        let pin = try cli.evsed(["console", "--hash-pin"], input: "2468\n").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let daemon = try RunningDaemon(["run", "--board", board, "--alerts", try Self.alerts(in: directory, http: http),
                                        "--console-serial", line.first, "--console-pin-file", try CommandLineTests.pinFile(pin)], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "cards: mode same_card, the simulated reader (tap CARD)", seconds: 60), "\(daemon.output.text)")
        // The car is there, but no card: no session.
        #expect(daemon.output.wait(for: "state               B", seconds: 60), "\(daemon.output.text)")
        let laptop = try TerminalScreen(serial: line.second)
        laptop.says("\r", "evsed> ")
        laptop.says("cards\r", "no cards (cards add CARD OWNER")
        laptop.says("cards add 04A1B2C3 alex\r", "login first")
        laptop.says("login\r", "PIN:")
        laptop.says("2468\r", "logged in")
        laptop.says("cards add 04:a1:b2:c3 alex \"alex's blue card\"\r", "card 04A1B2C3 added: alex, \"alex's blue card\"")
        laptop.says("cards add 04A1B2C4 kym\r", "no owner 'kym' (did you mean 'kim'?)")
        laptop.says("cards add 04A1B2C4 kim --until 2099-12-31\r", "card 04A1B2C4 added: kim, valid until 2099-12-31")
        laptop.says("cards add 04A1B2C5 kim --until 2025-02-30\r", "--until is a date, YYYY-MM-DD (found '2025-02-30')")
        laptop.says("cards add not,a,card kim\r", "a card is its UID in hex")
        laptop.says("cards ad 1 2\r", "did you mean 'cards add'?")
        laptop.says("cards block 11223344\r", "no card '11223344'")
        laptop.says("cards learn kim spare\r", "present the card at the reader within 60 s: it becomes kim's")
        daemon.type("tap 04-a1-b2-c9")
        #expect(daemon.output.wait(for: "card 04A1B2C9 learned for kim", seconds: 20), "\(daemon.output.text)")
        laptop.says("cards block 04a1b2c9\r", "card 04A1B2C9 blocked: kim, \"spare\", BLOCKED")
        laptop.says("cards list\r", "04A1B2C3  alex, \"alex's blue card\"", "04A1B2C4  kim, valid until 2099-12-31", "04A1B2C9  kim, \"spare\", BLOCKED")
        laptop.says("cards list --json\r", #"{"card":"04A1B2C4","owner":"kim","valid_until":"#)
        laptop.says("cards history\r", #""action":"block","uid":"04A1B2C9""#)
        let console = "serial " + (line.first.split(separator: "/").last.map(String.init) ?? "")
        #expect(daemon.output.wait(for: "console             \(console): card 04A1B2C9 blocked", seconds: 10), "changes are logged with the console")

        // A stranger's card and a blocked one: refused, the operator told; then alex's starts a session.
        daemon.type("tap DEADBEEF")
        #expect(daemon.output.wait(for: "card DEADBEEF refused: unknown card", seconds: 20), "\(daemon.output.text)")
        daemon.type("tap 04A1B2C9")
        #expect(daemon.output.wait(for: "card 04A1B2C9 refused: blocked", seconds: 20), "\(daemon.output.text)")
        laptop.says("status\r", "card                card 04A1B2C9 refused: blocked (")
        daemon.type("tap 04A1B2C3")
        #expect(daemon.output.wait(for: "session_started     session 1", seconds: 20), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 30), "\(daemon.output.text)")
        // kim's card cannot stop alex's session; alex's can.
        daemon.type("tap 04A1B2C4")
        #expect(daemon.output.wait(for: "card 04A1B2C4 refused: session 1 is open and only the card that started it stops it", seconds: 20))
        daemon.type("tap 04A1B2C3")
        #expect(daemon.output.wait(for: "session 1 (card)", seconds: 30), "\(daemon.output.text)")
        // kim plugs in next (the car leaves and another comes), taps, and charges until unplugging.
        daemon.type("unplug")
        #expect(daemon.output.wait(for: "state               A", seconds: 20))
        daemon.type("plug")
        daemon.type("tap 04A1B2C4")
        #expect(daemon.output.wait(for: "session_started     session 2", seconds: 30), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 30))
        Thread.sleep(forTimeInterval: 3)
        daemon.type("unplug")
        #expect(daemon.output.wait(for: "session 2 (vehicle_unplugged)", seconds: 30), "\(daemon.output.text)")
        #expect(http.wait(forMessages: 7, seconds: 60), "\(http.messages())")
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))

        // Each owner heard only of their own session; the operator of the three refused cards.
        let sent = http.messages().map { "\(($0["path"] as? String) ?? "?") \(($0["headers"] as? [String: String])?["X-Evsed-Alert"] ?? "?")" }
        #expect(sent.filter { $0.hasPrefix("/alex") }.sorted() == ["/alex ended", "/alex started"], "\(sent)")
        #expect(sent.filter { $0.hasPrefix("/kim") }.sorted() == ["/kim ended", "/kim started"], "\(sent)")
        #expect(sent.filter { $0.hasPrefix("/site") } == ["/site card_refused", "/site card_refused", "/site card_refused"], "\(sent)")
        let bodies = http.messages().compactMap { $0["body"] as? String }
        #expect(bodies.contains { $0.contains("\"session\":\"1\"") && $0.contains("alex") }, "\(bodies)")

        // The books: each session with its card and owner, the signed records identifying the card.
        let sessions = try cli.jsonLines(try cli.evsed(["ledger", "list", "--json", "--ledger", ledger]).output)
        let pairs = sessions.map { "\($0["id"] ?? "?") \($0["owner"] as? String ?? "-") \($0["card"] as? String ?? "-") \($0["end_reason"] as? String ?? "-")" }
        #expect(Set(pairs) == ["1 alex 04A1B2C3 card", "2 kim 04A1B2C4 vehicle_unplugged"], "\(pairs)")
        let ocmf = try cli.evsed(["ledger", "export", "--format", "ocmf", "--ledger", ledger]).output
        #expect(ocmf.contains(#""IS":true,"IF":["RFID_PLAIN"],"IT":"ISO14443","ID":"04A1B2C3""#), "\(ocmf)")
        #expect(ocmf.contains(#""ID":"04A1B2C4""#))
        let verify = try cli.evsed(["ledger", "verify", "--ledger", ledger])
        #expect(verify.status == 0, "\(verify.output)\(verify.error)")

        // The statements: each owner's session with its card, totals equal to the ledger's bill.
        let month = String(sessions.first?["started"] as? String ?? "").prefix(7)
        for (owner, card) in [("alex", "04A1B2C3"), ("kim", "04A1B2C4")] {
            let statement = try #require(try cli.jsonLines(try cli.evsed(["ledger", "statement", "--owner", owner, "--month", String(month),
                                                                          "--format", "json", "--ledger", ledger]).output).first)
            let lines = try #require(statement["sessions"] as? [[String: Any]], "\(statement)")
            #expect(lines.count == 1 && lines.first?["card"] as? String == card, "\(statement)")
            let bill = try #require(sessions.first { $0["owner"] as? String == owner }?["cost_incl_vat"] as? NSNumber)
            let totals = try #require((statement["totals"] as? [[String: Any]])?.first, "\(statement)")
            #expect((totals["incl_vat"] as? NSNumber)?.decimalValue == bill.decimalValue, "\(statement) against \(bill)")
        }
    }

    /// The reader through libnfc: `evsed run` opens a PN532 on a pseudo terminal with libnfc's
    /// pn532_uart driver, reads the card put on it, starts the card owner's session, reads it once
    /// while it stays, and goes on charging when the reader goes away.
    @Test func aPN532ReadThroughLibnfcStartsTheCardOwnersSession() throws {
        let directory = try Peer.scratchDirectory("cards-pn532")
        let cardFile = directory + "/card"
        try "".write(toFile: cardFile, atomically: true, encoding: .utf8)
        let reader = try Peer.pn532(in: directory, cardFile: cardFile)
        defer { reader.stop() }
        let board = try Self.board(in: directory, cards: """
            [cards]
            mode = "card"
            reader = "pn532_uart"
            port = "\(reader.address)"
            poll_interval_ms = 100
            """)
        let ledger = directory + "/ledger.sqlite"
        let daemon = try RunningDaemon(["run", "--board", board], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "rfid reader pn532_uart:\(reader.address) open", seconds: 60), "\(daemon.output.text)")
        daemon.type("cards add 08123456789ABC alex")
        #expect(daemon.output.wait(for: "card 08123456789ABC added: alex", seconds: 20), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "state               B", seconds: 30))
        #expect(!daemon.output.text.contains("session_started"), "no session without a card")
        // A 7-byte UID on the reader.
        try "08123456789abc".write(toFile: cardFile, atomically: true, encoding: .utf8)
        #expect(daemon.output.wait(for: "card 08123456789ABC accepted for alex: starting the session", seconds: 20), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "session_started     session 1", seconds: 20), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 30))
        // It stays on the reader: read once, not again at every poll.
        Thread.sleep(forTimeInterval: 1)
        #expect(daemon.output.text.components(separatedBy: "card 08123456789ABC accepted").count == 2, "\(daemon.output.text)")
        #expect(!daemon.output.text.contains("card 08123456789ABC: session 1 is open"), "\(daemon.output.text)")
        // libnfc really spoke PN532: the firmware asked for, the passive target listed.
        let commands = Set(reader.messages().compactMap { $0["command"] as? String })
        #expect(commands.isSuperset(of: ["0x02", "0x14", "0x4a"]), "\(commands)")
        #expect(!reader.messages().contains { $0["error"] != nil }, "every frame libnfc sent was well formed: \(reader.messages())")
        // The reader goes away: charging goes on, and the log says so.
        reader.stop()
        #expect(daemon.output.wait(for: "stopped answering", seconds: 30), "\(daemon.output.text)")
        daemon.type("status")
        #expect(daemon.output.wait(for: "contactor closed    true", seconds: 10), "\(daemon.output.text)")
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        let sessions = try cli.jsonLines(try cli.evsed(["ledger", "list", "--json", "--ledger", ledger]).output)
        #expect(sessions.first?["card"] as? String == "08123456789ABC" && sessions.first?["owner"] as? String == "alex", "\(sessions)")
    }

    /// The three modes, each with the simulated reader in a scenario (virtual time).
    @Test(arguments: [
        // Free charging: the session starts at the plug; a known card tapped before names its owner.
        ("free", ["card 04A1B2C3 accepted for alex: the session starts when a car is connected", "started for alex",
                  "session_ended       session 1 (vehicle_unplugged)"], ["card_refused"]),
        // A card to start: nothing until alex taps; kim's tap during the session does not stop it.
        ("card", ["card 04A1B2C4: session 1 is open; it ends when the car stops or leaves", "started for alex",
                  "session_ended       session 1 (vehicle_unplugged)"], ["session 1 (card)"]),
        // The same card to stop: kim's is refused, alex's stops it.
        ("same_card", ["card 04A1B2C4 refused: session 1 is open and only the card that started it stops it",
                       "session_ended       session 1 (card)", "ended for alex"], ["vehicle_unplugged"]),
    ])
    func eachModeWithTheSimulatedReader(mode: String, expected: [String], absent: [String]) throws {
        let directory = try Peer.scratchDirectory("cards-mode-\(mode)")
        let scenario = directory + "/scenario.toml"
        try """
            name = "cards \(mode)"
            duration_s = 900
            card_mode = "\(mode)"
            [[card]]
            card = "04A1B2C3"
            owner = "alex"
            [[card]]
            card = "04A1B2C4"
            owner = "kim"
            [[step]]
            at_s = 5
            action = "tap"
            card = "04A1B2C3"
            [[step]]
            at_s = 10
            action = "plug"
            [[step]]
            at_s = 200
            action = "tap"
            card = "04A1B2C4"
            [[step]]
            at_s = 400
            action = "tap"
            card = "04A1B2C3"
            [[step]]
            at_s = 600
            action = "unplug"
            [expect]
            sessions = 1
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let alerts = directory + "/alerts.toml"
        try "default_owner = \"kim\"\n[[owner]]\nname = \"alex\"\n[[owner]]\nname = \"kim\"\n".write(toFile: alerts, atomically: true, encoding: .utf8)
        let outcome = try cli.evsed(["simulate", "--scenario", scenario, "--alerts", alerts, "--check", "--readings", "0"])
        #expect(outcome.status == 0, "\(outcome.output)\(outcome.error)")
        for line in expected { #expect(outcome.output.contains(line), "\(mode): no '\(line)' in\n\(outcome.output)") }
        for line in absent { #expect(!outcome.output.contains(line), "\(mode): '\(line)' in\n\(outcome.output)") }
        if mode != "free" {
            // The card came before the car: the session started when the car connected, at 10 s.
            #expect(outcome.output.contains("card 04A1B2C3: a car is connected: starting the session"), "\(outcome.output)")
        }
    }

    @Test func theSharedChargerScenarioPassesItsChecks() throws {
        let outcome = try cli.evsed(["simulate", "--scenario", "boards/scenarios/shared-charger-cards.toml", "--check"])
        #expect(outcome.status == 0, "\(outcome.output)\(outcome.error)")
        #expect(outcome.error.contains("check passed: A shared charger with cards"))
    }

    @Test func aBrokenCardsTableIsAnErrorWithItsLine() throws {
        let directory = try Peer.scratchDirectory("cards-config")
        let board = try Self.board(in: directory, cards: "[cards]\nmode = \"same-card\"")
        let outcome = try cli.evsed(["check-config", "--board", board])
        #expect(outcome.status != 0)
        #expect((outcome.output + outcome.error).contains("'same-card' is not a card mode: free, card, same_card"), "\(outcome.output)\(outcome.error)")
        let reader = try Self.board(in: directory, cards: "[cards]\nreader = \"pn532_uart\"")
        let missing = try cli.evsed(["run", "--board", reader])
        #expect(missing.status != 0)
        #expect((missing.output + missing.error).contains("port"), "\(missing.output)\(missing.error)")
    }
}
