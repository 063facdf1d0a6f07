import ArgumentParser

/// evsed: the charger-side daemon for AC EV chargers.
struct EVSEd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evsed",
        abstract: "Charger-side firmware daemon for AC electric-vehicle chargers.",
        discussion: """
            evsed drives the IEC 61851-1 charging state machine of a charger board, detects faults \
            and opens the contactor within 100 ms of any of them, and measures every session \
            from the energy meter's register. boards/sim.toml describes a fully simulated board.
            """,
        version: BuildInfo.versionText,
        subcommands: [RunCommand.self, SimulateCommand.self, LedgerCommand.self, AlertsCommand.self, ConsoleClientCommand.self, CheckConfigCommand.self, FaultsCommand.self, MeterCommand.self, SimMeterCommand.self]
    )
}

EVSEd.main()
// A central system's Reset: `run` stopped safely, and evsed starts again.
RunCommand.restartIfAsked()
