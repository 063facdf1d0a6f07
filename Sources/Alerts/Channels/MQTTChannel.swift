#if canImport(Glibc)
import Glibc
#endif
import CMosquitto
import EVSECore
import Runtime

/// MQTT through libmosquitto (the only importer of CMosquitto): each alert is published with QoS
/// 1 to its owner's topic and counts as delivered when the broker's PUBACK arrives; the charger's
/// live state goes to the state topic, retained, so a dashboard that subscribes later sees it.
/// The connection is kept between deliveries and made again when it was lost.
///
/// With Home Assistant's discovery or commands on, the connection is kept up for them: the broker
/// holds "offline" as the charger's last will on its availability topic, and at each connection
/// evsed says "online", announces its entities (retained) and subscribes to its command topics;
/// commands go to the daemon through `MQTTCommandLink`, and their results come back here.
public final class MQTTChannel: AlertChannel {
    public let kind = ChannelKind.mqtt
    private let settings: MQTTSettings
    private let timeout: Duration
    public let stateTopic: String
    private var client: OpaquePointer?
    private let events = Events()
    private let homeAssistant: HomeAssistantDevice?
    private let link: MQTTCommandLink?
    private let topics: ChargerTopics
    /// What the log was last told about the connection kept for Home Assistant or commands (said
    /// once, until it changes or the connection is made).
    private var lastConnectProblem: String?
    /// When a connection last failed, and why, whoever dialled. Until `redialInterval` has passed,
    /// the live state and the connection kept for Home Assistant do not dial again (an alert's
    /// delivery does), so a broker that is down is not dialled at every change of state or round.
    private var lastConnectFailure: (at: Instant, problem: String)?
    private let redialInterval: Duration

    /// What libmosquitto's callbacks report, read on the same thread.
    private final class Events {
        var connected = false
        var refusal: Int32?
        var published: Swift.Set<Int32> = []
        /// Commands received, (topic, payload), until handed to the link.
        var messages: [(String, String)] = []
    }

    /// libmosquitto, opened with the first MQTT channel (see Sources/CMosquitto/shim.h). The
    /// function table never changes once loaded, hence unchecked Sendable.
    private final class Library: @unchecked Sendable {
        let api: Result<evsed_mosquitto, DeliveryError>
        static let shared = Library()

        private init() {
            var api = evsed_mosquitto()
            guard evsed_mosquitto_open(&api) != 0 else {
                let reason = dlerror().map { String(cString: $0) } ?? "a function is missing"
                self.api = .failure(DeliveryError("libmosquitto could not be loaded (\(reason)); install libmosquitto1"))
                return
            }
            guard api.lib_init() == MOSQ_ERR_SUCCESS.rawValue else {
                self.api = .failure(DeliveryError("libmosquitto could not be initialised"))
                return
            }
            self.api = .success(api)
        }
    }

    public init(settings: MQTTSettings, charger: String, timeout: Duration, homeAssistant: HomeAssistantDevice? = nil, link: MQTTCommandLink? = nil,
                redialInterval: Duration = .seconds(5)) {
        self.settings = settings
        self.timeout = timeout
        self.redialInterval = redialInterval
        self.stateTopic = settings.stateTopic.replacing("{charger}", with: AlertDocument.slug(charger))
        self.homeAssistant = settings.homeAssistant ? homeAssistant : nil
        self.link = settings.commands ? link : nil
        topics = ChargerTopics(charger: charger)
    }

    /// Whether the connection is kept up between deliveries (discovery, availability, commands).
    private var keepsConnection: Bool { homeAssistant != nil || link != nil }

    deinit {
        if let client, case .success(let api) = Library.shared.api {
            if keepsConnection && events.connected {
                // A planned stop: the broker sends no last will on a clean disconnect, so say it.
                let offline = Array("offline".utf8)
                _ = offline.withUnsafeBytes { api.publish(client, nil, topics.availability, Int32($0.count), $0.baseAddress, 1, true) }
                for _ in 0..<5 { _ = api.loop(client, 20, 1) }
            }
            _ = api.disconnect(client)
            api.destroy(client)
        }
    }

    public func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
        do throws(DeliveryError) {
            try publish(message.document, to: message.address, retain: false)
        } catch {
            throw DeliveryError("MQTT \(settings.broker) topic \(message.address): \(error.problem)", permanent: error.permanent)
        }
    }

    /// Publishes the charger's state, retained. Within `redialInterval` of a failed connection it
    /// does not dial again (an alert's delivery still does): it says when it will.
    public func publishState(_ document: String) throws(DeliveryError) {
        if let left = redialWait() {
            throw DeliveryError("MQTT \(settings.broker) topic \(stateTopic): not connected since the last attempt failed; "
                                + "the state waits \(Int(left.seconds.rounded(.up))) s more")
        }
        do throws(DeliveryError) {
            try publish(document, to: stateTopic, retain: true)
        } catch {
            throw DeliveryError("MQTT \(settings.broker) topic \(stateTopic): \(error.problem)", permanent: error.permanent)
        }
    }

    /// How long the live state and the kept connection still wait before they dial a broker whose
    /// connection failed; nil when connected, or when they may dial.
    private func redialWait() -> Duration? {
        guard !events.connected, let failure = lastConnectFailure else { return nil }
        let left = redialInterval - (MonotonicClock.now() - failure.at)
        return left > .zero ? left : nil
    }

    /// Keeps the connection alive between deliveries (PINGREQ, incoming acknowledgements); with
    /// Home Assistant or commands, connects again (`redialInterval` after a failure), hands the commands that
    /// arrived to the daemon and publishes their results. Returns why a connection kept for them
    /// cannot be made, once for each new reason, for the log.
    @discardableResult
    public func service() -> String? {
        if keepsConnection && !events.connected {
            // The failure is recorded by connected(), whether this round or the live state dialled.
            if redialWait() == nil { _ = try? connected() }
            if let failure = lastConnectFailure, !events.connected {
                let problem = "MQTT \(settings.broker) for Home Assistant and commands: \(failure.problem); trying again every \(Int(redialInterval.seconds)) s"
                defer { lastConnectProblem = problem }
                return problem == lastConnectProblem ? nil : problem
            }
            lastConnectProblem = nil
        }
        guard let client, events.connected, case .success(let api) = Library.shared.api else { return nil }
        let result = api.loop(client, 0, 1)
        if result != MOSQ_ERR_SUCCESS.rawValue { events.connected = false }
        guard let link else { return nil }
        for (topic, payload) in events.messages {
            let name = String(topic.dropFirst(topics.base.count + "/set/".count))
            if !link.incoming.push((name, payload)) {
                _ = link.results.push(Self.result(command: name, payload: payload, result: "refused: too many commands at once"))
            }
        }
        events.messages.removeAll()
        while let document = link.results.pop() {
            do throws(DeliveryError) { try send(document, to: topics.result, retain: false) } catch { return nil }
        }
        return nil
    }

    /// A command's result as the result topic carries it.
    public static func result(command: String, payload: String, result: String) -> String {
        var json = JSONLine()
        json.add("command", command)
        json.add("payload", payload)
        json.add("result", result)
        return json.description
    }

    private func publish(_ payload: String, to topic: String, retain: Bool) throws(DeliveryError) {
        for attempt in 0..<2 {
            _ = try connected()
            if try send(payload, to: topic, retain: retain, reconnect: attempt == 0) { return }
        }
    }

    /// Publishes on the connection there is and waits for the PUBACK; false when the connection
    /// was found lost and `reconnect` asks to connect again first.
    @discardableResult
    private func send(_ payload: String, to topic: String, retain: Bool, reconnect: Bool = false) throws(DeliveryError) -> Bool {
        let api = try Library.shared.api.get()
        guard let client else { throw DeliveryError("not connected") }
        var mid: Int32 = 0
        let bytes = Array(payload.utf8)
        let result = bytes.withUnsafeBytes { api.publish(client, &mid, topic, Int32($0.count), $0.baseAddress, 1, retain) }
        if result == MOSQ_ERR_NO_CONN.rawValue || result == MOSQ_ERR_CONN_LOST.rawValue, reconnect {
            // The broker dropped us since the last delivery: connect again, once.
            events.connected = false
            return false
        }
        guard result == MOSQ_ERR_SUCCESS.rawValue else { throw DeliveryError(describe(result), permanent: result == MOSQ_ERR_PAYLOAD_SIZE.rawValue) }
        try run(until: timeout, what: "the broker's PUBACK") { $0.published.contains(mid) }
        events.published.remove(mid)
        return true
    }

    /// After each connection: "online", the discovery configs (retained), the command subscription.
    private func announce(_ client: OpaquePointer) throws(DeliveryError) {
        guard keepsConnection else { return }
        let api = try Library.shared.api.get()
        try send("online", to: topics.availability, retain: true)
        if let homeAssistant {
            for (topic, payload) in HomeAssistantDiscovery.messages(device: homeAssistant, settings: settings, stateTopic: stateTopic) {
                try send(payload, to: topic, retain: true)
            }
        }
        if link != nil {
            let result = api.subscribe(client, nil, topics.commands, 1)
            guard result == MOSQ_ERR_SUCCESS.rawValue else { throw DeliveryError("cannot subscribe to \(topics.commands): \(describe(result))") }
        }
    }

    /// The client, connected (CONNACK accepted); a failure is remembered, when and why, for the
    /// live state and the kept connection.
    private func connected() throws(DeliveryError) -> OpaquePointer {
        if let client, events.connected { return client }
        do throws(DeliveryError) {
            let client = try connect()
            lastConnectFailure = nil
            return client
        } catch {
            lastConnectFailure = (MonotonicClock.now(), error.problem)
            throw error
        }
    }

    /// A new client, connected and announced.
    private func connect() throws(DeliveryError) -> OpaquePointer {
        let api = try Library.shared.api.get()
        if let old = client {
            api.destroy(old)
            client = nil
        }
        let context = Unmanaged.passUnretained(events).toOpaque()
        guard let created = api.create(settings.clientID, true, context) else { throw DeliveryError("libmosquitto: cannot make a client: \(String(cString: strerror(errno)))") }
        client = created
        _ = api.int_option(created, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        api.connect_callback_set(created) { _, context, code in
            let events = Unmanaged<Events>.fromOpaque(context!).takeUnretainedValue()
            if code == 0 { events.connected = true } else { events.refusal = code }
        }
        api.disconnect_callback_set(created) { _, context, _ in
            Unmanaged<Events>.fromOpaque(context!).takeUnretainedValue().connected = false
        }
        api.publish_callback_set(created) { _, context, mid in
            Unmanaged<Events>.fromOpaque(context!).takeUnretainedValue().published.insert(mid)
        }
        api.message_callback_set(created) { _, context, message in
            // Commands are short: a larger payload, or one that is not text, is not one.
            guard let message, let topic = message.pointee.topic, (0...256).contains(message.pointee.payloadlen) else { return }
            let count = Int(message.pointee.payloadlen)
            let bytes = message.pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
            guard let payload = String(validating: bytes, as: UTF8.self) else { return }
            Unmanaged<Events>.fromOpaque(context!).takeUnretainedValue().messages.append((String(cString: topic), payload))
        }
        if keepsConnection {
            let offline = Array("offline".utf8)
            let result = offline.withUnsafeBytes { api.will_set(created, topics.availability, Int32($0.count), $0.baseAddress, 1, true) }
            guard result == MOSQ_ERR_SUCCESS.rawValue else { throw DeliveryError("cannot set the last will: \(describe(result))") }
        }
        if let username = settings.username {
            let result = api.username_pw_set(created, username, settings.password)
            guard result == MOSQ_ERR_SUCCESS.rawValue else { throw DeliveryError(describe(result)) }
        }
        if let caFile = settings.caFile {
            let result = api.tls_set(created, caFile, nil, nil, nil, nil)
            guard result == MOSQ_ERR_SUCCESS.rawValue else { throw DeliveryError("TLS with \(caFile): \(describe(result))", permanent: true) }
        }
        events.connected = false
        events.refusal = nil
        let result = api.connect(created, settings.broker.host, Int32(settings.broker.port), 60)
        guard result == MOSQ_ERR_SUCCESS.rawValue else {
            let reason = result == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : describe(result)
            throw DeliveryError("cannot connect: \(reason)")
        }
        try run(until: timeout, what: "the broker's CONNACK") { $0.connected || $0.refusal != nil }
        if let refusal = events.refusal {
            throw DeliveryError("the broker refused the connection: \(api.connack_string(refusal).map { String(cString: $0) } ?? "code \(refusal)")", permanent: refusal == 4 || refusal == 5)
        }
        try announce(created)
        return created
    }

    /// Runs libmosquitto's network loop until `done` or the timeout.
    private func run(until timeout: Duration, what: String, _ done: (Events) -> Bool) throws(DeliveryError) {
        guard let client else { throw DeliveryError("not connected") }
        let api = try Library.shared.api.get()
        let deadline = MonotonicClock.now() + timeout
        while !done(events) {
            guard MonotonicClock.now() < deadline else {
                events.connected = false
                throw DeliveryError("no \(what) within \(Int(timeout.seconds)) s")
            }
            let result = api.loop(client, 100, 1)
            if result != MOSQ_ERR_SUCCESS.rawValue {
                events.connected = false
                throw DeliveryError("connection lost while waiting for \(what): \(describe(result))")
            }
        }
    }

    private func describe(_ code: Int32) -> String {
        guard case .success(let api) = Library.shared.api, let text = api.error_string(code) else { return "MQTT error \(code)" }
        return String(cString: text)
    }
}
