import ArgumentParser
import ConfigFile
import Hardware

/// `evsed check-config`: every mistake of a board file, before it goes on a charger.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a board file and report every problem with its file, line and key.",
        discussion: "Exits 0 when the board file is usable, 1 when it has problems. Devices are not opened.")

    @Option(name: .long, help: "The board file.")
    var board: String

    func run() throws {
        let problems = BoardDescription.problems(in: board)
        guard problems.isEmpty else {
            for problem in problems { LineWriter.standardError.write("\(problem)") }
            LineWriter.standardError.write("\(board): \(problems.count) problem(s)")
            throw ExitCode(1)
        }
        let description = try? BoardDescription.load(board)
        LineWriter.standardOutput.write("\(board): ok (\(description?.name ?? ""), \(description?.kind.rawValue ?? ""))")
        LineWriter.standardOutput.flush()
    }
}
