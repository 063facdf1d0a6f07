import ArgumentParser
import Billing
import ConfigFile
import EVSECore
import Ledger
import Sessions
import Simulation

/// `evsed ledger`: the charger's books, read-only.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "List, show, export and verify the sessions in the ledger.",
        subcommands: [List.self, Show.self, Export.self, Verify.self, StatementCommand.self]
    )

    struct Location: ParsableArguments {
        @Option(name: .long, help: "The ledger (default: $EVSED_LEDGER, else $STATE_DIRECTORY/ledger.sqlite, else /var/lib/evsed/ledger.sqlite).")
        var ledger: String?

        /// How much of the chain a command checks before it reads the books.
        enum Check {
            /// Its shape (no record missing, the head as recorded), whatever the ledger's size: `list`, `show`.
            case shape
            /// Every record's hash, linear in the ledger's size: `export`, whose output others import.
            case chain
            /// Nothing: the command is the check (`verify`).
            case none
        }

        /// Opens the ledger to read it; books that fail the check are still shown, with a warning.
        func open(checking check: Check) throws -> Ledger {
            let opened = try openLedgerOrExit(ledgerPath(ledger), create: false, writable: false)
            let problem: String?
            switch check {
            case .shape: problem = try? opened.shapeProblem()
            case .chain: problem = try? opened.integrityProblem()
            case .none: problem = nil
            }
            if let problem {
                LineWriter.standardError.write("evsed: warning: \(opened.path): \(problem); `evsed ledger verify` says more")
            }
            return opened
        }
    }

    struct Period: ParsableArguments {
        @Option(name: .long, help: "Only sessions started at or after this local date or time (2026-11-01, 2026-11-01T18:00; a trailing Z means UTC).",
                transform: Period.parse)
        var since: Timestamp?

        @Option(name: .long, help: "Only sessions started before this local date or time.", transform: Period.parse)
        var until: Timestamp?

        static func parse(_ text: String) throws -> Timestamp {
            guard let time = Timestamp(parsing: text) else {
                throw ValidationError("'\(text)' is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM[:SS][Z])")
            }
            return time
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per session: start, duration, energy, cost, how it ended.")

        @OptionGroup var location: Location
        @OptionGroup var period: Period
        @Option(name: .long, help: "Only the newest N sessions.") var last: Int?
        @Flag(name: .long, help: "One JSON object per line.") var json = false

        func run() throws {
            let ledger = try location.open(checking: .shape)
            let sessions = try ledgerOrExit { () throws(LedgerError) in
                try ledger.sessions(since: period.since, until: period.until, limit: last, details: json)
            }
            let output = LineWriter.standardOutput
            if json {
                for session in sessions { output.write(session.json.description) }
            } else if sessions.isEmpty {
                output.write("no sessions" + (period.since == nil && period.until == nil ? "" : " in that period"))
            } else {
                output.write(pad("id", 6) + pad("started (local)", 21) + pad("duration", 10) + pad("energy", 13) + pad("cost", 14) + "status")
                let now = Timestamp.now()
                for session in sessions {
                    let cost = session.costIncludingVAT.map { "\($0) \(session.currency ?? "")" } ?? "–"
                    output.write(pad(String(session.id), 6) + pad(session.startedAt.local.description, 21)
                                 + pad(duration(session.durationSeconds(at: now)), 10) + pad(kilowattHours(session.energyWh) + " kWh", 13)
                                 + pad(cost, 14) + (session.closed ? session.endReason ?? "closed" : session.status))
                }
            }
            output.flush()
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A session's bill, as its owner reads it.")

        @OptionGroup var location: Location
        @Argument(help: "The session's id.") var id: Int64
        @Flag(name: .long, help: "The session as one JSON object.") var json = false

        func run() throws {
            let ledger = try location.open(checking: .shape)
            guard let session = try ledgerOrExit({ () throws(LedgerError) in try ledger.session(id) }) else {
                LineWriter.standardError.write("evsed: ledger: no session \(id) in \(ledger.path) (evsed ledger list shows them)")
                throw ExitCode(1)
            }
            let output = LineWriter.standardOutput
            if json {
                output.write(session.json.description)
            } else {
                for line in bill(session, charger: ledger.chargerID) { output.write(line) }
            }
            output.flush()
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every session of a period as CSV, JSON, signed OCMF records or OCPI 2.2.1 CDRs.",
            discussion: "ocpi-cdr needs --site FILE: a TOML file with an [ocpi] table naming the operator and the location (boards/site.example.toml)."
        )

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case csv, json, ocmf
            case ocpiCDR = "ocpi-cdr"
        }

        @OptionGroup var location: Location
        @OptionGroup var period: Period
        @Option(name: .long, help: "csv, json, ocmf or ocpi-cdr.") var format: Format
        @Option(name: .long, help: "With ocpi-cdr: the site file whose [ocpi] table names the operator and the location.") var site: String?

        func validate() throws {
            if format == .ocpiCDR && site == nil {
                throw ValidationError("--format ocpi-cdr needs --site FILE with an [ocpi] table (boards/site.example.toml shows one)")
            }
        }

        func run() throws {
            let operatorSite = try site.map { path in
                try configurationOrExit { () throws(ConfigError) in
                    let document = try ConfigDocument.load(path)
                    guard let table = try document.table("ocpi") else { throw document.error(nil, "missing table [ocpi]") }
                    let site = try OCPISite.read(table)
                    try document.rejectUnknownKeys()
                    return site
                }
            }
            let ledger = try location.open(checking: .chain)
            let output = LineWriter.standardOutput
            switch format {
            case .ocpiCDR:
                let sessions = try ledgerOrExit { () throws(LedgerError) in
                    try ledger.sessions(since: period.since, until: period.until, details: true)
                }
                // Closed sessions only: an open one has no final bill yet.
                let cdrs = sessions.compactMap { $0.ocpiCDR(site: operatorSite!, charger: ledger.chargerID) }
                output.write("[")
                for (index, cdr) in cdrs.enumerated() { output.write(cdr + (index == cdrs.count - 1 ? "" : ",")) }
                output.write("]")
            case .csv, .json:
                let sessions = try ledgerOrExit { () throws(LedgerError) in
                    try ledger.sessions(since: period.since, until: period.until, details: true)
                }
                if format == .csv {
                    output.write(SessionRecord.csvHeader)
                    for session in sessions { output.write(session.csvRow) }
                } else {
                    output.write("[")
                    for (index, session) in sessions.enumerated() {
                        output.write(session.json.description + (index == sessions.count - 1 ? "" : ","))
                    }
                    output.write("]")
                }
            case .ocmf:
                let records = try ledgerOrExit { () throws(LedgerError) in try ledger.ocmfRecords(since: period.since, until: period.until) }
                for record in records { output.write(record.line) }
            }
            output.flush()
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain, every row against its record and every signature.",
            discussion: "Exits 0 when the ledger is intact, 1 naming the first bad record when it is not."
        )

        @OptionGroup var location: Location

        func run() throws {
            let ledger = try location.open(checking: .none)
            let report = try ledgerOrExit { () throws(LedgerError) in try ledger.verify() }
            let output = LineWriter.standardOutput
            guard report.isIntact else {
                output.flush()
                LineWriter.standardError.write("evsed: ledger: \(ledger.path) was altered: \(report.problems.count) problem(s); the first:")
                for problem in report.problems.prefix(20) { LineWriter.standardError.write("  \(problem)") }
                throw ExitCode(1)
            }
            output.write("\(ledger.path): intact: \(report.records) records chained, \(report.sessions) sessions, "
                         + "\(report.signatures) signatures valid, \(report.readingBatches) reading batches, \(report.faults) faults")
            output.flush()
        }
    }
}

/// The owner's view of a session.
func bill(_ session: SessionRecord, charger: String) -> [String] {
    var lines = ["Session \(session.id) at \(charger), connector \(session.connector)" + (session.owner.map { ", \($0)" } ?? "")]
    lines.append("  started   \(session.startedAt.local)")
    if let ended = session.endedAt {
        lines.append("  ended     \(ended.local)" + (session.endReason.map { " (\($0.replacingUnderscores))" } ?? ""))
    } else {
        lines.append("  ended     – (still open)")
    }
    let now = Timestamp.now()
    lines.append("  duration  \(duration(session.durationSeconds(at: now))): charging \(duration(session.chargingSeconds)), "
                 + "idle \(duration(session.idleSeconds))"
                 + (session.unavailableSeconds > 0 ? ", charger unavailable \(duration(session.unavailableSeconds))" : "")
                 + (session.outageSeconds > 0 ? ", charger down \(duration(session.outageSeconds))" : ""))
    var energy = "  energy    \(kilowattHours(session.energyWh)) kWh"
    if let start = session.startRegisterWh, let end = session.endRegisterWh {
        energy += " (meter register \(kilowattHours(start)) → \(kilowattHours(end)) kWh"
            + (session.endRegisterSource == "meter" || session.endRegisterSource == nil ? ")" : ", end from the \(session.endRegisterSource!.replacingUnderscores))")
    }
    lines.append(energy)
    lines.append("  meter     \(session.meter)")
    if session.clockStatus == .unsynchronized {
        lines.append("  clock     not synchronised when the session started: its times are the board's own")
    }
    for interruption in session.interruptions {
        let end = interruption.end.map { $0.local.isoTime } ?? "…"
        lines.append("  paused    \(interruption.start.local.isoTime) – \(end): \(interruption.cause.replacingUnderscores)")
    }
    guard let currency = session.currency else {
        lines.append("  no tariff priced this session")
        return lines
    }
    lines.append("  tariff    \(session.tariffID ?? "?")")
    if let excluding = session.costExcludingVAT, let vat = session.costVAT, let total = session.costIncludingVAT {
        lines += BillText.lines(session.billLines.map(\.row), currency: currency, excludingVAT: excluding, vat: vat, includingVAT: total,
                               final: session.closed).map { "  " + $0 }
    }
    return lines
}

private extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}

private func kilowattHours(_ wattHours: Int64) -> String { fixed(Double(wattHours) / 1000, 3) }

private func duration(_ seconds: Int64) -> String {
    let hours = seconds / 3600, minutes = seconds / 60 % 60
    return hours > 0 ? "\(hours) h \(minutes < 10 ? "0" : "")\(minutes) min" : minutes > 0 ? "\(minutes) min \(seconds % 60) s" : "\(seconds) s"
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
