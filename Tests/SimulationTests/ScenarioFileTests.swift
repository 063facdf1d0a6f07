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
