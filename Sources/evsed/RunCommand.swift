#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Billing
import ConfigFile
import EVSECore
import Hardware
import Simulation
import Synchronization

/// The signal that asked the daemon to stop (SIGINT, SIGTERM), or 0.
private let stopSignal = Atomic<Int32>(0)

/// `evsed run`: the daemon, in real time.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon on a board.",
        discussion: """
            On the simulated board a car plugs in and charges. Type commands on standard input \
            (help lists them); Ctrl-C stops with the contactor open.
            """
    )

    @Option(name: .long, help: "The board file.")
    var board = "boards/sim.toml"

    @Flag(name: .long, help: "Print events as JSON lines, without the status line.")
    var json = false

    @Option(name: .long, help: "The tariff that prices the sessions (default: boards/tariff.toml when it exists).")
    var tariff: String?

    func run() throws {
        let (description, settings) = try configurationOrExit { () throws(ConfigError) in
            let description = try BoardDescription.load(board)
            return (description, try description.simulation.map { (table) throws(ConfigError) in try SimulationSettings.read(table) })
        }

        // A parent may have started us with these signals blocked (the mask is inherited through
        // exec); the daemon's threads inherit the mask set here.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        signal(SIGINT) { stopSignal.store($0, ordering: .relaxed) }
        signal(SIGTERM) { stopSignal.store($0, ordering: .relaxed) }
        signal(SIGPIPE, SIG_IGN)

        let daemon: Daemon
        if let settings {
            daemon = .simulated(board: description, settings: settings)
        } else {
            do throws(HardwareError) {
                daemon = try .linux(board: description, configuration: description.linux!)
            } catch {
                LineWriter.standardError.write("evsed: \(board): \(error)")
                LineWriter.standardError.write("evsed: nothing was started; the contactor was not driven")
                throw ExitCode(1)
            }
        }
        var terminal = TerminalSession(daemon: daemon, json: json)
        if let prices = try loadTariff(tariff) {
            var billing = LiveBilling(tariff: prices, civilOrigin: CivilTime.localNow())
            billing.origin = daemon.startedAt
            terminal.log.billing = billing
        }
        terminal.say("evsed \(BuildInfo.version) on \(description.name) (\(board)); type 'help' for commands, Ctrl-C to stop")
        guard daemon.start() else {
            terminal.drainEvents()
            LineWriter.standardError.write("evsed: the hardware could not be put in its safe state; not starting")
            throw ExitCode(1)
        }
        terminal.runUntilStopped { stopSignal.load(ordering: .relaxed) != 0 }
        let statistics = daemon.loopStatistics
        daemon.stop()
        terminal.finish()
        if let statistics {
            terminal.say("control loop: \(statistics.ticks) ticks, \(statistics.overruns) overruns, max lateness \(fixed(statistics.maximumLateness.seconds * 1000, 2)) ms")
        }
        terminal.say("stopped: contactor open, pilot in state F")
    }
}
