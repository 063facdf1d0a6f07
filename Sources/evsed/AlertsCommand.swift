import Alerts
import ArgumentParser
import Ledger

/// `evsed alerts`: the outbox of owner alerts, read-only.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "The owner alerts and their deliveries, as the ledger's outbox holds them.",
        subcommands: [List.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per delivery, newest alert first: when, what, channel and address, how it stands (pending with its next attempt and last error, delivered, expired, skipped).")

        @OptionGroup var location: LedgerCommand.Location
        @Flag(name: .long, help: "Only the deliveries still to be made.") var pending = false
        @Option(name: .long, help: "At most this many deliveries.") var last = 100
        @Flag(name: .long, help: "One JSON object per line.") var json = false

        func run() throws {
            let ledger = try location.open(checking: .shape)
            let entries = try ledgerOrExit { () throws(LedgerError) in try ledger.outbox(pendingOnly: pending, limit: last) }
            let output = LineWriter.standardOutput
            if entries.isEmpty && !json {
                output.write(pending ? "nothing pending: every alert was delivered, given up or skipped" : "the outbox is empty")
            } else {
                for line in OutboxListing.lines(entries, json: json) { output.write(line) }
            }
            output.flush()
        }
    }
}
