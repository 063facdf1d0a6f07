import ConfigFile
import Foundation
import Testing
import TestSupport
@testable import Alerts

@Suite struct AlertConfigurationTests {
    @Test func theShippedExampleIsUsable() throws {
        let configuration = try AlertConfiguration.load(repositoryRoot + "/boards/alerts.example.toml")
        #expect(configuration.owners.map(\.name) == ["alex"])
        #expect(configuration.defaultOwner == "alex")
        let alex = try #require(configuration.owner(named: "alex"))
        #expect(alex.channels == [.email, .sms, .webhook, .mqtt])
        #expect(alex.wants(.fault, on: .sms) && alex.wants(.ended, on: .sms) && !alex.wants(.started, on: .sms))
        #expect(alex.limits.energyWh == 40_000 && alex.limits.cost == Decimal(string: "15.00") && alex.limits.departure == 7 * 3600 + 1800)
        #expect(alex.quietHours == QuietHours(start: 22 * 3600, end: 7 * 3600))
        #expect(configuration.email?.security == .starttls && configuration.email?.fromAddress == "charger@example.org")
        #expect(configuration.mqtt?.broker.port == 1883)
    }

    @Test func everyMistakeIsNamedWithItsLineAndKey() throws {
        let text = """
            default_owner = "alexx"
            [rules]
            lead_min = 0
            [email]
            url = "smtp://mail.example.org:99999"
            from = "charger@example.org"
            [sms]
            modem = "/dev/ttyUSB2"
            gateway_url = "https://sms.example.org"
            [mqtt]
            host = "broker"
            state_topic = "evsed/#"
            [[owner]]
            name = "alex"
            phone = "017612345"
            [[owner]]
            name = "kim"
            webhook = "http://127.0.0.1/hook"
            events = { webhook = ["ended", "fualt"] }
            [[owner]]
            name = "lee"
            email = "lee@example.org"
            [[owner]]
            name = "max"
            webhook = "http://127.0.0.1/hook"
            [template.fault]
            text = "{titel}"
            """
        var problems: [ConfigError] = []
        _ = AlertConfiguration.read(try ConfigDocument.parse(text, file: "alerts.toml"), problems: &problems)
        let report = problems.map(\.description)
        let expected = [
            "alerts.toml:3", "lead_min", "0 is outside 1 … 240",
            "alerts.toml:5", "the port must be a number 1 … 65535",
            "alerts.toml:9", "a modem or a gateway, not both",
            "alerts.toml:12", "no wildcards",
            "alerts.toml:15", "not a phone number in international form",
            "alerts.toml:19", "unknown alert 'fualt' (did you mean 'fault'?)",
            "alerts.toml:27", "did you mean {title}?",
            "alerts.toml:1", "no [[owner]] is named 'alexx' (did you mean 'alex'?)",
        ]
        for fragment in expected {
            #expect(report.contains { $0.contains(fragment) }, "missing '\(fragment)' in:\n\(report.joined(separator: "\n"))")
        }
        // max's webhook has no [webhook] section: said as such; lee's [email] is there, only broken.
        #expect(report.contains { $0.contains("alerts.toml:25") && $0.contains("to be reached by webhook, but the file has no [webhook] section") }, "\(report)")
        #expect(!report.contains { $0.contains("'lee'") }, "\(report)")
        #expect(report.count == 9, "\(report.joined(separator: "\n"))")
    }

    @Test func endpointsAreTakenApart() throws {
        let table = try ConfigDocument.parse("", file: "x.toml")
        let smtps = try Endpoint("smtps://mail.example.org", schemes: ["smtp", "smtps"], table: table, key: "url")
        #expect(smtps.host == "mail.example.org" && smtps.port == 465)
        let v6 = try Endpoint("http://[::1]:8080/hook?x=1", schemes: ["http"], table: table, key: "url")
        #expect(v6.host == "::1" && v6.port == 8080)
        let user = try Endpoint("https://user:pw@sms.example.org/send", schemes: ["https"], table: table, key: "url")
        #expect(user.host == "sms.example.org" && user.port == 443)
        #expect(throws: ConfigError.self) { try Endpoint("ftp://x", schemes: ["http"], table: table, key: "url") }
        #expect(throws: ConfigError.self) { try Endpoint("mail.example.org", schemes: ["smtp"], table: table, key: "url") }
    }

    @Test func retriesDoubleWithJitterUpToTheMaximum() {
        var policy = RetryPolicy()
        policy.first = .seconds(10)
        policy.maximum = .seconds(300)
        for attempts in 1...12 {
            let base = min(10.0 * Double(1 << (attempts - 1)), 300)
            for unit in [0.0, 0.37, 0.999] {
                let delay = policy.delay(afterAttempts: attempts, unit: unit).seconds
                #expect(delay >= base / 2 - 0.001 && delay <= base + 0.001, "attempt \(attempts): \(delay) s")
            }
        }
        #expect(policy.delay(afterAttempts: 1, unit: 0) < policy.delay(afterAttempts: 1, unit: 0.9))
    }
}
