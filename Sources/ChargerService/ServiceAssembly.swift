import Alerts
import Billing
import EVSECore
import Ledger

extension EventLog {
    /// The pipeline as `run` and `simulate` both build it: the books in `recorder` (or in memory
    /// without a ledger), the log lines, and the owner's alerts from the same books and clock,
    /// stored in the ledger's outbox. After a restart, the session the ledger carried over goes to
    /// the owner the ledger names, and the sessions the restart closed get their bills.
    ///
    /// - Parameters:
    ///   - clock: the wall clock of the books (the recorder's, when there is one).
    ///   - recovery: what the start-up's `recover(at:)` found, with a ledger.
    ///   - down: how long the charger was down before this start, when known (for the alert).
    public static func pipeline(style: Style, charger: ChargerConfiguration, chargerName: String, clock: WallClock,
                                tariff: TariffSnapshot?, recorder: LedgerRecorder?, recovery: LedgerRecorder.Recovery?,
                                alerts: AlertConfiguration, down: Duration? = nil) -> EventLog {
        let catalogue = FaultCatalogue(configuration: charger)
        var log = EventLog(style: style, catalogue: catalogue, clock: clock, tariff: tariff)
        log.recorder = recorder
        var rules = AlertRules(configuration: alerts, charger: chargerName, catalogue: catalogue, clock: clock, tariff: tariff?.tariff)
        if let recovery, let carried = recovery.carriedOver {
            rules.expectCarriedOver(carried, cause: recovery.cause ?? "power_loss", owner: recovery.owners[carried], down: down)
        }
        log.alerts = AlertPublisher(rules: rules, ledger: recorder?.ledger)
        return log
    }
}
