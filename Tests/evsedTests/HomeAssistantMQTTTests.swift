import Foundation
import Testing
import TestSupport

/// Home Assistant through Debian's mosquitto: `evsed run` announces the charger (retained
/// discovery configs that `HomeAssistantReference` finds nothing wrong with), says it is online
/// and leaves "offline" as its last will, and takes commands from the authenticated broker
/// account only when the alerts file allows them: each logged like a console command, its
/// result published back, a command that changes the limit changing the PWM.
@Suite(.serialized) struct HomeAssistantMQTTTests {
    let cli = CommandLineTests()
    static let node = "simulated-22-kw-charger"

    func publish(_ topic: String, _ payload: String, port: String, account: (String, String)? = ("evsed", "s3cret-pass")) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        process.arguments = ["-h", "127.0.0.1", "-p", port, "-t", topic, "-m", payload, "-q", "1"] + (account.map { ["-u", $0.0, "-P", $0.1] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The broker's lines `topic payload` for `topic`.
    func lines(_ broker: Peer, _ topic: String) -> [String] {
        broker.lines().filter { $0.hasPrefix(topic + " ") }.map { String($0.dropFirst(topic.count + 1)) }
    }

    func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    @Test func homeAssistantDiscoversTheChargerAndItsCommandsChangeThePWM() throws {
        let directory = try Peer.scratchDirectory("home-assistant")
        let broker = try Peer.mosquitto(in: directory, credentials: ("evsed", "s3cret-pass"))
        defer { broker.stop() }
        let alerts = directory + "/alerts.toml"
        try """
            [mqtt]
            host = "127.0.0.1"
            port = \(broker.address)
            username = "evsed"
            password = "s3cret-pass"
            home_assistant = true
            commands = true
            """.write(toFile: alerts, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["run", "--alerts", alerts], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        let base = "evsed/\(Self.node)"
        #expect(wait(60) { lines(broker, base + "/availability").last == "online" }, "\(broker.lines())\n\(daemon.output.text)")
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 60), "\(daemon.output.text)")

        // The discovery: nine entities, all as Home Assistant takes them.
        #expect(wait(30) { broker.lines().filter { $0.hasPrefix("homeassistant/") }.count >= 9 }, "\(broker.lines())")
        let configs = broker.lines().filter { $0.hasPrefix("homeassistant/") }.map { line in
            let space = line.firstIndex(of: " ")!
            return (topic: String(line[..<space]), payload: String(line[line.index(after: space)...]))
        }
        // The state once the meter's readings of the session are in it.
        #expect(wait(30) { lines(broker, base + "/state").last.map { $0.contains("session_cost") && $0.contains("register_kwh") } == true },
                "\(lines(broker, base + "/state"))")
        let state = try #require(lines(broker, base + "/state").last, "\(broker.lines())")
        let fields = Set((try JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any] ?? [:]).keys)
        // A session is open and priced (boards/tariff.toml): the state has every field a template reads.
        let problems = try HomeAssistantReference.problems(configs, stateFields: fields)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n\(state)")
        #expect(Set(configs.map { $0.topic.split(separator: "/")[1] + "/" + $0.topic.split(separator: "/")[3] })
                == ["sensor/state", "sensor/power", "sensor/session_energy", "sensor/energy", "binary_sensor/fault", "sensor/session_cost",
                    "number/current_limit", "switch/charging_enabled", "button/stop"], "\(configs.map(\.topic))")

        // A command from the broker account: logged like a console's, the PWM follows, the result comes back.
        #expect(try publish(base + "/set/limit", "10", port: broker.address) == 0)
        #expect(daemon.output.wait(for: "mqtt evsed@127.0.0.1:\(broker.address): limit 10.0 A", seconds: 30), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "PWM 16.7 % (10.0 A)", seconds: 30), "\(daemon.output.text)")
        #expect(wait(30) { lines(broker, base + "/result").contains(#"{"command":"limit","payload":"10","result":"limit 10.0 A: done"}"#) },
                "\(lines(broker, base + "/result"))")
        // Refusals come back in words.
        #expect(try publish(base + "/set/limit", "90", port: broker.address) == 0)
        #expect(try publish(base + "/set/limit", "lots", port: broker.address) == 0)
        #expect(try publish(base + "/set/colour", "red", port: broker.address) == 0)
        #expect(wait(30) { lines(broker, base + "/result").count >= 4 }, "\(lines(broker, base + "/result"))")
        let results = lines(broker, base + "/result")
        #expect(results.contains { $0.contains(#""payload":"90","result":"limit 90.0 A: refused: "#) }, "\(results)")
        #expect(results.contains { $0.contains("'lots' is not a value for limit") }, "\(results)")
        #expect(results.contains { $0.contains("no command 'colour'") }, "\(results)")
        // The switch and the button.
        #expect(try publish(base + "/set/enabled", "OFF", port: broker.address) == 0)
        #expect(daemon.output.wait(for: "pwm                 state F", seconds: 30), "\(daemon.output.text)")
        #expect(wait(30) { lines(broker, base + "/state").last?.contains(#""enabled":false"#) == true }, "\(lines(broker, base + "/state"))")
        #expect(try publish(base + "/set/enabled", "ON", port: broker.address) == 0)
        #expect(daemon.output.wait(for: "enable", seconds: 30))
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 60), "\(daemon.output.text)")
        #expect(try publish(base + "/set/stop", "PRESS", port: broker.address) == 0)
        #expect(daemon.output.wait(for: "(stop_command)", seconds: 30), "\(daemon.output.text)")
        // Without the account, the broker does not even take the command.
        #expect(try publish(base + "/set/limit", "6", port: broker.address, account: nil) != 0)

        // A power cut: the broker says "offline" for it (the last will).
        #expect(daemon.cutPower())
        #expect(wait(30) { lines(broker, base + "/availability").last == "offline" }, "\(lines(broker, base + "/availability"))")
    }

    @Test func aBrokerThatRefusesTheAccountIsSaidOnce() throws {
        let directory = try Peer.scratchDirectory("home-assistant-refused")
        let broker = try Peer.mosquitto(in: directory, credentials: ("evsed", "s3cret-pass"))
        defer { broker.stop() }
        let alerts = directory + "/alerts.toml"
        try "[mqtt]\nhost = \"127.0.0.1\"\nport = \(broker.address)\nusername = \"evsed\"\npassword = \"wrong\"\nhome_assistant = true\ncommands = true\n"
            .write(toFile: alerts, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["run", "--alerts", alerts], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        let said = "MQTT 127.0.0.1:\(broker.address) for Home Assistant and commands: "
        #expect(daemon.output.wait(for: said, seconds: 60), "\(daemon.output.text)")
        #expect(daemon.output.text.contains("refused"), "\(daemon.output.text)")
        // Tried every 5 s, said once; charging goes on.
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 60))
        Thread.sleep(forTimeInterval: 11)
        #expect(daemon.output.text.components(separatedBy: said).count == 2, "\(daemon.output.text)")
    }

    @Test func withoutCommandsNoControlIsAnnouncedAndNoneIsTaken() throws {
        let directory = try Peer.scratchDirectory("home-assistant-readonly")
        let broker = try Peer.mosquitto(in: directory)
        defer { broker.stop() }
        let alerts = directory + "/alerts.toml"
        try "[mqtt]\nhost = \"127.0.0.1\"\nport = \(broker.address)\nhome_assistant = true\n".write(toFile: alerts, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["run", "--alerts", alerts, "--tariff", "boards/tariff.toml"], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        let base = "evsed/\(Self.node)"
        #expect(wait(60) { broker.lines().filter { $0.hasPrefix("homeassistant/") }.count >= 6 }, "\(broker.lines())\n\(daemon.output.text)")
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 60))
        #expect(!broker.lines().contains { $0.hasPrefix("homeassistant/number/") || $0.hasPrefix("homeassistant/switch/") || $0.hasPrefix("homeassistant/button/") })
        #expect(try publish(base + "/set/limit", "10", port: broker.address, account: nil) == 0)
        Thread.sleep(forTimeInterval: 2)
        #expect(!daemon.output.text.contains("limit 10.0 A"), "\(daemon.output.text)")
        #expect(lines(broker, base + "/result").isEmpty)
        // A planned stop says "offline" itself (no last will on a clean disconnect).
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        #expect(wait(10) { lines(broker, base + "/availability").last == "offline" }, "\(lines(broker, base + "/availability"))")
    }
}
