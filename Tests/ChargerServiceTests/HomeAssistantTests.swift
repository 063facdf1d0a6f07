import Alerts
import Billing
import ChargerService
import ConfigFile
import EVSECore
import Foundation
import Sessions
import Testing
import TestSupport

/// Home Assistant's MQTT discovery against `HomeAssistantReference` (a reading of its
/// documentation written apart from the code), and every template against a real state document.
@Suite struct HomeAssistantTests {
    static func settings(commands: Bool) throws -> MQTTSettings {
        var problems: [ConfigError] = []
        let text = "[mqtt]\nhost = \"broker\"\nhome_assistant = true\n" + (commands ? "commands = true\nusername = \"evsed\"\npassword = \"pw\"\n" : "")
        let configuration = AlertConfiguration.read(try ConfigDocument.parse(text, file: "alerts.toml"), problems: &problems)
        #expect(problems.isEmpty, "\(problems)")
        return try #require(configuration.mqtt)
    }

    static let device = HomeAssistantDevice(charger: "Garage Charger", model: "evsed on the simulated board", version: "0.1.0",
                                            maximumCurrent: 32, currency: "EUR")

    /// The state document of a charging session with a tariff.
    static func stateFields() throws -> Set<String> {
        let tariff = RestartJournalTests.tariff
        var service = ChargerService(style: .json, charger: ChargerConfiguration(), chargerName: "Garage", clock: ChargerServiceTests.clock,
                                     tariff: tariff, recorder: nil, recovery: nil, alerts: try ChargerServiceTests.alerts())
        var sent: [String] = []
        let publisher = ChargerStatePublisher(charger: "garage") { sent.append($0) }
        service.subscribe(publisher)
        var machine = ChargerStateMachine(configuration: ChargerConfiguration())
        _ = machine.start(at: .zero)
        _ = service.process(TimedEvent(at: .seconds(1), event: ChargerServiceTests.reading(10_000, watts: 0)))
        _ = service.process(TimedEvent(at: .seconds(2), event: .action(.sessionStarted(SessionID(rawValue: 1)))))
        _ = service.process(TimedEvent(at: .seconds(3), event: .action(.closeContactor)))
        _ = service.process(TimedEvent(at: .seconds(603), event: ChargerServiceTests.reading(11_234, watts: 7_449)))
        publisher.publish(ChargerStatus(machine))
        let last = try #require(sent.last)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(document["session_cost"] != nil && document["currency"] as? String == "EUR", "\(document)")
        return Set(document.keys)
    }

    @Test(arguments: [false, true])
    func theDiscoveryIsWhatHomeAssistantTakes(commands: Bool) throws {
        let messages = HomeAssistantDiscovery.messages(device: Self.device, settings: try Self.settings(commands: commands), stateTopic: "evsed/garage-charger/state")
        let problems = try HomeAssistantReference.problems(messages, stateFields: try Self.stateFields())
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        let components = messages.map { message in
            let parts = message.topic.split(separator: "/").map(String.init)
            return parts[1] + "/" + parts[3]
        }
        let expected = ["sensor/state", "sensor/power", "sensor/session_energy", "sensor/energy", "binary_sensor/fault", "sensor/session_cost"]
            + (commands ? ["number/current_limit", "switch/charging_enabled", "button/stop"] : [])
        #expect(components == expected)
        // The energy dashboard takes a kWh sensor that only increases.
        let energy = try #require(messages.first { $0.topic.hasSuffix("/energy/config") }?.payload)
        #expect(energy.contains(#""device_class":"energy""#) && energy.contains(#""state_class":"total_increasing""#) && energy.contains(#""unit_of_measurement":"kWh""#))
        if commands {
            let limit = try #require(messages.first { $0.topic.hasSuffix("/current_limit/config") }?.payload)
            #expect(limit.contains(#""command_topic":"evsed/garage-charger/set/limit""#) && limit.contains(#""max":32"#), "\(limit)")
        }
    }

    @Test func theReferenceFindsWhatHomeAssistantWouldRefuse() throws {
        let fields: Set<String> = ["state"]
        let bad: [(String, String)] = [
            ("homeassistant/sensor/g/e/config", #"{"name":"E","unique_id":"a","device":{"identifiers":["x"],"name":"G"},"state_topic":"s","device_class":"energy","unit_of_measurement":"W","state_class":"measurement","value_template":"{{ value_json.nope }}"}"#),
            ("homeassistant/switch/g/s/config", #"{"name":"S","unique_id":"a","device":{"identifiers":["x"],"name":"G"},"state_topic":"s","colour":"red"}"#),
        ]
        let problems = try HomeAssistantReference.problems(bad, stateFields: fields)
        #expect(problems.contains { $0.contains("energy does not take 'W'") })
        #expect(problems.contains { $0.contains("energy cannot be a measurement") })
        #expect(problems.contains { $0.contains("value_json.nope") })
        #expect(problems.contains { $0.contains("no command_topic") })
        #expect(problems.contains { $0.contains("unique_id missing or twice") })
    }

    @Test func commandsNeedAnAuthenticatedBroker() throws {
        var problems: [ConfigError] = []
        _ = AlertConfiguration.read(try ConfigDocument.parse("[mqtt]\nhost = \"broker\"\ncommands = true\n", file: "alerts.toml"), problems: &problems)
        #expect(problems.first?.description.contains("they need an authenticated broker connection (username and password)") == true, "\(problems)")
    }
}
