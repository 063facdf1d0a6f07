#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD
import EVSECore
import Runtime

/// Why the page cannot be served.
public struct LivePageError: Error, CustomStringConvertible {
    public let description: String
}

/// The owner's live page through libmicrohttpd, a thread per connection (16 at most):
///
/// - `GET /` the page (no external assets), `GET /state` the live document, `GET /events` the
///   same as server-sent events whenever it changes, `GET /sessions` the last sessions and bills;
/// - `POST /action/pause|resume|stop` and `POST /action/limit?amps=N` with
///   `Authorization: Bearer <token>`: made as console commands of "web <client>" (so logged),
///   their answer in the body. Wrong tokens, from any client, make the next try wait 1 s after
///   three, doubling up to 5 minutes, as the console's PIN does.
///
/// libmicrohttpd is opened here (dlopen); the daemon has one owner, this server, which stops it once.
public final class LivePageServer: @unchecked Sendable {
    public typealias Act = @Sendable (_ action: String, _ amps: Double?, _ client: String) -> [String]
    private let api: evsed_mhd
    private let view: LiveView
    private let token: String?
    private let sessions: @Sendable () -> String
    private let act: Act
    private let daemon = Lock<OpaquePointer?>(nil)
    private let stopping = Lock(false)
    private let failures = Lock<(count: Int, blockedUntil: Instant)>((0, .zero))
    private let keyText: String?
    private let certificateText: String?
    public let settings: LivePageSettings

    /// - Parameters:
    ///   - token: the token that allows actions (the token file's first line); nil: none allowed.
    ///   - sessions: the last sessions as a JSON array (read from the ledger on the caller's thread).
    ///   - act: makes an action and returns its answer lines.
    public init(settings: LivePageSettings, view: LiveView, token: String?, sessions: @escaping @Sendable () -> String,
                act: @escaping Act) throws(LivePageError) {
        var api = evsed_mhd()
        guard evsed_mhd_open(&api) != 0 else {
            throw LivePageError(description: "libmicrohttpd cannot be loaded (\(dlerror().map { String(cString: $0) } ?? "a function is missing")): apt install libmicrohttpd12")
        }
        self.api = api
        self.settings = settings
        self.view = view
        self.token = token
        self.sessions = sessions
        self.act = act
        if let certificate = settings.certificate, let key = settings.key {
            guard let certificateText = Self.read(certificate), let keyText = Self.read(key) else {
                throw LivePageError(description: "the page's certificate or key cannot be read (\(certificate), \(key))")
            }
            self.certificateText = certificateText
            self.keyText = keyText
        } else {
            certificateText = nil
            keyText = nil
        }
    }

    /// A small text file's contents (a megabyte at most), or nil.
    public static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 1_000_000 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Listens; throws when the address cannot be taken.
    public func start() throws(LivePageError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        // The function table's address is used only during the call (it must not escape the closure).
        let started = withUnsafePointer(to: api) { api in
            evsed_mhd_start(api, settings.address, settings.port, { context, connection, url, method, _, _, size, state in
                let server = Unmanaged<LivePageServer>.fromOpaque(context!).takeUnretainedValue()
                return server.handle(connection!, url: String(cString: url!), method: String(cString: method!), uploadSize: size!, state: state!)
            }, context, 16, 60, keyText, certificateText)
        }
        guard let started else {
            throw LivePageError(description: "cannot listen on \(settings.address):\(settings.port) (in use, or not this board's address)")
        }
        daemon.withLock { $0 = started }
    }

    /// Ends the event streams and stops the daemon (its threads are joined).
    public func stop() {
        stopping.withLock { $0 = true }
        guard let running = daemon.withLock({ daemon in defer { daemon = nil }; return daemon }) else { return }
        api.stop_daemon(running)
    }

    // MARK: Requests

    private func handle(_ connection: OpaquePointer, url: String, method: String, uploadSize: UnsafeMutablePointer<Int>,
                        state: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        // The first call only announces the request; a body (none is needed) is read and dropped.
        if state.pointee == nil {
            state.pointee = UnsafeMutableRawPointer(bitPattern: 1)
            return .YES
        }
        if uploadSize.pointee > 0 {
            uploadSize.pointee = 0
            return .YES
        }
        let path = url.split(separator: "?").first.map(String.init) ?? url
        switch (method, path) {
        case ("GET", "/"), ("HEAD", "/"):
            return respond(connection, 200, LivePageDocument.html, type: "text/html; charset=utf-8")
        case ("GET", "/state"):
            return respond(connection, 200, view.current.document, type: "application/json")
        case ("GET", "/sessions"):
            return respond(connection, 200, sessions(), type: "application/json")
        case ("GET", "/events"):
            return stream(connection)
        case ("POST", _) where path.hasPrefix("/action/"):
            return action(connection, String(path.dropFirst("/action/".count)))
        case (_, "/"), (_, "/state"), (_, "/sessions"), (_, "/events"):
            return respond(connection, 405, #"{"error":"method not allowed"}"#, type: "application/json")
        default:
            return respond(connection, 404, #"{"error":"no such page"}"#, type: "application/json")
        }
    }

    private func respond(_ connection: OpaquePointer, _ status: UInt32, _ body: String, type: String, headers: [(String, String)] = []) -> MHD_Result {
        var bytes = Array(body.utf8)
        guard let response = bytes.withUnsafeMutableBytes({ api.create_response_from_buffer($0.count, $0.baseAddress, MHD_ResponseMemoryMode(rawValue: 2)! /* MHD_RESPMEM_MUST_COPY */) }) else { return .NO }
        defer { api.destroy_response(response) }
        _ = api.add_response_header(response, "Content-Type", type)
        _ = api.add_response_header(response, "Cache-Control", "no-store")
        _ = api.add_response_header(response, "X-Content-Type-Options", "nosniff")
        _ = api.add_response_header(response, "Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
        for (name, value) in headers { _ = api.add_response_header(response, name, value) }
        return api.queue_response(connection, status, response)
    }

    private func client(_ connection: OpaquePointer) -> String {
        var text = [CChar](repeating: 0, count: 64)
        withUnsafePointer(to: api) { evsed_mhd_client($0, connection, &text, text.count) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An action with the token: throttled, then made; its answer lines as JSON.
    private func action(_ connection: OpaquePointer, _ name: String) -> MHD_Result {
        let now = MonotonicClock.now()
        let blocked = failures.withLock { $0.blockedUntil > now }
        guard !blocked else { return respond(connection, 429, #"{"error":"too many wrong tokens: wait and try again"}"#, type: "application/json") }
        guard let token else {
            return respond(connection, 403, #"{"error":"the page takes no actions: the board file's [page] has no token_file"}"#, type: "application/json")
        }
        let given = api.lookup_connection_value(connection, .HEADER_KIND, "Authorization").map { String(cString: $0) } ?? ""
        guard Self.same(given, "Bearer " + token) else {
            failures.withLock { failures in
                failures.count += 1
                if failures.count >= 3 {
                    let wait = min(300.0, pow(2, Double(failures.count - 3)))
                    failures.blockedUntil = now + .nanoseconds(Int64(wait * 1e9))
                }
            }
            return respond(connection, 401, #"{"error":"a token is needed (Authorization: Bearer …)"}"#, type: "application/json",
                           headers: [("WWW-Authenticate", "Bearer")])
        }
        failures.withLock { $0 = (0, .zero) }
        var amps: Double?
        if name == "limit" {
            let text = api.lookup_connection_value(connection, .GET_ARGUMENT_KIND, "amps").map { String(cString: $0) } ?? ""
            guard let value = Double(text), value.isFinite else {
                return respond(connection, 400, #"{"error":"limit needs amps=N"}"#, type: "application/json")
            }
            amps = value
        }
        guard ["pause", "resume", "stop", "limit"].contains(name) else {
            return respond(connection, 404, #"{"error":"no such action (pause, resume, stop, limit)"}"#, type: "application/json")
        }
        let lines = act(name, amps, client(connection))
        var json = JSONLine()
        json.add("action", name)
        json.add("result", lines.joined(separator: "; "))
        json.add("refused", lines.contains { $0.contains("refused") || $0.contains("queued") })
        return respond(connection, 200, json.description, type: "application/json")
    }

    /// Compares in time that does not depend on where the texts differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) { difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0) }
        return difference == 0
    }

    /// The live document as server-sent events: at once, then at each new version (looked at
    /// every 100 ms), with a comment every 15 s to keep the connection; until the server stops.
    private func stream(_ connection: OpaquePointer) -> MHD_Result {
        let reader = EventStream(view: view, stopping: stopping)
        let context = Unmanaged.passRetained(reader).toOpaque()
        guard let response = api.create_response_from_callback(UInt64.max, 4096, { context, _, buffer, size in
            let reader = Unmanaged<EventStream>.fromOpaque(context!).takeUnretainedValue()
            return reader.next(into: buffer!, size: size)
        }, context, { context in
            Unmanaged<EventStream>.fromOpaque(context!).release()
        }) else {
            Unmanaged<EventStream>.fromOpaque(context).release()
            return .NO
        }
        defer { api.destroy_response(response) }
        _ = api.add_response_header(response, "Content-Type", "text/event-stream")
        _ = api.add_response_header(response, "Cache-Control", "no-store")
        return api.queue_response(connection, 200, response)
    }

    /// One client's event stream, used by its connection's thread only.
    final class EventStream: @unchecked Sendable {
        let view: LiveView
        let stopping: Lock<Bool>
        var sent = -1
        var pending: [UInt8] = []

        init(view: LiveView, stopping: Lock<Bool>) {
            self.view = view
            self.stopping = stopping
        }

        func next(into buffer: UnsafeMutablePointer<CChar>, size: Int) -> Int {
            if pending.isEmpty {
                let deadline = MonotonicClock.now() + .seconds(15)
                while pending.isEmpty {
                    if stopping.withLock({ $0 }) { return -1 }
                    let (version, document) = view.current
                    if version != sent {
                        sent = version
                        pending = Array("data: \(document)\n\n".utf8)
                    } else if MonotonicClock.now() >= deadline {
                        pending = Array(": still here\n\n".utf8)
                    } else {
                        MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(100))
                    }
                }
            }
            let count = min(size, pending.count)
            pending.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            pending.removeFirst(count)
            return count
        }
    }
}
