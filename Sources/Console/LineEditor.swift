/// The technician's line editing, done by evsed itself so it behaves the same on a serial port,
/// a USB gadget and a unix socket: echo, backspace, Ctrl-C cancels the line, Ctrl-D on an empty
/// line logs out, ← → move, ↑ ↓ walk the history, Tab completes. Pure: bytes in, bytes to echo
/// and events out.
///
/// Bad input is contained: a line longer than `maximumLength` is dropped (with an event saying
/// so), bytes that are not UTF-8 are dropped, and escape sequences it does not know are ignored.
public struct LineEditor: Sendable {
    /// What a feed of bytes produced.
    public enum Event: Hashable, Sendable {
        /// A line was entered (Enter).
        case line(String)
        /// Ctrl-C: the line was cancelled.
        case cancelled
        /// Ctrl-D on an empty line: the technician leaves.
        case endOfInput
        /// The line grew past `maximumLength` and was dropped.
        case lineTooLong
        /// Bytes that are not UTF-8 were dropped.
        case invalidInput
    }

    public static let defaultMaximumLength = 256
    public let maximumLength: Int
    public let historyLimit: Int
    /// Echo `*` for each character and keep the line out of the history (a PIN).
    public var masked = false
    /// Candidates for Tab: given the text before the cursor, the words that may complete it.
    public var completions: @Sendable (String) -> [String] = { _ in [] }

    public private(set) var text: [Character] = []
    public private(set) var cursor = 0
    public private(set) var history: [String] = []
    private var historyIndex: Int?
    private var escape: [UInt8]?
    private var pending: [UInt8] = []
    private var overflowed = false
    private var lastWasCarriageReturn = false

    public init(maximumLength: Int = LineEditor.defaultMaximumLength, historyLimit: Int = 50) {
        self.maximumLength = maximumLength
        self.historyLimit = historyLimit
    }

    /// The line as typed so far.
    public var line: String { String(text) }

    /// Feeds bytes from the terminal; returns what to echo and what happened.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> (echo: [UInt8], events: [Event]) {
        var echo: [UInt8] = []
        var events: [Event] = []
        for byte in bytes { handle(byte, echo: &echo, events: &events) }
        return (echo, events)
    }

    private mutating func handle(_ byte: UInt8, echo: inout [UInt8], events: inout [Event]) {
        let carriageReturnBefore = lastWasCarriageReturn
        lastWasCarriageReturn = byte == 0x0d
        if var sequence = escape {
            sequence.append(byte)
            // ESC [ parameters… final byte (0x40–0x7e); ESC O x (application cursor keys).
            if sequence.count == 2 && byte != UInt8(ascii: "[") && byte != UInt8(ascii: "O") {
                escape = nil
            } else if sequence.count > 2 && (0x40...0x7e).contains(byte) {
                escape = nil
                cursorKey(byte, echo: &echo)
            } else if sequence.count > 16 {
                escape = nil
            } else {
                escape = sequence
            }
            return
        }
        switch byte {
        case 0x1b:
            escape = [byte]
        case 0x0d, 0x0a:
            // CR LF (or LF after CR) is one Enter.
            if byte == 0x0a && carriageReturnBefore { return }
            echo += Array("\r\n".utf8)
            if overflowed {
                overflowed = false
                events.append(.lineTooLong)
            } else {
                let entered = line
                if !entered.allSatisfy(\.isWhitespace) && !masked { remember(entered) }
                events.append(.line(entered))
            }
            clear()
        case 0x03:
            echo += Array("^C\r\n".utf8)
            clear()
            overflowed = false
            events.append(.cancelled)
        case 0x04:
            if text.isEmpty && !overflowed { events.append(.endOfInput) }
        case 0x7f, 0x08:
            guard cursor > 0 else { return }
            text.remove(at: cursor - 1)
            cursor -= 1
            echo += [0x08]
            redrawFromCursor(echo: &echo, erased: 1)
        case 0x09:
            if !masked { complete(echo: &echo) }
        case 0x15:
            // Ctrl-U: the whole line goes.
            replaceLine(with: "", echo: &echo)
        case 0x00..<0x20:
            break
        default:
            pending.append(byte)
            decodePending(echo: &echo, events: &events)
        }
    }

    /// Decodes the UTF-8 bytes gathered so far into characters; drops what cannot be UTF-8.
    private mutating func decodePending(echo: inout [UInt8], events: inout [Event]) {
        guard let first = pending.first else { return }
        let expected = first < 0x80 ? 1 : first >> 5 == 0b110 ? 2 : first >> 4 == 0b1110 ? 3 : first >> 3 == 0b11110 ? 4 : 0
        guard expected > 0 else {
            pending.removeAll()
            events.append(.invalidInput)
            return
        }
        guard pending.count >= expected else { return }
        let bytes = pending
        pending.removeAll()
        guard let decoded = String(validating: bytes, as: UTF8.self), let character = decoded.first else {
            events.append(.invalidInput)
            return
        }
        insert(character, echo: &echo)
    }

    private mutating func insert(_ character: Character, echo: inout [UInt8]) {
        guard !overflowed else { return }
        guard text.count < maximumLength else {
            overflowed = true
            return
        }
        text.insert(character, at: cursor)
        cursor += 1
        echo += masked ? [UInt8(ascii: "*")] : Array(String(character).utf8)
        if !masked { redrawFromCursor(echo: &echo, erased: 0) }
    }

    /// Rewrites the text after the cursor (after an insert or a delete in the middle) and moves
    /// the terminal's cursor back to where ours is.
    private func redrawFromCursor(echo: inout [UInt8], erased: Int) {
        let tail = text[cursor...]
        guard !tail.isEmpty || erased > 0 else { return }
        echo += Array(String(tail).utf8)
        echo += [UInt8](repeating: UInt8(ascii: " "), count: erased)
        echo += [UInt8](repeating: 0x08, count: tail.count + erased)
    }

    private mutating func cursorKey(_ key: UInt8, echo: inout [UInt8]) {
        switch key {
        case UInt8(ascii: "A"):
            guard !history.isEmpty else { return }
            let index = max(0, (historyIndex ?? history.count) - 1)
            historyIndex = index
            replaceLine(with: history[index], echo: &echo)
        case UInt8(ascii: "B"):
            guard let index = historyIndex else { return }
            if index + 1 < history.count {
                historyIndex = index + 1
                replaceLine(with: history[index + 1], echo: &echo)
            } else {
                historyIndex = nil
                replaceLine(with: "", echo: &echo)
            }
        case UInt8(ascii: "C"):
            guard cursor < text.count else { return }
            echo += Array(String(text[cursor]).utf8)
            cursor += 1
        case UInt8(ascii: "D"):
            guard cursor > 0 else { return }
            cursor -= 1
            echo += [0x08]
        default:
            break
        }
    }

    private mutating func replaceLine(with replacement: String, echo: inout [UInt8]) {
        echo += [UInt8](repeating: 0x08, count: cursor)
        let old = text.count
        text = Array(replacement)
        cursor = text.count
        echo += Array(replacement.utf8)
        if old > text.count {
            echo += [UInt8](repeating: UInt8(ascii: " "), count: old - text.count)
            echo += [UInt8](repeating: 0x08, count: old - text.count)
        }
    }

    private mutating func complete(echo: inout [UInt8]) {
        let before = String(text[..<cursor])
        let candidates = completions(before)
        guard !candidates.isEmpty else { return }
        let word = before.split(separator: " ", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        // The longest prefix the candidates share; with one candidate, the word and a space.
        var common = candidates[0]
        for candidate in candidates.dropFirst() {
            common = String(zip(common, candidate).prefix { $0 == $1 }.map(\.0))
        }
        let addition = String(common.dropFirst(word.count)) + (candidates.count == 1 ? " " : "")
        for character in addition { insert(character, echo: &echo) }
        if candidates.count > 1 && addition.isEmpty {
            // Show the choices, then the line again.
            echo += Array(("\r\n" + candidates.joined(separator: "  ") + "\r\n").utf8)
            echo += Array(line.utf8)
            echo += [UInt8](repeating: 0x08, count: text.count - cursor)
        }
    }

    private mutating func remember(_ entered: String) {
        if history.last != entered { history.append(entered) }
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
    }

    private mutating func clear() {
        text.removeAll()
        cursor = 0
        historyIndex = nil
        pending.removeAll()
    }
}
