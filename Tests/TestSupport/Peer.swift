import Foundation

/// A real server for a test, on loopback: one of the scripts in Tests/peers (SMTP through aiosmtpd
/// in Tests/peers/.venv, HTTP, a GSM modem on a pseudo terminal) or Debian's mosquitto. Each
/// keeps what it received in `received` (JSON lines, or mosquitto_sub's "topic payload" lines).
/// It is stopped when the test lets go of it.
public final class Peer: @unchecked Sendable {
    public let directory: String
    /// The port (or, for the modem, the device path) it listens on.
    public private(set) var address = ""
    public let received: String
    private var processes: [Process] = []
    private let lock = NSLock()

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A fresh directory for a test's peers and files.
    public static func scratchDirectory(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "evsed-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private init(directory: String, received: String) {
        self.directory = directory
        self.received = received
    }

    /// The Python of Tests/peers/.venv (made by `make test`), for the SMTP server.
    static var venvPython: String { repositoryRoot + "/Tests/peers/.venv/bin/python" }

    /// An SMTP server; `tls` is "starttls", "tls" or nil; `auth` "USER:PASSWORD" or nil.
    public static func smtp(in directory: String, port: Int? = nil, tls: String? = nil, auth: String? = nil) throws -> Peer {
        let peer = Peer(directory: directory, received: directory + "/mails.jsonl")
        var arguments = [repositoryRoot + "/Tests/peers/smtp_sink.py", "--out", peer.received]
        if let port { arguments += ["--port", "\(port)"] }
        if let tls {
            let (certificate, key) = try certificate(in: directory)
            arguments += ["--\(tls)", certificate, key]
        }
        if let auth { arguments += ["--auth", auth] }
        guard FileManager.default.isExecutableFile(atPath: venvPython) else {
            throw Failure(description: "\(venvPython) is missing: `make test` makes it (python3 -m venv Tests/peers/.venv; pip install aiosmtpd)")
        }
        try peer.launch(venvPython, arguments)
        return peer
    }

    /// An OCPP 1.6J central system (Tests/peers/csms.py, the `ocpp` package) on `port`; `options`
    /// are its own (--boot Pending,Accepted, --auth USER:KEY, --tls CERT KEY, …). It appends to
    /// `directory`/csms.jsonl, across restarts; `call(_:_:)` sends it a CALL for the charge point.
    public static func centralSystem(in directory: String, port: Int, options: [String] = []) throws -> Peer {
        let peer = Peer(directory: directory, received: directory + "/csms.jsonl")
        guard FileManager.default.isExecutableFile(atPath: venvPython) else {
            throw Failure(description: "\(venvPython) is missing: `make test` makes it (python3 -m venv Tests/peers/.venv; pip install ocpp websockets)")
        }
        try peer.launch(venvPython, [repositoryRoot + "/Tests/peers/csms.py", "--port", "\(port)", "--out", peer.received,
                                     "--inbox", directory + "/csms-inbox"] + options)
        return peer
    }

    /// Has the central system send `action` with `payload` (JSON) to the connected charge point;
    /// its answer arrives in `received` as {"type": "result", "action": …}.
    public func call(_ action: String, _ payload: String) throws {
        let inbox = directory + "/csms-inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let name = String(format: "%.6f", Date().timeIntervalSince1970)
        try #"{"action": "\#(action)", "payload": \#(payload)}"#.write(toFile: inbox + "/\(name).tmp", atomically: true, encoding: .utf8)
        try FileManager.default.moveItem(atPath: inbox + "/\(name).tmp", toPath: inbox + "/\(name).json")
    }

    /// An HTTP server that answers `status` to every POST.
    public static func http(in directory: String, port: Int? = nil, status: Int = 200) throws -> Peer {
        let peer = Peer(directory: directory, received: directory + "/http-\(UUID().uuidString.prefix(4)).jsonl")
        var arguments = [repositoryRoot + "/Tests/peers/http_sink.py", "--out", peer.received, "--status", "\(status)"]
        if let port { arguments += ["--port", "\(port)"] }
        try peer.launch("/usr/bin/env", ["python3"] + arguments)
        return peer
    }

    /// The push services' keys the tests use: what `pushServices` accepts.
    public enum PushKeys {
        public static let ntfyToken = "tk_evsedtests0000000000000000"
        public static let pushoverToken = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
        public static let pushoverUser = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
        public static let telegramToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
        public static let telegramChat = "987654321"
    }

    /// ntfy, Pushover and Telegram on loopback, checking each request as the services document
    /// them (`Tests/peers/push_services.py`); with `protectedNtfy` the ntfy topic needs the token.
    public static func pushServices(in directory: String, protectedNtfy: Bool = false) throws -> Peer {
        let peer = Peer(directory: directory, received: directory + "/push-\(UUID().uuidString.prefix(4)).jsonl")
        var arguments = [repositoryRoot + "/Tests/peers/push_services.py", "--out", peer.received,
                         "--pushover-token", PushKeys.pushoverToken, "--pushover-user", PushKeys.pushoverUser,
                         "--telegram-token", PushKeys.telegramToken, "--telegram-chat", PushKeys.telegramChat]
        if protectedNtfy { arguments += ["--ntfy-token", PushKeys.ntfyToken] }
        try peer.launch("/usr/bin/env", ["python3"] + arguments)
        return peer
    }

    /// An NXP PN532 NFC controller on a pseudo terminal (its path is `address`), for libnfc's
    /// `pn532_uart` driver; the card on it is the UID in hex written to `cardFile` (empty: none).
    public static func pn532(in directory: String, cardFile: String) throws -> Peer {
        let peer = Peer(directory: directory, received: directory + "/pn532-\(UUID().uuidString.prefix(4)).jsonl")
        try peer.launch("/usr/bin/env", ["python3", repositoryRoot + "/Tests/peers/pn532.py", "--card", cardFile, "--out", peer.received])
        return peer
    }

    /// A GSM modem on a pseudo terminal; `error` makes it refuse every SMS with +CMS ERROR.
    public static func modem(in directory: String, pin: String? = nil, error: String? = nil) throws -> Peer {
        let peer = Peer(directory: directory, received: directory + "/sms.jsonl")
        var arguments = [repositoryRoot + "/Tests/peers/modem.py", "--link", directory + "/modem", "--out", peer.received]
        if let pin { arguments += ["--pin", pin] }
        if let error { arguments += ["--error", error] }
        try peer.launch("/usr/bin/env", ["python3"] + arguments)
        return peer
    }

    /// Debian's mosquitto on a free loopback port, with a mosquitto_sub that records every topic;
    /// with `credentials` only that account may connect (a password file made by mosquitto_passwd).
    public static func mosquitto(in directory: String, port: Int? = nil, credentials: (user: String, password: String)? = nil) throws -> Peer {
        let peer = Peer(directory: directory, received: directory + "/mqtt.txt")
        let port = port ?? freePort()
        let configuration = directory + "/mosquitto-\(port).conf"
        var text = "listener \(port) 127.0.0.1\npersistence false\n"
        if let credentials {
            let passwords = directory + "/mosquitto-\(port).passwd"
            let make = Process()
            make.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_passwd")
            make.arguments = ["-c", "-b", passwords, credentials.user, credentials.password]
            make.standardOutput = FileHandle.nullDevice
            make.standardError = FileHandle.nullDevice
            try make.run()
            make.waitUntilExit()
            text += "allow_anonymous false\npassword_file \(passwords)\n"
        } else {
            text += "allow_anonymous true\n"
        }
        try text.write(toFile: configuration, atomically: true, encoding: .utf8)
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        broker.arguments = ["-c", configuration]
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        peer.processes.append(broker)
        peer.address = "\(port)"
        // The subscriber connects once the broker listens.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if canConnect(port: port) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        _ = FileManager.default.createFile(atPath: peer.received, contents: nil)
        let subscriber = Process()
        subscriber.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        subscriber.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", "#", "-v", "-q", "1"]
            + (credentials.map { ["-u", $0.user, "-P", $0.password] } ?? [])
        subscriber.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: peer.received))
        subscriber.standardError = FileHandle.nullDevice
        try subscriber.run()
        peer.processes.append(subscriber)
        Thread.sleep(forTimeInterval: 0.3)
        return peer
    }

    /// A self-signed certificate for 127.0.0.1 and localhost (openssl), made once per directory.
    public static func certificate(in directory: String) throws -> (certificate: String, key: String) {
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        if FileManager.default.fileExists(atPath: certificate) { return (certificate, key) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
                             "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw Failure(description: "openssl could not make a test certificate") }
        return (certificate, key)
    }

    /// A TCP port nobody listens on now.
    public static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private func launch(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        // "listening ADDRESS" once it serves.
        var line = Data()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte == Data([10]) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening ") else {
            stop()
            throw Failure(description: "\(arguments.first ?? executable) did not start (\(text.isEmpty ? "no output" : text))")
        }
        address = String(text.dropFirst("listening ".count))
    }

    /// The JSON lines received so far.
    public func messages() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: received, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// mosquitto_sub's lines so far.
    public func lines() -> [String] {
        ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until `count` messages arrived (the daemon delivers on its own threads).
    @discardableResult
    public func wait(forMessages count: Int, seconds: Double, lines useLines: Bool = false) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (useLines ? lines().count : messages().count) >= count { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (useLines ? lines().count : messages().count) >= count
    }

    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        // SIGKILL: a child inherits the test thread's signal mask, which may block SIGTERM. The peers
        // write each message out as it comes, so nothing they received is lost.
        for process in processes.reversed() where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes = []
    }

    deinit { stop() }
}
