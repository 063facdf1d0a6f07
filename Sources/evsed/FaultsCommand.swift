import ArgumentParser
import EVSECore
import Simulation

/// `evsed faults`: the fault catalogue, for installers and for documentation.
struct FaultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "List the fault catalogue: code, detection, reaction, recovery and instructions."
    )

    @Flag(name: .long, help: "One JSON object per fault.")
    var json = false

    func run() {
        let output = LineWriter.standardOutput
        for entry in FaultCatalogue().all {
            if json {
                var line = JSONLine()
                line.add("code", entry.code.rawValue)
                line.add("display", entry.code.displayCode)
                line.add("title", entry.title)
                line.add("detection", entry.detection)
                line.add("reaction", entry.reaction.description)
                line.add("recovery", entry.recovery.description)
                line.add("ocpp", entry.ocppErrorCode)
                line.add("owner_instruction", entry.ownerInstruction)
                line.add("technician_hint", entry.technicianHint)
                output.write(line.description)
            } else {
                output.write("\(entry.code.displayCode) \(entry.code.rawValue) — \(entry.title)")
                output.write("    detected: \(entry.detection)")
                output.write("    reaction: \(entry.reaction)")
                output.write("    recovery: \(entry.recovery)")
                output.write("    OCPP:     \(entry.ocppErrorCode)")
                output.write("    owner:    \(entry.ownerInstruction)")
                output.write("    hint:     \(entry.technicianHint)")
            }
        }
        output.flush()
    }
}
