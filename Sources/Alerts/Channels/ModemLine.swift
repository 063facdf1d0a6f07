#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Runtime

/// The command/answer exchange with a modem on an open descriptor.
final class ModemLine {
    private let descriptor: Int32
    private let device: String
    private var buffer: [UInt8] = []

    init(descriptor: Int32, device: String) {
        self.descriptor = descriptor
        self.device = device
    }

    func discardInput() {
        tcflush(descriptor, TCIFLUSH)
    }

    /// Sends `command` and returns the lines before OK; an ERROR or a timeout throws.
    @discardableResult
    func command(_ command: String, timeout: Duration) throws(DeliveryError) -> [String] {
        try write(command + "\r")
        return try answer(to: command, timeout: timeout)
    }

    /// One SMS: the command, the `> ` prompt, the text and Ctrl-Z, the reference.
    func send(_ text: String, to number: String, timeout: Duration) throws(DeliveryError) {
        let command = "AT+CMGS=\"\(number)\""
        try write(command + "\r")
        try waitForPrompt(after: command, timeout: .seconds(10))
        try write(text + "\u{1A}")
        let lines = try answer(to: "the text to \(number)", timeout: timeout)
        guard lines.contains(where: { $0.hasPrefix("+CMGS:") }) else {
            throw DeliveryError("modem \(device): no +CMGS reference for the SMS to \(number) (answered \(lines.joined(separator: " | ")))")
        }
    }

    private func write(_ text: String) throws(DeliveryError) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR {
                    var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&entry, 1, 1000)
                    continue
                }
                throw DeliveryError("modem \(device): write failed: \(String(cString: strerror(errno)))")
            }
            bytes = bytes.dropFirst(written)
        }
    }

    private func waitForPrompt(after command: String, timeout: Duration) throws(DeliveryError) {
        let deadline = MonotonicClock.now() + timeout
        while true {
            if let index = buffer.firstIndex(of: UInt8(ascii: ">")) {
                buffer.removeSubrange(...index)
                return
            }
            if let lines = finalLines(), let error = lines.last, error != "OK" {
                throw DeliveryError("modem \(device): \(command): \(Self.explain(error))", permanent: Self.isPermanent(error))
            }
            try fill(until: deadline, waitingFor: command)
        }
    }

    private func answer(to what: String, timeout: Duration) throws(DeliveryError) -> [String] {
        let deadline = MonotonicClock.now() + timeout
        while true {
            if let lines = finalLines() {
                let result = lines.last!
                guard result == "OK" else {
                    throw DeliveryError("modem \(device): \(what): \(Self.explain(result))", permanent: Self.isPermanent(result))
                }
                return Array(lines.dropLast())
            }
            try fill(until: deadline, waitingFor: what)
        }
    }

    /// The lines up to a final result code (OK, ERROR, +CMS ERROR, +CME ERROR), taken from the buffer.
    private func finalLines() -> [String]? {
        var lines: [String] = []
        var start = buffer.startIndex
        for index in buffer.indices where buffer[index] == 13 || buffer[index] == 10 {
            defer { start = index + 1 }
            guard index > start else { continue }
            let line = String(decoding: buffer[start..<index], as: UTF8.self)
            lines.append(line)
            if line == "OK" || line == "ERROR" || line.hasPrefix("+CMS ERROR") || line.hasPrefix("+CME ERROR") {
                buffer.removeSubrange(...index)
                return lines
            }
        }
        return nil
    }

    private func fill(until deadline: Instant, waitingFor what: String) throws(DeliveryError) {
        let left = deadline - MonotonicClock.now()
        guard left > .zero else { throw DeliveryError("modem \(device): no answer to \(what) within the time allowed (is the modem on and at the configured baud rate?)") }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, Int32(max(1, min(left.seconds * 1000, 1000))))
        guard ready > 0 else { return }
        if entry.revents & Int16(POLLHUP | POLLERR) != 0 && entry.revents & Int16(POLLIN) == 0 {
            throw DeliveryError("modem \(device): the line hung up")
        }
        var chunk = [UInt8](repeating: 0, count: 512)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { buffer += chunk[..<count] }
        if buffer.count > 65_536 { buffer.removeFirst(buffer.count - 65_536) }
    }

    /// A result code in words (3GPP TS 27.005 §3.2.5 and 27.007 §9.2).
    static func explain(_ result: String) -> String {
        let code = result.split(separator: ":").last.map { $0.filter(\.isNumber) }.flatMap { Int($0) }
        let meaning: String?
        if result.hasPrefix("+CMS ERROR") {
            switch code {
            case 21: meaning = "the network rejected the message"
            case 38: meaning = "network out of order"
            case 42: meaning = "network congestion"
            case 304, 305: meaning = "the modem refused the message's parameters"
            case 310: meaning = "no SIM card"
            case 311: meaning = "the SIM needs its PIN (set sim_pin)"
            case 313: meaning = "SIM failure"
            case 322: meaning = "the SIM's message memory is full"
            case 330: meaning = "the SIM has no SMS centre number (AT+CSCA)"
            case 331: meaning = "no network service (check the antenna and the SIM's contract)"
            case 332: meaning = "the network did not answer in time"
            default: meaning = nil
            }
        } else if result.hasPrefix("+CME ERROR") {
            switch code {
            case 10: meaning = "no SIM card"
            case 11: meaning = "the SIM needs its PIN (set sim_pin)"
            case 12: meaning = "the SIM needs its PUK: it is locked"
            case 16: meaning = "wrong SIM PIN"
            case 30: meaning = "no network service"
            default: meaning = nil
            }
        } else {
            meaning = nil
        }
        return meaning.map { "\(result) (\($0))" } ?? result
    }

    static func isPermanent(_ result: String) -> Bool {
        ["+CME ERROR: 12", "+CME ERROR: 16", "+CMS ERROR: 21"].contains(result)
    }
}
