import ConfigFile
import Foundation
import Testing
import TestSupport
@testable import Alerts

/// ntfy, Pushover and Telegram against a local server that checks each request as the services
/// document them, and refuses as they would.
@Suite(.serialized) struct PushChannelTests {
    typealias Keys = Peer.PushKeys

    static func configuration(port: String, ntfyToken: Bool = false) throws -> AlertConfiguration {
        try ChannelTests.settings("""
            [ntfy]
            server = "http://127.0.0.1:\(port)"
            \(ntfyToken ? "token = \"\(Keys.ntfyToken)\"" : "")
            [pushover]
            token = "\(Keys.pushoverToken)"
            api_url = "http://127.0.0.1:\(port)/1/messages.json"
            [telegram]
            bot_token = "\(Keys.telegramToken)"
            api_url = "http://127.0.0.1:\(port)"
            """)
    }

    static func message(kind: String, to address: String, text: String = "Session 3 ended.\nEnergy: 12.34 kWh\nCost: 4.74 EUR") -> OutgoingMessage {
        OutgoingMessage(deliveryID: "garage-3-7", address: address, kind: kind, subject: "Charging finished: 12.34 kWh, 4.74 € (Garage)",
                        text: text, sms: "Garage: 12.34 kWh, 4.74 EUR", document: "{}", raisedAt: "2026-11-25T14:05:00.000Z")
    }

    func deliver(_ kind: ChannelKind, _ message: OutgoingMessage, _ configuration: AlertConfiguration) throws(DeliveryError) {
        try AlertChannels.make(kind, configuration, charger: "Garage")!.deliver(message)
    }

    @Test func eachServiceTakesTheAlertAsItsAPISays() throws {
        let directory = try Peer.scratchDirectory("push")
        let services = try Peer.pushServices(in: directory, protectedNtfy: true)
        defer { services.stop() }
        let configuration = try Self.configuration(port: services.address, ntfyToken: true)
        try deliver(.ntfy, Self.message(kind: "ended", to: "alex-garage-7f3k"), configuration)
        try deliver(.pushover, Self.message(kind: "fault", to: Keys.pushoverUser, text: String(repeating: "é", count: 1500)), configuration)
        try deliver(.telegram, Self.message(kind: "fault", to: Keys.telegramChat), configuration)
        #expect(services.wait(forMessages: 3, seconds: 10))
        let received = services.messages()
        #expect(received.map { $0["status"] as? Int } == [200, 200, 200], "\(received)")
        let ntfy = try #require(received[0]["body"] as? [String: Any])
        #expect(ntfy["topic"] as? String == "alex-garage-7f3k" && ntfy["title"] as? String == "Charging finished: 12.34 kWh, 4.74 € (Garage)")
        #expect(ntfy["message"] as? String == "Session 3 ended.\nEnergy: 12.34 kWh\nCost: 4.74 EUR" && ntfy["priority"] as? Int == 3)
        #expect((received[0]["headers"] as? [String: String])?["Authorization"] == "Bearer \(Keys.ntfyToken)")
        let pushover = try #require(received[1]["body"] as? [String: String])
        #expect(pushover["priority"] == "1", "a fault sounds")
        #expect(pushover["message"]?.count == 1024 && pushover["message"]?.hasSuffix("…") == true, "cut to Pushover's 1024 characters")
        #expect(pushover["timestamp"] == "1795615500", "2026-11-25T14:05:00Z")
        let telegram = try #require(received[2]["body"] as? [String: Any])
        #expect(telegram["chat_id"] as? Int == 987654321 && telegram["disable_notification"] as? Bool == false)
        #expect((telegram["text"] as? String)?.hasPrefix("Charging finished: 12.34 kWh, 4.74 € (Garage)\n\nSession 3 ended.") == true)
    }

    @Test func whatAServiceRefusesIsNotTriedAgainAndSaysWhy() throws {
        let directory = try Peer.scratchDirectory("push-refused")
        let services = try Peer.pushServices(in: directory, protectedNtfy: true)
        defer { services.stop() }
        let configuration = try Self.configuration(port: services.address)
        func refusal(_ kind: ChannelKind, _ address: String) -> DeliveryError? {
            do throws(DeliveryError) {
                try deliver(kind, Self.message(kind: "ended", to: address), configuration)
                return nil
            } catch {
                return error
            }
        }
        let ntfy = try #require(refusal(.ntfy, "alex-garage-7f3k"))
        #expect(ntfy.permanent && ntfy.problem.contains("HTTP 403") && ntfy.problem.contains("forbidden"), "\(ntfy)")
        let pushover = try #require(refusal(.pushover, "u" + String(repeating: "x", count: 29)))
        #expect(pushover.permanent && pushover.problem.contains("user identifier is not a valid user"), "\(pushover)")
        let telegram = try #require(refusal(.telegram, "12345"))
        #expect(telegram.permanent && telegram.problem.contains("chat not found"), "\(telegram)")
        #expect(!telegram.problem.contains(Keys.telegramToken), "the bot's token stays out of the outbox: \(telegram)")
        // A server that is not there: tried again later.
        let gone = try ChannelTests.settings("[ntfy]\nserver = \"http://127.0.0.1:9\"")
        do throws(DeliveryError) {
            try deliver(.ntfy, Self.message(kind: "ended", to: "alex"), gone)
            Issue.record("delivered to nobody")
        } catch {
            #expect(!error.permanent, "\(error)")
        }
    }

    @Test(arguments: [
        ("[ntfy]\nserver = \"ftp://x\"", "the scheme must be http or https"),
        ("[ntfy]\ntoken = \"tk bad\"", "an access token is letters, digits"),
        ("[pushover]\ntoken = \"short\"", "a Pushover application token is 30 letters and digits"),
        ("[pushover]", "token"),
        ("[telegram]\nbot_token = \"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\"", "a bot token is the bot's number"),
        ("[ntfy]\n[[owner]]\nname = \"alex\"\nntfy = \"my topic\"", "'my topic' is not an ntfy topic"),
        ("[[owner]]\nname = \"alex\"\npushover = \"uQiRzpo4DXghDmr9QzzfQu27cmVRsG\"", "owner 'alex' is to be reached by pushover, but the file has no [pushover] section"),
        ("[telegram]\nbot_token = \"123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\"\n[[owner]]\nname = \"alex\"\ntelegram = \"alex\"", "is not a Telegram chat id"),
        ("[telegram]\nbot_token = \"123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\"\n[[owner]]\nname = \"alex\"\nevents = { telegram = [\"ended\"] }", "has no telegram for telegram alerts"),
    ])
    func aMistakeInTheFileSaysWhatAndWhere(text: String, expected: String) {
        do {
            _ = try ChannelTests.settings(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
            #expect("\(error)".contains("alerts.toml:"), "\(error)")
        }
    }

    @Test func anOwnerIsReachedOnThePushChannelsTheyName() throws {
        let configuration = try ChannelTests.settings("""
            [ntfy]
            [pushover]
            token = "\(Keys.pushoverToken)"
            [telegram]
            bot_token = "\(Keys.telegramToken)"
            [[owner]]
            name = "alex"
            ntfy = "alex-garage-7f3k"
            pushover = "\(Keys.pushoverUser)"
            telegram = "@evsed_garage"
            events = { telegram = ["problems"] }
            """)
        let owner = try #require(configuration.owner(named: "alex"))
        #expect(owner.channels == [.ntfy, .pushover, .telegram])
        #expect(configuration.ntfy?.server.url == "https://ntfy.sh" && configuration.telegram?.api.url == "https://api.telegram.org")
        #expect(owner.wants(.fault, on: .telegram) && !owner.wants(.ended, on: .telegram) && owner.wants(.ended, on: .ntfy))
        #expect(TelegramChannel.body(Self.message(kind: "ended", to: "@evsed_garage")).hasPrefix(#"{"chat_id":"@evsed_garage","#))
    }
}
