import ConfigFile
import Foundation
import Testing
import TestSupport
@testable import Alerts

/// Each channel against a real peer on loopback: what the peer received is what was sent.
@Suite(.serialized) struct ChannelTests {
    static func message(to address: String, sms: String = "Garage: session 3 ended 14:05. 12.34 kWh, 4.74 EUR") -> OutgoingMessage {
        OutgoingMessage(deliveryID: "garage-3-7", address: address, kind: "ended", subject: "Charging finished: 12.34 kWh, 4.74 € (Garage)",
                        text: "Session 3 ended.\n.Energy: 12.34 kWh\nCost: 4.74 EUR", sms: sms,
                        document: #"{"delivery_id":"garage-3-7","kind":"ended","text":"Session 3 ended."}"#, raisedAt: "2026-11-25T14:05:00.000Z")
    }

    static func settings(_ text: String) throws -> AlertConfiguration {
        var problems: [ConfigError] = []
        let configuration = AlertConfiguration.read(try ConfigDocument.parse(text, file: "alerts.toml"), problems: &problems)
        if let problem = problems.first { throw problem }
        return configuration
    }

    @Test func emailGoesThroughSTARTTLSWithAuthPlain() throws {
        let directory = try Peer.scratchDirectory("smtp")
        let server = try Peer.smtp(in: directory, tls: "starttls", auth: "charger:s3cret")
        let (certificate, _) = try Peer.certificate(in: directory)
        let configuration = try Self.settings("""
            [email]
            url = "smtp://127.0.0.1:\(server.address)"
            from = "Garage charger <charger@example.org>"
            username = "charger"
            password = "s3cret"
            auth = "PLAIN"
            ca_file = "\(certificate)"
            """)
        let channel = EmailChannel(settings: configuration.email!, timeout: .seconds(20), wallTime: ManualWallTime(1_764_067_787_000))
        try channel.deliver(Self.message(to: "alex@example.org"))
        let mail = try #require(server.messages().first)
        #expect(mail["mail_from"] as? String == "charger@example.org")
        #expect(mail["rcpt_tos"] as? [String] == ["alex@example.org"])
        #expect(mail["tls"] as? Bool == true && mail["authenticated"] as? Bool == true)
        let data = try #require(mail["data"] as? String)
        #expect(data.contains("Message-ID: <garage-3-7@example.org>"))
        #expect(data.contains("Date: Tue, 25 Nov 2025 10:49:47 +0000"), "\(data)")
        // A non-ASCII subject is an RFC 2047 word; a line starting with a dot arrives whole.
        #expect(data.contains("Subject: =?UTF-8?B?"))
        #expect(data.contains("\n.Energy: 12.34 kWh"), "\(data)")
    }

    @Test func emailGoesThroughImplicitTLSWithAuthLogin() throws {
        let directory = try Peer.scratchDirectory("smtps")
        let server = try Peer.smtp(in: directory, tls: "tls", auth: "charger:s3cret")
        let (certificate, _) = try Peer.certificate(in: directory)
        let configuration = try Self.settings("""
            [email]
            url = "smtps://127.0.0.1:\(server.address)"
            from = "charger@example.org"
            username = "charger"
            password = "s3cret"
            auth = "LOGIN"
            ca_file = "\(certificate)"
            """)
        try EmailChannel(settings: configuration.email!, timeout: .seconds(20)).deliver(Self.message(to: "alex@example.org"))
        #expect(server.messages().first?["tls"] as? Bool == true)
    }

    @Test func emailFailuresSayWhatWentWrong() throws {
        let directory = try Peer.scratchDirectory("smtp-bad")
        let server = try Peer.smtp(in: directory, tls: "starttls", auth: "charger:s3cret")
        let (certificate, _) = try Peer.certificate(in: directory)
        func attempt(_ url: String, password: String = "s3cret", ca: String? = certificate) throws -> DeliveryError? {
            let configuration = try Self.settings("""
                [email]
                url = "\(url)"
                from = "charger@example.org"
                username = "charger"
                password = "\(password)"
                \(ca.map { "ca_file = \"\($0)\"" } ?? "")
                """)
            let channel = EmailChannel(settings: configuration.email!, timeout: .seconds(10))
            do throws(DeliveryError) {
                try channel.deliver(Self.message(to: "alex@example.org"))
                return nil
            } catch {
                return error
            }
        }
        let refused = try #require(try attempt("smtp://127.0.0.1:\(Peer.freePort())"))
        #expect(refused.problem.contains("Couldn't connect to server") && !refused.permanent, "\(refused)")
        let unknown = try #require(try attempt("smtp://no-such-host.invalid:25"))
        #expect(unknown.problem.contains("resolve"), "\(unknown)")
        let wrongPassword = try #require(try attempt("smtp://127.0.0.1:\(server.address)", password: "guess"))
        #expect(wrongPassword.problem.contains("Login denied") && wrongPassword.permanent, "\(wrongPassword)")
        let untrusted = try #require(try attempt("smtp://127.0.0.1:\(server.address)", ca: nil))
        #expect(untrusted.problem.lowercased().contains("certificate"), "\(untrusted)")
        #expect(server.messages().isEmpty)
    }

    @Test func aWebhookIsSignedWithHMACSHA256() throws {
        let directory = try Peer.scratchDirectory("webhook")
        let receiver = try Peer.http(in: directory)
        let secret = "a-long-shared-secret-0123"
        let channel = WebhookChannel(settings: WebhookSettings(secret: secret, caFile: nil), timeout: .seconds(10))
        let message = Self.message(to: "http://127.0.0.1:\(receiver.address)/hooks/evsed")
        try channel.deliver(message)
        let request = try #require(receiver.messages().first)
        #expect(request["path"] as? String == "/hooks/evsed")
        #expect(request["body"] as? String == message.document)
        let headers = try #require(request["headers"] as? [String: String])
        #expect(headers["Content-Type"] == "application/json")
        #expect(headers["X-Evsed-Delivery"] == "garage-3-7")
        // The receiver's check: HMAC-SHA256 of the body it got, under the shared secret (RFC 4231 test vectors in the next test).
        #expect(headers["X-Evsed-Signature"] == "sha256=" + WebhookChannel.signature(of: request["body"] as! String, secret: secret))
    }

    @Test func theSignatureIsHMACSHA256() {
        // RFC 4231, test case 2.
        #expect(WebhookChannel.signature(of: "what do ya want for nothing?", secret: "Jefe")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func aWebhookThatRefusesIsAPermanentFailureAndOneThatIsBusyIsNot() throws {
        let directory = try Peer.scratchDirectory("webhook-bad")
        let gone = try Peer.http(in: directory, status: 410)
        let channel = WebhookChannel(settings: WebhookSettings(secret: nil, caFile: nil), timeout: .seconds(10))
        #expect {
            try channel.deliver(Self.message(to: "http://127.0.0.1:\(gone.address)/"))
        } throws: { error in
            let failure = error as! DeliveryError
            return failure.permanent && failure.problem.contains("HTTP 410")
        }
        let busy = try Peer.http(in: directory, status: 503)
        #expect {
            try channel.deliver(Self.message(to: "http://127.0.0.1:\(busy.address)/"))
        } throws: { error in
            let failure = error as! DeliveryError
            return !failure.permanent && failure.problem.contains("HTTP 503")
        }
    }

    @Test func anSMSGatewayGetsTheTextEncodedForItsContentType() throws {
        let directory = try Peer.scratchDirectory("gateway")
        let gateway = try Peer.http(in: directory)
        let form = try Self.settings("""
            [sms]
            gateway_url = "http://127.0.0.1:\(gateway.address)/send"
            gateway_body = "api_key=k&to={to}&message={text}"
            """)
        guard case .gateway(let endpoint, let body, let type, _, _, _)? = form.sms else { Issue.record("not a gateway"); return }
        try SMSGatewayChannel(url: endpoint.url, body: body, contentType: type, username: nil, password: nil, caFile: nil, timeout: .seconds(10), charger: "Garage")
            .deliver(Self.message(to: "+4917612345678", sms: "4,74 € & done"))
        #expect(gateway.messages().last?["body"] as? String == "api_key=k&to=%2B4917612345678&message=4%2C74+EUR+%26+done")

        let json = try Self.settings("""
            [sms]
            gateway_url = "http://127.0.0.1:\(gateway.address)/send"
            gateway_content_type = "application/json"
            """)
        guard case .gateway(let endpoint2, let body2, let type2, _, _, _)? = json.sms else { Issue.record("not a gateway"); return }
        try SMSGatewayChannel(url: endpoint2.url, body: body2, contentType: type2, username: nil, password: nil, caFile: nil, timeout: .seconds(10), charger: "Garage")
            .deliver(Self.message(to: "+4917612345678", sms: "say \"hi\""))
        let document = try JSONSerialization.jsonObject(with: Data((gateway.messages().last?["body"] as? String ?? "").utf8)) as? [String: String]
        #expect(document == ["to": "+4917612345678", "text": "say \"hi\""])
    }

    @Test func aModemSendsTheSMSAfterItsPINAndSplitsALongOne() throws {
        let directory = try Peer.scratchDirectory("modem")
        let modem = try Peer.modem(in: directory, pin: "4321")
        let channel = SMSModemChannel(device: modem.address, baudRate: 115_200, simPIN: "4321", timeout: .seconds(10))
        try channel.deliver(Self.message(to: "+4917612345678"))
        let long = String(repeating: "Charging on Garage stopped: residual current. ", count: 6)
        try channel.deliver(Self.message(to: "+4917612345678", sms: long))
        let texts = modem.messages().map { $0["text"] as? String ?? "" }
        #expect(texts.first == "Garage: session 3 ended 14:05. 12.34 kWh, 4.74 EUR")
        #expect(texts.count == 3 && texts[1].hasPrefix("1/2 ") && texts[2].hasPrefix("2/2 "), "\(texts)")
        #expect(texts.allSatisfy { $0.count <= 160 })
        #expect(modem.messages().allSatisfy { $0["to"] as? String == "+4917612345678" })
    }

    @Test func aModemsErrorIsExplainedAndAWrongPINIsNotOfferedTwice() throws {
        let directory = try Peer.scratchDirectory("modem-bad")
        let modem = try Peer.modem(in: directory, error: "330")
        #expect {
            try SMSModemChannel(device: modem.address, baudRate: 115_200, simPIN: nil, timeout: .seconds(10)).deliver(Self.message(to: "+4917612345678"))
        } throws: { error in
            (error as! DeliveryError).problem.contains("+CMS ERROR: 330 (the SIM has no SMS centre number (AT+CSCA))")
        }
        let locked = try Peer.modem(in: directory, pin: "4321")
        let channel = SMSModemChannel(device: locked.address, baudRate: 115_200, simPIN: "0000", timeout: .seconds(10))
        #expect {
            try channel.deliver(Self.message(to: "+4917612345678"))
        } throws: { error in
            let failure = error as! DeliveryError
            return failure.permanent && failure.problem.contains("wrong SIM PIN")
        }
        #expect {
            try channel.deliver(Self.message(to: "+4917612345678"))
        } throws: { error in
            (error as! DeliveryError).problem.contains("refused the configured PIN")
        }
        #expect {
            try SMSModemChannel(device: directory + "/no-modem", baudRate: 115_200, simPIN: nil, timeout: .seconds(5)).deliver(Self.message(to: "+49176"))
        } throws: { error in
            (error as! DeliveryError).problem.contains("no-modem: No such file or directory")
        }
    }

    @Test func mqttAlertsArriveWithQoS1AndTheStateIsRetained() throws {
        let directory = try Peer.scratchDirectory("mqtt")
        let broker = try Peer.mosquitto(in: directory)
        let configuration = try Self.settings("""
            [mqtt]
            host = "127.0.0.1"
            port = \(broker.address)
            client_id = "evsed-test"
            """)
        let channel = MQTTChannel(settings: configuration.mqtt!, charger: "Garage 1", timeout: .seconds(10))
        #expect(channel.stateTopic == "evsed/garage-1/state")
        try channel.deliver(Self.message(to: "home/alerts"))
        try channel.publishState(#"{"state":"C"}"#)
        #expect(broker.wait(forMessages: 2, seconds: 10, lines: true))
        #expect(broker.lines().contains("home/alerts " + Self.message(to: "").document))
        // A subscriber that comes later still gets the retained state.
        let late = Process()
        late.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        late.arguments = ["-h", "127.0.0.1", "-p", broker.address, "-t", "evsed/+/state", "-C", "1", "-W", "10"]
        let pipe = Pipe()
        late.standardOutput = pipe
        try late.run()
        late.waitUntilExit()
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == #"{"state":"C"}"# + "\n")
        // The broker goes away: an error that says so; it comes back: the channel connects again.
        broker.stop()
        #expect(throws: DeliveryError.self) { try channel.deliver(Self.message(to: "home/alerts")) }
        let again = try Peer.mosquitto(in: directory, port: Int(broker.address))
        try channel.deliver(Self.message(to: "home/alerts"))
        #expect(again.wait(forMessages: 1, seconds: 10, lines: true))
    }

    /// The live state changes every few seconds while charging; with the broker down, each change
    /// must not dial it again (a host that does not answer holds the channel's thread for the
    /// timeout). An alert still does: it is news, and has its own retry policy.
    @Test func theLiveStateDoesNotDialABrokerThatIsDownAtEveryChange() throws {
        let directory = try Peer.scratchDirectory("mqtt-down")
        let port = Peer.freePort()
        let configuration = try Self.settings("""
            [mqtt]
            host = "127.0.0.1"
            port = \(port)
            client_id = "evsed-test"
            """)
        let channel = MQTTChannel(settings: configuration.mqtt!, charger: "Garage 1", timeout: .seconds(10), redialInterval: .seconds(600))
        #expect { try channel.publishState(#"{"state":"B"}"#) } throws: { error in
            (error as! DeliveryError).problem.contains("cannot connect: Connection refused")
        }
        // The broker is up now, but the state waits out the interval without dialling.
        let broker = try Peer.mosquitto(in: directory, port: port)
        #expect { try channel.publishState(#"{"state":"C"}"#) } throws: { error in
            let problem = (error as! DeliveryError).problem
            return problem.contains("not connected since the last attempt failed") && problem.contains("s more")
        }
        // An alert dials at once; connected, the state goes out again.
        try channel.deliver(Self.message(to: "home/alerts"))
        try channel.publishState(#"{"state":"C"}"#)
        #expect(broker.wait(forMessages: 2, seconds: 10, lines: true))
        #expect(broker.lines().contains(#"evsed/garage-1/state {"state":"C"}"#))
        #expect(!broker.lines().contains(where: { $0.contains(#""state":"B""#) }))
    }
}
