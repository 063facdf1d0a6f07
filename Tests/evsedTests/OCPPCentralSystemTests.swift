import Foundation
import Testing
import TestSupport

/// `evsed run` on the simulated board against a real OCPP 1.6J central system: Tests/peers/csms.py,
/// written with the Python `ocpp` package, which checks every message against OCPP 1.6's JSON
/// schemas. What it received is compared with the ledger's own figures.
@Suite(.serialized) struct OCPPCentralSystemTests {
    /// A copy of boards/sim.toml with an [ocpp] table.
    static func board(in directory: String, ocpp: String) throws -> String {
        let path = directory + "/board.toml"
        let simulated = try String(contentsOfFile: CommandLineTests.root + "/boards/sim.toml", encoding: .utf8)
        try (simulated + "\n[ocpp]\n" + ocpp + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The calls the central system received, with their payloads and its answers.
    static func calls(_ peer: Peer, _ action: String? = nil) -> [[String: Any]] {
        peer.messages().filter { $0["type"] as? String == "call" && (action == nil || $0["action"] as? String == action) }
    }

    static func payload(_ call: [String: Any]) -> [String: Any] { call["payload"] as? [String: Any] ?? [:] }

    /// The statuses of connector 1 the central system was told, in order.
    static func statuses(_ peer: Peer) -> [String] {
        calls(peer, "StatusNotification").map(payload).filter { integer($0["connectorId"]) == 1 }.compactMap { $0["status"] as? String }
    }

    /// A central system on a free port and a copy of the simulated board pointed at it (`ocpp`:
    /// the [ocpp] table's other lines).
    static func centralSystemAndBoard(_ name: String, chargeBox: String, options: [String] = [], ocpp: String = "reconnect_first_s = 1")
        throws -> (directory: String, port: Int, csms: Peer, board: String)
    {
        let directory = try Peer.scratchDirectory(name)
        let port = Peer.freePort()
        let csms = try Peer.centralSystem(in: directory, port: port, options: options)
        let board = try board(in: directory, ocpp: """
            central_system = "ws://127.0.0.1:\(port)/ocpp"
            charge_box_id = "\(chargeBox)"
            \(ocpp)
            """)
        return (directory, port, csms, board)
    }

    static func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }

    /// A query of the ledger, through Debian's sqlite3.
    static func sql(_ ledger: String, _ query: String) throws -> [String] { try SQLiteShell.rows(ledger, query) }

    static func integer(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    @Test func aSessionIsATransactionWithTheLedgersFiguresAndTheCentralSystemCanStopAndStartIt() throws {
        let (directory, port, csms, board) = try Self.centralSystemAndBoard("ocpp-transaction", chargeBox: "CB-test", options: ["--boot", "Rejected,Pending,Accepted", "--retry", "1"])
        let ledger = directory + "/ledger.sqlite"
        let socket = directory + "/console.sock"
        let daemon = try RunningDaemon(["run", "--board", board, "--console", socket], ledger: ledger)
        defer { daemon.stop() }

        // Rejected, then pending, then accepted, each time it asks again after the interval given.
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "BootNotification").count >= 3 }, "\(daemon.output.text)")
        let boots = Self.calls(csms, "BootNotification")
        #expect(boots.compactMap { ($0["answer"] as? [String: Any])?["status"] as? String }.prefix(3) == ["Rejected", "Pending", "Accepted"])
        #expect(daemon.output.text.contains("boot rejected by the central system: asking again in 1 s"))
        #expect(csms.messages().first?["path"] as? String == "/ocpp/CB-test")
        #expect(csms.messages().first?["subprotocol"] as? String == "ocpp1.6")
        // Nothing but the boot while pending.
        let beforeAccepted = csms.messages().prefix { !($0["action"] as? String == "BootNotification" && (($0["answer"] as? [String: Any])?["status"] as? String) == "Accepted") }
        #expect(beforeAccepted.allSatisfy { ($0["action"] as? String ?? "BootNotification") == "BootNotification" })

        try csms.call("ChangeConfiguration", #"{"key": "ClockAlignedDataInterval", "value": "2"}"#)
        try csms.call("ChangeConfiguration", #"{"key": "MeterValueSampleInterval", "value": "1"}"#)
        try csms.call("ChangeConfiguration", #"{"key": "NumberOfConnectors", "value": "2"}"#)
        try csms.call("ChangeConfiguration", #"{"key": "NoSuchKey", "value": "2"}"#)
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "StartTransaction").count == 1 && Self.calls(csms, "MeterValues").count >= 2 },
                "\(daemon.output.text)")
        let results = csms.messages().filter { $0["type"] as? String == "result" }
        #expect(results.compactMap { ($0["payload"] as? [String: Any])?["status"] as? String } == ["Accepted", "Accepted", "Rejected", "NotSupported"])

        let start = Self.payload(Self.calls(csms, "StartTransaction")[0])
        let transaction = try #require(Self.integer((Self.calls(csms, "StartTransaction")[0]["answer"] as? [String: Any])?["transactionId"]))
        #expect(start["idTag"] as? String == "evsed" && Self.integer(start["connectorId"]) == 1)
        #expect(Self.integer(start["meterStart"]) == Int64(try Self.sql(ledger, "SELECT start_register_wh FROM sessions WHERE id = 1").first ?? ""))
        for values in Self.calls(csms, "MeterValues").map(Self.payload) where "\(values)".contains("Sample.Periodic") {
            #expect(Self.integer(values["transactionId"]) == transaction)
            let sampled = ((values["meterValue"] as? [[String: Any]])?.first?["sampledValue"] as? [[String: Any]]) ?? []
            #expect(Set(sampled.compactMap { $0["measurand"] as? String }) == ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage"])
            #expect(sampled.filter { $0["measurand"] as? String == "Current.Import" }.compactMap { $0["phase"] as? String } == ["L1", "L2", "L3"])
        }
        #expect(Self.wait(seconds: 30) { Self.calls(csms, "StatusNotification").contains { Self.payload($0)["status"] as? String == "Charging" } })
        // Clock-aligned values: on the grid of 2 s, the register only.
        #expect(Self.wait(seconds: 30) { Self.calls(csms, "MeterValues").contains { "\($0)".contains("Sample.Clock") } })
        for values in Self.calls(csms, "MeterValues").map(Self.payload) where "\(values)".contains("Sample.Clock") {
            let value = (values["meterValue"] as? [[String: Any]])?.first
            let stamp = value?["timestamp"] as? String ?? ""
            #expect(stamp.hasSuffix(".000Z") && (Int(stamp.dropLast(5).suffix(2)) ?? 1) % 2 == 0, "\(stamp)")
            #expect((value?["sampledValue"] as? [[String: Any]])?.compactMap { $0["measurand"] as? String } == ["Energy.Active.Import.Register"])
        }

        // The central system stops it; the stop carries the ledger's end register.
        try csms.call("RemoteStopTransaction", #"{"transactionId": \#(transaction)}"#)
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "StopTransaction").count == 1 }, "\(daemon.output.text)")
        let stop = Self.payload(Self.calls(csms, "StopTransaction")[0])
        #expect(stop["reason"] as? String == "Remote")
        #expect(Self.integer(stop["transactionId"]) == transaction)
        #expect(Self.integer(stop["meterStop"]) == Int64(try Self.sql(ledger, "SELECT end_register_wh FROM sessions WHERE id = 1").first ?? ""))
        // With the ledger's signed record of the session, as `ledger export --format ocmf` gives it.
        let signed = ((stop["transactionData"] as? [[String: Any]])?.first?["sampledValue"] as? [[String: Any]])?.first
        #expect(signed?["format"] as? String == "SignedData" && signed?["context"] as? String == "Transaction.End")
        let record = try #require(signed?["value"] as? String)
        let export = try CommandLineTests().evsed(["ledger", "export", "--format", "ocmf"], ledger: ledger).output
        #expect(record.hasPrefix("OCMF|") && export.split(separator: "\n").contains(Substring(record)), "\(record)\n\(export)")

        // And starts another for the car still connected, with its own idTag.
        try csms.call("RemoteStartTransaction", #"{"connectorId": 1, "idTag": "REMOTE-7"}"#)
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "StartTransaction").count == 2 }, "\(daemon.output.text)")
        #expect(Self.payload(Self.calls(csms, "StartTransaction")[1])["idTag"] as? String == "REMOTE-7")

        // What the charge point does not do, it says so; nothing it sent was refused by the schemas.
        let heartbeats = Self.calls(csms, "Heartbeat").count
        try csms.call("TriggerMessage", #"{"requestedMessage": "Heartbeat"}"#)
        #expect(Self.wait(seconds: 30) { Self.calls(csms, "Heartbeat").count == heartbeats + 1 }, "a triggered heartbeat")
        try csms.call("CancelReservation", #"{"reservationId": 1}"#)
        try csms.call("DataTransfer", #"{"vendorId": "com.example"}"#)
        try csms.call("GetConfiguration", #"{"key": ["MeterValueSampleInterval", "Nope"]}"#)
        #expect(Self.wait(seconds: 30) { csms.messages().filter { $0["type"] as? String == "result" }.count >= 10 })
        let last = csms.messages().filter { $0["type"] as? String == "result" }.suffix(3)
        #expect(last.first?["error"] as? String == "NotSupportedError", "\(last)")
        #expect((Array(last)[1]["payload"] as? [String: Any])?["status"] as? String == "UnknownVendorId")
        let configuration = Array(last)[2]["payload"] as? [String: Any]
        #expect(((configuration?["configuration_key"] as? [[String: Any]])?.first?["value"] as? String) == "1", "\(String(describing: configuration))")
        #expect((configuration?["unknown_key"] as? [String]) == ["Nope"])
        let refused = Self.calls(csms).filter { ($0["answer"] as? [String: Any])?["error"] != nil }
        #expect(refused.isEmpty, "\(refused)")

        // The technician sees the connection at the console.
        let screen = try CommandLineTests().evsed(["console", "--socket", socket], input: "ocpp\r").output
        for expected in ["central system: ws://127.0.0.1:\(port)/ocpp/CB-test (security profile 0)", "connection: connected, boot: accepted",
                         "transaction message(s) waiting, 0 given up", "last received: "] {
            #expect(screen.contains(expected), "the console did not show '\(expected)':\n\(screen)")
        }
    }

    @Test func transactionMessagesSurviveAnOutageAndAPowerCutAndArriveOnceInOrder() throws {
        let setup = try Self.centralSystemAndBoard("ocpp-offline", chargeBox: "CB-offline", options: ["--first-transaction", "41"],
                                                   ocpp: "reconnect_first_s = 1\nreconnect_max_s = 2")
        let (directory, port, board) = (setup.directory, setup.port, setup.board)
        var csms: Peer? = setup.csms
        let ledger = directory + "/ledger.sqlite"
        var daemon = try RunningDaemon(["run", "--board", board], ledger: ledger)
        #expect(Self.wait(seconds: 60) { Self.calls(csms!, "BootNotification").count == 1 }, "\(daemon.output.text)")
        try csms!.call("ChangeConfiguration", #"{"key": "MeterValueSampleInterval", "value": "1"}"#)
        #expect(Self.wait(seconds: 60) { Self.calls(csms!, "MeterValues").count >= 1 }, "\(daemon.output.text)")

        // The central system goes away right after an answer, so that nothing is in flight.
        let seen = Self.calls(csms!, "MeterValues").count
        #expect(Self.wait(seconds: 30) { Self.calls(csms!, "MeterValues").count > seen })
        csms!.stop()
        csms = nil
        Thread.sleep(forTimeInterval: 3)
        // The power goes while offline; it comes back, the session resumes, the car leaves.
        #expect(daemon.cutPower())
        daemon = try RunningDaemon(["run", "--board", board], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "session 1 was open", seconds: 60), "\(daemon.output.text)")
        Thread.sleep(forTimeInterval: 3)
        daemon.type("unplug")
        #expect(daemon.output.wait(for: "session_ended", seconds: 60), "\(daemon.output.text)")
        let queued = Int(try Self.sql(ledger, "SELECT COUNT(*) FROM ocpp_messages WHERE state = 'pending'").first ?? "") ?? 0
        #expect(queued >= 3, "meter values of the outage and the stop wait in the ledger")

        // The central system comes back: everything arrives.
        csms = try Peer.centralSystem(in: directory, port: port)
        #expect(Self.wait(seconds: 90) { Self.calls(csms!, "StopTransaction").count == 1 }, "\(daemon.output.text)")
        #expect(Self.wait(seconds: 30) { (try? Self.sql(ledger, "SELECT COUNT(*) FROM ocpp_messages WHERE state != 'done'").first) == "0" })

        // Exactly once, in order, with the transaction id and the ledger's registers.
        let transactionMessages = Self.calls(csms!).filter { ["StartTransaction", "MeterValues", "StopTransaction"].contains($0["action"] as? String ?? "") }
        let actions = transactionMessages.compactMap { $0["action"] as? String }
        #expect(actions.first == "StartTransaction" && actions.last == "StopTransaction")
        #expect(actions.filter { $0 == "StartTransaction" }.count == 1 && actions.filter { $0 == "StopTransaction" }.count == 1)
        let stored = try Self.sql(ledger, "SELECT action FROM ocpp_messages ORDER BY seq")
        #expect(actions == stored, "what the ledger queued is what arrived, in its order")
        let meterValues = transactionMessages.filter { $0["action"] as? String == "MeterValues" }.map(Self.payload)
        #expect(meterValues.allSatisfy { Self.integer($0["transactionId"]) == 41 })
        let stamps = meterValues.compactMap { ($0["meterValue"] as? [[String: Any]])?.first?["timestamp"] as? String }
        #expect(Set(stamps).count == stamps.count && stamps == stamps.sorted(), "no reading twice, in time order")
        let stop = Self.payload(transactionMessages.last!)
        #expect(Self.integer(stop["transactionId"]) == 41)
        #expect(stop["reason"] as? String == "EVDisconnected")
        #expect(Self.integer(stop["meterStop"]) == Int64(try Self.sql(ledger, "SELECT end_register_wh FROM sessions WHERE id = 1").first ?? ""))
        #expect(Self.integer(Self.payload(transactionMessages[0])["meterStart"])
                == Int64(try Self.sql(ledger, "SELECT start_register_wh FROM sessions WHERE id = 1").first ?? ""))
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
    }

    @Test func theConnectorStatusFollowsAFaultAndTheCentralSystemsAvailabilityAndAResetRestartsEvsed() throws {
        let (directory, _, csms, board) = try Self.centralSystemAndBoard("ocpp-status", chargeBox: "CB-status")
        let daemon = try RunningDaemon(["run", "--board", board], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(Self.wait(seconds: 60) { Self.statuses(csms).last == "Charging" }, "\(Self.statuses(csms))\n\(daemon.output.text)")

        // Overheating: Faulted with the catalogue's code, then charging again once it cooled.
        daemon.type("temperature 85")
        #expect(Self.wait(seconds: 30) { Self.statuses(csms).last == "Faulted" }, "\(Self.statuses(csms))")
        let faulted = Self.calls(csms, "StatusNotification").map(Self.payload).last { $0["status"] as? String == "Faulted" } ?? [:]
        #expect(faulted["errorCode"] as? String == "HighTemperature" && faulted["vendorErrorCode"] as? String == "F11", "\(faulted)")
        daemon.type("temperature 25")
        #expect(Self.wait(seconds: 30) { Self.statuses(csms).last == "Charging" }, "\(Self.statuses(csms))")

        // Out of service once the transaction is over; back in service; then a reset.
        try csms.call("ChangeAvailability", #"{"connectorId": 0, "type": "Inoperative"}"#)
        #expect(Self.wait(seconds: 30) { csms.messages().contains { $0["type"] as? String == "result" } })
        let transaction = Self.integer((Self.calls(csms, "StartTransaction").first?["answer"] as? [String: Any])?["transactionId"]) ?? -1
        try csms.call("RemoteStopTransaction", #"{"transactionId": \#(transaction)}"#)
        #expect(Self.wait(seconds: 30) { Self.statuses(csms).last == "Unavailable" }, "\(Self.statuses(csms))")
        try csms.call("ChangeAvailability", #"{"connectorId": 0, "type": "Operative"}"#)
        #expect(Self.wait(seconds: 30) { Self.statuses(csms).last != "Unavailable" }, "\(Self.statuses(csms))")
        let answers = csms.messages().filter { $0["action"] as? String == "ChangeAvailability" }.compactMap { ($0["payload"] as? [String: Any])?["status"] as? String }
        #expect(answers == ["Scheduled", "Accepted"])

        try csms.call("Reset", #"{"type": "Soft"}"#)
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "BootNotification").count == 2 }, "\(daemon.output.text)")
        #expect(daemon.output.text.contains("evsed: restarting (OCPP Reset)"))
        #expect(daemon.process.isRunning, "the same process runs the new evsed")
        // Back in service with the car still there, a second transaction began; the reset stopped it.
        let stops = Self.calls(csms, "StopTransaction").map(Self.payload)
        #expect(Self.calls(csms, "StartTransaction").count == stops.count)
        #expect(stops.compactMap { $0["reason"] as? String } == ["Remote", "SoftReset"], "\(stops)")
    }

    @Test func chargingProfilesSetTheOfferFromTheirStartAndPauseBelowSixAmperes() throws {
        let (directory, _, csms, board) = try Self.centralSystemAndBoard("ocpp-profiles", chargeBox: "CB-smart", ocpp: "")
        let daemon = try RunningDaemon(["run", "--board", board], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        func results(_ action: String) -> [[String: Any]] {
            csms.messages().filter { $0["type"] as? String == "result" && $0["action"] as? String == action }
        }
        #expect(Self.wait(seconds: 60) { Self.statuses(csms).last == "Charging" }, "\(daemon.output.text)")

        // 10 A from three seconds on: not before, and at once after.
        let formatter = ISO8601DateFormatter()
        // On a whole second: the date and time is written without a fraction.
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3).rounded(.up))
        try csms.call("SetChargingProfile", """
            {"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 5, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
             "chargingProfileKind": "Absolute", "chargingSchedule": {"startSchedule": "\(formatter.string(from: start))", "chargingRateUnit": "A",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]}}}
            """)
        #expect(Self.wait(seconds: 30) { results("SetChargingProfile").count == 1 })
        #expect((results("SetChargingProfile").first?["payload"] as? [String: Any])?["status"] as? String == "Accepted")
        Thread.sleep(until: start.addingTimeInterval(-0.5))
        #expect(!daemon.output.text.contains("(10.0 A)"), "the profile has not started yet")
        #expect(Self.wait(seconds: 1.5) { daemon.output.text.contains("PWM 16.7 % (10.0 A)") }, "\(daemon.output.text)")
        try csms.call("GetCompositeSchedule", #"{"connectorId": 1, "duration": 60}"#)
        #expect(Self.wait(seconds: 30) { results("GetCompositeSchedule").count == 1 })
        let composite = results("GetCompositeSchedule").first?["payload"] as? [String: Any]
        let periods = (composite?["charging_schedule"] as? [String: Any])?["charging_schedule_period"] as? [[String: Any]]
        #expect(periods?.first?["limit"] as? Double == 10.0, "\(String(describing: composite))")

        // Below 6 A a PWM cannot offer: charging pauses, and resumes when the profile goes.
        try csms.call("SetChargingProfile", """
            {"connectorId": 0, "csChargingProfiles": {"chargingProfileId": 6, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
             "chargingProfileKind": "Relative", "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 2000}]}}}
            """)
        #expect(Self.wait(seconds: 30) { results("SetChargingProfile").count == 2 })
        #expect((results("SetChargingProfile").last?["payload"] as? [String: Any])?["status"] as? String == "Rejected",
                "a ChargePointMaxProfile has no transaction to be relative to")
        try csms.call("SetChargingProfile", """
            {"connectorId": 0, "csChargingProfiles": {"chargingProfileId": 6, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
             "chargingProfileKind": "Absolute", "chargingSchedule": {"startSchedule": "2020-01-01T00:00:00Z", "chargingRateUnit": "W",
             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 2000}]}}}
            """)
        #expect(Self.wait(seconds: 30) { Self.statuses(csms).last == "SuspendedEVSE" }, "\(Self.statuses(csms))\n\(daemon.output.text)")
        #expect(daemon.output.text.contains("allows 2.8 A, less than a PWM can offer: charging paused"))
        try csms.call("ClearChargingProfile", #"{"chargingProfilePurpose": "ChargePointMaxProfile"}"#)
        #expect(Self.wait(seconds: 30) { Self.statuses(csms).last == "Charging" }, "\(Self.statuses(csms))")
        try csms.call("ClearChargingProfile", #"{"id": 5}"#)
        #expect(Self.wait(seconds: 30) { daemon.output.text.contains("no charging profile limits the charger: 32.0 A") }, "\(daemon.output.text)")
        #expect(results("ClearChargingProfile").compactMap { ($0["payload"] as? [String: Any])?["status"] as? String } == ["Accepted", "Accepted"])
    }

    @Test func cardsAreAuthorizedOnlineOfflineFromTheLocalListOrTheCacheAndTheSameCardStops() throws {
        let setup = try Self.centralSystemAndBoard("ocpp-authorize", chargeBox: "CB-cards", options: ["--blocked", "BLOCKED-1"],
                                                   ocpp: "reconnect_first_s = 1\nreconnect_max_s = 1")
        let (directory, port, board) = (setup.directory, setup.port, setup.board)
        var csms: Peer? = setup.csms
        // Sessions start at a card, not at the plug; the charger's cards name their owners.
        let text = try String(contentsOfFile: board, encoding: .utf8).replacingOccurrences(of: "[simulation]\n", with: "[cards]\nmode = \"card\"\n\n[simulation]\n")
        try text.write(toFile: board, atomically: true, encoding: .utf8)
        let ledger = directory + "/ledger.sqlite"
        let daemon = try RunningDaemon(["run", "--board", board], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "cards: mode card, the simulated reader (tap CARD), authorized by the central system", seconds: 60), "\(daemon.output.text)")
        daemon.type("cards add GOOD-1 kim")
        #expect(daemon.output.wait(for: "card GOOD-1 added: kim", seconds: 30), "\(daemon.output.text)")
        func starts(_ peer: Peer) -> [String] { Self.calls(peer, "StartTransaction").compactMap { Self.payload($0)["idTag"] as? String } }
        #expect(Self.wait(seconds: 60) { Self.statuses(csms!).last == "Preparing" }, "\(Self.statuses(csms!))\n\(daemon.output.text)")

        // Online: the central system decides.
        daemon.type("tap BLOCKED-1")
        #expect(daemon.output.wait(for: "idTag BLOCKED-1 refused by the central system (Blocked)", seconds: 30), "\(daemon.output.text)")
        daemon.type("tap GOOD-1")
        #expect(Self.wait(seconds: 30) { starts(csms!) == ["GOOD-1"] }, "\(daemon.output.text)")
        #expect(Self.calls(csms!, "Authorize").compactMap { Self.payload($0)["idTag"] as? String } == ["BLOCKED-1", "GOOD-1"])
        daemon.type("tap OTHER-1")
        #expect(daemon.output.wait(for: "session 1 is open for another idTag", seconds: 30))
        daemon.type("tap GOOD-1")
        #expect(Self.wait(seconds: 30) { Self.calls(csms!, "StopTransaction").count == 1 }, "\(daemon.output.text)")
        #expect(Self.payload(Self.calls(csms!, "StopTransaction")[0])["reason"] as? String == "Local")

        // A local list, then the central system goes away.
        try csms!.call("SendLocalList", """
            {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [
             {"idTag": "LIST-1", "idTagInfo": {"status": "Accepted"}}, {"idTag": "LIST-BLOCKED", "idTagInfo": {"status": "Blocked"}}]}
            """)
        try csms!.call("SendLocalList", #"{"listVersion": 1, "updateType": "Differential", "localAuthorizationList": []}"#)
        try csms!.call("GetLocalListVersion", "{}")
        #expect(Self.wait(seconds: 30) { csms!.messages().filter { $0["type"] as? String == "result" }.count == 3 })
        let answers = csms!.messages().filter { $0["type"] as? String == "result" }.compactMap { $0["payload"] as? [String: Any] }
        #expect(answers.compactMap { $0["status"] as? String } == ["Accepted", "VersionMismatch"])
        #expect(Self.integer(answers.last?["list_version"]) == 1)
        csms!.stop()
        csms = nil
        #expect(daemon.output.wait(for: "ocpp: disconnected", seconds: 30))
        daemon.type("tap LIST-BLOCKED")
        #expect(daemon.output.wait(for: "idTag LIST-BLOCKED refused offline (Blocked in the local list)", seconds: 30), "\(daemon.output.text)")
        daemon.type("tap UNKNOWN-9")
        #expect(daemon.output.wait(for: "idTag UNKNOWN-9 refused: the central system cannot be asked", seconds: 30))
        daemon.type("tap LIST-1")
        #expect(daemon.output.wait(for: "idTag LIST-1 offline, accepted from the local list", seconds: 30), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "session_started     session 2", seconds: 30), "\(daemon.output.text)")
        daemon.type("tap LIST-1")
        #expect(daemon.output.wait(for: "session 2 (stop_command)", seconds: 30), "\(daemon.output.text)")
        // The cache remembers the central system's answer to GOOD-1.
        daemon.type("tap GOOD-1")
        #expect(daemon.output.wait(for: "idTag GOOD-1 offline, accepted from the authorization cache", seconds: 30), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "session_started     session 3", seconds: 30), "\(daemon.output.text)")

        // Back online: what happened offline arrives, with the cards.
        csms = try Peer.centralSystem(in: directory, port: port)
        #expect(Self.wait(seconds: 60) { starts(csms!).count == 3 }, "\(daemon.output.text)")
        #expect(starts(csms!) == ["GOOD-1", "LIST-1", "GOOD-1"], "the first peer's record is the same file")
        // The books: each session with its idTag as its card, kim's card naming kim.
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        let sessions = try CommandLineTests().jsonLines(try CommandLineTests().evsed(["ledger", "list", "--json", "--ledger", ledger]).output)
        let cards = sessions.sorted { ($0["id"] as? Int ?? 0) < ($1["id"] as? Int ?? 0) }.map { "\($0["card"] as? String ?? "-") \($0["owner"] as? String ?? "-")" }
        #expect(cards == ["GOOD-1 kim", "LIST-1 -", "GOOD-1 kim"], "\(sessions)")
    }

    @Test func unlockingStopsTheTransactionAndAHardResetRestartsWithoutWaitingForTheStop() throws {
        let (directory, _, csms, board) = try Self.centralSystemAndBoard("ocpp-hard-reset", chargeBox: "CB-hard")
        let daemon = try RunningDaemon(["run", "--board", board], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "StartTransaction").count == 1 }, "\(daemon.output.text)")
        try csms.call("UnlockConnector", #"{"connectorId": 1}"#)
        #expect(Self.wait(seconds: 30) { Self.calls(csms, "StopTransaction").count == 1 }, "\(daemon.output.text)")
        #expect(Self.payload(Self.calls(csms, "StopTransaction")[0])["reason"] as? String == "UnlockCommand")
        #expect((csms.messages().first { $0["action"] as? String == "UnlockConnector" }?["payload"] as? [String: Any])?["status"] as? String == "Unlocked")

        // A new session, then a hard reset: evsed restarts at the session's end, and the Stop
        // goes out afterwards, with its reason.
        try csms.call("RemoteStartTransaction", #"{"idTag": "HARD-1"}"#)
        #expect(Self.wait(seconds: 30) { Self.calls(csms, "StartTransaction").count == 2 }, "\(daemon.output.text)")
        try csms.call("Reset", #"{"type": "Hard"}"#)
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "BootNotification").count == 2 && Self.calls(csms, "StopTransaction").count == 2 },
                "\(daemon.output.text)")
        let stops = Self.calls(csms, "StopTransaction").map(Self.payload)
        #expect(stops.compactMap { $0["reason"] as? String } == ["UnlockCommand", "HardReset"], "\(stops)")
        #expect(stops.last?["idTag"] as? String == "HARD-1")
        #expect(daemon.output.text.contains("evsed: restarting (OCPP Reset)") && daemon.process.isRunning)
    }

    @Test func aSessionThatEndedWhileEvsedWasDownIsStoppedAsAPowerLossWithTheLedgersRegister() throws {
        let (directory, _, csms, board) = try Self.centralSystemAndBoard("ocpp-power-loss", chargeBox: "CB-cut")
        let text = try String(contentsOfFile: board, encoding: .utf8)
            .replacingOccurrences(of: "car_stays_after_restart = true", with: "car_stays_after_restart = false")
        try text.write(toFile: board, atomically: true, encoding: .utf8)
        let ledger = directory + "/ledger.sqlite"
        var daemon = try RunningDaemon(["run", "--board", board], ledger: ledger)
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "StartTransaction").count == 1 }, "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "reading ", seconds: 30))
        Thread.sleep(forTimeInterval: 3)
        #expect(daemon.cutPower())

        // The car left during the outage: the session ends as a power loss, one transaction.
        daemon = try RunningDaemon(["run", "--board", board], ledger: ledger)
        defer { daemon.stop() }
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "StopTransaction").count == 1 }, "\(daemon.output.text)")
        let stop = Self.payload(Self.calls(csms, "StopTransaction")[0])
        #expect(stop["reason"] as? String == "PowerLoss", "\(stop)")
        #expect(Self.integer(stop["meterStop"]) == Int64(try Self.sql(ledger, "SELECT end_register_wh FROM sessions WHERE id = 1").first ?? ""))
        #expect(try Self.sql(ledger, "SELECT end_reason FROM sessions WHERE id = 1") == ["power_loss"])
        #expect(Self.calls(csms, "StartTransaction").count == 1 && Self.calls(csms, "BootNotification").count == 2)

        // No session now: a reset restarts at once, and its answer still reaches the central system.
        try csms.call("Reset", #"{"type": "Soft"}"#)
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "BootNotification").count == 3 }, "\(daemon.output.text)")
        let reset = csms.messages().first { $0["type"] as? String == "result" && $0["action"] as? String == "Reset" }
        #expect((reset?["payload"] as? [String: Any])?["status"] as? String == "Accepted", "\(String(describing: reset))")
    }

    @Test func aTransactionTheCentralSystemBlocksIsStoppedAsDeAuthorized() throws {
        let (directory, _, csms, board) = try Self.centralSystemAndBoard("ocpp-blocked", chargeBox: "CB-blocked", options: ["--blocked", "evsed"], ocpp: "")
        let daemon = try RunningDaemon(["run", "--board", board], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "StopTransaction").count == 1 }, "\(daemon.output.text)")
        #expect(Self.payload(Self.calls(csms, "StopTransaction")[0])["reason"] as? String == "DeAuthorized")
        #expect(daemon.output.text.contains("answered session 1's idTag with Blocked: stopping it"))
    }

    @Test func securityProfileOneSendsTheKeyAndProfileTwoChecksTheCentralSystemsCertificate() throws {
        let key = "0123456789abcdef-key"
        // Profile 1: Basic auth over ws://.
        let (directory, _, csms, board) = try Self.centralSystemAndBoard("ocpp-security", chargeBox: "CB-secure", options: ["--auth", "CB-secure:\(key)"],
                                                                          ocpp: "security_profile = 1\nauthorization_key = \"\(key)\"")
        var daemon = try RunningDaemon(["run", "--board", board], ledger: directory + "/ledger.sqlite")
        #expect(Self.wait(seconds: 60) { Self.calls(csms, "BootNotification").count == 1 }, "\(daemon.output.text)")
        daemon.stop()
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        csms.stop()

        // Profile 2: the same over TLS, with a certificate signed by a CA made for the test.
        let ca = try TestCertificateAuthority(in: directory)
        let tlsPort = Peer.freePort()
        let tls = try Peer.centralSystem(in: directory + "/tls", port: tlsPort, options: ["--auth", "CB-secure:\(key)", "--tls", ca.serverCertificate, ca.serverKey])
        let tlsBoard = try Self.board(in: directory + "/tls", ocpp: """
            central_system = "wss://localhost:\(tlsPort)/ocpp"
            charge_box_id = "CB-secure"
            security_profile = 2
            authorization_key = "\(key)"
            ca_file = "\(ca.certificate)"
            """)
        daemon = try RunningDaemon(["run", "--board", tlsBoard], ledger: directory + "/tls/ledger.sqlite")
        defer { daemon.stop() }
        #expect(Self.wait(seconds: 60) { Self.calls(tls, "BootNotification").count == 1 }, "\(daemon.output.text)")
        #expect(tls.messages().first?["auth"] as? String == "Basic " + Data("CB-secure:\(key)".utf8).base64EncodedString())
    }

    @Test func aWrongKeyOrAnUntrustedCertificateIsRefusedAndEvsedKeepsTrying() throws {
        let (directory, _, csms, board) = try Self.centralSystemAndBoard(
            "ocpp-refused", chargeBox: "CB-1", options: ["--auth", "CB-1:the-right-key-of-16"],
            ocpp: "security_profile = 1\nauthorization_key = \"a-wrong-key-of-16-chars\"\nreconnect_first_s = 1\nreconnect_max_s = 1")
        let daemon = try RunningDaemon(["run", "--board", board], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(Self.wait(seconds: 60) { csms.messages().filter { $0["type"] as? String == "refused" }.count >= 2 }, "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "ocpp: cannot connect", seconds: 30), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "session_started", seconds: 30), "charging goes on without the central system")
        #expect(Self.calls(csms).isEmpty)

        // A central system whose certificate no CA of ours signed is not talked to.
        let ours = try TestCertificateAuthority(in: directory + "/ours")
        let theirs = try TestCertificateAuthority(in: directory + "/theirs")
        let tlsPort = Peer.freePort()
        let impostor = try Peer.centralSystem(in: directory + "/theirs", port: tlsPort, options: ["--tls", theirs.serverCertificate, theirs.serverKey])
        let tlsBoard = try Self.board(in: directory + "/ours", ocpp: """
            central_system = "wss://localhost:\(tlsPort)/ocpp"
            charge_box_id = "CB-1"
            ca_file = "\(ours.certificate)"
            reconnect_first_s = 1
            """)
        let tlsDaemon = try RunningDaemon(["run", "--board", tlsBoard], ledger: directory + "/ours/ledger.sqlite")
        defer { tlsDaemon.stop() }
        #expect(tlsDaemon.output.wait(for: "ocpp: cannot connect to wss://localhost:\(tlsPort)/ocpp/CB-1", seconds: 30), "\(tlsDaemon.output.text)")
        Thread.sleep(forTimeInterval: 2)
        #expect(impostor.messages().filter { $0["type"] as? String == "connect" }.isEmpty, "no WebSocket over an unchecked TLS connection")

        // A CA file that is not there stops evsed before it starts anything, and says which.
        try FileManager.default.createDirectory(atPath: directory + "/missing", withIntermediateDirectories: true)
        let missing = try Self.board(in: directory + "/missing", ocpp: """
            central_system = "wss://localhost:\(tlsPort)/ocpp"
            charge_box_id = "CB-1"
            ca_file = "/nonexistent/ca.pem"
            """)
        let outcome = try CommandLineTests().evsed(["run", "--board", missing], ledger: directory + "/missing/ledger.sqlite")
        #expect(outcome.status == 2 && outcome.error.contains("[ocpp] ca_file /nonexistent/ca.pem: No such file or directory"), "\(outcome.error)")
    }
}

/// A certificate authority made with openssl for one test, and a server certificate it signed for
/// localhost and 127.0.0.1.
struct TestCertificateAuthority {
    let certificate: String
    let serverCertificate: String
    let serverKey: String

    init(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        certificate = directory + "/ca.pem"
        serverCertificate = directory + "/server.pem"
        serverKey = directory + "/server.key"
        let extensions = directory + "/server.ext"
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        for arguments in [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory + "/ca.key", "-out", certificate,
             "-days", "2", "-subj", "/CN=evsed test CA"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", serverKey, "-out", directory + "/server.csr",
             "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", directory + "/server.csr", "-CA", certificate, "-CAkey", directory + "/ca.key", "-CAcreateserial",
             "-out", serverCertificate, "-days", "2", "-extfile", extensions],
        ] {
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            openssl.arguments = ["openssl"] + arguments
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { throw OpenSSLFailed(command: arguments[0]) }
        }
    }
}

struct OpenSSLFailed: Error {
    let command: String
}
