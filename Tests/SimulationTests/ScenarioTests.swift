import ConfigFile
import EVSECore
import Hardware
import Simulation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Every shipped scenario, by file name.
let shippedScenarios: [String] = {
    var names: [String] = []
    let directory = repositoryRoot + "/boards/scenarios"
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasSuffix(".toml") { names.append(name) }
    }
    return names.sorted()
}()

func runScenario(_ name: String) throws -> (Scenario, SimulationResult) {
    let board = try BoardDescription.load(repositoryRoot + "/boards/sim.toml")
    let settings = try SimulationSettings.read(try #require(board.simulation))
    let scenario = try Scenario.load(repositoryRoot + "/boards/scenarios/" + name, defaults: settings)
    return (scenario, ScenarioRunner(board: board, settings: settings, scenario: scenario).run())
}

@Suite struct ScenarioTests {
    @Test func thereIsAScenarioForEveryFaultOfTheCatalogue() throws {
        #expect(shippedScenarios.count >= 18)
        var covered = Set<FaultCode>()
        for name in shippedScenarios {
            let board = try BoardDescription.load(repositoryRoot + "/boards/sim.toml")
            let scenario = try Scenario.load(repositoryRoot + "/boards/scenarios/" + name,
                                             defaults: try SimulationSettings.read(try #require(board.simulation)))
            covered.formUnion(scenario.expectation.faults ?? [])
        }
        #expect(covered == Set(FaultCode.allCases))
    }

    /// Each shipped scenario, run once: the outcome its file expects, every fault opening the
    /// contactor within 100 ms (in fact in the step that detects it), and a resumed session
    /// keeping its id.
    @Test(arguments: shippedScenarios)
    func theScenarioEndsAsItExpects(name: String) throws {
        let (scenario, result) = try runScenario(name)
        #expect(scenario.expectation.failures(in: result) == [])

        for reaction in result.faultReactionTimes {
            #expect(reaction.delay <= .milliseconds(100), "\(reaction.code) took \(reaction.delay)")
            #expect(reaction.delay == .zero, "\(reaction.code) did not open in the detecting step")
        }

        var open: SessionID?
        for (_, action) in result.actions {
            switch action {
            case .sessionStarted(let id): open = id
            case .sessionEnded: open = nil
            case .sessionInterrupted(let id, _), .sessionResumed(let id): #expect(id == open)
            default: break
            }
        }
    }

    @Test func theNormalSessionBillsTheRegisterDifference() throws {
        let (_, result) = try runScenario("normal-session.toml")
        let session = try #require(result.sessions.first)
        let start = try #require(session.figures.startRegisterWh)
        let end = try #require(session.figures.lastRegisterWh)
        #expect(start == 1_234_500)
        // The books close at the meter's own last register (nothing flows after the session).
        let registers = result.events.compactMap { event -> WattHours? in
            if case .meterReading(let reading) = event.event { return reading.importEnergy }
            return nil
        }
        #expect(Double(end) == (try #require(registers.last)).value.rounded())
        // 16 A × 230 V × 3 phases for 3599 s is 11.04 kWh.
        let expected: Double = 16 * 230 * 3 * Double(session.figures.chargingSeconds) / 3600
        #expect(abs(Double(session.figures.energyWh) - expected) < 5)
        #expect(result.faultReactionTimes.isEmpty)
    }

    /// NTP steps the clock two hours forward half-way through: the books follow it, and the jump is
    /// down time, neither charging nor parking.
    @Test func aClockStepDuringASessionIsNeitherChargedNorParked() throws {
        let (_, result) = try runScenario("clock-steps-during-session.toml")
        let session = try #require(result.sessions.first)
        let normal = try #require(try runScenario("normal-session.toml").1.sessions.first)
        #expect(session.figures.energyWh == normal.figures.energyWh)
        #expect(session.figures.chargingSeconds == normal.figures.chargingSeconds)
        #expect(session.figures.idleSeconds == normal.figures.idleSeconds)
        #expect(session.figures.outageSeconds == 7200)
        // Start to end on the wall clock: the hour and the two the clock jumped.
        let wall = session.lastAt.milliseconds - session.startedAt.milliseconds
        #expect(wall - (normal.lastAt.milliseconds - normal.startedAt.milliseconds) == 7_200_000)
    }

    @Test func aFaultThatClearsResumesTheSameSessionAfterEachFault() throws {
        let (_, result) = try runScenario("fault-clears-session-resumes.toml")
        let interruptions = result.actions.filter { if case .sessionInterrupted = $0.action { true } else { false } }
        let resumptions = result.actions.filter { if case .sessionResumed(SessionID(rawValue: 1)) = $0.action { true } else { false } }
        #expect(interruptions.count == 3)
        #expect(resumptions.count == 3)
        #expect(result.sessions.count == 1)
        #expect(result.sessions[0].interruptions.count == 3)
        #expect(result.sessions[0].interruptions.allSatisfy { $0.end != nil })
    }

    @Test func aVehicleLeftInC1IsSwitchedOffAfterSixSeconds() throws {
        let (_, result) = try runScenario("vehicle-ignores-stop.toml")
        let pause = try #require(result.actions.first { $0.action == .setPilot(.steady) && $0.at > .seconds(10) })
        let open = try #require(result.actions.first { $0.action == .openContactor && $0.at > pause.at })
        #expect(open.at - pause.at >= .seconds(6))
        #expect(open.at - pause.at <= .seconds(6) + .milliseconds(20))
    }

    @Test func theCarTapersAndStopsByItselfWhenFull() throws {
        let (_, result) = try runScenario("car-full.toml")
        let readings = result.events.compactMap { if case .meterReading(let reading) = $0.event { reading } else { nil } }
        let drawing = readings.map(\.maximumCurrent).filter { $0 > .zero }
        let first = try #require(drawing.first)
        let last = try #require(drawing.last)
        // Tapering: from 90 % the current falls to under a quarter before the car stops.
        #expect(last < first * 0.25)
        let stop = try #require(result.actions.first { $0.action == .vehicleStateChanged(.b) && $0.at > .seconds(10) })
        #expect(result.actions.contains { $0.action == .openContactor && $0.at == stop.at })
    }
}
