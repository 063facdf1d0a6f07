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

        public init(command: @escaping (ChargerCommand) -> Void, restart: @escaping (Bool) -> Void, log: @escaping (String, Bool) -> Void) {
            self.command = command
            self.restart = restart
            self.log = log
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
    private struct Outstanding {
        enum Purpose {
            case boot
            case heartbeat
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
    private let identity: Identity
    private let ledger: Ledger
    private let transport: any OCPPTransport
    private let catalogue: FaultCatalogue
    private let charger: ChargerConfiguration
    private let wallTime: (Instant) -> Timestamp
    private let baseLimit: () -> Double
    private let hooks: Hooks
    /// How long a CALL may wait for its answer before it counts as failed.
    public var callTimeout: Duration = .seconds(30)

    public private(set) var configuration: OCPPConfiguration
    public private(set) var connected = false
    public private(set) var registration = Registration.unknown
    /// The last frame each way, for the console.
    public private(set) var lastExchange: (sent: String?, received: String?) = (nil, nil)
    private var nextBootAt: Instant?
    private var heartbeatInterval: Duration
    private var lastSentAt: Instant?
    private var outstanding: Outstanding?
    private var messageNumber = 0
    /// The last status the central system acknowledged (or was sent) per connector, since connecting.
    private var statusSent: [Int: ConnectorStatus] = [:]
    private var openSession: SessionID?
    /// A session ended and the car is still connected: Finishing.
    private var finishedWhilePlugged = false
    private var lastReading: MeterReading?
    private var lastTemperature: Celsius?
    private var nextSampleAt: Instant?
    private var nextAlignedAt: Timestamp?
    /// The queue waits after a failed attempt.
    private var queueRetryAt: Instant?
    /// The idTag of the next session (a RemoteStartTransaction, an authorized card), until
    /// `ConnectionTimeOut` passes without a session; once a car is there its session is started.
    private var nextIdTag: (tag: String, until: Instant, started: Bool)?
    /// An idTag presented while online, waiting for its Authorize to be sent.
    private var authorizeNext: String?
    /// A Reset waits for the session it stops.
    private var pendingReset: (hard: Bool, session: Int64?)?
    /// A soft Reset waits for the queue to be sent (for 10 s at most) before evsed restarts.
    private var restartAfterQueue = false
    private var restartDeadline: Instant?
    /// ChangeAvailability to Inoperative arrived during a transaction: applied when it ends.
    private var inoperativeScheduled = false
    private var lastStatus: ChargerStatus?
    /// Why the last attempt to connect failed, while not connected.
    private var lastFailure: String?
    /// The central system's charging profiles, and what they made of the offer last.
    public private(set) var profiles: ChargingProfiles
    private var appliedLimit: Double?
    private var pausedByProfile = false
    /// When the open session started (a Relative profile counts from there).
    private var openStartedAt: Timestamp?
    /// What TriggerMessage asked for, sent before anything else.
    private var triggered: [String] = []

    /// - Parameters:
    ///   - firstSession: the first session number reported (set when OCPP first ran on this ledger).
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
                    try ledger.enqueueOCPP(session: row.session, action: "StartTransaction", payload: nil, at: wallTime(now))
                    lines.append("ocpp: session \(row.session) had no StartTransaction queued: queued now")
                }
                if row.closed && !row.stop {
                    try ledger.enqueueOCPP(session: row.session, action: "StopTransaction", payload: nil, at: wallTime(now))
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
            case .started(let id, let time, _, _, _):
                let session = Int64(id.rawValue)
                finishedWhilePlugged = false
                var remote: String?
                if let next = nextIdTag, at.map({ $0 <= next.until }) ?? true { remote = next.tag }
                queue { () throws(LedgerError) in
                    try ledger.beginOCPPTransaction(session: session, idTag: remote ?? settings.idTag)
                    if !(try ledger.ocppActions(session: session)).contains("StartTransaction") {
                        try ledger.enqueueOCPP(session: session, action: "StartTransaction", payload: nil, at: time)
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
                    try ledger.enqueueOCPP(session: number, action: "StopTransaction", payload: nil, at: session.lastAt)
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

    /// The central system's request stops `session`: the reason goes to the ledger first.
    private func stopping(_ session: Int64, because reason: String) {
        queue { () throws(LedgerError) in try ledger.recordOCPPStopReason(session: session, reason: reason) }
    }

    private func queue(_ body: () throws(LedgerError) -> Void) {
        do throws(LedgerError) { try body() } catch { hooks.log("ocpp: ledger: \(error)", false) }
    }

    private var sampleInterval: Duration { .seconds(max(1, configuration.integer("MeterValueSampleInterval"))) }

    // MARK: Time and the connection

    /// Reads what the connection reported, answers the central system, and sends what is due.
    /// `status` is the control loop's latest.
    public func poll(at now: Instant, status: ChargerStatus?) {
        if let status { lastStatus = status }
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

    private func sendNext(at now: Instant) {
        switch registration {
        case .unknown, .pending, .rejected:
            guard let at = nextBootAt, now >= at else { return }
            nextBootAt = nil
            let boot = OCPP16.BootNotificationRequest(
                chargePointVendor: identity.vendor, chargePointModel: identity.model, chargePointSerialNumber: identity.serialNumber,
                firmwareVersion: identity.firmwareVersion, meterType: identity.meterType, meterSerialNumber: nil)
            call("BootNotification", .encoding(boot), purpose: .boot, at: now)
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

    /// Sends the oldest queued transaction message when its figures are known; true when it did.
    private func sendQueued(at now: Instant) -> Bool {
        let message: Ledger.OCPPMessage
        let payload: JSONValue
        do throws(LedgerError) {
            guard let first = try ledger.pendingOCPPMessages(limit: 1).first else { return false }
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

    private enum Payload {
        case ready(JSONValue)
        /// Not yet: the session's start register or its transaction id is not known.
        case waiting
        case impossible(String)
    }

    private func payloadOf(_ message: Ledger.OCPPMessage) throws(LedgerError) -> Payload {
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
            if let id = transaction?.transactionId { fields["transactionId"] = .integer(id) } else if transaction != nil && !session.closed {
                return .waiting
            }
            return .ready(.object(fields))
        default:
            return .impossible("unknown action \(message.action)")
        }
    }

    /// OCPP 1.6's StopTransaction reason for the ledger's end reason.
    static func stopReason(_ endReason: String?) -> String {
        switch endReason {
        case "vehicle_unplugged": return "EVDisconnected"
        case "stop_command", "limit", "charger_disabled": return "Local"
        case "power_loss": return "PowerLoss"
        case "daemon_stopped": return "Reboot"
        default: return "Other"
        }
    }

    private func call(_ action: String, _ payload: JSONValue, purpose: Outstanding.Purpose, at now: Instant) {
        messageNumber += 1
        let id = String(messageNumber)
        let text = OCPPFrame.call(id: id, action: action, payload: payload).text
        outstanding = Outstanding(id: id, action: action, purpose: purpose, sentAt: now)
        lastSentAt = now
        lastExchange.sent = text
        hooks.log("ocpp: → \(text)", true)
        transport.send(text)
    }

    private func reply(_ frame: OCPPFrame) {
        let text = frame.text
        lastExchange.sent = text
        hooks.log("ocpp: → \(text)", true)
        transport.send(text)
    }

    // MARK: What arrives

    private func received(_ text: String, at now: Instant) {
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

    private func answered(_ call: Outstanding, _ payload: JSONValue, at now: Instant) {
        do throws(OCPPFrameError) {
            switch call.purpose {
            case .boot:
                let answer = try payload.decode(OCPP16.BootNotificationResponse.self)
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
            case .heartbeat, .status:
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

    private func answeredQueued(_ message: Ledger.OCPPMessage, _ payload: JSONValue, at now: Instant) throws(OCPPFrameError) {
        if message.action == "StartTransaction" {
            let answer = try payload.decode(OCPP16.StartTransactionResponse.self)
            if let tag = try? ledger.ocppTransaction(session: message.session)?.idTag { remember(tag, answer.idTagInfo) }
            queue { () throws(LedgerError) in
                try ledger.recordOCPPTransactionId(session: message.session, transactionId: answer.transactionId, idTagStatus: answer.idTagInfo.status.rawValue)
            }
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

    private func failed(_ call: Outstanding, because why: String, at now: Instant) {
        switch call.purpose {
        case .boot:
            nextBootAt = now + .seconds(60)
        case .status(_, let connector):
            statusSent[connector] = nil
        case .heartbeat:
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

    // MARK: The central system's requests

    /// Recognised OCPP 1.6 actions of the profiles evsed does not implement yet.
    private static let notSupported: Set<String> = [
        "CancelReservation", "ReserveNow", "GetDiagnostics", "UpdateFirmware",
    ]

    private func answer(_ action: String, _ payload: JSONValue, at now: Instant) throws(OCPPFrameError) -> JSONValue {
        let open = openSession.map { Int64($0.rawValue) }
        switch action {
        case "RemoteStartTransaction":
            let request = try payload.decode(OCPP16.RemoteStartTransactionRequest.self)
            try checkIdTag(request.idTag)
            guard request.connectorId.map({ $0 == 1 }) ?? true, open == nil, registration == .accepted else {
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            // A car not connected yet has ConnectionTimeOut to come: its session takes the idTag.
            nextIdTag = (request.idTag, now + .seconds(configuration.integer("ConnectionTimeOut")), false)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "RemoteStopTransaction":
            let request = try payload.decode(OCPP16.RemoteStopTransactionRequest.self)
            let session = try? ledger.ocppSession(transactionId: request.transactionId)
            guard let open, session == open else { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
            stopping(open, because: "Remote")
            hooks.command(.stopSession)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "Reset":
            let request = try payload.decode(OCPP16.ResetRequest.self)
            let hard = request.type == .Hard
            if let open {
                stopping(open, because: hard ? "HardReset" : "SoftReset")
                pendingReset = (hard, open)
                hooks.command(.stopSession)
            } else {
                hooks.restart(hard)
            }
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "ChangeAvailability":
            let request = try payload.decode(OCPP16.ChangeAvailabilityRequest.self)
            guard request.connectorId == 0 || request.connectorId == 1 else { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
            switch request.type {
            case .Operative:
                inoperativeScheduled = false
                hooks.command(.enable)
                return .encoding(OCPP16.StatusResponse(status: "Accepted"))
            case .Inoperative:
                if open != nil {
                    inoperativeScheduled = true
                    return .encoding(OCPP16.StatusResponse(status: "Scheduled"))
                }
                hooks.command(.disable)
                return .encoding(OCPP16.StatusResponse(status: "Accepted"))
            }
        case "UnlockConnector":
            let request = try payload.decode(OCPP16.UnlockConnectorRequest.self)
            guard request.connectorId == 1 else { return .encoding(OCPP16.StatusResponse(status: "NotSupported")) }
            if let open {
                stopping(open, because: "UnlockCommand")
                hooks.command(.stopSession)
            }
            // The lock (where the board has one) opens when the session ends; a tethered cable has none.
            return .encoding(OCPP16.StatusResponse(status: "Unlocked"))
        case "GetConfiguration":
            let request = try payload.decode(OCPP16.GetConfigurationRequest.self)
            let wanted = request.key ?? OCPPConfiguration.keys.map(\.name)
            var known: [OCPP16.KeyValue] = []
            var unknown: [String] = []
            for name in wanted {
                if let key = OCPPConfiguration.key(name) {
                    known.append(OCPP16.KeyValue(key: key.name, readonly: key.readOnly, value: configuration[key.name]))
                } else {
                    unknown.append(name)
                }
            }
            return .encoding(OCPP16.GetConfigurationResponse(configurationKey: known, unknownKey: unknown.isEmpty ? nil : unknown))
        case "ChangeConfiguration":
            let request = try payload.decode(OCPP16.ChangeConfigurationRequest.self)
            let result = configuration.change(request.key, to: request.value)
            if result == .Accepted {
                queue { () throws(LedgerError) in try ledger.setOCPPConfiguration(request.key, configuration[request.key] ?? request.value) }
                if request.key == "HeartbeatInterval" { heartbeatInterval = .seconds(configuration.integer("HeartbeatInterval")) }
                if request.key == "MeterValueSampleInterval", open != nil { nextSampleAt = now + sampleInterval }
                if request.key == "ClockAlignedDataInterval" { nextAlignedAt = nil }
                hooks.log("ocpp: the central system set \(request.key) = \(request.value)", false)
            }
            return .encoding(OCPP16.StatusResponse(status: result.rawValue))
        case "SetChargingProfile":
            let request = try payload.decode(OCPP16.SetChargingProfileRequest.self)
            let limits = (stack: configuration.integer("ChargeProfileMaxStackLevel"), periods: configuration.integer("ChargingScheduleMaxPeriods"),
                          installed: configuration.integer("MaxChargingProfilesInstalled"))
            guard request.csChargingProfiles.stackLevel <= limits.stack,
                  request.csChargingProfiles.chargingSchedule.chargingSchedulePeriod.count <= limits.periods else {
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            var changed = profiles
            do throws(ChargingProfiles.Refusal) {
                try changed.install(request.csChargingProfiles, connector: request.connectorId, transaction: currentTransaction)
            } catch {
                if case .invalid(let why) = error { hooks.log("ocpp: charging profile \(request.csChargingProfiles.chargingProfileId) refused: \(why)", false) }
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            guard changed.installed.count <= limits.installed else { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
            profiles = changed
            saveProfiles()
            hooks.log("ocpp: charging profile \(request.csChargingProfiles.chargingProfileId) (\(request.csChargingProfiles.chargingProfilePurpose.rawValue), "
                      + "stack \(request.csChargingProfiles.stackLevel)) installed on connector \(request.connectorId)", false)
            applyProfiles(at: now)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "ClearChargingProfile":
            let request = try payload.decode(OCPP16.ClearChargingProfileRequest.self)
            guard profiles.clear(request) else { return .encoding(OCPP16.StatusResponse(status: "Unknown")) }
            saveProfiles()
            applyProfiles(at: now)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "GetCompositeSchedule":
            let request = try payload.decode(OCPP16.GetCompositeScheduleRequest.self)
            guard request.connectorId == 0 || request.connectorId == 1, (1...172_800).contains(request.duration) else {
                return .encoding(OCPP16.GetCompositeScheduleResponse(status: "Rejected"))
            }
            let start = wallTime(now)
            let schedule = profiles.composite(from: start, duration: request.duration, unit: request.chargingRateUnit ?? .A,
                                              transaction: currentTransaction, unlimited: charger.maximumCurrent.value)
            return .encoding(OCPP16.GetCompositeScheduleResponse(status: "Accepted", connectorId: request.connectorId,
                                                                 scheduleStart: OCPPDateTime.text(start), chargingSchedule: schedule))
        case "TriggerMessage":
            let request = try payload.decode(OCPP16.TriggerMessageRequest.self)
            switch request.requestedMessage {
            case "BootNotification", "Heartbeat", "MeterValues":
                triggered.append(request.requestedMessage)
            case "StatusNotification":
                if let connector = request.connectorId, connector != 0 && connector != 1 { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
                for connector in request.connectorId.map({ [$0] }) ?? [0, 1] { statusSent[connector] = nil }
            case "DiagnosticsStatusNotification", "FirmwareStatusNotification":
                return .encoding(OCPP16.StatusResponse(status: "NotImplemented"))
            default:
                throw OCPPFrameError(id: nil, code: .propertyConstraintViolation, description: "requestedMessage: \(request.requestedMessage) is not one of OCPP 1.6's")
            }
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "ClearCache":
            do throws(LedgerError) {
                try ledger.updateOCPPIdTags(local: false, replace: true, [], version: nil)
            } catch {
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "GetLocalListVersion":
            _ = try payload.decode(OCPP16.EmptyResponse.self)
            return .encoding(OCPP16.GetLocalListVersionResponse(listVersion: (try? ledger.ocppLocalListVersion()) ?? 0))
        case "SendLocalList":
            let request = try payload.decode(OCPP16.SendLocalListRequest.self)
            return .encoding(OCPP16.StatusResponse(status: sendLocalList(request)))
        case "DataTransfer":
            _ = try payload.decode(OCPP16.DataTransferRequest.self)
            return .encoding(OCPP16.DataTransferResponse(status: "UnknownVendorId", data: nil))
        default:
            if Self.notSupported.contains(action) {
                throw OCPPFrameError(id: nil, code: .notSupported, description: "\(action) is not supported by this charge point")
            }
            throw OCPPFrameError(id: nil, code: .notImplemented, description: "unknown action \(action)")
        }
    }

    private func checkIdTag(_ tag: String) throws(OCPPFrameError) {
        guard (1...20).contains(tag.count) else {
            throw OCPPFrameError(id: nil, code: .propertyConstraintViolation, description: "idTag: 1 to 20 characters")
        }
    }

    // MARK: Authorization

    /// An idTag presented at the charger (a card at the reader, `tap` on the simulated board):
    /// the same idTag as the open session's stops it; otherwise it is authorized — by the central
    /// system, or from the local list and the cache (`LocalPreAuthorize`, or offline with
    /// `LocalAuthorizeOffline`; an unknown one offline with `AllowOfflineTxForUnknownId`) — and
    /// the car's session starts with it.
    public func identify(_ tag: String, at now: Instant) {
        guard (1...20).contains(tag.count), tag.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            hooks.log("ocpp: '\(tag)' is not an idTag (1 to 20 ASCII characters)", false)
            return
        }
        if let open = openSession {
            let transaction = try? ledger.ocppTransaction(session: Int64(open.rawValue))
            if transaction?.idTag == tag {
                hooks.log("ocpp: idTag \(tag) presented again: stopping session \(open)", false)
                hooks.command(.stopSession)
            } else {
                hooks.log("ocpp: idTag \(tag): session \(open) is open for another idTag", false)
            }
            return
        }
        if connected && registration == .accepted {
            if configuration.boolean("LocalPreAuthorize"), let known = known(tag, at: now), known.status == "Accepted" {
                authorized(tag, at: now, how: "accepted from the \(known.source)")
                return
            }
            authorizeNext = tag
        } else {
            decideOffline(tag, at: now)
        }
    }

    private func decideOffline(_ tag: String, at now: Instant) {
        if configuration.boolean("LocalAuthorizeOffline"), let known = known(tag, at: now) {
            if known.status == "Accepted" {
                authorized(tag, at: now, how: "offline, accepted from the \(known.source)")
            } else {
                hooks.log("ocpp: idTag \(tag) refused offline (\(known.status) in the \(known.source))", false)
            }
        } else if known(tag, at: now) == nil, configuration.boolean("AllowOfflineTxForUnknownId") {
            authorized(tag, at: now, how: "offline, unknown idTags allowed (AllowOfflineTxForUnknownId)")
        } else {
            hooks.log("ocpp: idTag \(tag) refused: the central system cannot be asked and the charger does not know it", false)
        }
    }

    private func authorized(_ tag: String, at now: Instant, how: String) {
        hooks.log("ocpp: idTag \(tag) \(how)", false)
        nextIdTag = (tag, now + .seconds(configuration.integer("ConnectionTimeOut")), false)
        startForIdTag(at: now)
    }

    /// A car is connected and an idTag waits for it: its session starts.
    private func startForIdTag(at now: Instant) {
        guard let next = nextIdTag else { return }
        guard now <= next.until else {
            hooks.log("ocpp: idTag \(next.tag): no car within ConnectionTimeOut", false)
            nextIdTag = nil
            return
        }
        guard !next.started, openSession == nil, let status = lastStatus, [.b, .c, .d].contains(status.pilotLevel) else { return }
        nextIdTag?.started = true
        hooks.command(.startSession)
    }

    /// What the local list (first) and the cache say of `tag`, unless expired.
    private func known(_ tag: String, at now: Instant) -> (status: String, source: String)? {
        let time = wallTime(now)
        let lists = (configuration.boolean("LocalAuthListEnabled") ? [(true, "local list")] : [])
            + (configuration.boolean("AuthorizationCacheEnabled") ? [(false, "authorization cache")] : [])
        for (local, source) in lists {
            guard let entry = (try? ledger.ocppIdTags(local: local))?.first(where: { $0.idTag == tag }) else { continue }
            if let expiry = entry.expiry.flatMap(OCPPDateTime.parse), expiry <= time { return ("Expired", source) }
            return (entry.status, source)
        }
        return nil
    }

    /// The central system's answer about `tag`, kept in the cache.
    private func remember(_ tag: String, _ info: OCPP16.IdTagInfo) {
        guard configuration.boolean("AuthorizationCacheEnabled") else { return }
        let entry = Ledger.OCPPIdTag(idTag: tag, status: info.status.rawValue, expiry: info.expiryDate, parent: info.parentIdTag)
        queue { () throws(LedgerError) in try ledger.updateOCPPIdTags(local: false, replace: false, [(tag, entry)], version: nil) }
    }

    private func sendLocalList(_ request: OCPP16.SendLocalListRequest) -> String {
        guard configuration.boolean("LocalAuthListEnabled") else { return "NotSupported" }
        let entries = request.localAuthorizationList ?? []
        guard entries.count <= configuration.integer("SendLocalListMaxLength"),
              entries.allSatisfy({ (1...20).contains($0.idTag.count) }), request.listVersion >= 1 else { return "Failed" }
        do throws(LedgerError) {
            let current = try ledger.ocppLocalListVersion()
            if request.updateType == .Differential && request.listVersion <= current { return "VersionMismatch" }
            var tags = request.updateType == .Full ? Set<String>() : Set(try ledger.ocppIdTags(local: true).map(\.idTag))
            for entry in entries { if entry.idTagInfo == nil { tags.remove(entry.idTag) } else { tags.insert(entry.idTag) } }
            guard tags.count <= configuration.integer("LocalAuthListMaxLength") else { return "Failed" }
            try ledger.updateOCPPIdTags(local: true, replace: request.updateType == .Full, entries.map { entry in
                (entry.idTag, entry.idTagInfo.map {
                    Ledger.OCPPIdTag(idTag: entry.idTag, status: $0.status.rawValue, expiry: $0.expiryDate, parent: $0.parentIdTag)
                })
            }, version: request.listVersion)
        } catch {
            hooks.log("ocpp: ledger: \(error)", false)
            return "Failed"
        }
        hooks.log("ocpp: local authorization list version \(request.listVersion) (\(request.updateType.rawValue), \(entries.count) entries)", false)
        return "Accepted"
    }

    /// The open session as a transaction, for the charging profiles.
    private var currentTransaction: ChargingProfiles.Transaction? {
        guard let session = openSession, let start = openStartedAt else { return nil }
        let id = (try? ledger.ocppTransaction(session: Int64(session.rawValue)))?.transactionId
        return ChargingProfiles.Transaction(id: id, start: start)
    }

    private func saveProfiles() {
        let rows = profiles.installed.map { entry in
            (id: Int64(entry.profile.chargingProfileId), connector: entry.connector, profile: JSONValue.encoding(entry.profile).text)
        }
        queue { () throws(LedgerError) in try ledger.replaceOCPPProfiles(rows) }
    }

    /// Gives the control loop the offer the profiles allow now, when it changed: the limit (at
    /// most the site's), a pause below the 6 A a PWM can offer, the site's own limit again when no
    /// profile limits it.
    private func applyProfiles(at now: Instant) {
        guard !profiles.installed.isEmpty || appliedLimit != nil else { return }
        let base = baseLimit()
        var target = profiles.limit(at: wallTime(now), transaction: currentTransaction).map { (min($0, base) * 10).rounded(.down) / 10 }
        if target == base { target = nil }
        guard target != appliedLimit else { return }
        appliedLimit = target
        guard let amperes = target else {
            if pausedByProfile {
                pausedByProfile = false
                hooks.command(.resume)
            }
            hooks.command(.setCurrentLimit(Amperes(base)))
            hooks.log("ocpp: no charging profile limits the charger: \(fixed(base, 1)) A", false)
            return
        }
        if amperes < PWMDuty.minimumCurrent.value {
            if openSession != nil && !pausedByProfile {
                pausedByProfile = true
                hooks.command(.pause)
            }
            hooks.log("ocpp: a charging profile allows \(fixed(amperes, 1)) A, less than a PWM can offer: charging paused", false)
            return
        }
        if pausedByProfile {
            pausedByProfile = false
            hooks.command(.resume)
        }
        hooks.command(.setCurrentLimit(Amperes(amperes)))
        hooks.log("ocpp: a charging profile limits the charger to \(fixed(amperes, 1)) A", false)
    }

    private func sendTriggered(_ message: String, at now: Instant) {
        switch message {
        case "BootNotification":
            let boot = OCPP16.BootNotificationRequest(
                chargePointVendor: identity.vendor, chargePointModel: identity.model, chargePointSerialNumber: identity.serialNumber,
                firmwareVersion: identity.firmwareVersion, meterType: identity.meterType, meterSerialNumber: nil)
            call("BootNotification", .encoding(boot), purpose: .boot, at: now)
        case "MeterValues":
            let values = lastReading.map { sampledValues($0, measurands: configuration.list("MeterValuesSampledData"), context: "Trigger") } ?? []
            let request = OCPP16.MeterValuesRequest(connectorId: 1, transactionId: currentTransaction?.id,
                                                    meterValue: [OCPP16.MeterValue(timestamp: OCPPDateTime.text(wallTime(now)), sampledValue: values)])
            call("MeterValues", .encoding(request), purpose: .heartbeat, at: now)
        default:
            call("Heartbeat", .encoding(OCPP16.HeartbeatRequest()), purpose: .heartbeat, at: now)
        }
    }

    // MARK: Status and meter values

    /// Connector 0 is the charge point as a whole; connector 1 the socket or cable.
    public func connectorStatus(_ connector: Int) -> ConnectorStatus {
        guard let status = lastStatus else { return ConnectorStatus(status: "Unavailable", errorCode: "NoError") }
        if let fault = status.activeFaults.first ?? status.latchedFaults.first {
            let entry = catalogue[fault]
            return ConnectorStatus(status: "Faulted", errorCode: entry.ocppErrorCode, info: String(entry.title.prefix(50)),
                                   vendorErrorCode: fault.displayCode)
        }
        if !status.enabled { return ConnectorStatus(status: "Unavailable", errorCode: "NoError") }
        if connector == 0 { return ConnectorStatus(status: "Available", errorCode: "NoError") }
        let name: String
        switch status.pilotLevel {
        case .a:
            name = "Available"
        case .b, .c, .d:
            if openSession == nil {
                name = finishedWhilePlugged ? "Finishing" : "Preparing"
            } else if status.interruption != nil {
                name = "SuspendedEVSE"
            } else if status.contactorClosed && status.pilotLevel != .b {
                name = "Charging"
            } else if status.pilotLevel == .b && status.offeredCurrent > .zero {
                name = "SuspendedEV"
            } else {
                name = "SuspendedEVSE"
            }
        default:
            name = "Unavailable"
        }
        return ConnectorStatus(status: name, errorCode: "NoError")
    }

    /// Queues a MeterValues of the open transaction every `MeterValueSampleInterval` (context
    /// Sample.Periodic) and at each multiple of `ClockAlignedDataInterval` since midnight UTC
    /// (Sample.Clock, the measurands of `MeterValuesAlignedData`).
    private func sampleMeter(at now: Instant) {
        guard let session = openSession else { return }
        if let due = nextSampleAt, now >= due {
            nextSampleAt = now + sampleInterval
            queueMeterValues(session, at: wallTime(now), measurands: configuration.list("MeterValuesSampledData"), context: "Sample.Periodic")
        }
        let aligned = configuration.integer("ClockAlignedDataInterval")
        guard aligned > 0 else { return }
        let wall = wallTime(now)
        guard let due = nextAlignedAt else {
            nextAlignedAt = Self.nextAlignedTime(after: wall, interval: aligned)
            return
        }
        if wall >= due {
            queueMeterValues(session, at: due, measurands: configuration.list("MeterValuesAlignedData"), context: "Sample.Clock")
            nextAlignedAt = Self.nextAlignedTime(after: wall, interval: aligned)
        }
    }

    /// The first time after `time` that is a whole number of `interval` seconds after a midnight (UTC).
    static func nextAlignedTime(after time: Timestamp, interval: Int) -> Timestamp {
        let day: Int64 = 86_400_000
        let step = Int64(interval) * 1000
        let midnight = time.milliseconds - ((time.milliseconds % day) + day) % day
        let next = midnight + ((time.milliseconds - midnight) / step + 1) * step
        return Timestamp(milliseconds: min(next, midnight + day))
    }

    private func queueMeterValues(_ session: SessionID, at time: Timestamp, measurands: [String], context: String) {
        guard let reading = lastReading else { return }
        let values = sampledValues(reading, measurands: measurands, context: context)
        guard !values.isEmpty else { return }
        let request = OCPP16.MeterValuesRequest(connectorId: 1, transactionId: nil,
                                                meterValue: [OCPP16.MeterValue(timestamp: OCPPDateTime.text(time), sampledValue: values)])
        queue { () throws(LedgerError) in
            try ledger.enqueueOCPP(session: Int64(session.rawValue), action: "MeterValues", payload: JSONValue.encoding(request).text, at: time)
        }
    }

    /// A reading as OCPP's sampled values, for the measurands asked; a figure that is not finite is left out.
    func sampledValues(_ reading: MeterReading, measurands: [String], context: String) -> [OCPP16.SampledValue] {
        var values: [OCPP16.SampledValue] = []
        func add(_ value: Double, _ measurand: String, _ unit: String, phase: String? = nil, decimals: Int = 0) {
            guard value.isFinite else { return }
            values.append(OCPP16.SampledValue(value: fixed(value, decimals), context: context, format: "Raw", measurand: measurand, phase: phase,
                                              location: measurand == "Temperature" ? "Body" : "Outlet", unit: unit))
        }
        let phases = ["L1", "L2", "L3"]
        for measurand in measurands {
            switch measurand {
            case "Energy.Active.Import.Register":
                guard reading.importEnergy.value.isFinite else { continue }
                add(reading.importEnergy.value.rounded(), measurand, "Wh")
            case "Power.Active.Import":
                add(reading.power.value, measurand, "W")
            case "Current.Import":
                for (index, current) in reading.current.present.enumerated() { add(current.value, measurand, "A", phase: phases[index], decimals: 2) }
            case "Voltage":
                for (index, voltage) in reading.voltage.present.enumerated() { add(voltage.value, measurand, "V", phase: phases[index] + "-N", decimals: 1) }
            case "Temperature":
                if let temperature = lastTemperature { add(temperature.value, measurand, "Celsius", decimals: 1) }
            default:
                break
            }
        }
        return values
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

