import ConfigFile
import EVSECore
import Simulation
import Testing

@Suite struct ScenarioFileTests {
    func read(_ text: String) throws(ConfigError) -> Scenario {
        try Scenario.read(ConfigDocument.parse(text, file: "test.toml"))
    }

    @Test func stepsAreReadAndSortedByTime() throws {
        let scenario = try read("""
            name = "x"
            duration_s = 10
            [[step]]
            at_s = 5
            action = "unplug"
            [[step]]
            at_s = 1
            action = "plug"
            [[step]]
            at_s = 2
            action = "command"
            command = "limit"
            amps = 10
            """)
        #expect(scenario.steps.map(\.action) == [.plug, .command(.setCurrentLimit(Amperes(10))), .unplug])
        #expect(scenario.steps.map(\.line) == [6, 9, 3])
    }

    @Test func anUnknownActionNamesTheLineAndSuggests() {
        #expect(throws: ConfigError(file: "test.toml", line: 5, key: "step[1].action",
                                    problem: "'plgu' is not one of: \(ScenarioAction.names.joined(separator: ", ")) (did you mean 'plug'?)")) {
            try read("""
                name = "x"
                duration_s = 10
                [[step]]
                at_s = 1
                action = "plgu"
                """)
        }
    }

    @Test func aStepAfterTheEndIsRefused() {
        #expect(throws: ConfigError(file: "test.toml", line: 4, key: "step[1].at_s", problem: "20.0 is outside the scenario's 0 … 10.0 s")) {
            try read("""
                name = "x"
                duration_s = 10
                [[step]]
                at_s = 20
                action = "plug"
                """)
        }
    }

    /// Every number a scenario or a board gives is finite and in range before it becomes a
    /// duration: these used to trap converting to nanoseconds.
    @Test(arguments: [
        ("action = \"silence_meter\"\nduration_s = inf", 6, "step[1].duration_s", "inf is not a finite number"),
        ("action = \"silence_meter\"\nduration_s = nan", 6, "step[1].duration_s", "nan is not a finite number"),
        ("action = \"silence_meter\"\nduration_s = 1e19", 6, "step[1].duration_s", "1e+19 s is outside 0.001 … 604800 s"),
        ("action = \"leakage\"\nduration_s = -1", 6, "step[1].duration_s", "-1 s is outside 0.001 … 604800 s"),
        ("action = \"grid_voltage\"\nvolts = 1e300", 6, "step[1].volts", "must be 0 … 1000 V"),
    ] as [(String, Int, String, String)])
    func numbersOutOfRangeAreRefused(step: String, line: Int, key: String, problem: String) {
        #expect(throws: ConfigError(file: "test.toml", line: line, key: key, problem: problem)) {
            try read("name = \"x\"\nduration_s = 10\n[[step]]\nat_s = 1\n" + step + "\n")
        }
    }

    @Test func aStartFarInTheFutureIsRefused() {
        #expect(throws: ConfigError(file: "test.toml", line: 3, key: "start",
                                    problem: "'99999-01-01 08:00' is not a local date and time (YYYY-MM-DD HH:MM, 1970 … 9999)")) {
            try read("name = \"x\"\nduration_s = 10\nstart = \"99999-01-01 08:00\"\n")
        }
    }

    @Test func aHugePlugInDelayIsRefused() throws {
        let board = try ConfigDocument.parse("plug_in_after_s = 1e19\n", file: "board.toml")
        #expect(throws: ConfigError(file: "board.toml", line: 1, key: "plug_in_after_s", problem: "1e+19 s is outside 0 … 86400 s")) {
            try SimulationSettings.read(board)
        }
    }

    @Test func aMisspeltKeyIsRefused() {
        #expect(throws: ConfigError(file: "test.toml", line: 6, key: "step[1].duraton_s", problem: "unknown key (did you mean 'duration_s'?)")) {
            try read("""
                name = "x"
                duration_s = 10
                [[step]]
                at_s = 1
                action = "leakage"
                duraton_s = 2
                """)
        }
    }

    @Test func anUnknownFaultCodeInTheExpectationIsRefused() {
        #expect(throws: ConfigError(file: "test.toml", line: 4, key: "expect.faults", problem: "unknown fault code 'rcd'")) {
            try read("""
                name = "x"
                duration_s = 10
                [expect]
                faults = ["rcd"]
                """)
        }
    }

    @Test func theExpectationReportsWhatDiffers() throws {
        let scenario = try read("""
            name = "x"
            duration_s = 5
            [[step]]
            at_s = 1
            action = "plug"
            [expect]
            faults = ["overcurrent"]
            sessions = 2
            """)
        let board = try BoardDescriptionFixture.simulated()
        let result = ScenarioRunner(board: board, settings: SimulationSettings(), scenario: scenario).run()
        #expect(scenario.expectation.failures(in: result) == [
            "faults raised: expected overcurrent, got none",
            "sessions: expected 2, got 1",
        ])
    }
}
