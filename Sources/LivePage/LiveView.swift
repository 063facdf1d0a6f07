import Billing
import ChargerService
import EVSECore
import Runtime
import Sessions

/// What the owner's page shows, kept by the pipeline's thread and read by the web server's: the
/// charger's state, the open session's energy, power, duration, cost so far and predicted end,
/// the active faults with the owner's instruction. Not whose session it is: anyone on the LAN
/// may read the page. Each change gets a new version number, which is what
/// the page's event stream waits on.
public final class LiveView: ServiceSubscriber, Sendable {
    struct Snapshot: Sendable {
        var version = 0
        var document = "{}"
    }

    private let snapshot = Lock(Snapshot())
    /// What the pipeline last told, under its own lock (the subscriber and `publish` run on the
    /// pipeline's thread, the web server reads only `snapshot`; the locks keep the class Sendable).
    private let figures = Lock(Figures())
    private let catalogue: FaultCatalogue
    private let charger: String

    struct Figures: Sendable {
        var power: Watts?
        var session: SessionID?
        var startedAt: Timestamp?
        var energyWh: Int64?
        var cost: Money?
        var predicted: (end: Timestamp, reason: String)?
    }

    public init(charger: String, catalogue: FaultCatalogue) {
        self.charger = charger
        self.catalogue = catalogue
    }

    public func serviceProcessed(_ update: ServiceUpdate) {
        figures.withLock { figures in
            if case .meterReading(let reading) = update.event?.event { figures.power = reading.power }
            let open = update.openSession
            figures.session = open?.id
            figures.startedAt = open?.startedAt
            figures.energyWh = open?.figures.energyWh
            figures.cost = open?.figures.bill?.totalIncludingVAT
            if update.event != nil { figures.predicted = update.predictedEnd }
        }
    }

    /// The page's document for the control loop's `status` at the books' time `now` (called once
    /// a second); a new version only when something the owner would see changed.
    public func publish(_ status: ChargerStatus, at now: Timestamp) {
        let figures = self.figures.withLock { $0 }
        var json = JSONLine()
        json.add("charger", charger)
        json.add("state", status.pilotLevel.rawValue)
        json.add("state_text", Self.describe(status))
        json.add("enabled", status.enabled)
        json.add("charging", status.contactorClosed)
        // The current is offered only while the PWM runs (not during a fault, a pause, state F).
        if case .pwm = status.pilotOutput { json.add("offered_a", status.offeredCurrent.value, decimals: 1) }
        json.add("limit_a", status.currentLimit.value, decimals: 1)
        if let power = figures.power { json.add("power_w", (power.value / 10).rounded() * 10, decimals: 0) }
        if let session = status.session ?? figures.session {
            json.add("session", "\(session)")
            if let start = figures.startedAt {
                json.add("started", start.description)
                json.add("duration_s", max(0, (now.milliseconds - start.milliseconds) / 1000))
            }
            if let energy = figures.energyWh { json.add("energy_wh", energy / 10 * 10) }
            if let cost = figures.cost { json.add("cost", cost.description) }
            if let predicted = figures.predicted {
                json.add("predicted_end", predicted.end.description)
                json.add("predicted_reason", predicted.reason)
            }
        }
        let faults = status.activeFaults.map { code in
            var fault = JSONLine()
            fault.add("code", code.rawValue)
            fault.add("display", code.displayCode)
            fault.add("title", catalogue[code].title)
            fault.add("instruction", catalogue[code].ownerInstruction)
            return fault.description
        }
        json.add("faults", json: "[" + faults.joined(separator: ",") + "]")
        let document = json.description
        snapshot.withLock { snapshot in
            if snapshot.document != document {
                snapshot.document = document
                snapshot.version += 1
            }
        }
    }

    /// The document now and its version.
    public var current: (version: Int, document: String) { snapshot.withLock { ($0.version, $0.document) } }

    /// The state in the owner's words.
    static func describe(_ status: ChargerStatus) -> String {
        if !status.activeFaults.isEmpty { return "A problem stopped charging" }
        if !status.enabled { return "Out of service" }
        switch status.pilotLevel {
        case .a: return "Available: no car connected"
        case .b: return status.session == nil ? "Car connected" : "Car connected, not charging"
        case .c, .d: return status.contactorClosed ? "Charging" : "Starting to charge"
        case .e, .f: return "Unavailable"
        default: return "\(status.pilotLevel)"
        }
    }
}
