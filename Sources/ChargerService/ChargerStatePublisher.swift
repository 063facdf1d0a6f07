import Billing
import EVSECore

/// The charger's live state (the alerts file's MQTT state topic): what changes at most once a
/// second. It follows the pipeline for the power and the open session's energy, and is handed the
/// control loop's status when it is time to publish.
public final class ChargerStatePublisher: ServiceSubscriber {
    private let charger: String
    private let send: (String) -> Void
    private var power: Watts?
    private var sessionEnergyWh: Int64?
    private var registerWh: Double?
    private var sessionCost: Money?

    /// - Parameter send: takes each document (`AlertDelivery.updateState`, which keeps the latest).
    public init(charger: String, send: @escaping (String) -> Void) {
        self.charger = charger
        self.send = send
    }

    public func serviceProcessed(_ update: ServiceUpdate) {
        if case .meterReading(let reading) = update.event?.event {
            power = reading.power
            registerWh = reading.importEnergy.value
        }
        sessionEnergyWh = update.openSession?.figures.energyWh
        sessionCost = update.openSession?.figures.bill?.totalIncludingVAT
    }

    /// Sends the state with the control loop's `status`.
    public func publish(_ status: ChargerStatus) {
        send(document(status))
    }

    /// The state as JSON; power and energy rounded to 100 W and 100 Wh, so that a new document
    /// means a change someone would notice. The meter's register (kWh, for Home Assistant's energy
    /// dashboard) rounded down to 0.1 kWh, so that it never runs ahead of the meter.
    public func document(_ status: ChargerStatus) -> String {
        var json = JSONLine()
        json.add("charger", charger)
        json.add("state", status.pilotLevel.rawValue)
        json.add("enabled", status.enabled)
        json.add("offered_a", status.offeredCurrent.value, decimals: 1)
        json.add("limit_a", status.currentLimit.value, decimals: 1)
        json.add("contactor_closed", status.contactorClosed)
        if let session = status.session { json.add("session", "\(session)") }
        if let power { json.add("power_w", (power.value / 100).rounded() * 100, decimals: 0) }
        if let energy = sessionEnergyWh { json.add("session_energy_wh", energy / 100 * 100) }
        if let cost = sessionCost {
            json.add("session_cost", number: cost.rounded.plainText)
            json.add("currency", cost.currency.code)
        }
        if let registerWh { json.add("register_kwh", (registerWh / 100).rounded(.down) / 10, decimals: 1) }
        json.add("faults", "\(status.activeFaults)")
        return json.description
    }
}
