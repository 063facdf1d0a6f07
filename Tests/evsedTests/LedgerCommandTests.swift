import Foundation
import Simulation
import Testing
import TestSupport

/// `evsed ledger …` and the ledger kept by `evsed simulate` and `evsed run`, as a user drives them.
@Suite(.serialized) struct LedgerCommandTests {
    let cli = CommandLineTests()

    /// A scenario of `count` one-minute sessions, each a plug-in, a minute of charging and an unplug.
    func cyclingScenario(count: Int) throws -> String {
        var text = "name = \"cycling\"\nduration_s = \(count * 70 + 10)\n"
        for index in 0..<count {
            text += "[[step]]\nat_s = \(index * 70 + 1)\naction = \"plug\"\n[[step]]\nat_s = \(index * 70 + 61)\naction = \"unplug\"\n"
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-cycling-\(UUID().uuidString).toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func sessions(_ ledger: String) throws -> [[String: Any]] {
        let export = try cli.evsed(["ledger", "export", "--format", "json", "--ledger", ledger])
        #expect(export.status == 0, "\(export.error)")
        return try #require(try JSONSerialization.jsonObject(with: Data(export.output.utf8)) as? [[String: Any]])
    }

    static func integer(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    /// A child writing sessions is killed (SIGKILL) at random moments, again and again. After each
    /// restart the ledger verifies, no two sessions share a watt-hour, and in the end every
    /// watt-hour the meter counted belongs to exactly one session.
    @Test func sessionsSurviveSIGKILLAtRandomMoments() throws {
        let ledger = CommandLineTests.privateLedger()
        let meterState = ledger + ".meter"
        let scenario = try cyclingScenario(count: 6)
        let arguments = ["simulate", "--scenario", scenario, "--ledger", ledger, "--meter-state", meterState, "--readings", "0"]
        var random = SeededRandom(seed: UInt64(Date().timeIntervalSince1970))
        let seed = random.state
        // One run to its end first: it makes the ledger, and its length sets the range of the kills.
        let timed = Date()
        let first = try cli.evsed(arguments, ledger: ledger)
        #expect(first.status == 0, "\(first.error)")
        // The kills land within the run's length, learnt from the runs that ended by themselves
        // (the machine may be busier for the first than for the others).
        var runSeconds = Date().timeIntervalSince(timed)
        var killed = 0
        for round in 0..<30 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
            process.arguments = arguments
            process.environment = CommandLineTests.environment(ledger: ledger)
            process.currentDirectoryURL = URL(fileURLWithPath: CommandLineTests.root)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let started = Date()
            try process.run()
            Thread.sleep(forTimeInterval: runSeconds * 0.7 * Double(random.next() % 1000) / 1000)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            } else {
                runSeconds = min(runSeconds, Date().timeIntervalSince(started))
            }
            process.waitUntilExit()
            let verify = try cli.evsed(["ledger", "verify", "--ledger", ledger])
            #expect(verify.status == 0, "round \(round) (seed \(seed)): \(verify.error)")
            let all = try sessions(ledger)
            var previousEnd: Int64?
            for session in all {
                guard let start = Self.integer(session["start_register_wh"]) else { continue }
                if let previousEnd { #expect(start >= previousEnd, "round \(round) (seed \(seed)): session \(session["id"]!) starts inside the one before") }
                if session["status"] as? String == "closed", let end = Self.integer(session["end_register_wh"]) {
                    #expect(Self.integer(session["energy_wh"]) == end - start)
                    previousEnd = end
                } else {
                    previousEnd = Self.integer(session["end_register_wh"]) ?? start
                }
            }
        }
        #expect(killed >= 20, "most runs should have been killed before their end (a run takes \(runSeconds) s)")
        // One run to the end closes every session; then the meter's whole count is in the books.
        let last = try cli.evsed(arguments, ledger: ledger)
        #expect(last.status == 0, "\(last.error)")
        let all = try sessions(ledger)
        #expect(all.allSatisfy { $0["status"] as? String == "closed" })
        let register = try #require(Double(try String(contentsOfFile: meterState, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let total = all.compactMap { Self.integer($0["energy_wh"]) }.reduce(0, +)
        #expect(total == Int64(register.rounded()) - 1_234_500, "seed \(seed)")
        #expect(total > 6 * 150, "at least the last run's six one-minute sessions at 11 kW")
        let verify = try cli.evsed(["ledger", "verify", "--ledger", ledger])
        #expect(verify.status == 0)
    }

    /// `evsed run` with `ledger`, until `needle` has been printed; then `signal`.
    func run(ledger: String, until needle: String, then signal: Int32) throws -> String {
        let daemon = try RunningDaemon(["run", "--json"], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: needle, seconds: 60), "\(daemon.output.text)")
        kill(daemon.process.processIdentifier, signal)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        return daemon.output.text
    }

    /// SIGTERM opens the contactor and leaves the session open; the next start resumes it.
    @Test func aStoppedDaemonResumesTheSameSession() throws {
        let ledger = CommandLineTests.privateLedger()
        let first = try run(ledger: ledger, until: "\"event\":\"contactor\",\"closed\":true", then: SIGTERM)
        #expect(first.contains("\"event\":\"session_started\",\"session\":\"1\""))
        let stopped = try #require(try sessions(ledger).first)
        #expect(stopped["status"] as? String == "open")
        let energyBefore = try #require(Self.integer(stopped["energy_wh"]))
        let second = try run(ledger: ledger, until: "\"event\":\"contactor\",\"closed\":true", then: SIGINT)
        #expect(second.contains("\"event\":\"session_resumed\",\"session\":\"1\""))
        #expect(!second.contains("session_started"))
        let resumed = try #require(try sessions(ledger).first)
        #expect(try sessions(ledger).count == 1)
        let interruptions = try #require(resumed["interruptions"] as? [[String: Any]])
        #expect(interruptions.first?["cause"] as? String == "daemon_stopped")
        #expect(interruptions.first?["end"] != nil)
        #expect(try #require(Self.integer(resumed["energy_wh"])) >= energyBefore)
        #expect(try cli.evsed(["ledger", "verify", "--ledger", ledger]).status == 0)
    }

    /// Another program holds the database, as a full or failing card would refuse writes: the
    /// write fails, the charger stops charging (`ledger_write_failed`) and stays out of service;
    /// the books stay whole, and a restart, which reads them afresh, charges again.
    @Test func aLedgerThatCannotBeWrittenStopsTheChargingAndARestartReadsItAfresh() throws {
        let ledger = CommandLineTests.privateLedger()
        var daemon = try RunningDaemon(["run", "--json"], ledger: ledger)
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: #""event":"contactor","closed":true"#, seconds: 60), "\(daemon.output.text)")
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", """
            import sqlite3, sys, time
            database = sqlite3.connect(sys.argv[1], isolation_level=None)
            database.execute("BEGIN EXCLUSIVE")
            print("held", flush=True)
            time.sleep(120)
            """, ledger]
        let said = Pipe()
        holder.standardOutput = said
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        #expect(String(decoding: said.fileHandleForReading.availableData, as: UTF8.self).contains("held"))
        #expect(daemon.output.wait(for: #""event":"ledger_error""#, seconds: 60), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: #""event":"fault","code":"ledger_write_failed""#, seconds: 60), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: #""event":"contactor","closed":false"#, seconds: 60), "\(daemon.output.text)")
        // (SIGKILL: the test's process hands SIGTERM on ignored.)
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
        daemon.stop()
        #expect(try cli.evsed(["ledger", "verify", "--ledger", ledger]).status == 0)

        daemon = try RunningDaemon(["run", "--json"], ledger: ledger)
        #expect(daemon.output.wait(for: #""event":"contactor","closed":true"#, seconds: 60), "\(daemon.output.text)")
        #expect(!daemon.output.text.contains("ledger_write_failed"))
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
    }

    @Test func listShowExportAndVerifyASimulatedDay() throws {
        let ledger = CommandLineTests.privateLedger()
        let run = try cli.evsed(["simulate", "--scenario", "boards/scenarios/fault-clears-session-resumes.toml", "--ledger", ledger, "--readings", "0"])
        #expect(run.status == 0, "\(run.error)")
        let list = try cli.evsed(["ledger", "list", "--ledger", ledger])
        #expect(list.output.contains("vehicle_unplugged"))
        #expect(list.output.contains("EUR"))
        let show = try cli.evsed(["ledger", "show", "1", "--ledger", ledger])
        #expect(show.status == 0)
        for expected in ["Session 1", "energy", "meter register", "fault:meter lost", "total", "EUR"] {
            #expect(show.output.contains(expected), "ledger show lacks \(expected):\n\(show.output)")
        }
        let csv = try cli.evsed(["ledger", "export", "--format", "csv", "--ledger", ledger])
        let rows = csv.output.split(separator: "\n")
        #expect(rows.first?.hasPrefix("id,connector,owner,started") == true)
        #expect(rows.count == 2)
        let ocmf = try cli.evsed(["ledger", "export", "--format", "ocmf", "--ledger", ledger])
        #expect(ocmf.output.hasPrefix("OCMF|{"))
        #expect(ocmf.output.contains("\"SA\":\"ECDSA-secp256r1-SHA256\""))
        let since = try cli.evsed(["ledger", "list", "--since", "2030-01-01", "--ledger", ledger])
        #expect(since.output.contains("no sessions in that period"))
        let verify = try cli.evsed(["ledger", "verify", "--ledger", ledger])
        #expect(verify.status == 0)
        #expect(verify.output.contains("intact"))
    }

    /// A tariff with every dimension, a price change at 08:30, steps, VAT and a minimum.
    static let everyDimension = """
        id = "every-dimension"
        currency = "EUR"
        min_price = "0.50"
        min_price_incl_vat = "0.60"
        [[element]]
        restrictions = { start_time = "08:30", end_time = "00:00" }
        components = [{ type = "ENERGY", price = "0.3456", vat = "19", step_wh = 100 }, { type = "TIME", price = "0.90", vat = "19", step_s = 60 }]
        [[element]]
        components = [{ type = "ENERGY", price = "0.25", vat = "19" }, { type = "PARKING_TIME", price = "2.40", vat = "19", step_s = 300 },
                      { type = "FLAT", price = "0.35", vat = "19" }]
        """

    /// The event log's bill lines, `ledger show`, the JSON export and the OCPI CDR are views of
    /// `ledger statement`: the owner's month in text, CSV and JSON, one file per owner, with the
    /// totals of the ledger's own bills.
    @Test func aStatementCarriesTheOwnersSessionsAndTheirBillsTotals() throws {
        let ledger = CommandLineTests.privateLedger()
        let run = try cli.evsed(["simulate", "--scenario", "boards/scenarios/owner-alerts.toml", "--alerts", "boards/alerts.scenario.toml",
                                 "--ledger", ledger, "--readings", "0"])
        #expect(run.status == 0, "\(run.error)")
        let exported = try #require(try sessions(ledger).first)
        #expect(exported["owner"] as? String == "alex")
        let started = try #require(exported["started"] as? String)
        let month = String(started.prefix(7))
        let cost = String(format: "%.2f", try #require((exported["cost_incl_vat"] as? NSNumber)?.doubleValue))

        let text = try cli.evsed(["ledger", "statement", "--owner", "alex", "--month", month, "--ledger", ledger])
        #expect(text.status == 0, "\(text.error)")
        for expected in ["Charging statement: alex", "Period: \(month)", "Total: 1 session(s)", "\(cost) EUR incl. VAT"] {
            #expect(text.output.contains(expected), "'\(expected)' in\n\(text.output)")
        }
        let csv = try cli.evsed(["ledger", "statement", "--owner", "alex", "--month", month, "--format", "csv", "--ledger", ledger]).output
        let rows = csv.split(separator: "\n")
        #expect(rows.count == 3 && rows[2].contains(",total,") && rows[2].contains(",\(cost),"), "\(csv)")
        let json = try cli.evsed(["ledger", "statement", "--owner", "alex", "--month", month, "--format", "json", "--ledger", ledger]).output
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let totals = try #require(document["totals"] as? [[String: Any]])
        #expect(String(format: "%.2f", (totals.first?["incl_vat"] as? NSNumber)?.doubleValue ?? -1) == cost)
        #expect((document["sessions"] as? [Any])?.count == 1)

        let directory = try Peer.scratchDirectory("statements")
        let all = try cli.evsed(["ledger", "statement", "--all-owners", "--output", directory, "--month", month, "--ledger", ledger])
        #expect(all.status == 0 && FileManager.default.fileExists(atPath: "\(directory)/statement-\(month)-alex.txt"), "\(all.output)\(all.error)")
        let empty = try cli.evsed(["ledger", "statement", "--owner", "alex", "--month", "1999-01", "--ledger", ledger])
        #expect(empty.output.contains("(no sessions)"))
        let wrong = try cli.evsed(["ledger", "statement", "--owner", "alex", "--month", "2026-13", "--ledger", ledger])
        #expect(wrong.status != 0 && wrong.error.contains("--month is YYYY-MM (2026-11), not '2026-13'"), "\(wrong.error)")
    }

    /// one bill: the same rows, the same totals.
    @Test func everyViewOfABillAgrees() throws {
        let ledger = CommandLineTests.privateLedger()
        let tariff = try cli.temporaryFile("every-dimension", Self.everyDimension)
        let run = try cli.evsed(["simulate", "--scenario", "boards/scenarios/owner-alerts.toml", "--tariff", tariff, "--ledger", ledger,
                                 "--readings", "0", "--json"])
        #expect(run.status == 0, "\(run.error)")
        let events = try cli.jsonLines(run.output)
        let ended = try #require(events.first { $0["event"] as? String == "session_ended" })
        let logged = events.filter { $0["event"] as? String == "bill_line" }
        let fields = ["dimension", "quantity", "unit", "unit_price", "excl_vat", "vat", "incl_vat"]
        let loggedRows = logged.map { line in fields.map { line[$0] as? String ?? "" } }
        #expect(Set(loggedRows.map { $0[0] }) == ["ENERGY", "TIME", "PARKING_TIME", "FLAT", "CHARGER_UNAVAILABLE"], "\(loggedRows)")

        let exported = try #require(try sessions(ledger).first)
        let exportedRows = try #require(exported["bill"] as? [[String: Any]]).map { line in fields.map { line[$0] as? String ?? "" } }
        #expect(exportedRows == loggedRows)
        let cost = String(format: "%.2f", try #require((ended["cost"] as? NSNumber)?.doubleValue))
        #expect(String(format: "%.2f", try #require((exported["cost_incl_vat"] as? NSNumber)?.doubleValue)) == cost)

        let show = try cli.evsed(["ledger", "show", "1", "--ledger", ledger])
        #expect(show.output.contains("= \(cost) EUR\n") || show.output.hasSuffix("= \(cost) EUR"), "\(show.output)")
        for row in exportedRows where row[0] != "CHARGER_UNAVAILABLE" {
            #expect(show.output.contains("\(row[4]) + 19 % VAT \(row[5]) = \(row[6]) EUR"), "\(row) in\n\(show.output)")
        }

        let site = try cli.temporaryFile("site", try String(contentsOfFile: CommandLineTests.root + "/boards/site.example.toml", encoding: .utf8))
        let export = try cli.evsed(["ledger", "export", "--format", "ocpi-cdr", "--site", site, "--ledger", ledger])
        #expect(export.status == 0, "\(export.error)")
        let cdrs = try #require(try JSONSerialization.jsonObject(with: Data(export.output.utf8)) as? [[String: Any]])
        let cdr = try #require(cdrs.first)
        let total = try #require(cdr["total_cost"] as? [String: Any])
        #expect(String(format: "%.2f", try #require((total["incl_vat"] as? NSNumber)?.doubleValue)) == cost)
        #expect((total["excl_vat"] as? NSNumber)?.stringValue == (exported["cost_excl_vat"] as? NSNumber)?.stringValue)
        let energyWh = try #require(Self.integer(exported["energy_wh"]))
        #expect((cdr["total_energy"] as? NSNumber)?.doubleValue == Double(energyWh) / 1000)
        // The periods carry every Wh and every second of charging time.
        let periods = try #require(cdr["charging_periods"] as? [[String: Any]])
        var energy = 0.0, hours = 0.0
        for period in periods {
            for dimension in try #require(period["dimensions"] as? [[String: Any]]) {
                let volume = try #require((dimension["volume"] as? NSNumber)?.doubleValue)
                if dimension["type"] as? String == "ENERGY" { energy += volume }
                if dimension["type"] as? String == "TIME" { hours += volume }
            }
            #expect(period["tariff_id"] as? String == "every-dimension")
        }
        #expect(abs(energy - Double(energyWh) / 1000) < 0.0005)
        let charging = Double(try #require(Self.integer(exported["charging_s"])))
        #expect(abs(hours - charging / 3600) < 0.000001 * Double(periods.count))
        let energyCost = try #require(cdr["total_energy_cost"] as? [String: Any])
        let energyRows = exportedRows.filter { $0[0] == "ENERGY" }
        #expect(abs((energyCost["excl_vat"] as? NSNumber)!.doubleValue - energyRows.map { Double($0[4])! }.reduce(0, +)) < 0.001)
        let tariffs = try #require(cdr["tariffs"] as? [[String: Any]])
        #expect(tariffs.first?["id"] as? String == "every-dimension")
        #expect((tariffs.first?["min_price"] as? [String: Any])?["incl_vat"] as? NSNumber == 0.6)

        // Without a site file the CDR export says what it needs.
        let noSite = try cli.evsed(["ledger", "export", "--format", "ocpi-cdr", "--ledger", ledger])
        #expect(noSite.status != 0)
        #expect(noSite.error.contains("--site FILE"))
        let badSite = try cli.temporaryFile("bad-site", "[ocpi]\ncountry_code = \"Germany\"\n")
        let bad = try cli.evsed(["ledger", "export", "--format", "ocpi-cdr", "--site", badSite, "--ledger", ledger])
        #expect(bad.status == 2)
        #expect(bad.error.contains("\(badSite):2: ocpi.country_code: 'Germany' is not an ISO 3166-1 alpha-2 country code"), "\(bad.error)")
    }

    /// The daemon killed with readings in its WAL: `ledger verify` and `ledger list` leave the
    /// files byte for byte as they were (verify used to fold the WAL into the database); once the
    /// WAL is removed, the lost records are named and evsed will not add to the books.
    @Test func readersChangeNothingAndALostWALIsFound() throws {
        let ledger = CommandLineTests.privateLedger()
        let scenario = try cyclingScenario(count: 40)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        process.arguments = ["simulate", "--scenario", scenario, "--ledger", ledger, "--readings", "0"]
        process.environment = CommandLineTests.environment(ledger: ledger)
        process.currentDirectoryURL = URL(fileURLWithPath: CommandLineTests.root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var waited = 0
        while waited < 600, ((try? FileManager.default.attributesOfItem(atPath: ledger + "-wal")[.size] as? Int) ?? 0) < 200_000 {
            Thread.sleep(forTimeInterval: 0.05)
            waited += 1
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        func digest() throws -> [String] {
            try ["", "-wal"].map { suffix in
                let data = try Data(contentsOf: URL(fileURLWithPath: ledger + suffix))
                return "\(data.count):\(data.hashValue)"
            }
        }
        let before = try digest()
        let verify = try cli.evsed(["ledger", "verify", "--ledger", ledger])
        #expect(verify.status == 0, "\(verify.error)")
        _ = try cli.evsed(["ledger", "list", "--ledger", ledger])
        #expect(try digest() == before, "a reader changed the files")

        try FileManager.default.removeItem(atPath: ledger + "-wal")
        try? FileManager.default.removeItem(atPath: ledger + "-shm")
        // Nothing of it reached the database itself: every reader says what happened.
        for command in [["ledger", "verify"], ["ledger", "list"], ["ledger", "export", "--format", "json"]] {
            let lost = try cli.evsed(command + ["--ledger", ledger])
            #expect(lost.status == 3)
            #expect(lost.error.contains("holds no records but the books had reached record #"), "\(lost.error)")
        }
        let again = try cli.evsed(["simulate", "--scenario", scenario, "--ledger", ledger, "--readings", "0"])
        #expect(again.status == 3)
        #expect(again.error.contains("evsed adds nothing to these books"), "\(again.error)")
    }

    /// A welded contactor latched until a technician clears it: the next start is still out of
    /// service, and the car that plugs in is not charged.
    @Test func aLatchedFaultSurvivesARestart() throws {
        let ledger = CommandLineTests.privateLedger()
        let welded = try cli.evsed(["simulate", "--scenario", "boards/scenarios/contactor-welded.toml", "--ledger", ledger, "--readings", "0", "--json"])
        #expect(welded.status == 0, "\(welded.error)")
        #expect(welded.output.contains("\"event\":\"fault_latched\",\"code\":\"contactor_welded\""))
        let next = try cli.evsed(["simulate", "--scenario", "boards/scenarios/normal-session.toml", "--ledger", ledger, "--readings", "0", "--json"])
        #expect(next.status == 0, "\(next.error)")
        #expect(!next.output.contains("\"event\":\"contactor\",\"closed\":true"), "\(next.output.prefix(2000))")
        #expect(!next.output.contains("session_started"))
    }

    @Test func mistakesAreNamed() throws {
        let ledger = CommandLineTests.privateLedger()
        let missing = try cli.evsed(["ledger", "list", "--ledger", ledger])
        #expect(missing.status == 3)
        #expect(missing.error.contains("no ledger here"))
        _ = try cli.evsed(["simulate", "--scenario", "boards/scenarios/normal-session.toml", "--ledger", ledger, "--readings", "0"])
        let noSuch = try cli.evsed(["ledger", "show", "99", "--ledger", ledger])
        #expect(noSuch.status == 1)
        #expect(noSuch.error.contains("no session 99"))
        let badDate = try cli.evsed(["ledger", "list", "--since", "yesterday", "--ledger", ledger])
        #expect(badDate.status != 0)
        #expect(badDate.error.contains("'yesterday' is not a date"))
        let notOurs = try cli.evsed(["ledger", "verify", "--ledger", "boards/sim.toml"])
        #expect(notOurs.status == 3)
        #expect(notOurs.error.contains("not an SQLite database"))
    }

    @Test func tamperingMakesVerifyFailNamingTheRecord() throws {
        let ledger = CommandLineTests.privateLedger()
        _ = try cli.evsed(["simulate", "--scenario", "boards/scenarios/normal-session.toml", "--ledger", ledger, "--readings", "0"])
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [ledger, "UPDATE sessions SET energy_wh = energy_wh / 2"]
        try sqlite.run()
        sqlite.waitUntilExit()
        try #require(sqlite.terminationStatus == 0, "sqlite3 is needed to tamper (make deps installs it)")
        let verify = try cli.evsed(["ledger", "verify", "--ledger", ledger])
        #expect(verify.status == 1)
        #expect(verify.error.contains("was altered"))
        #expect(verify.error.contains("session 1"))
    }
}

/// `evsed run --console` and `evsed console`, as a technician uses them.
@Suite struct ConsoleCommandTests {
    let cli = CommandLineTests()

    @Test func aTechnicianConnectsLogsInAndChangesTheLimit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-console-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let socket = directory + "/console.sock"
        let pin = try cli.evsed(["console", "--hash-pin"], input: "2468\n").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pin.hasPrefix("pbkdf2-sha256:210000:") && pin.split(separator: ":").count == 4, "\(pin)")
        let daemon = try RunningDaemon(["run", "--console", socket, "--console-pin-file", try CommandLineTests.pinFile(pin)], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        let (process, collected) = (daemon.process, daemon.output)
        #expect(collected.wait(for: "contactor           closed", seconds: 60))

        let session = try cli.evsed(["console", "--socket", socket],
                                    input: "status\rlimit 10\rlogin\r1111\rlogin\r2468\rlimit 10\rfaults\rsessions\rsesion 1\rconfig show\rtest rcm\r")
        #expect(session.status == 0, "\(session.error)")
        let screen = session.output
        for expected in ["help lists the commands", "contactor closed    true", "limit changes the charger: login first",
                         "wrong PIN", "logged in", "limit 10.0 A: done", "no active faults", "did you mean 'session'?", "board file: boards/sim.toml", "[charger]", "test rcm: refused: the contactor is closed; stop or pause charging first", "bye"] {
            #expect(screen.contains(expected), "the console did not show '\(expected)':\n\(screen)")
        }
        #expect(!screen.contains("2468"), "the PIN was echoed")
        #expect(collected.wait(for: "PWM 16.7 % (10.0 A)", seconds: 30))
        // A technician's RCM test while charging is refused, and the refusal is in the log.
        #expect(collected.wait(for: "test rcm: the contactor is closed; stop or pause charging first", seconds: 30))
        kill(process.processIdentifier, SIGINT)
        #expect(CommandLineTests.waitForExit(process, seconds: 30))
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket is removed on stop")
        let missing = try cli.evsed(["console", "--socket", socket])
        #expect(missing.status == 1)
        #expect(missing.error.contains("is evsed running with a console?"))
    }
}

/// `evsed run` in the background with its own ledger, its output collected as it comes.
final class RunningDaemon {
    let process = Process()
    let output = LockedText()
    private let pipe = Pipe()
    private let input = Pipe()

    /// Types a line on the daemon's terminal (the simulated board's commands: plug, unplug, …).
    func type(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    init(_ arguments: [String], ledger: String) throws {
        process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        process.arguments = arguments
        process.environment = CommandLineTests.environment(ledger: ledger)
        process.currentDirectoryURL = URL(fileURLWithPath: CommandLineTests.root)
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = input
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
        try process.run()
    }

    /// Kills it as a power cut would (SIGKILL: nothing gets to run); true once it is gone.
    func cutPower() -> Bool {
        kill(process.processIdentifier, SIGKILL)
        let gone = CommandLineTests.waitForExit(process, seconds: 30)
        stop()
        return gone
    }

    /// Ends it if it still runs, and stops collecting.
    func stop() {
        if process.isRunning { process.terminate() }
        pipe.fileHandleForReading.readabilityHandler = nil
    }
}
