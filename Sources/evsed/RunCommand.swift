#if canImport(Glibc)
import Glibc
#endif
import Alerts
import ArgumentParser
import Billing
import Cards
import ChargerService
import LivePage
import Console
import ConfigFile
import EVSECore
import Hardware
import Ledger
import OCPP
import Runtime
import Sessions
import Simulation
import Synchronization

/// The signal that asked the daemon to stop (SIGINT, SIGTERM, SIGHUP), or 0.
private let stopSignal = Atomic<Int32>(0)
/// A central system asked for a reset: evsed stops as for a signal, then starts itself again.
private let restartRequested = Atomic<Bool>(false)

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

    @Option(name: .long, help: "The owners and channels of alerts (default: $CONFIGURATION_DIRECTORY/alerts.toml under systemd; without one, alerts go to the log only).")
    var alerts: String?

    @Option(name: .long, help: "The ledger (default: $EVSED_LEDGER, else $STATE_DIRECTORY/ledger.sqlite, else /var/lib/evsed/ledger.sqlite); created when missing.")
    var ledger: String?

    @Option(name: .long, help: "Offer the technician's console on this unix socket (default: $RUNTIME_DIRECTORY/console.sock under systemd, else none).")
    var console: String?

    @Option(name: .long, help: "Also serve the console on this serial port (115200 8N1; repeat for several).")
    var consoleSerial: [String] = []

    @Option(name: .long, help: "A file of mode 0600 holding the console PIN's hash (evsed console --hash-pin makes it; under systemd, LoadCredential=console-pin:FILE).")
    var consolePinFile: String?

    /// The PIN's hash on the command line, which `ps` shows every user: refused, with the way to do it.
    @Option(name: .long, help: .hidden)
    var consolePin: String?

    /// The console PIN's hash: from --console-pin-file, else systemd's credential `console-pin`,
    /// else the board file's [console] table. A file anyone but its owner may read is refused:
    /// a PIN has few digits, and its hash is worth guessing at.
    /// The page's token: the first line of `path`, a file only evsed's user may read.
    func pageToken(_ path: String?) throws -> String? {
        guard let path else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, let text = LivePageServer.read(path) else {
            LineWriter.standardError.write("evsed: [page] token_file \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        if info.st_mode & 0o077 != 0 {
            LineWriter.standardError.write("evsed: \(path): mode \(String(info.st_mode & 0o777, radix: 8)) lets others read the page's token; chmod 600 \(path)")
            throw ExitCode(2)
        }
        let token = text.split(separator: "\n").first.map(String.init) ?? ""
        guard token.utf8.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            LineWriter.standardError.write("evsed: \(path): a token is 16 or more printable characters on the first line")
            throw ExitCode(2)
        }
        return token
    }

    /// The last sessions as the page lists them.
    static func sessionsJSON(ledger path: String) -> String {
        guard let ledger = try? Ledger(path: path, writable: false), let sessions = try? ledger.sessions(limit: 10) else { return "[]" }
        return "[" + sessions.map { session in
            var json = JSONLine()
            json.add("id", session.id)
            json.add("started", session.startedAt.description)
            if let ended = session.endedAt { json.add("ended", ended.description) }
            json.add("energy_wh", session.energyWh)
            if let cost = session.costIncludingVAT, let currency = session.currency { json.add("cost", "\(cost) \(currency)") }
            if let reason = session.endReason { json.add("end_reason", reason) }
            json.add("status", session.status)
            return json.description
        }.joined(separator: ",") + "]"
    }

    func consolePIN(board: ConsoleSettings) throws -> ConsolePIN? {
        if consolePin != nil {
            LineWriter.standardError.write("evsed: the PIN's hash does not belong on the command line (ps shows it to every user): "
                                           + "write it to a file of mode 0600 and name it with --console-pin-file, or give it to systemd's LoadCredential=console-pin:FILE")
            throw ExitCode(2)
        }
        var path = consolePinFile
        if path == nil, let credentials = environment("CREDENTIALS_DIRECTORY"), access(credentials + "/console-pin", F_OK) == 0 {
            path = credentials + "/console-pin"
        }
        guard let path else {
            if let pin = board.pin, pin.isWeak {
                LineWriter.standardError.write("evsed: warning: the board file's console PIN is a fast hash: make a new one with evsed console --hash-pin")
            }
            return board.pin
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            LineWriter.standardError.write("evsed: \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        // systemd's credentials are the service's own, whatever their mode says.
        if info.st_mode & 0o077 != 0 && !path.hasPrefix(environment("CREDENTIALS_DIRECTORY") ?? "\u{0}") {
            LineWriter.standardError.write("evsed: \(path): mode \(String(info.st_mode & 0o777, radix: 8)) lets others read the PIN's hash; chmod 600 \(path)")
            throw ExitCode(2)
        }
        let text: String
        do throws(ConfigError) { text = try ConfigDocument.text(at: path) } catch {
            LineWriter.standardError.write("evsed: \(error)")
            throw ExitCode(2)
        }
        guard let pin = ConsolePIN(text) else {
            LineWriter.standardError.write("evsed: \(path): not a PIN hash (evsed console --hash-pin makes one)")
            throw ExitCode(2)
        }
        if pin.isWeak { LineWriter.standardError.write("evsed: warning: \(path) holds a fast hash of the PIN: make a new one with evsed console --hash-pin") }
        return pin
    }

    func run() throws {
        var (description, settings) = try configurationOrExit { () throws(ConfigError) in
            let description = try BoardDescription.load(board)
            return (description, try description.simulation.map { (table) throws(ConfigError) in try SimulationSettings.read(table) })
        }
        let path = ledgerPath(ledger)
        let settingsPath = SiteSettings.path(besides: path)
        let site = try configurationOrExit { () throws(ConfigError) in
            try SiteSettings.load(settingsPath, maximumCurrent: description.charger.maximumCurrent.value)
        }
        var cardSettings = try configurationOrExit { () throws(ConfigError) in try CardSettings.read(description.cards) }
        if let mode = site.cardMode { cardSettings.mode = mode }
        // A card mode decides when sessions start: with a card, never at the plug alone.
        if cardSettings.mode.needsCard { description.charger.startSessionOnPlugIn = false }
        var reader: RFIDReader?
        if let readerSettings = cardSettings.reader {
            do throws(ReaderError) { reader = try RFIDReader(settings: readerSettings) } catch {
                LineWriter.standardError.write("evsed: \(board): [cards] reader: \(error)")
                throw ExitCode(1)
            }
        }

        // A parent may have started us with these signals blocked (the mask is inherited through
        // exec); the daemon's threads inherit the mask set here.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        signal(SIGINT) { stopSignal.store($0, ordering: .relaxed) }
        signal(SIGTERM) { stopSignal.store($0, ordering: .relaxed) }
        // The terminal went away (an SSH session dropped): a planned stop too, the session resumable.
        signal(SIGHUP) { stopSignal.store($0, ordering: .relaxed) }
        signal(SIGPIPE, SIG_IGN)

        // The books first: a session left open by a power cut or a stop is resolved before anything runs.
        let prices = try loadTariff(tariff)
        let (alertsPath, alertSettings) = try loadAlerts(alerts)
        let books = try openLedgerOrExit(path, create: true, writable: true, chargerID: description.name)
        try lockLedgerOrExit(path)
        // Set up before the clock is first read, so that no step after that reading goes unseen.
        let clockWatch: SystemClockWatch?
        do throws(SystemClockWatchError) {
            clockWatch = try SystemClockWatch()
        } catch {
            LineWriter.standardError.write("evsed: \(error): steps of the system clock (NTP after boot) will not be followed until a restart")
            clockWatch = nil
        }
        let ocppSettings = try configurationOrExit { () throws(ConfigError) in try OCPPSettings.read(description.ocpp) }
        // The CA file is read by libwebsockets on its own thread, where a missing one would only ever
        // say that it cannot connect: said here, before anything starts, with the file's name.
        if let ca = ocppSettings?.caFile, access(ca, R_OK) != 0 {
            LineWriter.standardError.write("evsed: \(board): [ocpp] ca_file \(ca): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        let startedAt = MonotonicClock.now()
        var now = Timestamp.now()
        let lastRecorded = try ledgerOrExit { () throws(LedgerError) in try books.lastRecordedTime() }
        // A board without a battery-backed clock may start with a clock behind the books' last
        // entry until NTP has synchronised: the books never go backwards.
        if let last = lastRecorded, last > now {
            LineWriter.standardError.write("evsed: ledger: the clock (\(now)) is behind the ledger's last entry (\(last)); its times continue from there")
            now = Timestamp(milliseconds: last.milliseconds + 1)
        }
        let meterName = description.linux.map { "\($0.meter.map.model) at \($0.meter.transport.name), unit \($0.meter.address)" } ?? "simulated"
        let recorder = LedgerRecorder(ledger: books, clock: WallClock(originInstant: startedAt, originTimestamp: now), tariff: prices, meter: meterName)
        let recovery = try ledgerOrExit { () throws(LedgerError) in try recorder.recover(at: startedAt) }
        let machineBooks = Daemon.Books(
            firstSessionNumber: recovery.nextSessionNumber,
            carriedOver: recovery.carriedOverSession, latchedFaults: recovery.latchedFaults)

        let daemon: Daemon
        if var settings {
            // The simulated car was plugged in when the charger went down: it still is, from the
            // first pilot sample on, as a real car stays in the socket.
            // (Unless the board says it left during the outage: then no car comes until `plug`.)
            let carStays = recovery.carriedOver != nil && settings.carStaysAfterRestart
            if recovery.carriedOver != nil { settings.plugInAfter = carStays ? .zero : nil }
            daemon = .simulated(board: description, settings: settings, books: machineBooks, startedAt: startedAt,
                                meterState: MeterStateFile(path: path + ".sim-meter"))
            if carStays { daemon.simulation?.world.withState { $0.ev.plug(at: startedAt) } }
        } else {
            do throws(HardwareError) {
                daemon = try .linux(board: description, configuration: description.linux!, books: machineBooks, startedAt: startedAt)
            } catch {
                LineWriter.standardError.write("evsed: \(board): \(error)")
                LineWriter.standardError.write("evsed: nothing was started; the contactor was not driven")
                throw ExitCode(1)
            }
        }
        let service = ChargerService(style: json ? .json : .text, charger: description.charger, chargerName: description.name,
                                     clock: recorder.books.clock, tariff: prices, recorder: recorder, recovery: recovery, alerts: alertSettings,
                                     down: lastRecorded.map { .milliseconds(max(0, now.milliseconds - $0.milliseconds)) })
        var terminal = TerminalSession(daemon: daemon, service: service, json: json, ledgerPath: path, boardPath: board,
                                       owners: alertSettings.owners.map(\.name),
                                       settings: SiteSettingsStore(path: settingsPath, maximumCurrent: description.charger.maximumCurrent.value, settings: site),
                                       cards: CardDesk(mode: cardSettings.mode, connectionTimeout: cardSettings.connectionTimeout, centralSystem: ocppSettings != nil))
        let channels = ChannelKind.allCases.filter(alertSettings.hasChannel)
        // Home Assistant's discovery and commands over MQTT, when the alerts file's [mqtt] asks.
        let homeAssistant = HomeAssistantDevice(charger: description.name, model: "evsed on \(description.kind == .simulated ? "the simulated board" : board)",
                                                version: BuildInfo.version, maximumCurrent: description.charger.maximumCurrent.value,
                                                currency: prices?.tariff.currency.code)
        let mqttCommands = alertSettings.mqtt.flatMap { $0.commands ? MQTTCommandLink(account: "\($0.username ?? "")@\($0.broker)") : nil }
        if let mqttCommands { terminal.attach(mqttCommands) }
        let delivery = AlertDelivery(ledgerPath: path, chargerID: description.name, kinds: channels, retry: alertSettings.delivery.retry,
                                     reports: terminal.deliveryReports) { [charger = description.name] kind in
            AlertChannels.make(kind, alertSettings, charger: charger, homeAssistant: homeAssistant, commands: mqttCommands)
        }
        terminal.service.alerts?.stored = { delivery.notify() }
        terminal.clockWatch = clockWatch
        if delivery.publishesState {
            terminal.publishState(with: ChargerStatePublisher(charger: description.name) { delivery.updateState($0) })
        }
        // OCPP subscribes before the recovery is told, so that a session it closed is stopped there too.
        var ocppClient: WebSocketClient?
        if let ocppSettings {
            let configuration = OCPPConfiguration(stored: (try? books.ocppConfiguration()) ?? [:])
            let client: WebSocketClient
            do throws(WebSocketError) {
                client = try WebSocketClient(endpoint: ocppSettings.endpoint, pingInterval: .seconds(configuration.integer("WebSocketPingInterval")),
                                             backoff: (ocppSettings.reconnectFirst, ocppSettings.reconnectMaximum))
            } catch {
                LineWriter.standardError.write("evsed: ocpp: \(error)")
                throw ExitCode(1)
            }
            let log = terminal.ocppLog
            let commands = daemon.controller.commands
            let chargePoint = ChargePoint(
                settings: ocppSettings,
                identity: .init(vendor: "evsed", model: description.name, serialNumber: nil, firmwareVersion: BuildInfo.version,
                               meterType: description.linux.map { $0.meter.map.model } ?? "simulated"),
                ledger: books, transport: client, charger: description.charger,
                wallTime: { recorder.books.clock.timestamp($0) },
                baseLimit: { [store = terminal.settings, maximum = description.charger.maximumCurrent.value] in store.settings.currentLimit ?? maximum },
                hooks: .init(command: { command in
                    if !commands.push(command) { log.push(("ocpp: the control loop's command queue is full: \(command) is lost", false)) }
                }, restart: { hard in
                    log.push(("ocpp: the central system asked for a \(hard ? "hard" : "soft") reset: evsed restarts", false))
                    restartRequested.store(true, ordering: .relaxed)
                }, log: { line, debug in log.push((line, debug)) }, setClock: { time in
                    var spec = timespec(tv_sec: time_t(time.milliseconds / 1000), tv_nsec: Int(time.milliseconds % 1000) * 1_000_000)
                    guard clock_settime(CLOCK_REALTIME, &spec) == 0 else {
                        let code = errno
                        return code == EPERM
                            ? "not permitted: evsed needs CAP_SYS_TIME and the @clock system calls (README, \"A central system\")"
                            : String(cString: strerror(code))
                    }
                    return nil
                }, startingFor: { [tags = terminal.authorizedTags] tag in
                    if !tags.push(tag) { log.push(("ocpp: idTag \(tag) could not be given to the books: its session goes to the default owner", false)) }
                }))
            terminal.attach(chargePoint)
            terminal.say("ocpp: central system \(ocppSettings.url), charge box \(ocppSettings.chargeBoxId), security profile \(ocppSettings.securityProfile)")
            ocppClient = client
        }
        defer { ocppClient?.stop() }
        terminal.showRecovery(recovery)
        if let chargePoint = terminal.chargePoint {
            let first = try ledgerOrExit { () throws(LedgerError) in try books.ocppFirstSession(otherwise: Int64(recovery.nextSessionNumber)) }
            for line in chargePoint.reconcile(firstSession: first, at: startedAt) { terminal.say(line) }
            ocppClient?.start()
        }
        if let cause = recovery.cause, let carried = recovery.carriedOver {
            terminal.say("session \(carried) was open when evsed last stopped (\(cause)); it resumes if the car is still connected")
        }
        terminal.say("ledger: \(path)")
        if cardSettings.mode != .free || reader != nil {
            let source = reader.map { "reader \($0.settings.connectionString)" } ?? (daemon.simulation != nil ? "the simulated reader (tap CARD)" : "no reader")
            terminal.say("cards: mode \(cardSettings.mode), \(source)\(ocppSettings != nil ? ", authorized by the central system" : "")")
        }
        if let reader { terminal.attach(reader) }
        defer { reader?.stop() }
        if let alertsPath {
            terminal.say("alerts: \(alertsPath): \(alertSettings.owners.count) owner(s), channels: \(channels.isEmpty ? "none" : channels.map(\.rawValue).joined(separator: ", "))")
        }
        // The console: the options, else the board file's [console] table.
        let boardConsole = try configurationOrExit { () throws(ConfigError) in try ConsoleSettings.read(description.console) }
        let serialPorts = consoleSerial.isEmpty ? boardConsole.serialPorts : consoleSerial
        var consoleServer: ConsoleServer?
        if let socket = consoleSocketPath(console) ?? (serialPorts.isEmpty ? nil : path + ".console.sock") {
            let pin = try consolePIN(board: boardConsole)
            do throws(ConsoleError) {
                consoleServer = try ConsoleServer(socketPath: socket, serialPorts: serialPorts, pin: pin, socketGroup: boardConsole.socketGroup,
                                                  backend: terminal.makeConsoleBackend(),
                                                  report: { LineWriter.standardError.write("evsed: console: \($0)") })
                terminal.say("console: evsed console --socket \(socket)" + (serialPorts.isEmpty ? "" : ", serial \(serialPorts.joined(separator: ", "))")
                             + (pin == nil ? " (no PIN configured: commands that change things are refused)" : ""))
            } catch {
                LineWriter.standardError.write("evsed: console: \(error)")
            }
        }
        defer { consoleServer?.stop() }
        // The owner's live page (the board's [page]).
        var page: LivePageServer?
        if let pageSettings = try configurationOrExit({ () throws(ConfigError) in try LivePageSettings.read(description.page) }) {
            let view = LiveView(charger: description.name, catalogue: FaultCatalogue(configuration: description.charger))
            terminal.show(view)
            let backend = terminal.makeConsoleBackend()
            let token = try pageToken(pageSettings.tokenFile)
            do throws(LivePageError) {
                let server = try LivePageServer(settings: pageSettings, view: view, token: token, sessions: { [path] in Self.sessionsJSON(ledger: path) },
                                                act: { action, amps, client in
                    let command: ConsoleCommand = switch action {
                    case "pause": .pause
                    case "resume": .resume
                    case "limit": .limit(amps: amps ?? 0)
                    default: .stop
                    }
                    return backend.execute(ParsedCommand(command: command, json: false), console: "web \(client)")
                })
                try server.start()
                page = server
                terminal.say("page: \(pageSettings.certificate == nil ? "http" : "https")://\(pageSettings.address):\(pageSettings.port)/"
                             + (token == nil ? " (read-only: no token_file)" : ""))
            } catch {
                LineWriter.standardError.write("evsed: \(board): [page]: \(error)")
                throw ExitCode(1)
            }
        }
        defer { page?.stop() }
        terminal.say("evsed \(BuildInfo.version) on \(description.name) (\(board)); type 'help' for commands, Ctrl-C to stop")
        // Held until run() returns: the kernel drops the request when its descriptor closes.
        var wakeLatency: CPUWakeLatencyRequest?
        if let microseconds = description.cpuWakeLatencyMicroseconds {
            do throws(CPUWakeLatencyError) {
                wakeLatency = try CPUWakeLatencyRequest(microseconds: microseconds)
                terminal.say("cpu wake latency: at most \(microseconds) µs while evsed runs (\(CPUWakeLatencyRequest.device))")
            } catch {
                terminal.say("warning: cpu_wake_latency_us = \(microseconds): \(error)")
            }
        }
        defer { withExtendedLifetime(wakeLatency) {} }
        guard daemon.start() else {
            terminal.drainEvents()
            LineWriter.standardError.write("evsed: the hardware could not be put in its safe state; not starting")
            throw ExitCode(1)
        }
        // The technician's settings, on top of the board file.
        if let amps = site.currentLimit { daemon.controller.commands.push(.setCurrentLimit(Amperes(amps))) }
        if site.startEnabled == false {
            daemon.controller.commands.push(.disable)
            terminal.say("the charger stays disabled (start_enabled = false in \(settingsPath)); enable it at the console")
        }
        delivery.start()
        defer { delivery.stop() }
        terminal.runUntilStopped { stopSignal.load(ordering: .relaxed) != 0 || restartRequested.load(ordering: .relaxed) }
        let statistics = daemon.loopStatistics
        daemon.stop()
        terminal.finish()
        if let statistics {
            terminal.say("control loop: \(statistics.ticks) ticks, \(statistics.overruns) overruns, max lateness \(fixed(statistics.maximumLateness.seconds * 1000, 2)) ms")
        }
        terminal.say("stopped: contactor open, pilot in state F")
    }
}

extension RunCommand {
    /// After `run()` stopped for a central system's Reset: evsed again, the same program with the
    /// same arguments, in this process (systemd keeps its main process; a terminal keeps its evsed).
    static func restartIfAsked() {
        guard restartRequested.load(ordering: .relaxed) else { return }
        LineWriter.standardOutput.write("evsed: restarting (OCPP Reset)")
        LineWriter.standardOutput.flush()
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        LineWriter.standardError.write("evsed: could not restart: \(String(cString: strerror(errno)))")
    }
}
