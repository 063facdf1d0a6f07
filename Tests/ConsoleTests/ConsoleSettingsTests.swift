import ConfigFile
import Console
import Foundation
import Testing

/// The board file's [console] table.
@Suite struct ConsoleSettingsTests {
    func read(_ text: String) throws(ConfigError) -> ConsoleSettings {
        let document: ConfigTable
        do { document = try ConfigDocument.parse(text, file: "board.toml") } catch { throw error }
        return try ConsoleSettings.read(try document.table("console"))
    }

    @Test func serialPortsPINAndGroupAreRead() throws {
        let pin = ConsolePIN.make("2468", salt: Array(0..<16), rounds: 1000)
        let settings = try read("""
            [console]
            serial = ["/dev/ttyAMA0", "/dev/ttyGS0"]
            pin = "\(pin)"
            socket_group = "evsed"
            """)
        #expect(settings.serialPorts == ["/dev/ttyAMA0", "/dev/ttyGS0"])
        #expect(settings.pin?.matches("2468") == true && settings.pin?.matches("2469") == false)
        #expect(settings.socketGroup == "evsed")
        #expect(try read("") == ConsoleSettings())
    }

    @Test func mistakesNameTheirLine() {
        for (text, expected) in [
            ("[console]\nserial = [\"ttyAMA0\"]", "board.toml:2: console.serial: 'ttyAMA0' is not a device"),
            ("[console]\n\npin = \"1234\"", "board.toml:3: console.pin: not a PIN hash"),
            ("[console]\nsocket_group = \"a b\"", "board.toml:2: console.socket_group: 'a b' is not a group name"),
            ("[console]\nserail = []", "board.toml:2: console.serail: unknown key"),
        ] {
            #expect { try read(text) } throws: { "\($0)".contains(expected) }
        }
    }
}
