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
    }

    init() throws {
        let path = "/tmp/evsed-chargepoint-\(UInt64.random(in: 0...UInt64.max)).sqlite"
        let ledger = try Ledger(path: path, create: true)
        let settings = try #require(try OCPPSettings.read(try ConfigDocument.parse("[ocpp]\ncentral_system = \"ws://x/\"\ncharge_box_id = \"CB\"", file: "t").table("ocpp")))
        let recorded = self.recorded
        chargePoint = ChargePoint(settings: settings, identity: .init(vendor: "evsed", model: "test", serialNumber: nil, firmwareVersion: "1", meterType: nil),
                                  ledger: ledger, transport: wire, charger: ChargerConfiguration(),
                                  wallTime: { Timestamp(milliseconds: 1_800_000_000_000 + $0.nanoseconds / 1_000_000) }, baseLimit: { 32 },
                                  hooks: .init(command: { recorded.commands.append($0) }, restart: { _ in }, log: { line, _ in recorded.lines.append(line) }))
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
}
