import Alerts
import ArgumentParser
import ConfigFile
import Cards
import Console
import Hardware
import LivePage
import OCPP
import Simulation

/// `evsed check-config`: every mistake of a board file or an alerts file, before it goes on a charger.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a board file and an alerts file; report every problem with its file, line and key.",
        discussion: """
            Exits 0 when the files are usable, 1 when they have problems. Devices are not opened. \
            For an alerts file, each server it names (SMTP, MQTT, SMS gateway, the owners' webhooks) \
            must resolve and accept a connection, and the modem must open; --offline skips that.
            """)

    @Option(name: .long, help: "The board file.")
    var board: String?

    @Option(name: .long, help: "The alerts file (owners, channels, templates).")
    var alerts: String?

    @Flag(name: .long, help: "Do not try the alerts file's servers and modem.")
    var offline = false

    func validate() throws {
        if board == nil && alerts == nil { throw ValidationError("name a file to check: --board FILE and/or --alerts FILE") }
    }

    func run() throws {
        var failed = false
        let output = LineWriter.standardOutput, errors = LineWriter.standardError
        if let board {
            var problems = BoardDescription.problems(in: board)
            if problems.isEmpty, let description = try? BoardDescription.load(board) {
                // The tables other modules read: each as evsed run will read it.
                do throws(ConfigError) { _ = try ConsoleSettings.read(description.console) } catch { problems.append(error) }
                do throws(ConfigError) { _ = try OCPPSettings.read(description.ocpp) } catch { problems.append(error) }
                do throws(ConfigError) { _ = try CardSettings.read(description.cards) } catch { problems.append(error) }
                do throws(ConfigError) { _ = try LivePageSettings.read(description.page) } catch { problems.append(error) }
                if let simulation = description.simulation {
                    do throws(ConfigError) { _ = try SimulationSettings.read(simulation) } catch { problems.append(error) }
                }
            }
            if problems.isEmpty {
                let description = try? BoardDescription.load(board)
                output.write("\(board): ok (\(description?.name ?? ""), \(description?.kind.rawValue ?? ""))")
            } else {
                for problem in problems { errors.write("\(problem)") }
                errors.write("\(board): \(problems.count) problem(s)")
                failed = true
            }
        }
        if let alerts {
            // Each section read on its own (every mistake reported), then, when the file is
            // sound, its servers tried.
            var problems: [ConfigError] = []
            var configuration: AlertConfiguration?
            do throws(ConfigError) {
                configuration = AlertConfiguration.read(try ConfigDocument.load(alerts), problems: &problems)
            } catch {
                problems.append(error)
            }
            if problems.isEmpty, !offline, let configuration { problems = ServerProbe.problems(configuration) }
            if problems.isEmpty, let configuration {
                let channels = ChannelKind.allCases.filter(configuration.hasChannel).map(\.rawValue)
                output.write("\(alerts): ok (\(configuration.owners.count) owner(s); channels: \(channels.isEmpty ? "none" : channels.joined(separator: ", "))"
                             + (offline ? "; servers not tried" : "; every server answered") + ")")
            } else {
                for problem in problems { errors.write("\(problem)") }
                errors.write("\(alerts): \(problems.count) problem(s)")
                failed = true
            }
        }
        output.flush()
        if failed { throw ExitCode(1) }
    }
}
