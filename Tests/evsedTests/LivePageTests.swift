import Foundation
import Testing
import TestSupport

/// The owner's live page in a real browser: `evsed run` on the simulated board serves it,
/// headless Chromium (Tests/peers/browser.py over the DevTools protocol) renders it, and the test
/// reads the DOM as the car charges, as a fault comes and goes, and keeps a screenshot.
@Suite(.serialized) struct LivePageTests {
    let cli = CommandLineTests()
    static let token = "page-token-for-the-tests-0123456789"

    /// A browser on `url`: `eval` answers an expression's value in the live page.
    final class Browser {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        private var buffer = Data()

        init(_ url: String) throws {
            process.executableURL = URL(fileURLWithPath: CommandLineTests.root + "/Tests/peers/.venv/bin/python")
            process.arguments = [CommandLineTests.root + "/Tests/peers/browser.py", url]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            guard line(seconds: 90) == "listening READY" else { throw Failure("the browser did not load \(url)") }
        }

        struct Failure: Error, CustomStringConvertible {
            let description: String
            init(_ description: String) { self.description = description }
        }

        func line(seconds: Double) -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let newline = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    return line
                }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { return nil }
                buffer.append(chunk)
            }
            return nil
        }

        func send(_ command: String) -> [String: Any] {
            input.fileHandleForWriting.write(Data((command + "\n").utf8))
            guard let line = line(seconds: 60), let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return [:] }
            return object
        }

        func eval(_ expression: String) -> Any? { send("eval " + expression)["value"] }

        func text(_ id: String) -> String { eval("document.getElementById('\(id)').textContent") as? String ?? "" }

        /// Waits until `condition` holds for the page.
        func wait(_ seconds: Double, _ condition: (Browser) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition(self) { return true }
                Thread.sleep(forTimeInterval: 0.3)
            }
            return condition(self)
        }

        func close() {
            input.fileHandleForWriting.write(Data("quit\n".utf8))
            if !CommandLineTests.waitForExit(process, seconds: 20) { process.terminate() }
        }
    }

    func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-w", " %{http_code}"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func theOwnerWatchesTheSessionInABrowserAndTheTokenGuardsTheActions() throws {
        let directory = try Peer.scratchDirectory("live-page")
        let port = Peer.freePort()
        let tokenFile = directory + "/page-token"
        try (Self.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        let board = try CardTests.board(in: directory, cards: "[page]\nlisten = \"127.0.0.1:\(port)\"\ntoken_file = \"\(tokenFile)\"")
        let alerts = directory + "/alerts.toml"
        try "default_owner = \"alex\"\n[[owner]]\nname = \"alex\"\nlimits = { energy_kwh = 30 }\n".write(toFile: alerts, atomically: true, encoding: .utf8)
        // A tariff without a minimum price, so that the cost grows with the energy from the start.
        let tariff = directory + "/tariff.toml"
        try "id = \"page\"\ncurrency = \"EUR\"\n[[element]]\ncomponents = [{ type = \"ENERGY\", price = \"0.30\", vat = \"20\" }]\n"
            .write(toFile: tariff, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["run", "--board", board, "--alerts", alerts, "--tariff", tariff], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "page: http://127.0.0.1:\(port)/", seconds: 60), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "contactor           closed", seconds: 60), "\(daemon.output.text)")
        let page = "http://127.0.0.1:\(port)/"
        let browser = try Browser(page)
        defer { browser.close() }

        // Live: the energy and the cost grow without a reload; the predicted end is there.
        #expect(browser.wait(30) { $0.text("state").hasPrefix("Charging — session 1") }, "\(browser.text("state"))")
        #expect(browser.wait(30) { $0.text("energy").hasSuffix(" kWh") && $0.text("energy") != "0.00 kWh" }, "\(browser.text("energy"))")
        let before = browser.text("energy")
        #expect(browser.wait(30) { $0.text("energy") != before }, "the energy stays \(before)")
        let cost = browser.text("cost")
        #expect(cost.hasSuffix(" EUR"), "\(cost)")
        #expect(browser.wait(60) { $0.text("cost") != cost }, "the cost stays \(cost)")
        #expect(browser.wait(30) { $0.text("predicted").contains("energy limit 30.00 kWh") }, "\(browser.text("predicted"))")
        #expect(browser.wait(30) { ($0.eval("document.querySelectorAll('#sessions tr td').length") as? Int ?? 0) >= 5 })
        // Readable and accessible: a language, a live status, labelled controls, a captioned table, nothing from elsewhere.
        #expect(browser.eval("document.documentElement.lang") as? String == "en")
        #expect(browser.eval("document.querySelector('meta[name=viewport]') !== null") as? Bool == true)
        #expect(browser.eval("document.getElementById('state').getAttribute('aria-live')") as? String == "polite")
        #expect(browser.eval("[...document.querySelectorAll('button')].every(b => b.textContent.trim().length > 0)") as? Bool == true)
        #expect(browser.eval("document.querySelector('table caption').textContent") as? String == "Last sessions")
        #expect(browser.eval("performance.getEntriesByType('resource').every(r => r.name.startsWith(location.origin))") as? Bool == true)
        #expect(browser.eval("document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true, "fits a phone's width")
        let shots = CommandLineTests.root + "/.build/test-artifacts"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        #expect(browser.send("shot \(shots)/live-page.png")["saved"] != nil)

        // Reading needs nothing; acting needs the token, and wrong ones are throttled.
        #expect(try curl([page + "state"]).hasSuffix(" 200"))
        #expect(try curl(["-X", "POST", page + "action/limit?amps=10"]).hasSuffix(" 401"))
        #expect(try curl(["-X", "POST", "-H", "Authorization: Bearer wrong", page + "action/pause"]).hasSuffix(" 401"))
        let answer = try curl(["-X", "POST", "-H", "Authorization: Bearer \(Self.token)", page + "action/limit?amps=10"])
        #expect(answer == #"{"action":"limit","result":"limit 10.0 A: done","refused":false} 200"#, "\(answer)")
        #expect(daemon.output.wait(for: "console             web 127.0.0.1: limit 10.0 A", seconds: 10), "\(daemon.output.text)")
        #expect(daemon.output.wait(for: "PWM 16.7 % (10.0 A)", seconds: 30), "\(daemon.output.text)")
        #expect(browser.wait(30) { $0.text("offered") == "10 A" }, "\(browser.text("offered"))")
        for _ in 0..<3 { _ = try curl(["-X", "POST", "-H", "Authorization: Bearer wrong", page + "action/stop"]) }
        #expect(try curl(["-X", "POST", "-H", "Authorization: Bearer \(Self.token)", page + "action/stop"]).hasSuffix(" 429"), "blocked after wrong tokens")
        #expect(try curl([page + "nowhere"]).hasSuffix(" 404"))
        #expect(try curl(["-X", "DELETE", page + "state"]).hasSuffix(" 405"))
        // A fault shows the owner's instruction (the charger retries in 5 minutes).
        daemon.type("trip rcm 3")
        #expect(browser.wait(30) { $0.text("faults").contains("leakage current") }, "\(browser.text("faults"))")
        #expect(browser.eval("document.querySelector('.fault').getAttribute('role')") as? String == "alert")
        #expect(browser.wait(30) { $0.text("offered") == "none" }, "no current is offered during the fault: \(browser.text("offered"))")
        #expect(browser.send("shot \(shots)/live-page-fault.png")["saved"] != nil)
        #expect(browser.wait(30) { $0.text("state") == "A problem stopped charging — session 1" }, "\(browser.text("state"))")

        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(CommandLineTests.waitForExit(daemon.process, seconds: 30))
    }

    @Test func withACertificateThePageIsServedOverTLS() throws {
        let directory = try Peer.scratchDirectory("live-page-tls")
        let (certificate, key) = try Peer.certificate(in: directory)
        let port = Peer.freePort()
        let board = try CardTests.board(in: directory, cards: "[page]\nlisten = \"127.0.0.1:\(port)\"\ncertificate = \"\(certificate)\"\nkey = \"\(key)\"")
        let daemon = try RunningDaemon(["run", "--board", board], ledger: directory + "/ledger.sqlite")
        defer { daemon.stop() }
        #expect(daemon.output.wait(for: "page: https://127.0.0.1:\(port)/ (read-only: no token_file)", seconds: 60), "\(daemon.output.text)")
        var state = ""
        let deadline = Date().addingTimeInterval(20)
        repeat {
            state = try curl(["--cacert", certificate, "https://127.0.0.1:\(port)/state"])
            if state.hasPrefix("{\"charger\"") { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        #expect(state.hasPrefix(#"{"charger":"Simulated 22 kW charger""#) && state.hasSuffix(" 200"), "\(state)")
        // Plain HTTP is not answered on the TLS port, and an unknown CA is refused by the client.
        #expect(!(try curl(["http://127.0.0.1:\(port)/state"]).hasSuffix(" 200")))
        #expect(try curl(["https://127.0.0.1:\(port)/state"]).hasSuffix(" 000"))
        // Without a token the page does not act.
        #expect(try curl(["--cacert", certificate, "-X", "POST", "-H", "Authorization: Bearer anything-at-all-here", "https://127.0.0.1:\(port)/action/stop"])
                    .hasSuffix(" 403"))
    }

    @Test func aPageFileThatCannotBeUsedStopsTheStartWithItsReason() throws {
        let directory = try Peer.scratchDirectory("live-page-config")
        let tokenFile = directory + "/open-token"
        try "page-token-for-the-tests-0123456789\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenFile)
        let board = try CardTests.board(in: directory, cards: "[page]\nlisten = \"127.0.0.1:\(Peer.freePort())\"\ntoken_file = \"\(tokenFile)\"")
        let open = try cli.evsed(["run", "--board", board])
        #expect(open.status != 0 && open.error.contains("lets others read the page's token; chmod 600"), "\(open.output)\(open.error)")
        let listen = try CardTests.board(in: directory, cards: "[page]\nlisten = \"localhost\"")
        let bad = try cli.evsed(["check-config", "--board", listen])
        #expect(bad.status != 0 && (bad.output + bad.error).contains("'localhost' is not an IPv4 address and port"), "\(bad.output)\(bad.error)")
    }
}
