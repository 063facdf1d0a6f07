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
public final class MQTTChannel: AlertChannel {
    public let kind = ChannelKind.mqtt
    private let settings: MQTTSettings
    private let timeout: Duration
    public let stateTopic: String
    private var client: OpaquePointer?
    private let events = Events()

    /// What libmosquitto's callbacks report, read on the same thread.
    private final class Events {
        var connected = false
        var refusal: Int32?
        var published: Swift.Set<Int32> = []
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

    public init(settings: MQTTSettings, charger: String, timeout: Duration) {
        self.settings = settings
        self.timeout = timeout
        self.stateTopic = settings.stateTopic.replacing("{charger}", with: AlertDocument.slug(charger))
    }

    deinit {
        if let client, case .success(let api) = Library.shared.api {
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

    /// Publishes the charger's state, retained.
    public func publishState(_ document: String) throws(DeliveryError) {
        do throws(DeliveryError) {
            try publish(document, to: stateTopic, retain: true)
        } catch {
            throw DeliveryError("MQTT \(settings.broker) topic \(stateTopic): \(error.problem)", permanent: error.permanent)
        }
    }

    /// Keeps the connection alive between deliveries (PINGREQ, incoming acknowledgements).
    public func service() {
        guard let client, events.connected, case .success(let api) = Library.shared.api else { return }
        let result = api.loop(client, 0, 1)
        if result != MOSQ_ERR_SUCCESS.rawValue { events.connected = false }
    }

    private func publish(_ payload: String, to topic: String, retain: Bool) throws(DeliveryError) {
        let api = try Library.shared.api.get()
        for attempt in 0..<2 {
            let client = try connected()
            var mid: Int32 = 0
            let bytes = Array(payload.utf8)
            let result = bytes.withUnsafeBytes { api.publish(client, &mid, topic, Int32($0.count), $0.baseAddress, 1, retain) }
            if result == MOSQ_ERR_NO_CONN.rawValue || result == MOSQ_ERR_CONN_LOST.rawValue, attempt == 0 {
                // The broker dropped us since the last delivery: connect again, once.
                events.connected = false
                continue
            }
            guard result == MOSQ_ERR_SUCCESS.rawValue else { throw DeliveryError(describe(result), permanent: result == MOSQ_ERR_PAYLOAD_SIZE.rawValue) }
            try run(until: timeout, what: "the broker's PUBACK") { $0.published.contains(mid) }
            events.published.remove(mid)
            return
        }
    }

    /// The client, connected (CONNACK accepted).
    private func connected() throws(DeliveryError) -> OpaquePointer {
        if let client, events.connected { return client }
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
