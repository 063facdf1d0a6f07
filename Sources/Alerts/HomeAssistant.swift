import EVSECore

/// What Home Assistant is told of the charger (MQTT discovery), besides the broker's settings.
public struct HomeAssistantDevice: Sendable, Equatable {
    public var charger: String
    public var model: String
    public var version: String
    /// The board's maximum current: the current limit's range is 6 … this.
    public var maximumCurrent: Double
    /// The tariff's currency, for the session cost's unit; nil without a tariff (no cost sensor).
    public var currency: String?

    public init(charger: String, model: String, version: String, maximumCurrent: Double, currency: String?) {
        self.charger = charger
        self.model = model
        self.version = version
        self.maximumCurrent = maximumCurrent
        self.currency = currency
    }
}

/// The charger's own MQTT topics, under `evsed/<charger>`: its availability (retained, "online",
/// and "offline" as the broker's last will), the commands it takes (`set/limit`, `set/enabled`,
/// `set/stop`) and their results.
public struct ChargerTopics: Sendable, Equatable {
    public let base: String

    public init(charger: String) { base = "evsed/" + AlertDocument.slug(charger) }

    public var availability: String { base + "/availability" }
    public var commands: String { base + "/set/+" }
    public func command(_ name: String) -> String { base + "/set/" + name }
    public var result: String { base + "/result" }
}

/// Commands that arrived over MQTT, for the daemon's pipeline thread, and their results, for the
/// MQTT thread to publish. Bounded: a flood of commands loses the excess, never the daemon.
public final class MQTTCommandLink: Sendable {
    /// (the command's last topic level, its payload), at most 256 bytes each.
    public let incoming = BoundedQueue<(name: String, payload: String)>(capacity: 32)
    /// Result documents for the result topic.
    public let results = BoundedQueue<String>(capacity: 32)
    /// Who sends the commands: the broker account evsed connects with (for the log).
    public let account: String

    public init(account: String) { self.account = account }
}

/// Home Assistant's MQTT discovery: one retained config per entity under
/// `<prefix>/<component>/<charger>/<entity>/config`, all of one device, reading the state topic.
/// The controls (current limit, charging enabled, stop) are announced only when commands are on.
public enum HomeAssistantDiscovery {
    public static func messages(device: HomeAssistantDevice, settings: MQTTSettings, stateTopic: String) -> [(topic: String, payload: String)] {
        let node = AlertDocument.slug(device.charger)
        let topics = ChargerTopics(charger: device.charger)
        var described = JSONLine()
        described.add("identifiers", json: "[" + JSONLine.quote("evsed-" + node) + "]")
        described.add("name", device.charger)
        described.add("manufacturer", "evsed")
        described.add("model", device.model)
        described.add("sw_version", device.version)

        func entity(_ component: String, _ key: String, _ name: String, _ fields: (inout JSONLine) -> Void) -> (String, String) {
            var payload = JSONLine()
            payload.add("name", name)
            payload.add("unique_id", "evsed-\(node)-\(key)")
            payload.add("object_id", "\(node)_\(key)")
            payload.add("device", json: described.description)
            payload.add("availability_topic", topics.availability)
            payload.add("payload_available", "online")
            payload.add("payload_not_available", "offline")
            fields(&payload)
            return ("\(settings.discoveryPrefix)/\(component)/\(node)/\(key)/config", payload.description)
        }
        func reading(_ payload: inout JSONLine, _ template: String) {
            payload.add("state_topic", stateTopic)
            payload.add("value_template", template)
        }

        var messages = [
            entity("sensor", "state", "State") { payload in
                reading(&payload, "{{ value_json.state }}")
                payload.add("icon", "mdi:ev-station")
            },
            entity("sensor", "power", "Power") { payload in
                reading(&payload, "{{ value_json.power_w | default(0) }}")
                payload.add("device_class", "power")
                payload.add("unit_of_measurement", "W")
                payload.add("state_class", "measurement")
            },
            entity("sensor", "session_energy", "Session energy") { payload in
                reading(&payload, "{{ ((value_json.session_energy_wh | default(0)) / 1000) | round(1) }}")
                payload.add("device_class", "energy")
                payload.add("unit_of_measurement", "kWh")
                payload.add("state_class", "total")
            },
            // The meter's register: what the energy dashboard counts (it only ever increases).
            entity("sensor", "energy", "Energy") { payload in
                reading(&payload, "{{ value_json.register_kwh }}")
                payload.add("device_class", "energy")
                payload.add("unit_of_measurement", "kWh")
                payload.add("state_class", "total_increasing")
            },
            entity("binary_sensor", "fault", "Fault") { payload in
                reading(&payload, "{{ 'OFF' if value_json.faults == 'none' else 'ON' }}")
                payload.add("device_class", "problem")
                payload.add("json_attributes_topic", stateTopic)
                payload.add("json_attributes_template", "{{ {'faults': value_json.faults} | tojson }}")
            },
        ]
        if let currency = device.currency {
            messages.append(entity("sensor", "session_cost", "Session cost") { payload in
                reading(&payload, "{{ value_json.session_cost | default(0) }}")
                payload.add("device_class", "monetary")
                payload.add("unit_of_measurement", currency)
                payload.add("state_class", "total")
            })
        }
        if settings.commands {
            messages += [
                entity("number", "current_limit", "Current limit") { payload in
                    reading(&payload, "{{ value_json.limit_a }}")
                    payload.add("command_topic", topics.command("limit"))
                    payload.add("min", 6)
                    payload.add("max", device.maximumCurrent, decimals: 1)
                    payload.add("step", 1)
                    payload.add("mode", "box")
                    payload.add("device_class", "current")
                    payload.add("unit_of_measurement", "A")
                },
                entity("switch", "charging_enabled", "Charging enabled") { payload in
                    reading(&payload, "{{ 'ON' if value_json.enabled else 'OFF' }}")
                    payload.add("command_topic", topics.command("enabled"))
                    payload.add("payload_on", "ON")
                    payload.add("payload_off", "OFF")
                    payload.add("state_on", "ON")
                    payload.add("state_off", "OFF")
                },
                entity("button", "stop", "Stop session") { payload in
                    payload.add("command_topic", topics.command("stop"))
                    payload.add("payload_press", "PRESS")
                    payload.add("icon", "mdi:stop")
                },
            ]
        }
        return messages
    }
}
