import ChargerService
import ConfigFile
import EVSECore
import Ledger
import Sessions
import Testing
@testable import OCPP

/// The charge point against a scripted central system: frames in, frames out, on instants the
/// test chooses.
struct ChargePointTests {
    final class Wire: OCPPTransport {
        var incoming: [WebSocketClient.Event] = []
        var sent: [OCPPFrame] = []
        func send(_ text: String) { sent.append(try! OCPPFrame(parsing: text)) }
        func nextEvent() -> WebSocketClient.Event? { incoming.isEmpty ? nil : incoming.removeFirst() }
    }

    let wire = Wire()
    let chargePoint: ChargePoint
    var commands: [ChargerCommand] { recorded.commands }
    let recorded = Recorded()

    final class Recorded {
        var commands: [ChargerCommand] = []
        var lines: [String] = []
        var clockSets: [Timestamp] = []
        var refusal: String?
    }

    init() throws { try self.init(extra: "") }

    init(extra: String) throws {
        let path = "/tmp/evsed-chargepoint-\(UInt64.random(in: 0...UInt64.max)).sqlite"
        let ledger = try Ledger(path: path, create: true)
        let settings = try #require(try OCPPSettings.read(try ConfigDocument.parse("[ocpp]\ncentral_system = \"ws://x/\"\ncharge_box_id = \"CB\"\n" + extra,
                                                                                file: "t").table("ocpp")))
        let recorded = self.recorded
        chargePoint = ChargePoint(settings: settings, identity: .init(vendor: "evsed", model: "test", serialNumber: nil, firmwareVersion: "1", meterType: nil),
                                  ledger: ledger, transport: wire, charger: ChargerConfiguration(),
                                  wallTime: { Timestamp(milliseconds: 1_800_000_000_000 + $0.nanoseconds / 1_000_000) }, baseLimit: { 32 },
                                  hooks: .init(command: { recorded.commands.append($0) }, restart: { _ in }, log: { line, _ in recorded.lines.append(line) },
                                               setClock: { time in
                                                   recorded.clockSets.append(time)
                                                   return recorded.refusal
                                               }))
    }

    func at(_ seconds: Double, _ frames: String...) {
        for frame in frames { wire.incoming.append(.received(frame)) }
        chargePoint.poll(at: .seconds(seconds), status: nil)
    }

    var actions: [String] { wire.sent.compactMap { if case .call(_, let action, _) = $0 { return action } else { return nil } } }

    @Test func whilePendingOnlyTheBootGoesOutAgainAndAHugeIntervalIsAWeek() throws {
        wire.incoming.append(.connected)
        at(0)
        #expect(actions == ["BootNotification"])
        at(1, #"[3,"1",{"status":"Pending","currentTime":"2026-12-06T10:00:00Z","interval":9223372036854775807}]"#)
        // The central system may ask things meanwhile; we answer, and send nothing of our own.
        at(2, #"[2,"cs1","GetConfiguration",{"key":["HeartbeatInterval"]}]"#)
        at(86_400)
        #expect(actions == ["BootNotification"])
        if case .result(let id, _) = try #require(wire.sent.last) { #expect(id == "cs1") } else { Issue.record("no answer: \(wire.sent)") }
        at(7 * 86_400 + 1)
        #expect(actions == ["BootNotification", "BootNotification"])
        at(7 * 86_400 + 2, #"[3,"2",{"status":"Accepted","currentTime":"2026-12-06T10:00:00Z","interval":60}]"#)
        at(7 * 86_400 + 3)
        #expect(actions.suffix(1) == ["StatusNotification"], "status after the boot is accepted")
    }

    @Test func aBootWithNoAnswerIsAskedAgainAndGarbageNeverStopsIt() throws {
        wire.incoming.append(.connected)
        at(0)
        at(1, "not json", "[]", #"[2]"#, #"[3,"99",{}]"#, #"[4,"1",5,6,7]"#, "\u{0}\u{1}")
        at(31)
        at(92)
        #expect(actions == ["BootNotification", "BootNotification"], "\(recorded.lines)")
    }

    @Test func eachBadRequestGetsTheErrorItsMistakeDeserves() throws {
        wire.incoming.append(.connected)
        at(0)
        at(1, #"[2,"a","RemoteStopTransaction",{"transactionId":"seven"}]"#,
           #"[2,"b","RemoteStopTransaction",{}]"#,
           #"[2,"c","Reset",{"type":"Gentle"}]"#,
           #"[2,"d","FlyToTheMoon",{}]"#,
           #"[2,"e","ReserveNow",{}]"#,
           #"[2,"f","TriggerMessage",{"requestedMessage":"Coffee"}]"#,
           #"[2,"g","RemoteStartTransaction",{"idTag":"012345678901234567890"}]"#,
           #"[2,"h",17,{}]"#)
        let errors = wire.sent.compactMap { frame -> String? in
            if case .error(let id, let code, _, _) = frame { return "\(id) \(code.rawValue)" }
            return nil
        }
        #expect(errors == ["a TypeConstraintViolation", "b OccurenceConstraintViolation", "c PropertyConstraintViolation", "d NotImplemented",
                           "e NotSupported", "f PropertyConstraintViolation", "g PropertyConstraintViolation", "h FormationViolation"])
        #expect(recorded.commands.isEmpty)
    }

    /// The test's wall clock reads 2027-01-15T08:00:00Z at instant zero (1_800_000_000_000 ms).
    @Test func theCentralSystemsTimeSetsAClockThatNTPHasNotSynchronised() throws {
        let offClock = try ChargePointTests(extra: "set_clock = true")
        offClock.wire.incoming.append(.connected)
        offClock.at(0)
        // Answered 0.4 s later with a time an hour ahead: the clock is set to it plus half the trip.
        offClock.at(0.4, #"[3,"1",{"status":"Accepted","currentTime":"2027-01-15T09:00:00.000Z","interval":300}]"#)
        #expect(offClock.recorded.clockSets.map(\.milliseconds) == [1_800_003_600_000 + 200])
        #expect(offClock.recorded.lines.contains { $0.contains("the system clock was 3599.8 s off the central system's") })

        // With NTP synchronised, the central system's time is not taken; within 2 s, nothing to do.
        let synchronized = try ChargePointTests(extra: "set_clock = true")
        synchronized.chargePoint.clockSynchronized = true
        synchronized.wire.incoming.append(.connected)
        synchronized.at(0)
        synchronized.at(0.1, #"[3,"1",{"status":"Accepted","currentTime":"2027-01-15T09:00:00.000Z","interval":300}]"#)
        let close = try ChargePointTests(extra: "set_clock = true")
        close.wire.incoming.append(.connected)
        close.at(0)
        close.at(0.1, #"[3,"1",{"status":"Accepted","currentTime":"2027-01-15T08:00:01.500Z","interval":300}]"#)
        let unset = try ChargePointTests()
        unset.wire.incoming.append(.connected)
        unset.at(0)
        unset.at(0.1, #"[3,"1",{"status":"Accepted","currentTime":"2027-01-15T09:00:00.000Z","interval":300}]"#)
        #expect(synchronized.recorded.clockSets.isEmpty && close.recorded.clockSets.isEmpty && unset.recorded.clockSets.isEmpty)

        // A refusal (no CAP_SYS_TIME) is said once, not at every heartbeat.
        let refused = try ChargePointTests(extra: "set_clock = true")
        refused.recorded.refusal = "not permitted"
        refused.wire.incoming.append(.connected)
        refused.at(0)
        refused.at(0.1, #"[3,"1",{"status":"Accepted","currentTime":"2027-01-15T09:00:00.000Z","interval":1}]"#)
        refused.at(0.2, #"[3,"2",{}]"#)
        refused.at(0.3, #"[3,"3",{}]"#)
        refused.at(1.5)
        #expect(refused.actions.last == "Heartbeat")
        refused.at(1.6, #"[3,"4",{"currentTime":"2027-01-15T09:00:02.000Z"}]"#)
        #expect(refused.recorded.clockSets.count == 2, "\(refused.actions)")
        #expect(refused.recorded.lines.filter { $0.contains("cannot be set: not permitted") }.count == 1)
    }

    /// OCPP 1.6's connector states around a session: Finishing while the car that finished is
    /// there, Available when it left, Preparing for the next car before its session.
    @Test func finishingLastsOnlyAsLongAsTheCarThatFinished() throws {
        let point = try ChargePointTests()
        var status = ChargerStatus(ChargerStateMachine(configuration: ChargerConfiguration()))
        status.enabled = true
        status.activeFaults = FaultSet()
        status.latchedFaults = FaultSet()
        func connector(_ pilot: PilotLevel) -> String {
            status.pilotLevel = pilot
            point.chargePoint.poll(at: .seconds(1), status: status)
            return point.chargePoint.connectorStatus(1).status
        }
        #expect(connector(.b) == "Preparing")
        let ended = TimedEvent(at: .seconds(2), event: .action(.sessionEnded(SessionID(rawValue: 1), .stopCommand)))
        point.chargePoint.serviceProcessed(ServiceUpdate(event: ended, changes: [.ended(SessionID(rawValue: 1), at: Timestamp(milliseconds: 0), reason: "stop_command")],
                                                         entries: [], openSession: nil))
        #expect(connector(.b) == "Finishing")
        #expect(connector(.a) == "Available")
        #expect(connector(.b) == "Preparing", "a new car, before its session")
    }
}
