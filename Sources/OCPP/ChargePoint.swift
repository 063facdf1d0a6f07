import ChargerService
import EVSECore
import Ledger
import Sessions

/// What carries OCPP-J's frames: the WebSocket client, or a test's fake.
public protocol OCPPTransport: AnyObject {
    func send(_ text: String)
    /// The next thing the connection reports, or nil.
    func nextEvent() -> WebSocketClient.Event?
}

extension WebSocketClient: OCPPTransport {
    public func nextEvent() -> Event? { events.pop() }
}

/// evsed as an OCPP 1.6J charge point with one connector: one more subscriber of the charger
/// service's pipeline (sessions become transactions, readings meter values, the loop's state a
/// connector status) and one more source of commands (remote start and stop, availability, reset).
///
/// The ledger is the source of truth. A transaction message is queued in it when the books have
/// the change it reports, before any attempt; messages go out in order, one CALL at a time, once
/// the central system accepted the boot; each is retried `TransactionMessageAttempts` times, and
/// a Start's and a Stop's figures are read from the session's row when they are sent, so that
/// what the central system gets equals what the ledger holds. Status notifications are not
/// queued: the current one is sent when it changes and after every reconnection.
///
/// Used from the pipeline's thread: `serviceProcessed` and `poll` are never called concurrently.
public final class ChargePoint: ServiceSubscriber {
    /// Who this charge point says it is in its BootNotification.
    public struct Identity: Sendable {
        public var vendor: String
        public var model: String
        public var serialNumber: String?
        public var firmwareVersion: String?
        public var meterType: String?

        /// Each field cut to the length OCPP 1.6 allows it (CiString20, 25 and 50): a central
        /// system that validates messages refuses a longer one.
        public init(vendor: String, model: String, serialNumber: String?, firmwareVersion: String?, meterType: String?) {
            self.vendor = String(vendor.prefix(20))
            self.model = String(model.prefix(20))
            self.serialNumber = serialNumber.map { String($0.prefix(25)) }
            self.firmwareVersion = firmwareVersion.map { String($0.prefix(50)) }
            self.meterType = meterType.map { String($0.prefix(25)) }
        }
    }

    /// What the charge point asks of the daemon.
    public struct Hooks {
        /// A command for the control loop's queue.
        public var command: (ChargerCommand) -> Void
        /// Restart evsed (Reset): `hard` does not wait for the session's end register.
        public var restart: (_ hard: Bool) -> Void
        /// A line for the log (the journal at debug level for the frames).
        public var log: (_ line: String, _ debug: Bool) -> Void
        /// Sets the system clock (`set_clock`); returns why it could not.
        public var setClock: (Timestamp) -> String?
        /// An idTag's session is about to be started (a card authorized, a RemoteStartTransaction):
        /// the books name its card and owner before the start command.
        public var startingFor: (String) -> Void

        public init(command: @escaping (ChargerCommand) -> Void, restart: @escaping (Bool) -> Void, log: @escaping (String, Bool) -> Void,
                    setClock: @escaping (Timestamp) -> String? = { _ in "not available" }, startingFor: @escaping (String) -> Void = { _ in }) {
            self.command = command
            self.restart = restart
            self.log = log
            self.setClock = setClock
            self.startingFor = startingFor
        }
    }

    /// Where the central system has this charge point (BootNotification's answer).
    public enum Registration: String, Sendable {
        /// No answer yet in this run.
        case unknown
        case pending
        case accepted
        case rejected
    }

    /// A connector status as StatusNotification sends it.
    public struct ConnectorStatus: Equatable, Sendable {
        public var status: String
        public var errorCode: String
        public var info: String?
        public var vendorErrorCode: String?
    }

    /// A CALL of ours waiting for its answer.
    struct Outstanding {
        enum Purpose {
            case boot
            case heartbeat
            /// A message TriggerMessage asked for, whose answer says nothing we keep.
            case triggered
            case status(ConnectorStatus, connector: Int)
            case queued(Ledger.OCPPMessage)
            case authorize(String)
        }
        let id: String
        let action: String
        let purpose: Purpose
        let sentAt: Instant
    }

    public let settings: OCPPSettings
    let identity: Identity
    let ledger: Ledger
    let transport: any OCPPTransport
    let catalogue: FaultCatalogue
    let charger: ChargerConfiguration
    let wallTime: (Instant) -> Timestamp
    let baseLimit: () -> Double
    let hooks: Hooks
    /// How long a CALL may wait for its answer before it counts as failed.
    public var callTimeout: Duration = .seconds(30)

    public internal(set) var configuration: OCPPConfiguration
    public internal(set) var connected = false
    public internal(set) var registration = Registration.unknown
    /// The last frame each way, for the console.
    public internal(set) var lastExchange: (sent: String?, received: String?) = (nil, nil)
    var nextBootAt: Instant?
    var heartbeatInterval: Duration
    var lastSentAt: Instant?
    var outstanding: Outstanding?
    var messageNumber = 0
    /// The last status the central system acknowledged (or was sent) per connector, since connecting.
    var statusSent: [Int: ConnectorStatus] = [:]
    var openSession: SessionID?
    /// A session ended and the car is still connected: Finishing.
    var finishedWhilePlugged = false
    var lastReading: MeterReading?
    var lastTemperature: Celsius?
    var nextSampleAt: Instant?
    var nextAlignedAt: Timestamp?
    /// The queue waits after a failed attempt.
    var queueRetryAt: Instant?
    /// The idTag of the next session (a RemoteStartTransaction, an authorized card), until
    /// `ConnectionTimeOut` passes without a session; once a car is there its session is started.
    var nextIdTag: (tag: String, until: Instant, started: Bool)?
    /// An idTag presented while online, waiting for its Authorize to be sent.
    var authorizeNext: String?
    /// A Reset waits for the session it stops.
    var pendingReset: (hard: Bool, session: Int64?)?
    /// A soft Reset waits for the queue to be sent (for 10 s at most) before evsed restarts.
    var restartAfterQueue = false
    var restartDeadline: Instant?
    /// ChangeAvailability to Inoperative arrived during a transaction: applied when it ends.
    var inoperativeScheduled = false
    var lastStatus: ChargerStatus?
    /// The queue was found empty and nothing was queued since: no need to ask the ledger at every
    /// poll (it is asked again after each `enqueue`).
    var queueEmpty = false
    /// Why the last attempt to connect failed, while not connected.
    var lastFailure: String?
    /// Whether NTP has synchronised the system clock (nil: cannot be told), from the daemon.
    public var clockSynchronized: Bool?
    /// Why the clock could not be set the last time (said once).
    var clockRefusal: String?
    /// The central system's charging profiles, and what they made of the offer last.
    public internal(set) var profiles: ChargingProfiles
    var appliedLimit: Double?
    var pausedByProfile = false
    /// The open session's transaction id as last read (nil inside: not given yet).
    var openTransactionId: (session: SessionID, id: Int64?)?
    /// When the open session started (a Relative profile counts from there).
    var openStartedAt: Timestamp?
    /// What TriggerMessage asked for, sent before anything else.
    var triggered: [String] = []

    /// - Parameters:
    ///   - wallTime: the books' wall clock.
    ///   - baseLimit: the current the charger offers when no charging profile limits it (the
    ///     site's `current_limit_a`, else the board's maximum), in amperes.
    public init(settings: OCPPSettings, identity: Identity, ledger: Ledger, transport: any OCPPTransport, charger: ChargerConfiguration,
                wallTime: @escaping (Instant) -> Timestamp, baseLimit: @escaping () -> Double, hooks: Hooks) {
        self.settings = settings
        self.identity = identity
        self.ledger = ledger
        self.transport = transport
        self.catalogue = FaultCatalogue(configuration: charger)
        self.charger = charger
        self.wallTime = wallTime
        self.baseLimit = baseLimit
        self.hooks = hooks
        configuration = OCPPConfiguration(stored: (try? ledger.ocppConfiguration()) ?? [:])
        heartbeatInterval = .seconds(configuration.integer("HeartbeatInterval"))
        var installed: [ChargingProfiles.Installed] = []
        for stored in (try? ledger.ocppProfiles()) ?? [] {
            if let value = JSONValue(parsing: stored.profile), let profile = try? value.decode(OCPP16.ChargingProfile.self) {
                installed.append(ChargingProfiles.Installed(connector: stored.connector, profile: profile))
            }
        }
        profiles = ChargingProfiles(nominalVoltage: charger.nominalVoltage.value, installed: installed)
    }

    /// After a restart: queues what the books hold and the queue lacks (the power went between a
    /// session's record and its message), from the first session OCPP reports on. Returns the lines
    /// to log.
    public func reconcile(firstSession: Int64, at now: Instant) -> [String] {
        var lines: [String] = []
        do throws(LedgerError) {
            for row in try ledger.ocppReconciliation(from: firstSession) {
                if !row.start {
                    try ledger.beginOCPPTransaction(session: row.session, idTag: settings.idTag)
                    try enqueue(session: row.session, action: "StartTransaction", payload: nil, at: wallTime(now))
                    lines.append("ocpp: session \(row.session) had no StartTransaction queued: queued now")
                }
                if row.closed && !row.stop {
                    try enqueue(session: row.session, action: "StopTransaction", payload: nil, at: wallTime(now))
                    lines.append("ocpp: session \(row.session) had no StopTransaction queued: queued now")
                }
            }
        } catch {
            lines.append("ocpp: ledger: \(error)")
        }
        return lines
    }

    // MARK: The pipeline

    public func serviceProcessed(_ update: ServiceUpdate) {
        if let event = update.event {
            switch event.event {
            case .meterReading(let reading): lastReading = reading
            case .temperature(let celsius): lastTemperature = celsius
            default: break
            }
        }
        let at = update.event?.at
        for change in update.changes {
            switch change {
            case .started(let id, let time, _, _, _, _):
                let session = Int64(id.rawValue)
                finishedWhilePlugged = false
                var remote: String?
                if let next = nextIdTag, at.map({ $0 <= next.until }) ?? true { remote = next.tag }
                queue { () throws(LedgerError) in
                    try ledger.beginOCPPTransaction(session: session, idTag: remote ?? settings.idTag)
                    if !(try ledger.ocppActions(session: session)).contains("StartTransaction") {
                        try enqueue(session: session, action: "StartTransaction", payload: nil, at: time)
                    }
                }
                nextIdTag = nil
                nextAlignedAt = nil
                if let at { nextSampleAt = at + sampleInterval }
            case .ended(let id, _, _):
                finishedWhilePlugged = true
                if let reset = pendingReset, reset.hard, reset.session == Int64(id.rawValue) {
                    pendingReset = nil
                    hooks.restart(true)
                }
            case .closed(let session, _):
                let number = Int64(session.id.rawValue)
                queue { () throws(LedgerError) in
                    let actions = try ledger.ocppActions(session: number)
                    guard actions.contains("StartTransaction"), !actions.contains("StopTransaction") else { return }
                    try enqueue(session: number, action: "StopTransaction", payload: nil, at: session.lastAt)
                }
                if let reset = pendingReset, reset.session == number {
                    // The Stop goes out before the restart, so that it is not sent twice.
                    pendingReset = nil
                    restartAfterQueue = true
                }
                if inoperativeScheduled {
                    inoperativeScheduled = false
                    hooks.command(.disable)
                }
            default:
                break
            }
        }
        let wasOpen = openSession
        openSession = update.openSession.flatMap { $0.endedAt == nil ? $0.id : nil }
        openStartedAt = openSession == nil ? nil : update.openSession?.startedAt
        if wasOpen != nil && openSession == nil {
            pausedByProfile = false
            if profiles.installed.contains(where: { $0.profile.chargingProfilePurpose == .TxProfile }) {
                profiles.transactionEnded()
                saveProfiles()
            }
        }
    }

    /// Stores a transaction message in the ledger's queue.
    func enqueue(session: Int64, action: String, payload: String?, at time: Timestamp) throws(LedgerError) {
        try ledger.enqueueOCPP(session: session, action: action, payload: payload, at: time)
        queueEmpty = false
    }

    /// The central system's request stops `session`: the reason goes to the ledger first.
    func stopping(_ session: Int64, because reason: String) {
        queue { () throws(LedgerError) in try ledger.recordOCPPStopReason(session: session, reason: reason) }
    }

    func queue(_ body: () throws(LedgerError) -> Void) {
        do throws(LedgerError) { try body() } catch { hooks.log("ocpp: ledger: \(error)", false) }
    }

    var sampleInterval: Duration { .seconds(max(1, configuration.integer("MeterValueSampleInterval"))) }

    // MARK: Time and the connection

    /// Reads what the connection reported, answers the central system, and sends what is due.
    /// `status` is the control loop's latest.
    public func poll(at now: Instant, status: ChargerStatus?) {
        if let status {
            lastStatus = status
            // The car that finished left: the next one is Preparing, not Finishing.
            if status.pilotLevel == .a { finishedWhilePlugged = false }
        }
        while let event = transport.nextEvent() {
            switch event {
            case .connected:
                connected = true
                lastFailure = nil
                statusSent = [:]
                outstanding = nil
                hooks.log("ocpp: connected to \(settings.url)", false)
                if registration != .accepted { nextBootAt = now }
            case .disconnected(let reason):
                if connected {
                    hooks.log("ocpp: disconnected from \(settings.url): \(reason)", false)
                } else if reason != lastFailure {
                    // Once per reason: a central system that stays away does not fill the log.
                    hooks.log("ocpp: cannot connect to \(settings.url): \(reason); trying again", false)
                }
                lastFailure = connected ? nil : reason
                connected = false
                outstanding = nil
            case .received(let text):
                lastExchange.received = text
                hooks.log("ocpp: ← \(text)", true)
                received(text, at: now)
            }
        }
        sampleMeter(at: now)
        applyProfiles(at: now)
        startForIdTag(at: now)
        if restartAfterQueue {
            let deadline = restartDeadline ?? now + .seconds(10)
            restartDeadline = deadline
            if now >= deadline || isSettled {
                restartAfterQueue = false
                hooks.restart(false)
            }
        }
        guard connected else { return }
        if let call = outstanding, now - call.sentAt >= callTimeout {
            outstanding = nil
            failed(call, because: "no answer in \(callTimeout.components.seconds) s", at: now)
        }
        guard outstanding == nil else { return }
        sendNext(at: now)
    }

    /// Whether nothing waits: no CALL of ours unanswered and no transaction message queued.
    public var isSettled: Bool { outstanding == nil && ((try? ledger.ocppQueueCounts().pending) ?? 0) == 0 }

    func sendNext(at now: Instant) {
        switch registration {
        case .unknown, .pending, .rejected:
            guard let at = nextBootAt, now >= at else { return }
            nextBootAt = nil
            sendBootNotification(at: now)
        case .accepted:
            if let tag = authorizeNext {
                authorizeNext = nil
                call("Authorize", .encoding(OCPP16.AuthorizeRequest(idTag: tag)), purpose: .authorize(tag), at: now)
                return
            }
            if !triggered.isEmpty {
                sendTriggered(triggered.removeFirst(), at: now)
                return
            }
            // Transaction messages first: a status of a transaction follows its StartTransaction.
            if queueRetryAt.map({ now >= $0 }) ?? true, sendQueued(at: now) { return }
            for connector in [0, 1] {
                let status = connectorStatus(connector)
                if statusSent[connector] != status {
                    var request = OCPP16.StatusNotificationRequest(connectorId: connector, errorCode: status.errorCode, info: status.info,
                                                                   status: status.status, timestamp: OCPPDateTime.text(wallTime(now)))
                    request.vendorErrorCode = status.vendorErrorCode
                    statusSent[connector] = status
                    call("StatusNotification", .encoding(request), purpose: .status(status, connector: connector), at: now)
                    return
                }
            }
            if heartbeatInterval > .zero, now - (lastSentAt ?? .zero) >= heartbeatInterval {
                call("Heartbeat", .encoding(OCPP16.HeartbeatRequest()), purpose: .heartbeat, at: now)
            }
        }
    }

    func sendBootNotification(at now: Instant) {
        let boot = OCPP16.BootNotificationRequest(
            chargePointVendor: identity.vendor, chargePointModel: identity.model, chargePointSerialNumber: identity.serialNumber,
            firmwareVersion: identity.firmwareVersion, meterType: identity.meterType, meterSerialNumber: nil)
        call("BootNotification", .encoding(boot), purpose: .boot, at: now)
    }

    /// Sends the oldest queued transaction message when its figures are known; true when it did.
    func sendQueued(at now: Instant) -> Bool {
        guard !queueEmpty else { return false }
        let message: Ledger.OCPPMessage
        let payload: JSONValue
        do throws(LedgerError) {
            guard let first = try ledger.pendingOCPPMessages(limit: 1).first else {
                queueEmpty = true
                return false
            }
            message = first
            switch try payloadOf(first) {
            case .ready(let value): payload = value
            case .waiting: return false
            case .impossible(let why):
                try ledger.recordOCPPAttempt(first.seq, at: wallTime(now), error: why, giveUp: true)
                hooks.log("ocpp: \(first.action) of session \(first.session) given up: \(why)", false)
                return true
            }
        } catch {
            hooks.log("ocpp: ledger: \(error)", false)
            queueRetryAt = now + .seconds(5)
            return false
        }
        call(message.action, payload, purpose: .queued(message), at: now)
        return true
    }

    enum Payload {
        case ready(JSONValue)
        /// Not yet: the session's start or end register is not known.
        case waiting
        case impossible(String)
    }

    func payloadOf(_ message: Ledger.OCPPMessage) throws(LedgerError) -> Payload {
        guard let session = try ledger.session(message.session) else { return .impossible("the ledger has no session \(message.session)") }
        let transaction = try ledger.ocppTransaction(session: message.session)
        switch message.action {
        case "StartTransaction":
            guard let start = session.startRegisterWh ?? (session.closed ? session.endRegisterWh : nil) else { return .waiting }
            let request = OCPP16.StartTransactionRequest(connectorId: 1, idTag: transaction?.idTag ?? settings.idTag, meterStart: start,
                                                         reservationId: nil, timestamp: OCPPDateTime.text(session.startedAt))
            return .ready(.encoding(request))
        case "StopTransaction":
            guard let transaction, let id = transaction.transactionId else {
                return .impossible("its StartTransaction was never answered with a transaction id")
            }
            guard let end = session.endRegisterWh ?? session.startRegisterWh else { return .waiting }
            let reason = transaction.stopReason ?? Self.stopReason(session.endReason)
            let ended = OCPPDateTime.text(session.endedAt ?? message.createdAt)
            // The ledger's signed record of the session (StopTransactionSignatureFormat: OCMF), for
            // a central system that keeps the proof with its own copy of the bill.
            let signed = try ledger.ocmfRecord(session: message.session).map { record in
                [OCPP16.MeterValue(timestamp: ended, sampledValue: [
                    OCPP16.SampledValue(value: record, context: "Transaction.End", format: "SignedData", measurand: "Energy.Active.Import.Register",
                                        phase: nil, location: "Outlet", unit: "Wh"),
                ])]
            }
            let request = OCPP16.StopTransactionRequest(idTag: transaction.idTag, meterStop: end, timestamp: ended,
                                                        transactionId: id, reason: reason, transactionData: signed)
            return .ready(.encoding(request))
        case "MeterValues":
            guard let text = message.payload, case .object(var fields) = JSONValue(parsing: text) else {
                return .impossible("its stored payload is not JSON")
            }
            // At the head of the queue its Start was answered (the id is known) or given up (it goes
            // without one, as OCPP 1.6 allows).
            if let id = transaction?.transactionId { fields["transactionId"] = .integer(id) }
            return .ready(.object(fields))
        default:
            return .impossible("unknown action \(message.action)")
        }
    }

    /// OCPP 1.6's StopTransaction reason for the ledger's end reason.
    static func stopReason(_ endReason: String?) -> String {
        switch endReason {
        case "vehicle_unplugged": return "EVDisconnected"
        case "stop_command", "limit", "charger_disabled", "card": return "Local"
        case "power_loss": return "PowerLoss"
        case "daemon_stopped": return "Reboot"
        default: return "Other"
        }
    }

    func call(_ action: String, _ payload: JSONValue, purpose: Outstanding.Purpose, at now: Instant) {
        messageNumber += 1
        let id = String(messageNumber)
        let text = OCPPFrame.call(id: id, action: action, payload: payload).text
        outstanding = Outstanding(id: id, action: action, purpose: purpose, sentAt: now)
        lastSentAt = now
        lastExchange.sent = text
        hooks.log("ocpp: → \(text)", true)
        transport.send(text)
    }

    func reply(_ frame: OCPPFrame) {
        let text = frame.text
        lastExchange.sent = text
        hooks.log("ocpp: → \(text)", true)
        transport.send(text)
    }

    // MARK: What arrives

    func received(_ text: String, at now: Instant) {
        let frame: OCPPFrame
        do throws(OCPPFrameError) {
            frame = try OCPPFrame(parsing: text)
        } catch {
            if let id = error.id {
                reply(.error(id: id, code: error.code, description: error.description, details: .empty))
            } else {
                hooks.log("ocpp: ignored a frame that is not OCPP-J (\(error.description))", false)
            }
            return
        }
        switch frame {
        case .call(let id, let action, let payload):
            do throws(OCPPFrameError) {
                reply(.result(id: id, payload: try answer(action, payload, at: now)))
            } catch {
                reply(.error(id: id, code: error.code, description: error.description, details: .empty))
            }
        case .result(let id, let payload):
            guard let call = outstanding, call.id == id else {
                hooks.log("ocpp: an answer to no CALL of ours (id \(id)): ignored", false)
                return
            }
            outstanding = nil
            answered(call, payload, at: now)
        case .error(let id, let code, let description, _):
            guard let call = outstanding, call.id == id else { return }
            outstanding = nil
            failed(call, because: "\(code.rawValue): \(description)", at: now)
        }
    }

    func answered(_ call: Outstanding, _ payload: JSONValue, at now: Instant) {
        do throws(OCPPFrameError) {
            switch call.purpose {
            case .boot:
                let answer = try payload.decode(OCPP16.BootNotificationResponse.self)
                takeTime(answer.currentTime, sentAt: call.sentAt, at: now)
                // A number from outside: kept within a week before any arithmetic on instants.
                let seconds = min(max(0, answer.interval), 7 * 86_400)
                let interval = Duration.seconds(seconds)
                switch answer.status {
                case .Accepted:
                    registration = .accepted
                    if seconds > 0 { heartbeatInterval = interval }
                    hooks.log("ocpp: boot accepted by \(settings.url) (heartbeat every \(seconds) s)", false)
                case .Pending:
                    registration = .pending
                    nextBootAt = now + (seconds > 0 ? interval : .seconds(60))
                    hooks.log("ocpp: boot pending: asking again in \(seconds > 0 ? seconds : 60) s", false)
                case .Rejected:
                    registration = .rejected
                    nextBootAt = now + (seconds > 0 ? interval : .seconds(300))
                    hooks.log("ocpp: boot rejected by the central system: asking again in \(seconds > 0 ? seconds : 300) s", false)
                }
            case .heartbeat:
                takeTime(try payload.decode(OCPP16.HeartbeatResponse.self).currentTime, sentAt: call.sentAt, at: now)
            case .status, .triggered:
                break
            case .queued(let message):
                try answeredQueued(message, payload, at: now)
            case .authorize(let tag):
                let answer = try payload.decode(OCPP16.AuthorizeResponse.self)
                remember(tag, answer.idTagInfo)
                if answer.idTagInfo.status == .Accepted {
                    authorized(tag, at: now, how: "accepted by the central system")
                } else {
                    hooks.log("ocpp: idTag \(tag) refused by the central system (\(answer.idTagInfo.status.rawValue))", false)
                }
            }
        } catch {
            hooks.log("ocpp: the answer to \(call.action) is not what OCPP 1.6 says (\(error.description))", false)
            failed(call, because: "answer not understood: \(error.description)", at: now)
        }
    }

    /// The central system's time, from an answer that took `now - sentAt` to come: with
    /// `set_clock`, while NTP has not synchronised the clock, a clock more than 2 s off is set to it
    /// (the answer's time plus half the round trip). The clock watch then sees the step, and the
    /// books follow it as they follow NTP's.
    func takeTime(_ text: String, sentAt: Instant, at now: Instant) {
        guard settings.setClock, clockSynchronized != true, let theirs = OCPPDateTime.parse(text) else { return }
        let estimate = Timestamp(milliseconds: theirs.milliseconds + (now - sentAt).nanoseconds / 2_000_000)
        let offset = estimate.milliseconds - wallTime(now).milliseconds
        guard abs(offset) > 2000 else { return }
        if let refusal = hooks.setClock(estimate) {
            if refusal != clockRefusal {
                hooks.log("ocpp: the clock is \(fixed(Double(offset) / 1000, 1)) s off the central system's and cannot be set: \(refusal)", false)
            }
            clockRefusal = refusal
        } else {
            clockRefusal = nil
            hooks.log("ocpp: the system clock was \(fixed(Double(offset) / 1000, 1)) s off the central system's: set to \(estimate)", false)
        }
    }

    func answeredQueued(_ message: Ledger.OCPPMessage, _ payload: JSONValue, at now: Instant) throws(OCPPFrameError) {
        if message.action == "StartTransaction" {
            let answer = try payload.decode(OCPP16.StartTransactionResponse.self)
            if let tag = try? ledger.ocppTransaction(session: message.session)?.idTag { remember(tag, answer.idTagInfo) }
            queue { () throws(LedgerError) in
                try ledger.recordOCPPTransactionId(session: message.session, transactionId: answer.transactionId, idTagStatus: answer.idTagInfo.status.rawValue)
            }
            openTransactionId = nil
            if answer.idTagInfo.status != .Accepted, configuration.boolean("StopTransactionOnInvalidId"),
               openSession.map({ Int64($0.rawValue) == message.session }) ?? false
            {
                stopping(message.session, because: "DeAuthorized")
                hooks.log("ocpp: the central system answered session \(message.session)'s idTag with \(answer.idTagInfo.status.rawValue): stopping it", false)
                hooks.command(.stopSession)
            }
        }
        queue { () throws(LedgerError) in try ledger.recordOCPPAttempt(message.seq, at: wallTime(now), error: nil) }
        queueRetryAt = nil
    }

    func failed(_ call: Outstanding, because why: String, at now: Instant) {
        switch call.purpose {
        case .boot:
            nextBootAt = now + .seconds(60)
        case .status(_, let connector):
            statusSent[connector] = nil
        case .heartbeat, .triggered:
            break
        case .authorize(let tag):
            decideOffline(tag, at: now)
        case .queued(let message):
            let attempts = message.attempts + 1
            let giveUp = attempts >= configuration.integer("TransactionMessageAttempts")
            queue { () throws(LedgerError) in try ledger.recordOCPPAttempt(message.seq, at: wallTime(now), error: why, giveUp: giveUp) }
            let interval = configuration.integer("TransactionMessageRetryInterval")
            queueRetryAt = giveUp ? nil : now + .seconds(interval * attempts)
            hooks.log("ocpp: \(message.action) of session \(message.session) failed (\(why))"
                      + (giveUp ? ": given up after \(attempts) attempts" : ": attempt \(attempts), again in \(interval * attempts) s"), false)
        }
    }

    /// What the console's `ocpp` command shows.
    public func describe() -> [String] {
        let counts = try? ledger.ocppQueueCounts()
        return [
            "central system: \(settings.url) (security profile \(settings.securityProfile))",
            "connection: \(connected ? "connected" : "not connected"), boot: \(registration.rawValue)",
            "queue: \(counts.map { "\($0.pending) transaction message(s) waiting, \($0.failed) given up" } ?? "unreadable")",
            "status: \(connectorStatus(1).status)" + (outstanding.map { ", waiting for the answer to \($0.action)" } ?? ""),
            "last sent: \(lastExchange.sent ?? "nothing")",
            "last received: \(lastExchange.received ?? "nothing")",
        ]
    }
}

