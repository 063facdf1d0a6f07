import Console
import Testing

/// Line editing as a technician's terminal drives it: bytes in, echo and lines out.
@Suite struct LineEditorTests {
    func type(_ text: String, into editor: inout LineEditor) -> (echo: String, events: [LineEditor.Event]) {
        let result = editor.feed(Array(text.utf8))
        return (String(decoding: result.echo, as: UTF8.self), result.events)
    }

    @Test func typedCharactersAreEchoedAndEnterGivesTheLine() {
        var editor = LineEditor()
        let result = type("status\r", into: &editor)
        #expect(result.echo == "status\r\n")
        #expect(result.events == [.line("status")])
        // CR LF from a terminal program is one Enter, not an empty line after it.
        #expect(type("faults\r\nlog\n", into: &editor).events == [.line("faults"), .line("log")])
    }

    @Test func backspaceErasesAndTheTerminalIsToldSo() {
        var editor = LineEditor()
        let result = type("statx\u{7f}us\r", into: &editor)
        #expect(result.events == [.line("status")])
        #expect(result.echo.contains("\u{8} \u{8}"))
        // Backspace on an empty line does nothing.
        #expect(type("\u{7f}\u{7f}\r", into: &editor).events == [.line("")])
    }

    @Test func ctrlCCancelsTheLineAndCtrlDOnAnEmptyLineLogsOut() {
        var editor = LineEditor()
        #expect(type("stop\u{3}", into: &editor).events == [.cancelled])
        #expect(editor.line.isEmpty)
        #expect(type("abc\u{4}", into: &editor).events.isEmpty)
        #expect(type("\u{15}\u{4}", into: &editor).events == [.endOfInput])
    }

    @Test func arrowsWalkTheHistoryAndMoveTheCursor() {
        var editor = LineEditor()
        _ = type("status\rfaults\r", into: &editor)
        #expect(type("\u{1b}[A\r", into: &editor).events == [.line("faults")])
        #expect(type("\u{1b}[A\u{1b}[A\r", into: &editor).events == [.line("status")])
        // ← twice, then a character goes in the middle.
        #expect(type("lmit\u{1b}[D\u{1b}[D\u{1b}[Di\r", into: &editor).events == [.line("limit")])
        // ↓ past the newest gives an empty line back.
        #expect(type("\u{1b}[A\u{1b}[B\r", into: &editor).events == [.line("")])
    }

    @Test func tabCompletesFromTheLanguage() {
        var editor = LineEditor()
        editor.completions = { ConsoleLanguage.completions(for: $0) }
        #expect(type("stat\t\r", into: &editor).events == [.line("status ")])
        #expect(type("test c\t\r", into: &editor).events == [.line("test contactor ")])
        // Two candidates: the shared prefix, then the choices on a second Tab.
        let choices = type("se\t", into: &editor)
        #expect(editor.line == "session")
        #expect(type("\t", into: &editor).echo.contains("session  sessions"))
        _ = choices
    }

    @Test func anOverlongLineIsDroppedWithAnEvent() {
        var editor = LineEditor(maximumLength: 16)
        let result = type(String(repeating: "x", count: 40) + "\r", into: &editor)
        #expect(result.events == [.lineTooLong])
        #expect(type("status\r", into: &editor).events == [.line("status")])
    }

    @Test func bytesThatAreNotUTF8AreDroppedAndUnknownEscapesIgnored() {
        var editor = LineEditor()
        let result = editor.feed([0xff, 0xfe] + Array("ok".utf8) + [0xc3] + Array("\u{1b}[15~\u{1b}[99;99H\r".utf8))
        #expect(result.events.contains(.invalidInput))
        #expect(result.events.last == .line("ok"))
        #expect(type("température\r", into: &editor).events == [.line("température")])
    }

    @Test func aFloodOfInputNeverGrowsTheLinePastItsLimit() {
        var editor = LineEditor()
        let flood = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let result = editor.feed(flood)
        #expect(editor.line.count == LineEditor.defaultMaximumLength)
        #expect(result.events.isEmpty)
        #expect(editor.feed(Array("\r".utf8)).events == [.lineTooLong])
    }
}
