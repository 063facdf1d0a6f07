import ConfigFile
import Testing
@testable import OCPP

struct OCPPSettingsTests {
    func read(_ text: String) throws(ConfigError) -> OCPPSettings? {
        let document = try ConfigDocument.parse("[ocpp]\n" + text, file: "board.toml")
        return try OCPPSettings.read(try document.table("ocpp"))
    }

    func problem(_ text: String) -> String {
        do { _ = try read(text) } catch { return error.description }
        return "no problem"
    }

    @Test func theChargeBoxIdEndsTheURLAndProfilesOneAndTwoCarryTheKey() throws {
        let settings = try #require(try read("""
            central_system = "wss://csms.example.net:8443/ocpp/1.6?site=4"
            charge_box_id = "garage-1"
            security_profile = 2
            authorization_key = "0123456789abcdef"
            """))
        #expect(settings.url.description == "wss://csms.example.net:8443/ocpp/1.6/garage-1?site=4")
        #expect(settings.authorization == "Basic Z2FyYWdlLTE6MDEyMzQ1Njc4OWFiY2RlZg==")
        #expect(settings.idTag == "evsed" && settings.reconnectFirst == .seconds(5))
        let plain = try #require(try read(#"central_system = "ws://[::1]/"\#ncharge_box_id = "CB1""#))
        #expect(plain.url.host == "::1" && plain.url.port == 80 && plain.url.pathAndQuery == "/CB1" && plain.authorization == nil)
    }

    @Test func eachMistakeNamesItsKey() {
        #expect(problem(#"charge_box_id = "CB1""#).contains("central_system"))
        #expect(problem(#"central_system = "http://x/"\#ncharge_box_id = "CB1""#).contains("must start with ws:// or wss://"))
        #expect(problem(#"central_system = "ws://x:0/"\#ncharge_box_id = "CB1""#).contains("port"))
        #expect(problem(#"central_system = "ws://user:pw@x/"\#ncharge_box_id = "CB1""#).contains("credentials"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "a/b""#).contains("charge_box_id"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "CB1"\#nsecurity_profile = 1"#).contains("authorization_key"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "CB1"\#nsecurity_profile = 1\#nauthorization_key = "short""#).contains("16 to 40"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "CB1"\#nsecurity_profile = 2\#nauthorization_key = "0123456789abcdef""#).contains("wss://"))
        #expect(problem(#"central_system = "wss://x/"\#ncharge_box_id = "CB1"\#nsecurity_profile = 1\#nauthorization_key = "0123456789abcdef""#).contains("profile 2"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "CB1"\#nsecurity_profile = 3"#).contains("security_profile"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "CB1"\#nid_tag = "a tag with spaces""#).contains("id_tag"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "CB1"\#ncentral = 1"#).contains("central"))
        #expect(problem(#"central_system = "ws://x/"\#ncharge_box_id = "CB1"\#nreconnect_first_s = 10\#nreconnect_max_s = 5"#).contains("reconnect_max_s"))
    }
}

struct OCPPConfigurationTests {
    @Test func readOnlyKeysAreRefusedUnknownOnesUnsupportedAndValuesChecked() {
        var configuration = OCPPConfiguration()
        #expect(configuration.change("HeartbeatInterval", to: "60") == .Accepted && configuration.integer("HeartbeatInterval") == 60)
        #expect(configuration.change("HeartbeatInterval", to: "-1") == .Rejected)
        #expect(configuration.change("HeartbeatInterval", to: "sixty") == .Rejected)
        #expect(configuration.change("NumberOfConnectors", to: "2") == .Rejected)
        #expect(configuration.change("heartbeatinterval", to: "60") == .NotSupported)
        #expect(configuration.change("StopTransactionOnInvalidId", to: "FALSE") == .Accepted && configuration["StopTransactionOnInvalidId"] == "false")
        #expect(configuration.change("LocalPreAuthorize", to: "TRUE") == .Accepted && configuration["LocalPreAuthorize"] == "true")
        #expect(configuration.change("AuthorizeRemoteTxRequests", to: "true") == .Rejected)
        #expect(configuration.change("MeterValuesSampledData", to: "Voltage,Energy.Active.Import.Register") == .Accepted)
        #expect(configuration.change("MeterValuesSampledData", to: "Voltage,SoC") == .Rejected)
        #expect(configuration.list("MeterValuesSampledData") == ["Voltage", "Energy.Active.Import.Register"])
        // What was stored comes back; what is no longer valid does not.
        let restored = OCPPConfiguration(stored: ["HeartbeatInterval": "60", "NumberOfConnectors": "9", "Nope": "1", "ClockAlignedDataInterval": "99999"])
        #expect(restored.integer("HeartbeatInterval") == 60 && restored["NumberOfConnectors"] == "1" && restored["ClockAlignedDataInterval"] == "0")
    }
}
