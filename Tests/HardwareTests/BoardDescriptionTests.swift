import ConfigFile
import EVSECore
import Hardware
import Testing

@Suite struct BoardDescriptionTests {
    let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    func read(_ text: String) throws(ConfigError) -> BoardDescription {
        try BoardDescription.read(ConfigDocument.parse(text, file: "b.toml"))
    }

    @Test func theShippedSimulatedBoardIsTheDefaults() throws {
        let board = try BoardDescription.load(root + "/boards/sim.toml")
        #expect(board.kind == .simulated)
        #expect(board.charger == ChargerConfiguration())
        #expect(board.controlPeriod == .milliseconds(10))
        #expect(board.meterPollInterval == .seconds(1))
        #expect(board.simulation != nil)
    }

    @Test func valuesOverrideTheDefaults() throws {
        let board = try read("""
            [board]
            name = "x"
            kind = "simulated"
            [charger]
            max_current_a = 16
            phases = 1
            ventilation = true
            [protection]
            overcurrent_s = 10
            [simulation]
            """)
        #expect(board.charger.maximumCurrent == Amperes(16))
        #expect(board.charger.phases == 1)
        #expect(board.charger.ventilationAvailable)
        #expect(board.charger.overcurrentTime == .seconds(10))
    }

    @Test(arguments: [
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[charger]\nmax_current_a = 100\n[simulation]", 5, "charger.max_current_a", "100 is outside 6 … 80"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[charger]\nphases = 2\n[simulation]", 5, "charger.phases", "must be 1 or 3"),
        ("[board]\nname = \"x\"\nkind = \"rpi\"\n[simulation]", 3, "board.kind", "'rpi' is not one of: simulated"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"", 3, "board.kind", "a simulated board needs a [simulation] table"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[chargr]\n[simulation]", 4, "chargr", "unknown key (did you mean 'charger'?)"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[control]\nperiod_ms = 20\nunplug_samples = 2\n[simulation]", 6, "control.unplug_samples", "2 samples at 20.0 ms take longer than the 25 ms allowed to see an unplug"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[temperature]\nderate_half_c = 80\nlimit_c = 70\n[simulation]", 4, "temperature", "thresholds must rise: derate_half_c < derate_quarter_c < limit_c"),
        ("name = 3", 1, nil, "missing [board] table (name and kind of the board)"),
    ] as [(String, Int, String?, String)])
    func mistakesNameTheKeyAndTheLine(text: String, line: Int, key: String?, problem: String) {
        #expect(throws: ConfigError(file: "b.toml", line: line, key: key, problem: problem)) { try read(text) }
    }
}
