import Foundation
import Testing
import Cards
import ConfigFile
import EVSECore
import TestSupport

/// The board's `[cards]` table, and the RFID reader through libnfc against a simulated PN532.
@Suite struct CardSettingsTests {
    static func read(_ text: String) throws(ConfigError) -> CardSettings {
        try CardSettings.read(try ConfigDocument.parse(text, file: "board.toml").table("cards"))
    }

    @Test func aBoardWithoutCardsChargesFreely() throws {
        #expect(try Self.read("") == CardSettings())
        #expect(try Self.read("").mode == .free && CardSettings().reader == nil)
    }

    @Test func theModeTheTimeoutAndTheReaderAreRead() throws {
        let settings = try Self.read("[cards]\nmode = \"same_card\"\nconnection_timeout_s = 30\nreader = \"pn532_i2c\"\nport = \"/dev/i2c-1\"\npoll_interval_ms = 200\n")
        #expect(settings.mode == .sameCard && settings.connectionTimeout == .seconds(30))
        #expect(settings.reader == CardSettings.Reader(driver: .pn532I2C, port: "/dev/i2c-1", pollInterval: .milliseconds(200)))
        #expect(settings.reader?.connectionString == "pn532_i2c:/dev/i2c-1")
    }

    @Test(arguments: [
        ("mode = \"same-card\"", "'same-card' is not a card mode: free, card, same_card"),
        ("reader = \"acr122\"\nport = \"/dev/ttyUSB0\"", "'acr122' is not a reader evsed drives: pn532_uart, pn532_i2c"),
        ("reader = \"pn532_uart\"", "port"),
        ("reader = \"pn532_uart\"\nport = \"ttyAMA0\"", "is not a device path"),
        ("reader = \"pn532_uart\"\nport = \"/dev/ttyAMA0:9600\"", "is not a device path"),
        ("port = \"/dev/ttyAMA0\"", "a port without a reader"),
        ("connection_timeout_s = 0", "connection_timeout_s"),
        ("reader = \"pn532_uart\"\nport = \"/dev/ttyAMA0\"\npoll_interval_ms = 5", "poll_interval_ms"),
        ("mood = \"free\"", "mood"),
    ])
    func aMistakeSaysWhatAndWhere(text: String, expected: String) {
        do {
            _ = try Self.read("[cards]\n" + text + "\n")
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.contains("board.toml"), "\(error)")
        }
    }
}

/// libnfc's pn532_uart driver against `Tests/peers/pn532.py` on a pseudo terminal.
@Suite(.serialized) struct RFIDReaderTests {
    /// Waits for the reader's next report that is not a status line, or the status lines' end.
    static func next(_ reader: RFIDReader, seconds: Double, where accept: (ReaderReport) -> Bool) -> ReaderReport? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            while let report = reader.reports.pop() { if accept(report) { return report } }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    @Test func aCardIsReportedOncePerPresentationAndALostReaderIsSaid() throws {
        let directory = try Peer.scratchDirectory("rfid-reader")
        let cardFile = directory + "/card"
        try "".write(toFile: cardFile, atomically: true, encoding: .utf8)
        let chip = try Peer.pn532(in: directory, cardFile: cardFile)
        defer { chip.stop() }
        let reader = try RFIDReader(settings: .init(driver: .pn532UART, port: chip.address, pollInterval: .milliseconds(50)))
        defer { reader.stop() }
        reader.start()
        #expect(Self.next(reader, seconds: 20) { $0 == .status("rfid reader pn532_uart:\(chip.address) open") } != nil)
        try "04a1b2c3".write(toFile: cardFile, atomically: true, encoding: .utf8)
        #expect(Self.next(reader, seconds: 10) { _ in true } == .card("04A1B2C3"))
        // Still on the reader for ten polls: nothing more.
        #expect(Self.next(reader, seconds: 0.5) { _ in true } == nil)
        // Taken away and presented again: once more. A 10-byte UID is read whole.
        try "".write(toFile: cardFile, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 0.3)
        try "0102030405060708090a".write(toFile: cardFile, atomically: true, encoding: .utf8)
        #expect(Self.next(reader, seconds: 10) { _ in true } == .card("0102030405060708090A"))
        chip.stop()
        let lost = Self.next(reader, seconds: 20) { if case .status(let text) = $0 { text.contains("stopped answering") } else { false } }
        #expect(lost != nil)
    }

    @Test func aReaderThatIsNotThereIsSaidOnceAndTriedAgain() throws {
        let reader = try RFIDReader(settings: .init(driver: .pn532UART, port: "/dev/evsed-no-such-tty", pollInterval: .milliseconds(50)))
        defer { reader.stop() }
        reader.start()
        let report = Self.next(reader, seconds: 20) { _ in true }
        #expect(report == .status("rfid reader pn532_uart:/dev/evsed-no-such-tty: cannot be opened (no PN532 answers there); trying again every 5 s"))
        #expect(Self.next(reader, seconds: 1) { _ in true } == nil, "said once")
    }
}
