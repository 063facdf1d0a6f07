#if canImport(Glibc)
import Glibc
#endif
import CWebSockets
import EVSECore
import Runtime

/// A WebSocket client connection kept open to one server, through libwebsockets (the only
/// importer of CWebSockets): text messages in and out, pings while idle, TLS with a given CA, and
/// the connection made again after a back-off whenever it fails or closes.
///
/// libwebsockets runs on this client's own thread: its callbacks, the connection attempts and the
/// writes all happen there. Other threads only push messages (`send`) and read `events`.
public final class WebSocketClient: @unchecked Sendable {
    /// Where and how to connect.
    public struct Endpoint: Sendable, Equatable {
        public var url: WebSocketURL
        /// The CA certificates (PEM) that sign the server's; nil: the system's.
        public var caFile: String?
        /// The `Authorization` header's value, when the server wants one.
        public var authorization: String?
        public var subprotocol: String

        public init(url: WebSocketURL, caFile: String?, authorization: String?, subprotocol: String) {
            self.url = url
            self.caFile = caFile
            self.authorization = authorization
            self.subprotocol = subprotocol
        }
    }

    /// What the connection reports, in order.
    public enum Event: Sendable, Equatable {
        /// The WebSocket handshake completed (with the subprotocol).
        case connected
        /// A complete text message.
        case received(String)
        /// The connection failed or closed; it is made again after the back-off.
        case disconnected(reason: String)
    }

    /// The largest message accepted; a longer one closes the connection (1009, message too big).
    public static let maximumMessageBytes = 65_536

    public let endpoint: Endpoint
    public let events = BoundedQueue<Event>(capacity: 256)
    private let pingInterval: Duration
    private let backoff: (first: Duration, maximum: Duration)
    private let api: evsed_lws
    private let outgoing = Lock<[String]>([])
    private let stopping = Lock(false)
    /// Whether the WebSocket is open now (set on the service thread, read by `stop`).
    private let open = Lock(false)
    private let context: Lock<OpaquePointer?> = Lock(nil)
    private let thread = Lock<pthread_t?>(nil)
    /// What only the service thread touches.
    private var connection: OpaquePointer?
    private var incoming: [UInt8] = []
    private var nextDelay: Duration
    /// Failed or closed connections so far (service thread).
    private var failures = 0
    private let reconnectTimer: UnsafeMutablePointer<evsed_lws_timer>
    private let retryPolicy: UnsafeMutablePointer<lws_retry_bo_t>
    private let protocols: UnsafeMutablePointer<lws_protocols>
    /// C strings that libwebsockets keeps pointers to while it runs, made once; freed with the client.
    private let host: UnsafeMutablePointer<CChar>
    private let path: UnsafeMutablePointer<CChar>
    private let subprotocol: UnsafeMutablePointer<CChar>
    private let caFile: UnsafeMutablePointer<CChar>?

    /// libwebsockets, opened with the first client (see Sources/CWebSockets/shim.h). The function
    /// table never changes once loaded, hence unchecked Sendable.
    private final class Library: @unchecked Sendable {
        let api: Result<evsed_lws, WebSocketError>
        static let shared = Library()

        private init() {
            var api = evsed_lws()
            guard evsed_lws_open(&api) != 0 else {
                let reason = dlerror().map { String(cString: $0) } ?? "a function is missing"
                self.api = .failure(WebSocketError("libwebsockets could not be loaded (\(reason)); install libwebsockets17"))
                return
            }
            // Errors only, and through our own line: its default writes to stderr with its own format.
            api.set_log_level(LLL_ERR, nil)
            self.api = .success(api)
        }
    }

    /// A client for `endpoint`; nothing connects before `start()`.
    /// - Parameters:
    ///   - pingInterval: a ping after this long without traffic; the connection is dropped when two
    ///     intervals pass with no answer. Zero: no pings.
    ///   - backoff: the wait before the first new attempt, doubled after each failure up to the maximum.
    public init(endpoint: Endpoint, pingInterval: Duration, backoff: (first: Duration, maximum: Duration)) throws(WebSocketError) {
        self.endpoint = endpoint
        self.pingInterval = pingInterval
        self.backoff = backoff
        nextDelay = backoff.first
        api = try Library.shared.api.get()
        reconnectTimer = .allocate(capacity: 1)
        reconnectTimer.initialize(to: evsed_lws_timer())
        retryPolicy = .allocate(capacity: 1)
        retryPolicy.initialize(to: lws_retry_bo_t())
        protocols = .allocate(capacity: 2)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        host = strdup(endpoint.url.host)
        path = strdup(endpoint.url.pathAndQuery)
        subprotocol = strdup(endpoint.subprotocol)
        caFile = endpoint.caFile.map { strdup($0) }
    }

    deinit {
        stop()
        reconnectTimer.deallocate()
        retryPolicy.deallocate()
        protocols.deallocate()
        for string in [host, path, subprotocol, caFile] { free(string) }
    }

    /// Starts the client's thread, which connects and keeps connecting.
    public func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            let client = Unmanaged<WebSocketClient>.fromOpaque(argument!).takeRetainedValue()
            client.serve()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed for the WebSocket client: \(String(cString: strerror(result)))")
        thread.withLock { $0 = handle }
    }

    /// Closes the connection and stops the thread; what was sent just before (the answer to a
    /// Reset) is written first, for a second at most.
    public func stop() {
        guard let handle = thread.withLock({ thread in
            defer { thread = nil }
            return thread
        }) else { return }
        let deadline = MonotonicClock.now() + .seconds(1)
        while open.withLock({ $0 }), !outgoing.withLock({ $0.isEmpty }), MonotonicClock.now() < deadline {
            MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(10))
        }
        stopping.withLock { $0 = true }
        context.withLock { context in if let context { api.cancel_service(context) } }
        pthread_join(handle, nil)
    }

    /// Sends `text` once connected; messages queued while disconnected are dropped at the next
    /// disconnection (the caller sends again what still matters once `.connected` comes).
    public func send(_ text: String) {
        outgoing.withLock { $0.append(text) }
        context.withLock { context in if let context { api.cancel_service(context) } }
    }

    /// The service thread: a context, the first attempt, then libwebsockets' loop until `stop()`.
    private func serve() {
        protocols[0].name = UnsafePointer(subprotocol)
        protocols[0].callback = { wsi, reason, _, input, length in
            guard let wsi, let user = WebSocketClient.clientOf(wsi) else { return 0 }
            return user.handle(wsi, reason, input, length)
        }
        protocols[0].rx_buffer_size = 4096
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(protocols)
        info.options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.gid = -1
        info.uid = -1
        if let caFile { info.client_ssl_ca_filepath = UnsafePointer(caFile) }
        guard let created = api.create_context(&info) else {
            events.push(.disconnected(reason: "libwebsockets could not create its context"))
            return
        }
        context.withLock { $0 = created }
        connect(created)
        while !stopping.withLock({ $0 }) {
            _ = api.service(created, 0)
        }
        context.withLock { $0 = nil }
        api.context_destroy(created)
    }

    private static var library: evsed_lws? { try? Library.shared.api.get() }
    private static func clientOf(_ wsi: OpaquePointer) -> WebSocketClient? {
        guard let api = library, let context = api.get_context(wsi), let user = api.context_user(context) else { return nil }
        return Unmanaged<WebSocketClient>.fromOpaque(user).takeUnretainedValue()
    }

    private func connect(_ context: OpaquePointer) {
        var info = lws_client_connect_info()
        info.context = context
        info.address = UnsafePointer(host)
        info.port = Int32(endpoint.url.port)
        info.path = UnsafePointer(path)
        info.host = info.address
        info.origin = info.address
        info.protocol = UnsafePointer(subprotocol)
        info.ssl_connection = endpoint.url.secure ? Int32(LCCSCF_USE_SSL.rawValue) : 0
        if pingInterval > .zero {
            let seconds = UInt16(clamping: pingInterval.components.seconds)
            retryPolicy.pointee.secs_since_valid_ping = seconds
            retryPolicy.pointee.secs_since_valid_hangup = seconds &* 2 &+ 5
            info.retry_and_idle_policy = UnsafePointer(retryPolicy)
        }
        let failuresBefore = failures
        if api.client_connect_via_info(&info) == nil && failures == failuresBefore {
            // Refused before any callback could say so (CLIENT_CONNECTION_ERROR schedules the next
            // attempt itself): said and scheduled here, once.
            events.push(.disconnected(reason: "the connection could not be started"))
            scheduleReconnect(context)
        }
    }

    private func scheduleReconnect(_ context: OpaquePointer) {
        guard !stopping.withLock({ $0 }) else { return }
        let delay = nextDelay
        nextDelay = min(nextDelay * 2, backoff.maximum)
        let microseconds = delay.components.seconds * 1_000_000 + delay.components.attoseconds / 1_000_000_000_000
        reconnectTimer.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
        api.sul_schedule(context, 0, &reconnectTimer.pointee.sul, { sul in
            guard let sul else { return }
            let timer = UnsafeMutableRawPointer(sul).assumingMemoryBound(to: evsed_lws_timer.self)
            guard let owner = timer.pointee.owner else { return }
            let client = Unmanaged<WebSocketClient>.fromOpaque(owner).takeUnretainedValue()
            guard let context = client.context.withLock({ $0 }) else { return }
            client.connect(context)
        }, microseconds)
    }

    /// libwebsockets' callback, on the service thread.
    private func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            guard let authorization = endpoint.authorization, let input else { return 0 }
            let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
            guard let start = cursor.pointee else { return -1 }
            let end = start + length
            let value = Array(authorization.utf8)
            return api.add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, value, Int32(value.count), cursor, end) == 0 ? 0 : -1
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            connection = wsi
            open.withLock { $0 = true }
            nextDelay = backoff.first
            incoming.removeAll(keepingCapacity: true)
            events.push(.connected)
            if !outgoing.withLock({ $0.isEmpty }) { _ = api.callback_on_writable(wsi) }
        case LWS_CALLBACK_CLIENT_RECEIVE:
            guard let input else { return 0 }
            guard incoming.count + length <= Self.maximumMessageBytes else {
                api.close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nil, 0)
                return -1
            }
            incoming.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
            if api.is_final_fragment(wsi) != 0 && api.remaining_packet_payload(wsi) == 0 {
                // Text frames are UTF-8 (RFC 6455 §5.6); a message that is not is a protocol error.
                guard let text = String(validating: incoming, as: UTF8.self) else {
                    api.close_reason(wsi, LWS_CLOSE_STATUS_INVALID_PAYLOAD, nil, 0)
                    return -1
                }
                incoming.removeAll(keepingCapacity: true)
                events.push(.received(text))
            }
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            guard let text = outgoing.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return 0 }
            let room = evsed_lws_pre()
            var frame = [UInt8](repeating: 0, count: room)
            frame.append(contentsOf: text.utf8)
            let written = frame.withUnsafeMutableBufferPointer { buffer -> Int32 in
                api.write(wsi, buffer.baseAddress! + room, buffer.count - room, LWS_WRITE_TEXT)
            }
            guard written >= 0 else { return -1 }
            if !outgoing.withLock({ $0.isEmpty }) { _ = api.callback_on_writable(wsi) }
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            if let connection, !outgoing.withLock({ $0.isEmpty }) { _ = api.callback_on_writable(connection) }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let why = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "no reason given"
            disconnected(wsi, reason: why)
        case LWS_CALLBACK_CLIENT_CLOSED:
            disconnected(wsi, reason: "closed")
        default:
            break
        }
        return 0
    }

    private func disconnected(_ wsi: OpaquePointer, reason: String) {
        connection = nil
        failures += 1
        open.withLock { $0 = false }
        outgoing.withLock { $0.removeAll() }
        events.push(.disconnected(reason: reason))
        if let context = api.get_context(wsi) { scheduleReconnect(context) }
    }
}

/// Why a WebSocket client could not be made.
public struct WebSocketError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
