import ConfigFile
import EVSECore

/// The outcome a scenario expects, checked against a simulation's result.
public struct ScenarioExpectation: Sendable {
    /// Exactly these faults were raised (in any order, each at least once).
    public var faults: Set<FaultCode>?
    /// These faults were cleared again by the end.
    public var cleared: Set<FaultCode>?
    /// These faults were latched.
    public var latched: Set<FaultCode>?
    /// Sessions started.
    public var sessions: Int?
    /// A session was interrupted and resumed under the same id.
    public var resumed: Bool?
    /// The reason the last session ended.
    public var endReason: SessionEndReason?
    /// Bounds of the energy of all sessions together.
    public var minimumEnergy: WattHours?
    public var maximumEnergy: WattHours?
    /// The confirmed pilot level at the end.
    public var finalLevel: PilotLevel?

    public init() {}

    static func read(_ table: ConfigTable) throws(ConfigError) -> ScenarioExpectation {
        var expectation = ScenarioExpectation()
        func codes(_ key: String) throws(ConfigError) -> Set<FaultCode>? {
            guard let names = try table.strings(key) else { return nil }
            var codes = Set<FaultCode>()
            for name in names {
                guard let code = FaultCode(rawValue: name) else { throw table.error(key, "unknown fault code '\(name)'") }
                codes.insert(code)
            }
            return codes
        }
        expectation.faults = try codes("faults")
        expectation.cleared = try codes("cleared")
        expectation.latched = try codes("latched")
        expectation.sessions = try table.integer("sessions")
        expectation.resumed = try table.bool("resumed")
        if let reason = try table.string("end_reason") {
            guard let parsed = SessionEndReason(rawValue: reason) else {
                throw table.error("end_reason", "unknown reason '\(reason)'")
            }
            expectation.endReason = parsed
        }
        expectation.minimumEnergy = try table.double("min_energy_wh").map { WattHours($0) }
        expectation.maximumEnergy = try table.double("max_energy_wh").map { WattHours($0) }
        if let level = try table.string("final_level") {
            guard let parsed = PilotLevel(rawValue: level), parsed != .unknown else {
                throw table.error("final_level", "'\(level)' is not a pilot state A … F")
            }
            expectation.finalLevel = parsed
        }
        try table.rejectUnknownKeys()
        return expectation
    }

    /// What did not happen as expected, in words; empty when the outcome is as expected.
    public func failures(in result: SimulationResult) -> [String] {
        var failures: [String] = []
        let raised = Set(result.actions.compactMap { if case .faultRaised(let code) = $0.action { code } else { nil } })
        let cleared = Set(result.actions.compactMap { if case .faultCleared(let code) = $0.action { code } else { nil } })
        let latched = Set(result.actions.compactMap { if case .faultLatched(let code, _) = $0.action { code } else { nil } })
        func names(_ codes: Set<FaultCode>) -> String { codes.isEmpty ? "none" : codes.sorted().map(\.rawValue).joined(separator: ", ") }
        if let faults, faults != raised { failures.append("faults raised: expected \(names(faults)), got \(names(raised))") }
        if let expected = self.cleared, !expected.isSubset(of: cleared) {
            failures.append("faults cleared: expected \(names(expected)), got \(names(cleared))")
        }
        if let expected = self.latched, expected != latched {
            failures.append("faults latched: expected \(names(expected)), got \(names(latched))")
        }
        let started = result.actions.filter { if case .sessionStarted = $0.action { true } else { false } }.count
        if let sessions, sessions != started { failures.append("sessions: expected \(sessions), got \(started)") }
        if let resumed, resumed != !result.resumedSessions.isEmpty {
            failures.append(resumed ? "no session was interrupted and resumed" : "a session resumed unexpectedly")
        }
        if let endReason, result.sessions.last?.endReason != endReason.rawValue {
            failures.append("last session end: expected \(endReason), got \(result.sessions.last?.endReason ?? "none")")
        }
        let energy = WattHours(Double(result.sessions.reduce(0) { $0 + $1.figures.energyWh }))
        if let minimumEnergy, energy < minimumEnergy { failures.append("energy \(energy) is below the expected \(minimumEnergy)") }
        if let maximumEnergy, energy > maximumEnergy { failures.append("energy \(energy) is above the expected \(maximumEnergy)") }
        if let finalLevel, result.finalLevel != finalLevel {
            failures.append("final pilot state: expected \(finalLevel), got \(result.finalLevel)")
        }
        return failures
    }
}
