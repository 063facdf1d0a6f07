import Foundation
import Testing

/// The technician's end of a console: what is typed, and the screen as it fills up (bytes as
/// received, escape sequences and all).
public final class TerminalScreen {
    public let descriptor: Int32
    public private(set) var screen = ""

    /// Takes over `descriptor` (closed with this screen).
    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The far end of a serial line (a pseudo terminal).
    public convenience init(serial path: String) throws {
        let descriptor = open(path, O_RDWR | O_NOCTTY)
        guard descriptor >= 0 else { throw POSIXError(.ENOENT) }
        self.init(descriptor: descriptor)
    }

    deinit { close(descriptor) }

    public func type(_ text: String) { send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }

    /// Reads until `needle` is on the screen (the machine may be busy: up to `seconds`).
    @discardableResult
    public func waitFor(_ needle: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !screen.contains(needle) && Date() < deadline {
            var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            guard poll(&descriptors, 1, 100) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            screen += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return screen.contains(needle)
    }

    /// Types `input` and expects each of `answers` on the screen after it (20 s each at most).
    public func says(_ input: String, _ answers: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        clear()
        type(input)
        for answer in answers {
            #expect(waitFor(answer, seconds: 20), "after \(input.debugDescription) the screen did not show '\(answer)':\n\(screen)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Forgets what was read, so the next wait sees only what comes after.
    public func clear() { screen = "" }
}
