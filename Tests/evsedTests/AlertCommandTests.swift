import Foundation
import Testing
import TestSupport

/// Owner alerts end to end: a scenario's alerts, delivery to real servers across restarts and a
/// power cut, the outbox on the command line, and the alerts file checked.
@Suite(.serialized) struct AlertCommandTests {
    let cli = CommandLineTests()

    @Test func aScenarioRaisesEveryAlertInOrderWithTheBillsAmounts() throws {
        let ledger = CommandLineTests.privateLedger()
        let run = try cli.evsed(["simulate", "--scenario", "boards/scenarios/owner-alerts.toml", "--alerts", "boards/alerts.scenario.toml",
                                 "--json", "--readings", "0", "--ledger", ledger, "--check"], ledger: ledger)
        #expect(run.status == 0, "\(run.error)")
        let events = try cli.jsonLines(run.output)
        let alerts = events.filter { $0["event"] as? String == "alert" }
        #expect(alerts.map { $0["kind"] as? String ?? "" }
                == ["started", "meter_lost", "resumed", "fault", "resumed", "nearly_full", "ending_soon", "idle", "ended"])
        #expect(alerts.allSatisfy { $0["owner"] as? String == "alex" && $0["channels"] as? String == "email" })
        // The bill in the alert is the session's, as the log and the ledger have it.
        let ended = try #require(events.first { $0["event"] as? String == "session_ended" })
        let cost = String(format: "%.2f", try #require(ended["cost"] as? Double))
        let energy = String(format: "%.2f", Double(try #require(LedgerCommandTests.integer(ended["energy_wh"]))) / 1000)
        let bill = try #require(alerts.last?["text"] as? String)
        #expect(bill.contains("Energy: \(energy) kWh") && bill.contains("Cost: \(cost) EUR") && bill.contains("= \(cost) EUR"), "\(bill)")
        #expect((alerts.last?["sms"] as? String)?.contains("\(energy) kWh, 1 h 28 min, \(cost) EUR") == true, "\(alerts.last ?? [:])")
        #expect((alerts[3]["text"] as? String)?.contains("have the car and cable checked") == true, "the fault carries its instruction")
        #expect((alerts[6]["text"] as? String)?.contains("your departure at 09:20") == true)
        #expect((alerts[7]["text"] as? String)?.contains("An idle fee of 3.60 EUR/h starts at") == true)
        // Stored in the outbox, one email each, none sent by a simulation.
        let outbox = try cli.jsonLines(try cli.evsed(["alerts", "list", "--ledger", ledger, "--json"]).output)
        #expect(outbox.count == 9 && outbox.allSatisfy { $0["channel"] as? String == "email" && $0["state"] as? String == "pending" })
        #expect(try cli.evsed(["ledger", "verify", "--ledger", ledger]).status == 0)
    }

    /// The SMTP server is down while alerts fall due; evsed is stopped, and later killed as by a
    /// power cut; the server comes back: every alert reaches every channel, once.
    @Test func everyAlertIsDeliveredAcrossAnOutageARestartAndAPowerCut() throws {
        let directory = try Peer.scratchDirectory("outbox")
        let smtpPort = Peer.freePort()
        var smtp: Peer? = try Peer.smtp(in: directory, port: smtpPort)
        let http = try Peer.http(in: directory)
        let broker = try Peer.mosquitto(in: directory)
        let modem = try Peer.modem(in: directory)
        let alerts = directory + "/alerts.toml"
        try """
            default_owner = "alex"
            [delivery]
            retry_first_s = 1
            retry_max_s = 2
            timeout_s = 5
            [email]
            url = "smtp://127.0.0.1:\(smtpPort)"
            security = "none"
            from = "Charger <charger@example.org>"
            [sms]
            modem = "\(modem.address)"
            [webhook]
            secret = "a-test-secret-of-some-length"
            [mqtt]
            host = "127.0.0.1"
            port = \(broker.address)
            [[owner]]
            name = "alex"
            email = "alex@example.org"
            phone = "+4917612345678"
            webhook = "http://127.0.0.1:\(http.address)/hook"
            mqtt_topic = "home/alerts"
            """.write(toFile: alerts, atomically: true, encoding: .utf8)
        let ledger = directory + "/ledger.sqlite"
        func pending() throws -> [[String: Any]] {
            try cli.jsonLines(try cli.evsed(["alerts", "list", "--ledger", ledger, "--pending", "--json"]).output)
        }

        // 1. All servers up: the start reaches all four channels.
        var daemon = try RunningDaemon(["run", "--json", "--alerts", alerts], ledger: ledger)
        #expect(daemon.output.wait(for: #""event":"contactor","closed":true"#, seconds: 60), "\(daemon.output.text)")
        #expect(smtp!.wait(forMessages: 1, seconds: 30) && http.wait(forMessages: 1, seconds: 30) && modem.wait(forMessages: 1, seconds: 30))
        // 2. The mail server goes down; the car leaves: the bill's mail fails and waits.
        smtp!.stop()
        smtp = nil
        daemon.type("unplug")
        #expect(daemon.output.wait(for: #""event":"alert_failed","delivery_id""#, seconds: 60), "\(daemon.output.text)")
        #expect(daemon.output.text.contains(#""kind":"ended","channel":"email""#))
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        daemon.stop()
        #expect(try pending().map { $0["channel"] as? String } == ["email"])

        // 3. Started again, still without the mail server: a new session; then the power is cut.
        daemon = try RunningDaemon(["run", "--json", "--alerts", alerts], ledger: ledger)
        #expect(daemon.output.wait(for: #""event":"session_started","session":"2""#, seconds: 60), "\(daemon.output.text)")
        #expect(http.wait(forMessages: 3, seconds: 30), "started 1, ended 1, started 2 by webhook")
        // The cut comes once the other channels have recorded their deliveries: a delivery cut
        // between the peer's answer and its record is sent again (at least once, by design; the
        // receiver has the delivery id), which would make the counts below a race.
        let settled = Date().addingTimeInterval(60)
        while Date() < settled, try pending().contains(where: { $0["channel"] as? String != "email" }) { Thread.sleep(forTimeInterval: 0.2) }
        kill(daemon.process.processIdentifier, SIGKILL)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        daemon.stop()
        #expect(try pending().map { $0["channel"] as? String } == ["email", "email"], "the bill of 1 and the start of 2")

        // 4. The mail server is back, so is the power: the session resumes and everything goes out.
        smtp = try Peer.smtp(in: directory, port: smtpPort)
        daemon = try RunningDaemon(["run", "--json", "--alerts", alerts], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: #""event":"alert","kind":"power_cut""#, seconds: 60), "\(daemon.output.text)")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try !pending().isEmpty { Thread.sleep(forTimeInterval: 0.2) }
        let left = try pending()
        #expect(left.isEmpty, "\(left)\n\(daemon.output.text.suffix(3000))")
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))

        // Every alert, on every channel, exactly once (the mail server kept what the first one got).
        let outbox = try cli.jsonLines(try cli.evsed(["alerts", "list", "--ledger", ledger, "--json"]).output)
        #expect(Set(outbox.map { $0["kind"] as? String ?? "" }) == ["started", "ended", "power_cut"])
        let alertCount = Set(outbox.map { LedgerCommandTests.integer($0["alert"]) }).count
        #expect(alertCount == 4, "started 1, ended 1, started 2, power cut: \(outbox)")
        #expect(outbox.allSatisfy { $0["state"] as? String == "delivered" })
        let mails = smtp!.messages()
        let messageIDs = mails.compactMap { ($0["data"] as? String)?.split(separator: "\r\n").first { $0.hasPrefix("Message-ID:") } }
        #expect(mails.count == alertCount && Set(messageIDs).count == mails.count, "both mail servers keep one file: \(messageIDs)")
        #expect(http.messages().count == alertCount)
        #expect(modem.messages().count == alertCount)
        #expect(broker.lines().filter { $0.hasPrefix("home/alerts ") }.count == alertCount)
        let hooks = http.messages().compactMap { ($0["headers"] as? [String: String])?["X-Evsed-Delivery"] }
        #expect(Set(hooks).count == alertCount, "\(hooks)")
        #expect(broker.lines().contains { $0.hasPrefix("evsed/simulated-22-kw-charger/state {") }, "the live state on MQTT")
    }

    @Test func checkConfigNamesEveryBadChannelAndAGoodFilePasses() throws {
        let directory = try Peer.scratchDirectory("check")
        let closed = Peer.freePort()
        let http = try Peer.http(in: directory)
        let file = directory + "/alerts.toml"
        try """
            default_owner = "alex"
            [email]
            url = "smtp://no-such-host.invalid:25"
            from = "c@example.org"
            [mqtt]
            host = "127.0.0.1"
            port = \(closed)
            [sms]
            modem = "\(directory)/no-modem"
            [webhook]
            [[owner]]
            name = "alex"
            email = "alex@example.org"
            webhook = "http://127.0.0.1:\(http.address)/hook"
            [template.ended]
            sms = "{energy} for {cost} at {charger} ({reeson})"
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let broken = try cli.evsed(["check-config", "--alerts", file])
        #expect(broken.status == 1)
        #expect(broken.error.contains("alerts.toml:16: template.ended.sms: unknown placeholder {reeson} (did you mean {reason}?)"), "\(broken.error)")
        // With the template fixed, the servers are tried.
        try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "{reeson}", with: "{reason}").write(toFile: file, atomically: true, encoding: .utf8)
        let unreachable = try cli.evsed(["check-config", "--alerts", file])
        #expect(unreachable.status == 1)
        for expected in ["alerts.toml:3: email.url: no-such-host.invalid:25: the host name does not resolve",
                         "alerts.toml:6: mqtt.host: 127.0.0.1:\(closed): Connection refused (nothing listens on that port)",
                         "alerts.toml:9: sms.modem: the modem does not open: \(directory)/no-modem: No such file or directory",
                         "alerts.toml: 3 problem(s)"] {
            #expect(unreachable.error.contains(expected), "missing '\(expected)' in:\n\(unreachable.error)")
        }
        #expect(!unreachable.error.contains("webhook"), "the webhook answers")
        let offline = try cli.evsed(["check-config", "--alerts", file, "--offline"])
        #expect(offline.status == 0 && offline.output.contains("ok (1 owner(s); channels: email, sms, webhook, mqtt; servers not tried)"), "\(offline.output)\(offline.error)")
        #expect(try cli.evsed(["check-config", "--alerts", "boards/alerts.example.toml", "--offline"]).status == 0)
        #expect(try cli.evsed(["check-config", "--alerts", "boards/alerts.scenario.toml", "--offline"]).status == 0)
    }

    /// The owner's phone through the apps they have: `evsed run` delivers the session's start to
    /// ntfy, Pushover and Telegram (local servers that check each call as the services document it).
    @Test func aSessionReachesTheOwnersPhoneThroughNtfyPushoverAndTelegram() throws {
        let directory = try Peer.scratchDirectory("push-run")
        let services = try Peer.pushServices(in: directory)
        defer { services.stop() }
        let alerts = directory + "/alerts.toml"
        try """
            default_owner = "alex"
            [ntfy]
            server = "http://127.0.0.1:\(services.address)"
            [pushover]
            token = "\(Peer.PushKeys.pushoverToken)"
            api_url = "http://127.0.0.1:\(services.address)/1/messages.json"
            [telegram]
            bot_token = "\(Peer.PushKeys.telegramToken)"
            api_url = "http://127.0.0.1:\(services.address)"
            [[owner]]
            name = "alex"
            ntfy = "alex-garage-7f3k"
            pushover = "\(Peer.PushKeys.pushoverUser)"
            telegram = "\(Peer.PushKeys.telegramChat)"
            """.write(toFile: alerts, atomically: true, encoding: .utf8)
        let offline = try cli.evsed(["check-config", "--alerts", alerts, "--offline"])
        #expect(offline.output.contains("channels: ntfy, pushover, telegram"), "\(offline.output)\(offline.error)")
        let daemon = try RunningDaemon(["run", "--alerts", alerts], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(services.wait(forMessages: 3, seconds: 60), "\(daemon.output.text)")
        let received = services.messages()
        #expect(Set(received.compactMap { $0["service"] as? String }) == ["ntfy", "pushover", "telegram"], "\(received)")
        #expect(received.allSatisfy { $0["status"] as? Int == 200 }, "\(received)")
        #expect(daemon.output.wait(for: "started by telegram to \(Peer.PushKeys.telegramChat)", seconds: 30), "\(daemon.output.text)")
        #expect(daemon.output.text.contains("started by ntfy to alex-garage-7f3k"), "\(daemon.output.text)")
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
    }

    /// At run time a channel whose server is wrong fails with a clear error, and the others deliver.
    @Test func aBrokenChannelDoesNotHoldUpTheOthers() throws {
        let directory = try Peer.scratchDirectory("broken")
        let http = try Peer.http(in: directory)
        let alerts = directory + "/alerts.toml"
        try """
            default_owner = "alex"
            [email]
            url = "smtp://no-such-host.invalid:25"
            security = "none"
            from = "c@example.org"
            [webhook]
            [[owner]]
            name = "alex"
            email = "alex@example.org"
            webhook = "http://127.0.0.1:\(http.address)/hook"
            """.write(toFile: alerts, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["run", "--alerts", alerts], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(http.wait(forMessages: 1, seconds: 60))
        #expect(daemon.output.wait(for: "started by email to alex@example.org", seconds: 30))
        #expect(daemon.output.wait(for: "Could not resolve host: no-such-host.invalid", seconds: 30), "\(daemon.output.text)")
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
    }
}

/// The console's `alerts` and `start --owner`.
@Suite struct ConsoleAlertTests {
    let cli = CommandLineTests()

    @Test func theConsoleShowsTheOutboxAndGivesASessionToAnOwner() throws {
        let directory = try Peer.scratchDirectory("console-alerts")
        let http = try Peer.http(in: directory)
        let alerts = directory + "/alerts.toml"
        try """
            default_owner = "alex"
            [webhook]
            [[owner]]
            name = "alex"
            webhook = "http://127.0.0.1:\(http.address)/alex"
            [[owner]]
            name = "kim"
            webhook = "http://127.0.0.1:\(http.address)/kim"
            """.write(toFile: alerts, atomically: true, encoding: .utf8)
        let socket = directory + "/console.sock"
        let pin = try cli.evsed(["console", "--hash-pin"], input: "2468\n").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let ledger = directory + "/ledger.sqlite"
        let daemon = try RunningDaemon(["run", "--alerts", alerts, "--console", socket, "--console-pin-file", try CommandLineTests.pinFile(pin)], ledger: ledger)
        defer { daemon.stop() }
        #expect(http.wait(forMessages: 1, seconds: 60))
        let screen = try cli.evsed(["console", "--socket", socket],
                                   input: "alerts\rlogin\r2468\rstart --owner kym\rstart --owner kim\rstop\r").output
        for expected in ["started session 1  webhook http://127.0.0.1:\(http.address)/alex  delivered",
                         "start --owner: no owner 'kym' (did you mean 'kim'?); owners: alex, kim",
                         "start --owner kim: refused: a session is already open; the next session will belong to kim", "stop: done"] {
            #expect(screen.contains(expected), "the console did not show '\(expected)':\n\(screen)")
        }
        // The car is still there: the next start opens session 2, for kim.
        #expect(daemon.output.wait(for: "session_ended", seconds: 30) || daemon.output.wait(for: "session 1 (stop_command)", seconds: 30), "\(daemon.output.text)")
        let again = try cli.evsed(["console", "--socket", socket], input: "login\r2468\rstart\r").output
        #expect(again.contains("start: done"), "\(again)")
        #expect(http.wait(forMessages: 3, seconds: 30))
        // The stop withdrew the PWM: the car going to B was the charger's doing, so no idle alert.
        let sent = http.messages().map { "\(($0["headers"] as? [String: String])?["X-Evsed-Alert"] ?? "?") \($0["path"] as? String ?? "?")" }
        #expect(sent == ["started /alex", "ended /alex", "started /kim"], "\(http.messages())")
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        let sessions = try cli.jsonLines(try cli.evsed(["ledger", "list", "--json", "--ledger", ledger]).output)
        #expect(sessions.map { $0["owner"] as? String } == ["alex", "kim"] || sessions.map { $0["owner"] as? String } == ["kim", "alex"], "\(sessions)")
    }
}
