import Foundation

/// Home Assistant's MQTT discovery as its documentation describes it, written apart from evsed's
/// code for the tests: the keys of the MQTT integration's sensor, binary_sensor, number, switch
/// and button; the units a sensor's device class takes and its state classes (an energy or
/// monetary sensor is never a measurement, which the energy dashboard needs); unique ids; and
/// every field a template reads present in the charger's state document.
public enum HomeAssistantReference {
    /// The keys each component takes, besides the ones every entity has.
    public static let common: Set<String> = ["name", "unique_id", "object_id", "device", "availability_topic", "payload_available",
                                      "payload_not_available", "icon", "json_attributes_topic", "json_attributes_template"]
    public static let components: [String: (required: Set<String>, optional: Set<String>)] = [
        "sensor": (["state_topic"], ["value_template", "device_class", "unit_of_measurement", "state_class"]),
        "binary_sensor": (["state_topic"], ["value_template", "device_class", "payload_on", "payload_off"]),
        "number": (["command_topic"], ["state_topic", "value_template", "min", "max", "step", "mode", "device_class", "unit_of_measurement"]),
        "switch": (["command_topic"], ["state_topic", "value_template", "payload_on", "payload_off", "state_on", "state_off", "device_class"]),
        "button": (["command_topic"], ["payload_press", "device_class"]),
    ]
    /// Units Home Assistant accepts for a sensor's device class.
    public static let units: [String: Set<String>] = [
        "power": ["W", "kW", "MW"], "energy": ["Wh", "kWh", "MWh", "GJ"], "current": ["A", "mA"], "voltage": ["V", "mV"],
    ]

    /// Every problem the documentation's rules find in `messages`.
    public static func problems(_ messages: [(topic: String, payload: String)], stateFields: Set<String>) throws -> [String] {
        var problems: [String] = []
        var uniqueIDs: Set<String> = []
        for (topic, payload) in messages {
            let parts = topic.split(separator: "/").map(String.init)
            guard parts.count == 5, parts[0] == "homeassistant", parts[4] == "config", let rules = components[parts[1]],
                  parts[2...3].allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } })
            else { problems.append("\(topic): not <prefix>/<component>/<node_id>/<object_id>/config"); continue }
            let config = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] ?? [:]
            let keys = Set(config.keys)
            for key in rules.required where !keys.contains(key) { problems.append("\(topic): no \(key)") }
            for key in keys.subtracting(common).subtracting(rules.required).subtracting(rules.optional) { problems.append("\(topic): unknown key \(key)") }
            guard let id = config["unique_id"] as? String, uniqueIDs.insert(id).inserted else { problems.append("\(topic): unique_id missing or twice"); continue }
            let device = config["device"] as? [String: Any]
            if (device?["identifiers"] as? [String])?.isEmpty != false || device?["name"] == nil { problems.append("\(topic): device without identifiers or name") }
            if parts[1] == "sensor", let deviceClass = config["device_class"] as? String {
                let unit = config["unit_of_measurement"] as? String ?? ""
                if deviceClass == "monetary" {
                    if unit.count != 3 || !unit.allSatisfy(\.isUppercase) { problems.append("\(topic): monetary needs an ISO 4217 unit, not '\(unit)'") }
                } else if !(units[deviceClass]?.contains(unit) ?? false) {
                    problems.append("\(topic): \(deviceClass) does not take '\(unit)'")
                }
                let stateClass = config["state_class"] as? String
                if let stateClass, !["measurement", "total", "total_increasing"].contains(stateClass) { problems.append("\(topic): state_class \(stateClass)") }
                if ["energy", "monetary"].contains(deviceClass) && stateClass == "measurement" { problems.append("\(topic): \(deviceClass) cannot be a measurement") }
            }
            if parts[1] == "number", let low = config["min"] as? Double, let high = config["max"] as? Double, !(low < high) { problems.append("\(topic): min ≥ max") }
            // Every field a template reads is in the state document.
            for key in ["value_template", "json_attributes_template"] {
                guard let template = config[key] as? String else { continue }
                if !(template.hasPrefix("{{") && template.hasSuffix("}}")) { problems.append("\(topic): \(key) is not a template") }
                for field in template.matches(of: /value_json\.([a-z_]+)/).map({ String($0.output.1) }) where !stateFields.contains(field) {
                    problems.append("\(topic): \(key) reads value_json.\(field), which the state document does not have")
                }
            }
        }
        return problems
    }
}
