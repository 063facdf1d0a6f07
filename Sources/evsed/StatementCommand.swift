#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Billing
import EVSECore
import FoundationEssentials
import Ledger
import Sessions

extension LedgerCommand {
    /// `evsed ledger statement`: an owner's sessions of a month with their bills and the totals.
    struct StatementCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "statement",
            abstract: "An owner's sessions of a month with energy, cost and card, and the totals (the document an employer reimburses).",
            discussion: """
                --owner NAME prints one owner's statement; --all-owners --output DIR writes one file per owner \
                with sessions that month (statement-MONTH-OWNER.txt, .csv or .json). Months are local time.
                """)

        @OptionGroup var location: Location
        @Option(name: .long, help: "The owner (as the alerts file and the console name them).") var owner: String?
        @Flag(name: .long, help: "Every owner with sessions that month, one file each (with --output).") var allOwners = false
        @Option(name: .long, help: "The directory for --all-owners.") var output: String?
        @Option(name: .long, help: "The month: YYYY-MM.") var month: String
        @Option(name: .long, help: "text, csv or json.") var format = "text"

        func validate() throws {
            guard ["text", "csv", "json"].contains(format) else { throw ValidationError("--format is text, csv or json, not '\(format)'") }
            guard (owner == nil) != !allOwners else { throw ValidationError("name an owner (--owner NAME) or ask for --all-owners") }
            if allOwners && output == nil { throw ValidationError("--all-owners writes one file per owner: name a directory with --output DIR") }
            _ = try Self.bounds(month)
        }

        /// The local month's first instant and the next month's.
        static func bounds(_ month: String) throws -> (Timestamp, Timestamp) {
            let parts = month.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let number = Int(parts[1]),
                  (1970...9998).contains(year), (1...12).contains(number) else {
                throw ValidationError("--month is YYYY-MM (2026-11), not '\(month)'")
            }
            let next = number == 12 ? (year + 1, 1) : (year, number + 1)
            return (Timestamp(local: CivilTime(year: year, month: number, day: 1)), Timestamp(local: CivilTime(year: next.0, month: next.1, day: 1)))
        }

        func run() throws {
            let ledger = try location.open(checking: .shape)
            let (from, until) = try Self.bounds(month)
            guard allOwners, let output else {
                let statement = try ledgerOrExit { () throws(LedgerError) in try ledger.statement(owner: owner ?? "", from: from, until: until) }
                let writer = LineWriter.standardOutput
                for line in render(statement) { writer.write(line) }
                writer.flush()
                return
            }
            let owners = try ledgerOrExit { () throws(LedgerError) in try ledger.owners(from: from, until: until) }
            for name in owners {
                let statement = try ledgerOrExit { () throws(LedgerError) in try ledger.statement(owner: name, from: from, until: until) }
                let path = "\(output)/statement-\(month)-\(Self.fileName(name)).\(format == "text" ? "txt" : format)"
                let text = render(statement).joined(separator: "\n") + "\n"
                guard let file = fopen(path, "w") else {
                    LineWriter.standardError.write("evsed: \(path): \(String(cString: strerror(errno)))")
                    throw ExitCode(1)
                }
                fputs(text, file)
                fclose(file)
                LineWriter.standardOutput.write("\(path): \(statement.lines.count) session(s)")
            }
            if owners.isEmpty { LineWriter.standardOutput.write("no owner had a session in \(month)") }
        }

        /// A name as a file name: letters, digits, '-' and '_' kept, the rest '_'.
        static func fileName(_ name: String) -> String {
            String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
        }

        func render(_ statement: Statement) -> [String] {
            switch format {
            case "csv": return csv(statement)
            case "json": return [json(statement)]
            default: return text(statement)
            }
        }

        static func money(_ amount: Decimal, _ currency: String?) -> String { Statement.money(amount, currency) }

        static func kilowattHours(_ wattHours: Int64) -> String { Statement.kilowattHours(wattHours) }

        func text(_ statement: Statement) -> [String] { statement.text(month: month) }

        func csv(_ statement: Statement) -> [String] {
            var rows = ["charger,owner,session,start,end,energy_kwh,currency,excl_vat,vat,incl_vat,tariff,card,clock"]
            let field = SessionRecord.csvField
            for line in statement.lines {
                rows.append([statement.charger, statement.owner, String(line.session), line.start.description, line.end?.description ?? "",
                             Self.kilowattHours(line.energyWh), line.currency ?? "", line.excludingVAT ?? "", line.vat ?? "", line.includingVAT ?? "",
                             line.tariff ?? "", line.card ?? "", line.clock?.rawValue ?? ""].map(field).joined(separator: ","))
            }
            for total in statement.totals {
                rows.append([statement.charger, statement.owner, "total", statement.from.description, statement.until.description,
                             Self.kilowattHours(total.energyWh), total.currency ?? "", Self.money(total.excludingVAT, total.currency),
                             Self.money(total.vat, total.currency), Self.money(total.includingVAT, total.currency), "", "", ""].map(field).joined(separator: ","))
            }
            return rows
        }

        func json(_ statement: Statement) -> String {
            var document = JSONLine()
            document.add("charger", statement.charger)
            document.add("owner", statement.owner)
            document.add("month", month)
            document.add("from", statement.from.description)
            document.add("until", statement.until.description)
            document.add("tariffs", json: "[" + statement.tariffs.map(JSONLine.quote).joined(separator: ",") + "]")
            let sessions = statement.lines.map { line in
                var object = JSONLine()
                object.add("session", line.session)
                object.add("start", line.start.description)
                if let end = line.end { object.add("end", end.description) }
                object.add("energy_wh", line.energyWh)
                if let currency = line.currency { object.add("currency", currency) }
                if let amount = line.excludingVAT { object.add("excl_vat", number: amount) }
                if let amount = line.vat { object.add("vat", number: amount) }
                if let amount = line.includingVAT { object.add("incl_vat", number: amount) }
                if let tariff = line.tariff { object.add("tariff", tariff) }
                if let card = line.card { object.add("card", card) }
                object.add("clock", line.clock?.rawValue ?? "unknown")
                return object.description
            }
            document.add("sessions", json: "[" + sessions.joined(separator: ",") + "]")
            let totals = statement.totals.map { total in
                var object = JSONLine()
                if let currency = total.currency { object.add("currency", currency) }
                object.add("sessions", total.sessions)
                object.add("energy_wh", total.energyWh)
                object.add("excl_vat", number: Self.money(total.excludingVAT, total.currency))
                object.add("vat", number: Self.money(total.vat, total.currency))
                object.add("incl_vat", number: Self.money(total.includingVAT, total.currency))
                return object.description
            }
            document.add("totals", json: "[" + totals.joined(separator: ",") + "]")
            document.add("open_sessions", statement.openSessions)
            return document.description
        }
    }
}
