#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Runtime
import Synchronization

/// Why the console could not be offered.
public struct ConsoleError: Error, CustomStringConvertible {
    public let description: String
}

/// The console on a unix socket: several technicians at once, each with their own line editor,
/// login and output buffer, served by one thread that never blocks on any of them. A console that
/// stops reading is dropped once 64 KiB wait for it, so nothing it does reaches the control loop.
public final class ConsoleServer: @unchecked Sendable {
    public let socketPath: String
    private let backend: any ConsoleBackend
    private let pin: ConsolePIN?
    private let listener: Int32
    private let stopPipe: (read: Int32, write: Int32)
    private let thread = Lock<pthread_t?>(nil)
    private let running = Atomic<Bool>(true)
    public static let maximumClients = 8
    public static let outputLimit = 64 * 1024
    /// A socket console that has not logged in is closed after this long without a key, and
    /// gives way to a new one when all places are taken: idle connections lock nobody out.
    public let idleTimeout: Duration
    private let clock: any MonotonicTime
    /// The wrong PINs of all consoles together.
    private let throttle = PINThrottle()
    /// Where problems the technician should hear of go (a serial console's device missing).
    private let report: @Sendable (String) -> Void

    private final class Client {
        var descriptor: Int32
        /// The serial device of a console on a serial port (reopened when it goes away), or nil.
        let serialPath: String?
        var editor = LineEditor()
        var session: ConsoleSession
        var output: [UInt8] = []
        var closing = false
        /// The other end went away (the socket closed, the serial device vanished).
        var lost = false
        /// `watch`: the command shown again every second, until a key is pressed.
        var watching: ParsedCommand?
        var watchedAt: Instant = .zero
        /// The last key typed (or the connection's start).
        var lastActivity: Instant = .zero

        init(descriptor: Int32, session: ConsoleSession, serialPath: String? = nil) {
            self.descriptor = descriptor
            self.session = session
            self.serialPath = serialPath
            editor.completions = { ConsoleLanguage.completions(for: $0) }
        }

        func say(_ lines: [String]) {
            for line in lines { output += Array((line + "\r\n").utf8) }
        }

        func prompt() { output += Array("evsed> ".utf8) }
    }

    private let serialPorts: [String]

    /// Listens on `socketPath` (mode 0660; a stale socket there is replaced, any other file is not),
    /// and serves a console on each of `serialPorts` (115200 8N1, raw: evsed edits the line).
    /// - Parameter socketGroup: the group given the socket (the daemon must be a member), so its
    ///   members may connect; nil keeps the daemon's own group.
    /// - Parameter report: told of a serial console whose device cannot be opened (once, and
    ///   again when it comes back), off the caller's thread.
    /// - Parameter clock: times the idle timeout, the PIN throttle and the serial ports' retries.
    public init(socketPath: String, serialPorts: [String] = [], pin: ConsolePIN?, socketGroup: String? = nil,
                backend: any ConsoleBackend, idleTimeout: Duration = .seconds(60), clock: any MonotonicTime = MonotonicClock(),
                report: @escaping @Sendable (String) -> Void = { _ in }) throws(ConsoleError) {
        self.socketPath = socketPath
        self.idleTimeout = idleTimeout
        self.clock = clock
        self.serialPorts = serialPorts
        self.pin = pin
        self.backend = backend
        self.report = report
        var status = stat()
        if lstat(socketPath, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw ConsoleError(description: "\(socketPath): exists and is not a socket; not replaced")
            }
            unlink(socketPath)
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ConsoleError(description: "socket: \(String(cString: strerror(errno)))") }
        guard let address = UnixSocketAddress(socketPath) else {
            close(descriptor)
            throw ConsoleError(description: "\(socketPath): path too long for a unix socket")
        }
        let bound = address.withSocketAddress { bind(descriptor, $0, $1) }
        guard bound == 0, chmod(socketPath, 0o660) == 0, listen(descriptor, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ConsoleError(description: "\(socketPath): \(reason)")
        }
        if let socketGroup {
            guard let group = getgrnam(socketGroup) else {
                close(descriptor)
                unlink(socketPath)
                throw ConsoleError(description: "\(socketPath): no group '\(socketGroup)' (socket_group in the board's [console] table)")
            }
            guard chown(socketPath, uid_t.max, group.pointee.gr_gid) == 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(socketPath)
                throw ConsoleError(description: "\(socketPath): cannot give it to group '\(socketGroup)': \(reason) (evsed must be a member)")
            }
        }
        listener = descriptor
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            close(descriptor)
            throw ConsoleError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        stopPipe = (ends[0], ends[1])
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        pthread_create(&handle, nil, { argument in
            let server = Unmanaged<ConsoleServer>.fromOpaque(argument!).takeRetainedValue()
            server.serve()
            return nil
        }, context)
        thread.withLock { $0 = handle }
    }

    /// Stops serving, closes every console and removes the socket.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 0
        _ = write(stopPipe.write, &byte, 1)
        if let handle = thread.withLock({ $0 }) { pthread_join(handle, nil) }
        close(listener)
        close(stopPipe.read)
        close(stopPipe.write)
        unlink(socketPath)
    }

    private func serve() {
        var clients: [Client] = []
        var number = 0
        var nextSerialAttempt = [Instant](repeating: .zero, count: serialPorts.count)
        var serialProblem = [String?](repeating: nil, count: serialPorts.count)
        while running.load(ordering: .acquiring) {
            // Serial consoles are always there; one that went away (a USB gadget unplugged) is
            // opened again every 2 s, and said once to be missing, not retried in silence.
            for (index, path) in serialPorts.enumerated() where !clients.contains(where: { $0.serialPath == path }) {
                let now = clock.now()
                guard now >= nextSerialAttempt[index] else { continue }
                nextSerialAttempt[index] = now + .seconds(2)
                let descriptor: Int32
                do throws(SerialPortError) {
                    descriptor = try RawSerialPort.open(path, baudRate: 115_200)
                } catch {
                    if serialProblem[index] == nil { report("\(error); tried again every 2 s") }
                    serialProblem[index] = error.problem
                    continue
                }
                if serialProblem[index] != nil { report("\(path): open again") }
                serialProblem[index] = nil
                let name = "serial " + (path.split(separator: "/").last.map(String.init) ?? path)
                let client = Client(descriptor: descriptor, session: ConsoleSession(name: name, pin: pin, throttle: throttle), serialPath: path)
                client.say(["", "evsed console (\(name)); help lists the commands"])
                client.prompt()
                clients.append(client)
            }
            var descriptors = [pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for client in clients {
                descriptors.append(pollfd(fd: client.descriptor, events: Int16(POLLIN) | (client.output.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
            }
            guard poll(&descriptors, nfds_t(descriptors.count), 1000) >= 0 || errno == EINTR else { break }
            if descriptors[0].revents != 0 { break }
            if descriptors[1].revents & Int16(POLLIN) != 0 {
                let accepted = accept(listener, nil, nil)
                if accepted >= 0 {
                    _ = fcntl(accepted, F_SETFL, fcntl(accepted, F_GETFL) | O_NONBLOCK)
                    _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
                    number += 1
                    let client = Client(descriptor: accepted, session: ConsoleSession(name: "socket #\(number)", pin: pin, throttle: throttle))
                    client.lastActivity = clock.now()
                    let sockets = clients.filter { $0.serialPath == nil && !$0.closing }
                    if sockets.count >= Self.maximumClients,
                       let idlest = sockets.filter({ !$0.session.isLoggedIn(at: client.lastActivity) }).min(by: { $0.lastActivity < $1.lastActivity }) {
                        // Every place taken: the longest idle console that never logged in makes room.
                        idlest.say(["", "closed: another console needed the place, and this one had not logged in"])
                        idlest.closing = true
                    }
                    if sockets.count >= Self.maximumClients && !sockets.contains(where: { $0.closing }) {
                        client.say(["evsed: \(Self.maximumClients) consoles are open already; try again later"])
                        client.closing = true
                    } else {
                        client.say(["evsed console (\(client.session.name)); help lists the commands"])
                        client.prompt()
                    }
                    clients.append(client)
                }
            }
            // Consoles accepted just now (at the end of the list) were not polled yet.
            let now = clock.now()
            for client in clients where client.serialPath == nil && !client.closing && client.watching == nil
                && !client.session.isLoggedIn(at: now) && now - client.lastActivity >= idleTimeout {
                client.say(["", "closed after \(Int(idleTimeout.seconds)) s without a login or a key"])
                client.closing = true
            }
            for client in clients where client.watching != nil && now - client.watchedAt >= .seconds(1) && client.output.count < 4096 {
                client.watchedAt = now
                // Clear the screen, then the answer again.
                client.output += Array("\u{1b}[H\u{1b}[2J".utf8)
                client.say(backend.execute(client.watching!, console: client.session.name) + ["(any key stops)"])
            }
            for (index, client) in clients.prefix(descriptors.count - 2).enumerated() {
                let events = descriptors[index + 2].revents
                if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 { receive(client) }
                if events & Int16(POLLOUT) != 0 || !client.output.isEmpty { send(client) }
            }
            for client in clients where client.serialPath != nil && client.closing && client.output.isEmpty && client.descriptor >= 0 && !client.lost {
                // Logging out of a serial console starts a fresh session on the same port.
                client.closing = false
                client.session = ConsoleSession(name: client.session.name, pin: pin, throttle: throttle)
                client.editor = LineEditor()
                client.editor.completions = { ConsoleLanguage.completions(for: $0) }
                client.say(["", "evsed console (\(client.session.name)); help lists the commands"])
                client.prompt()
            }
            clients.removeAll { client in
                let done = client.closing && client.output.isEmpty || client.output.count > Self.outputLimit
                if done { close(client.descriptor) }
                return done
            }
        }
        for client in clients { close(client.descriptor) }
    }

    private func receive(_ client: Client) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(client.descriptor, $0.baseAddress, $0.count) }
        if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
            client.closing = true
            client.lost = true
            client.output.removeAll()
            return
        }
        guard count > 0, !client.closing else { return }
        client.lastActivity = clock.now()
        // Line by line: what a line's answer changes (a PIN prompt masks the echo) applies to the
        // bytes typed after it, even when they arrived in the same read.
        var start = 0
        if client.watching != nil {
            // A key ends `watch`; that key is not taken as input, what follows it is.
            client.watching = nil
            client.prompt()
            start = 1
        }
        var invalidReported = false
        while start < count, !client.closing {
            var end = start
            while end < count && buffer[end] != 0x0d && buffer[end] != 0x0a && buffer[end] != 0x03 && buffer[end] != 0x04 { end += 1 }
            end = min(end + 1, count)
            let (echo, events) = client.editor.feed(buffer[start..<end])
            client.output += echo
            start = end
            for event in events {
                handle(event, for: client, invalidReported: &invalidReported)
                if client.closing { return }
            }
        }
    }

    private func handle(_ event: LineEditor.Event, for client: Client, invalidReported: inout Bool) {
        switch event {
        case .line(let line):
            let reply = client.session.handle(line, at: clock.now(), backend: backend)
            client.say(reply.lines)
            client.editor.masked = reply.masked
            if let watch = reply.watch {
                client.watching = watch
                client.watchedAt = clock.now()
                client.say(["(any key stops)"])
                return
            }
            if reply.closes {
                client.closing = true
                return
            }
            if !reply.masked { client.prompt() }
        case .cancelled:
            client.editor.masked = false
            client.prompt()
        case .endOfInput:
            client.say(["bye"])
            client.closing = true
        case .lineTooLong:
            client.say(["that line was longer than \(client.editor.maximumLength) characters; dropped"])
            client.prompt()
        case .invalidInput:
            if !invalidReported { client.say(["bytes that are not UTF-8 text were dropped"]) }
            invalidReported = true
        }
    }

    private func send(_ client: Client) {
        guard !client.output.isEmpty else { return }
        // MSG_NOSIGNAL: a console that went away is an error here, not a SIGPIPE for the daemon.
        let written = client.output.withUnsafeBytes { bytes in
            client.serialPath == nil
                ? Glibc.send(client.descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
                : write(client.descriptor, bytes.baseAddress, bytes.count)
        }
        if written > 0 {
            client.output.removeFirst(written)
        } else if written < 0 && errno != EAGAIN && errno != EINTR {
            client.output.removeAll()
            client.closing = true
            client.lost = true
        }
    }
}
