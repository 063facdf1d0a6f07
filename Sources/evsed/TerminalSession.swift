#if canImport(Glibc)
import Glibc
#endif
import Alerts
import Cards
import ChargerService
import ConfigFile
import Console
import EVSECore
import Hardware
import Ledger
import LivePage
import OCPP
import Runtime
import Sessions
import Simulation

/// The terminal of `evsed run`: it passes the control loop's events through the charger service
/// and shows the entries (or hands them to the journal under systemd), keeps a live status line,
/// and reads commands on standard input to play the simulated car and the technician.
struct TerminalSession {
    let daemon: Daemon
    let json: Bool
    private let output = LineWriter.standardOutput
    private let interactive: Bool
    /// The pipeline: the books, the log, the owner's alerts and the console's view.
    var service: ChargerService
    private var status: ChargerStatus?
    private var lastReading: MeterReading?
    private var statusShown = false
    private var lastStatusAt: Instant = .zero
    private var input: [UInt8] = []
    private var inputOpen = true
    private var pluggedIn = false
    private var quit = false
    /// The terminal's settings before we took over its line editing; restored on the way out.
    private var savedTerminal: termios?
    /// What the technician's console shows; this terminal is a console too.
    let consoleView: ConsoleView
    private var console = ConsoleSession(name: "terminal", pin: nil, trusted: true)
    private let consoleBackend: DaemonConsole
    /// systemd's notify socket, when evsed runs as a service.
    private var systemd = ServiceReporter()
    /// Whether the journal takes the entries (evsed runs under systemd), instead of this terminal.
    private let journaled: Bool
    private let journal: JournalWriter?
    /// Show the OCPP frames here too (EVSED_OCPP_TRACE=1).
    private let traceOCPP = environment("EVSED_OCPP_TRACE") == "1"
    /// Owners named at a console (`start --owner`), for the alert rules.
    let ownerRequests = OwnerRequests()
    /// Cards at the reader: what becomes of them (the board's `[cards]` mode).
    private(set) var cardDesk: CardDesk
    /// The RFID reader, when the board has one (else `tap` on the simulated board).
    private var reader: RFIDReader?
    /// The consoles' changes of cards.
    let cardRequests = CardRequests()
    /// The consoles' changes of cards (nil without a ledger).
    private let cardOffice: CardOffice?
    /// The owner's live page's view, published once a second with the control loop's status.
    private var liveView: LiveView?
    private var livePublishedAt: Instant = .zero
    /// Commands that came over MQTT (the alerts file's `[mqtt] commands`), and their results.
    private var mqttCommands: MQTTCommandLink?
    /// idTags the charge point accepted for the next session, to name its owner and card.
    let authorizedTags = BoundedQueue<String>(capacity: 16)
    /// The last idTag named for the next session, forgotten if no session took it within 10 s
    /// (the loop refused the start: a fault, the charger disabled).
    private var namedTag: (card: String, until: Instant)?
    /// What the alert delivery threads report of each attempt, shown here (the journal under systemd).
    let deliveryReports = BoundedQueue<AlertDelivery.Report>(capacity: 256)
    /// The live state on MQTT, when the alerts file has an MQTT channel (`publishState(with:)`).
    private var statePublisher: ChargerStatePublisher?
    private let ledgerPath: String
    private let boardPath: String
    private let owners: [String]
    /// The site settings (`config set`), shared by every console.
    let settings: SiteSettingsStore
    /// The charge point of a central system (the board's [ocpp] table), polled with the pipeline.
    private(set) var chargePoint: ChargePoint?
    /// What the charge point logs, with whether it is a debug line (each frame).
    let ocppLog = BoundedQueue<(String, Bool)>(capacity: 1024)
    /// The charge point's state for the consoles (`ocpp`), once a second.
    let ocppStatus = Lock<[String]?>(nil)
    private var ocppStatusAt: Instant = .zero
    /// Notices steps of the system clock and whether NTP synchronised it; nil if it could not be set up.
    var clockWatch: SystemClockWatch?
    private var clockSynchronized: Bool??
    /// When NTP's flag was last looked at (once a second: it changes once a boot).
    private var synchronizationCheckedAt: Instant?
    /// When the month's statements were last looked for (once a minute).
    private var statementsCheckedAt: Instant?

    init(daemon: Daemon, service: ChargerService, json: Bool, ledgerPath: String, boardPath: String, owners: [String], settings: SiteSettingsStore,
         cards: CardDesk) {
        self.daemon = daemon
        cardDesk = cards
        let view = ConsoleView()
        consoleView = view
        let office = service.recorder.map { recorder in
            CardOffice(change: CardChange(ledger: recorder.ledger, owners: owners), desk: cards, audit: view.audit,
                       wallTime: { recorder.books.clock.timestamp($0) }, readerHint: "")
        }
        cardOffice = office
        self.service = service
        self.settings = settings
        self.json = json
        self.ledgerPath = ledgerPath
        self.boardPath = boardPath
        self.owners = owners
        consoleBackend = DaemonConsole(daemon: daemon, view: consoleView, ledgerPath: ledgerPath, boardPath: boardPath, owners: owners,
                                       ownerRequests: ownerRequests, settings: settings, ocppStatus: ocppStatus,
                                       cards: { command, console in office?.handle(command, console: console, at: MonotonicClock.now()) },
                                       waitsForTestResults: false)
        interactive = isatty(1) == 1 && !json
        if interactive && isatty(0) == 1 {
            // Without canonical mode and echo, what is typed stays on the status line's prompt
            // instead of being scribbled over by the log. Ctrl-C still raises SIGINT (ISIG).
            var settings = termios()
            if tcgetattr(0, &settings) == 0 {
                savedTerminal = settings
                settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
                withUnsafeMutableBytes(of: &settings.c_cc) { bytes in
                    bytes[Int(VMIN)] = 1
                    bytes[Int(VTIME)] = 0
                }
                tcsetattr(0, TCSANOW, &settings)
            }
        }
        self.service.log.origin = daemon.startedAt
        self.service.log.readingInterval = .seconds(30)
        self.service.subscribe(consoleView)
        let journal = JournalWriter.fromEnvironment()
        journaled = journal != nil
        self.journal = journal
        if let journal { self.service.subscribe(JournalSubscriber(journal)) }
        self.service.subscribe(cards)
    }

    /// Keeps the owner's page's view, as one more subscriber of the pipeline.
    mutating func show(_ view: LiveView) {
        service.subscribe(view)
        liveView = view
    }

    /// Takes the commands that arrive over MQTT.
    mutating func attach(_ link: MQTTCommandLink) { mqttCommands = link }

    /// Reads cards from `reader` (started here; `run` stops it on the way out).
    mutating func attach(_ reader: RFIDReader) {
        self.reader = reader
        reader.start()
    }

    /// Publishes the charger's state with `publisher` once a second, which follows the pipeline.
    mutating func publishState(with publisher: ChargerStatePublisher) {
        service.subscribe(publisher)
        statePublisher = publisher
    }

    /// Reports to a central system, as one more subscriber of the pipeline, polled with it.
    mutating func attach(_ chargePoint: ChargePoint) {
        service.subscribe(chargePoint)
        self.chargePoint = chargePoint
    }

    /// A console backend on this daemon, for the console server's consoles.
    func makeConsoleBackend() -> DaemonConsole {
        DaemonConsole(daemon: daemon, view: consoleView, ledgerPath: ledgerPath, boardPath: boardPath, owners: owners, ownerRequests: ownerRequests,
                      settings: settings, ocppStatus: ocppStatus, cards: { [requests = cardRequests] in requests.ask($0, console: $1) })
    }

    /// Serves the terminal until `shouldStop` or a `quit` command.
    mutating func runUntilStopped(_ shouldStop: () -> Bool) {
        while !shouldStop() && !quit {
            readInput(waiting: chargePoint?.pollInterval ?? .milliseconds(50))
            drainEvents()
            let now = MonotonicClock.now()
            followClock(at: now)
            if let simulation = daemon.simulation, let after = simulation.settings.plugInAfter, !pluggedIn,
                now >= daemon.startedAt + after
            {
                pluggedIn = true
                if !simulation.world.snapshot.ev.plugged {
                    simulation.world.withState { $0.ev.plug(at: now) }
                    say("the simulated car plugs in")
                }
            }
            drainDeliveryReports()
            serveCards(at: now)
            serveMQTTCommands()
            if let liveView, let status, now - livePublishedAt >= .seconds(1) {
                livePublishedAt = now
                liveView.publish(status, at: service.books.clock.timestamp(now))
            }
            if statementsCheckedAt.map({ now - $0 >= .seconds(60) }) ?? true {
                statementsCheckedAt = now
                show(service.sendMonthlyStatements(at: now))
            }
            if let chargePoint {
                chargePoint.poll(at: now, status: status)
                drainOCPPLog()
                if now - ocppStatusAt >= .seconds(1) {
                    ocppStatusAt = now
                    ocppStatus.withLock { $0 = chargePoint.describe() }
                }
            }
            if now - lastStatusAt >= (interactive ? .seconds(1) : .seconds(10)) {
                lastStatusAt = now
                if let statePublisher, let status { statePublisher.publish(status) }
                if !journaled { showStatus() }
            }
            systemd.update(now: now, status: status, loop: daemon.loopStatistics, summary: statusLine())
        }
        systemd.stopping()
        clearStatus()
        restoreTerminal()
    }

    /// Gives the terminal its settings back.
    mutating func restoreTerminal() {
        guard var saved = savedTerminal else { return }
        tcsetattr(0, TCSANOW, &saved)
        savedTerminal = nil
    }

    /// Passes what the control loop reported since the last call through the pipeline, shows its
    /// entries, and hands what the pipeline asks of the loop to its command queue.
    mutating func drainEvents() {
        while let event = daemon.events.pop() {
            if case .meterReading(let reading) = event.event { lastReading = reading }
            // A name posted before a start command is taken before the session it starts is seen.
            for name in ownerRequests.take() { service.nameNextOwner(name) }
            while let tag = authorizedTags.pop() {
                service.nameNextOwner(ownerOfCard(tag), card: tag)
                namedTag = (tag, event.at + .seconds(10))
            }
            show(service.process(event))
            for (command, why) in service.takeCommands() {
                if let why { say(why) }
                if !daemon.controller.commands.push(command) { say("the control loop's command queue is full: \(command) is lost") }
            }
        }
        if let letter = daemon.controller.status.latest() { status = letter.value }
    }

    /// Takes a step of the system clock into the books (after the events from before it), and
    /// tells new sessions whether the clock is synchronised.
    private mutating func followClock(at now: Instant) {
        guard let watch = clockWatch else { return }
        do throws(SystemClockWatchError) {
            if let step = try watch.check() {
                show(service.clockStepped(at: step.at, to: Timestamp(milliseconds: step.realTimeMilliseconds)))
            }
        } catch {
            say("\(error): steps of the system clock are no longer followed")
            clockWatch = nil
        }
        if let checked = synchronizationCheckedAt, now - checked < .seconds(1) { return }
        synchronizationCheckedAt = now
        let synchronized = watch.synchronized()
        chargePoint?.clockSynchronized = synchronized
        guard synchronized != clockSynchronized else { return }
        if clockSynchronized != nil || synchronized == false {
            say(synchronized == true ? "the system clock is synchronised (NTP)"
                : synchronized == false ? "the system clock is not synchronised yet: new sessions record their times as unsynchronised"
                : "whether the system clock is synchronised can no longer be told")
        }
        clockSynchronized = synchronized
        service.clockStatus(synchronized.map { $0 ? .synchronized : .unsynchronized } ?? .unknown)
    }

    /// MQTT's commands, each made as a console command of the broker account (logged as such),
    /// its answer (done, or refused and why) published back on the result topic.
    private mutating func serveMQTTCommands() {
        guard let link = mqttCommands else { return }
        while let (name, payload) = link.incoming.pop() {
            let value = payload.trimmingPrefix(" ").split(separator: " ").first.map(String.init) ?? ""
            let command: ConsoleCommand?
            switch name {
            case "limit": command = Double(value).flatMap { $0.isFinite ? .limit(amps: $0) : nil }
            case "enabled": command = ["ON", "TRUE", "1"].contains(value.uppercased()) ? .enable : ["OFF", "FALSE", "0"].contains(value.uppercased()) ? .disable : nil
            case "stop": command = .stop
            default: command = nil
            }
            let result: String
            if let command {
                result = consoleBackend.execute(ParsedCommand(command: command, json: false), console: "mqtt \(link.account)").joined(separator: "; ")
            } else {
                result = "refused: " + (["limit", "enabled", "stop"].contains(name)
                    ? "'\(payload.prefix(40))' is not a value for \(name) (limit: amperes; enabled: ON or OFF; stop: any)"
                    : "no command '\(name.prefix(40))' (limit, enabled, stop)")
                say("mqtt \(link.account): \(name): \(result)")
            }
            _ = link.results.push(MQTTChannel.result(command: name, payload: String(payload.prefix(64)), result: result))
        }
    }

    // MARK: Cards

    /// The reader's cards and state, the consoles' changes of cards, and the desk's timers.
    private mutating func serveCards(at now: Instant) {
        while let report = reader?.reports.pop() {
            switch report {
            case .card(let uid): present(uid, at: now)
            case .status(let line): show(service.report([service.log.entry(card: nil, outcome: "reader", text: line, at: now)]))
            }
        }
        for request in cardRequests.take() {
            cardRequests.answer(request, cardOffice?.handle(request.command, console: request.console, at: now) ?? ["cards: no ledger"])
        }
        apply(cardDesk.poll(at: now), at: now)
        if let named = namedTag, now > named.until {
            // A session that took it has consumed the naming already: this forgets only a stale one.
            service.forgetNextSession(card: named.card)
            namedTag = nil
        }
    }

    /// A card at the reader (or `tap`).
    mutating func present(_ card: String, at now: Instant) {
        let known = CardID.normalized(card).flatMap { try? service.recorder?.ledger.card($0) }
        apply(cardDesk.present(card, known: known, at: now, wallTime: service.books.clock.timestamp(now)), at: now)
    }

    /// The owner of `card` as the charger's cards say (nil: the default owner's session).
    private func ownerOfCard(_ card: String) -> String? {
        (try? service.recorder?.ledger.card(card))?.owner
    }

    private mutating func apply(_ actions: [CardDesk.Action], at now: Instant) {
        for action in actions {
            switch action {
            case .nameNextSession(let owner, let card): service.nameNextOwner(owner, card: card)
            case .forgetNextSession(let card): service.forgetNextSession(card: card)
            case .command(let command):
                if !daemon.controller.commands.push(command) { say("the control loop's command queue is full: \(command) is lost") }
            case .stopSession(let id):
                service.stopping(id, because: "card")
                if !daemon.controller.commands.push(.stopSession) { say("the control loop's command queue is full: stop is lost") }
            case .refused(let card, let reason): show(service.cardRefused(card, reason: reason, at: now))
            case .learn(let card):
                do throws(LedgerError) {
                    try service.recorder?.ledger.saveCard(card, action: "add")
                    consoleView.audit.push("\(card.changedBy): card \(card.uid) added for \(card.owner) (learned at the reader)")
                } catch {
                    say("cards learn: ledger: \(error); card \(card.uid) is not saved")
                }
            case .authorizeWithCentralSystem(let card): chargePoint?.identify(card, at: now)
            case .log(let text): show(service.report([service.log.entry(card: nil, outcome: "info", text: text, at: now)]))
            }
        }
    }

    /// Shows what the alert delivery threads did and what the consoles changed.
    private mutating func drainDeliveryReports() {
        var entries: [EventEntry] = []
        while let report = deliveryReports.pop() { entries.append(service.log.entry(for: report, at: MonotonicClock.now())) }
        while let change = consoleView.audit.pop() { entries.append(service.log.entry(console: change, at: MonotonicClock.now())) }
        guard !entries.isEmpty else { return }
        show(service.report(entries))
    }

    /// The charge point's lines: its frames only to the journal (debug) or with EVSED_OCPP_TRACE=1.
    private mutating func drainOCPPLog() {
        while let (line, debug) = ocppLog.pop() {
            if debug {
                if let journal { _ = journal.send(message: line, priority: 7, fields: [("EVSED_OCPP", "frame")]) }
                if traceOCPP { say(line) }
            } else {
                say(line)
            }
        }
    }

    /// What the restart settled: sessions it closed, the owners of those it waits on.
    mutating func showRecovery(_ recovery: LedgerRecorder.Recovery) {
        show(service.recovered(recovery, at: MonotonicClock.now()))
    }

    /// After the daemon stopped: the session that ended and still waited for its final register.
    mutating func finish() {
        drainEvents()
        show(service.finish(at: MonotonicClock.now()))
        // A planned stop lets the central system answer what is on its way, and takes what the
        // stop queued (for 2 s at most): an answer lost in the stop would send a message twice.
        if let chargePoint, chargePoint.connected {
            let deadline = MonotonicClock.now() + .seconds(2)
            while !chargePoint.isSettled && MonotonicClock.now() < deadline {
                chargePoint.poll(at: MonotonicClock.now(), status: status)
                drainOCPPLog()
                MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(20))
            }
        }
    }

    /// Prints what the pipeline processed, unless the journal (a subscriber) has it.
    private mutating func show(_ entries: [EventEntry]) {
        guard !journaled else { return }
        print(entries.map { $0.rendered(service.log.style) })
    }

    mutating func say(_ text: String) {
        if json { return }
        print(["evsed: " + text])
    }

    private mutating func print(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        clearStatus()
        for line in lines { output.write(line) }
        output.flush()
    }

    private mutating func clearStatus() {
        guard statusShown else { return }
        output.writeNow("\r\u{1B}[2K")
        statusShown = false
    }

    private mutating func showStatus() {
        guard !json, let line = statusLine() else { return }
        if interactive {
            let prompt = savedTerminal == nil ? "" : "  > " + String(decoding: input, as: UTF8.self)
            output.writeNow("\r\u{1B}[2K" + line + prompt)
            statusShown = true
        } else {
            output.write(line)
            output.flush()
        }
    }

    private func statusLine() -> String? {
        guard let status else { return nil }
        let now = MonotonicClock.now()
        var parts = ["[\(status.pilotLevel)]"]
        switch status.pilotOutput {
        case .pwm: parts.append("offering \(Int(status.offeredCurrent.value)) A")
        case .steady: parts.append("no PWM")
        case .stateF: parts.append("state F")
        }
        parts.append(status.contactorClosed ? "contactor closed" : "contactor open")
        if let reading = lastReading { parts.append("\(fixed(reading.power.value / 1000, 1)) kW") }
        if let session = service.openSession {
            let seconds = Int64(max(0, (service.books.clock.timestamp(now).milliseconds - session.figures.startMilliseconds) / 1000))
            parts.append("session \(session.id): \(session.figures.energyWh) Wh, \(elapsed(.seconds(seconds)))"
                + (service.liveCost.map { ", \($0)" } ?? ""))
        }
        if !status.activeFaults.isEmpty { parts.append("FAULT \(status.activeFaults)") }
        return parts.joined(separator: " · ")
    }

    // MARK: Commands

    private mutating func readInput(waiting timeout: Duration) {
        guard inputOpen else {
            usleep(UInt32(timeout.nanoseconds / 1000))
            return
        }
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(timeout.nanoseconds / 1_000_000)) > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 1024)
        let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count <= 0 {
            // End of input (a pipe or /dev/null): keep running, stop reading.
            inputOpen = false
            return
        }
        if savedTerminal != nil {
            edit(chunk[0..<count])
            return
        }
        input += chunk[0..<count]
        if input.count > 4096 {
            input.removeAll()
            say("input line too long; dropped")
        }
        while let newline = input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: input[..<newline], as: UTF8.self)
            input.removeSubrange(...newline)
            execute(line.split(separator: " ").map(String.init))
        }
    }

    /// Line editing on a terminal: printable characters, backspace, Ctrl-U, Enter, and Ctrl-D on
    /// an empty line to quit. Escape sequences (arrow keys) are skipped.
    private mutating func edit(_ bytes: ArraySlice<UInt8>) {
        var escape = 0
        for byte in bytes {
            if escape > 0 {
                // ESC [ X: skip until the final byte of the sequence.
                escape = (escape == 1 && byte == UInt8(ascii: "[")) ? 2 : (byte >= 0x40 && byte <= 0x7E ? 0 : escape)
                continue
            }
            switch byte {
            case 0x1B:
                escape = 1
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                let line = String(decoding: input, as: UTF8.self)
                input.removeAll()
                if !line.isEmpty { print(["> " + line]) }
                execute(line.split(separator: " ").map(String.init))
            case 0x7F, 0x08:
                // Drop the last character, not the last byte of a UTF-8 sequence.
                var text = String(decoding: input, as: UTF8.self)
                if !text.isEmpty { text.removeLast() }
                input = Array(text.utf8)
            case 0x15:
                input.removeAll()
            case 0x04:
                if input.isEmpty { quit = true }
            case 0x20..., 0x09:
                if input.count < 256 { input.append(byte) }
            default:
                break
            }
        }
        showStatus()
    }

    private static let help = [
        "plug / unplug                the simulated car plugs in or leaves",
        "ready / not-ready            the car asks for energy, or stops asking",
        "trip rcm [SECONDS]           a residual current for a while (default 1 s)",
        "temperature CELSIUS          the charger's temperature",
        "voltage VOLTS                the grid voltage",
        "meter off SECONDS            the meter stops answering for a while (meter alone: the console's meter)",
        "stall SECONDS                the control loop hangs (the watchdog must notice)",
        "tap CARD                     a card at the simulated reader (its UID, or an idTag)",
        "quit                         stop evsed (contactor open)",
    ]

    private static let words = ["plug", "unplug", "ready", "not-ready", "trip", "temperature", "voltage", "meter", "tap", "help", "quit", "stall"]

    private mutating func execute(_ words: [String]) {
        guard let verb = words.first?.lowercased() else { return }
        let argument = words.count > 1 ? words[1] : nil
        // "meter off SECONDS" plays the meter; "meter" alone is the console's.
        let simulated = ["plug", "unplug", "ready", "not-ready", "trip", "temperature", "voltage", "stall", "tap"] + (words.count > 1 ? ["meter"] : [])
        let world = daemon.simulation?.world
        if world == nil && simulated.contains(verb) { return say("'\(verb)' acts on the simulated board only") }
        switch verb {
        case "plug":
            pluggedIn = true
            world?.withState { $0.ev.plug(at: $0.now) }
        case "unplug": world?.withState { $0.ev.unplug() }
        case "tap":
            guard let card = argument, words.count == 2 else { return say("usage: tap CARD (a card at the simulated reader: its UID, or an idTag)") }
            present(card, at: MonotonicClock.now())
        case "ready": world?.withState { $0.ev.wantsCharge = true }
        case "not-ready": world?.withState { $0.ev.wantsCharge = false }
        case "trip":
            guard argument == "rcm" else { return say("usage: trip rcm [SECONDS]") }
            let seconds = words.count > 2 ? Double(words[2]) : 1
            guard let seconds, seconds > 0 else { return say("trip rcm: SECONDS must be a positive number") }
            world?.withState { state in
                state.leakage = true
                state.leakageUntil = state.now + .nanoseconds(Int64(seconds * 1e9))
            }
        case "temperature":
            guard let value = argument.flatMap(Double.init), (-50...200).contains(value) else {
                return say("usage: temperature CELSIUS (−50 … 200)")
            }
            world?.withState { $0.temperature = Celsius(value) }
        case "voltage":
            guard let value = argument.flatMap(Double.init), (0...400).contains(value) else {
                return say("usage: voltage VOLTS (0 … 400)")
            }
            world?.withState { $0.gridVoltage = Volts(value) }
        case "meter" where words.count > 1:
            guard argument == "off", words.count > 2, let seconds = Double(words[2]), seconds > 0 else {
                return say("usage: meter off SECONDS")
            }
            world?.withState { $0.meterSilentUntil = $0.now + .nanoseconds(Int64(seconds * 1e9)) }
        case "stall":
            guard let seconds = argument.flatMap(Double.init), seconds > 0, seconds <= 600 else {
                return say("usage: stall SECONDS (up to 600)")
            }
            world?.withState { $0.loopStalledUntil = $0.now + .nanoseconds(Int64(seconds * 1e9)) }
        case "help" where words.count == 1, "?" where words.count == 1:
            for line in Self.help { say(line) }
            say("and the technician's console (no login needed in this terminal):")
            for line in ConsoleLanguage.help(nil) where !line.isEmpty { say("  " + line) }
        case "quit", "exit", "logout":
            quit = true
        default:
            // Everything else is the technician's console language.
            let known = Set(ConsoleLanguage.commands.map { String($0.name.split(separator: " ")[0]) })
            if !known.contains(verb) && verb != "?", let hint = closestMatch(to: verb, among: Self.words + known.sorted()) {
                return say("unknown command '\(verb)'; did you mean '\(hint)'? (help lists the commands)")
            }
            let reply = console.handle(words.joined(separator: " "), at: MonotonicClock.now(), backend: consoleBackend)
            for line in reply.lines { say(line) }
        }
    }
}

private func elapsed(_ duration: Duration) -> String {
    let total = Int(duration.seconds)
    let (hours, minutes, seconds) = (total / 3600, (total / 60) % 60, total % 60)
    return hours > 0 ? "\(hours) h \(minutes) min" : minutes > 0 ? "\(minutes) min \(seconds) s" : "\(seconds) s"
}
