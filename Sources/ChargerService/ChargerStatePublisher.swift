import EVSECore

/// The charger's live state (the alerts file's MQTT state topic): what changes at most once a
/// second. It follows the pipeline for the power and the open session's energy, and is handed the
/// control loop's status when it is time to publish.
public final class ChargerStatePublisher: ServiceSubscriber {
    private let charger: String
    private let send: (String) -> Void
    private var power: Watts?
    private var sessionEnergyWh: Int64?

    /// - Parameter send: takes each document (`AlertDelivery.updateState`, which keeps the latest).
    public init(charger: String, send: @escaping (String) -> Void) {
        self.charger = charger
        self.send = send
    }

    public func serviceProcessed(_ update: ServiceUpdate) {
        if case .meterReading(let reading) = update.event?.event { power = reading.power }
        sessionEnergyWh = update.openSession?.figures.energyWh
    }

    /// Sends the state with the control loop's `status`.
    public func publish(_ status: ChargerStatus) {
        send(document(status))
    }

    /// The state as JSON; power and energy rounded to 100 W and 100 Wh, so that a new document
    /// means a change someone would notice.
    public func document(_ status: ChargerStatus) -> String {
        var json = JSONLine()
        json.add("charger", charger)
        json.add("state", status.pilotLevel.rawValue)
        json.add("enabled", status.enabled)
        json.add("offered_a", status.offeredCurrent.value, decimals: 1)
        json.add("contactor_closed", status.contactorClosed)
        if let session = status.session { json.add("session", "\(session)") }
        if let power { json.add("power_w", (power.value / 100).rounded() * 100, decimals: 0) }
        if let energy = sessionEnergyWh { json.add("session_energy_wh", energy / 100 * 100) }
        json.add("faults", "\(status.activeFaults)")
        return json.description
    }
}
