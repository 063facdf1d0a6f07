#if canImport(Glibc)
import Glibc
#endif

/// Writes lines to a file descriptor with one `write(2)` per buffer, not per character.
final class LineWriter: @unchecked Sendable {
    // Unchecked: used from one thread at a time (the main thread, or the log thread of `run`).
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    static let standardOutput = LineWriter(descriptor: 1)
    static let standardError = LineWriter(descriptor: 2)

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Appends `line` and a newline; flushes when the buffer passes 16 KiB (stderr: at once).
    func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count > 16 * 1024 || descriptor == 2 { flush() }
    }

    /// Appends `text` as is and flushes (status lines that rewrite themselves).
    func writeNow(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        flush()
    }

    func flush() {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                break  // A closed pipe: nothing more to say.
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
