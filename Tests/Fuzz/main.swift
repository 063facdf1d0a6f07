#if canImport(Glibc)
import Glibc
#endif
import Alerts
import Billing
import ConfigFile
import Console
import EVSECore
import Hardware
import Ledger
import Simulation

/// evsed-fuzz: seeded mutation of evsed's inputs, run by `make test` (a short run) and `make fuzz`
/// (a long one, any seed). Every shipped TOML file is mutated and read by the reader of its kind;
/// console lines and raw terminal bytes go through the command language and the line editor;
/// random register words go through every meter map and the plausibility checks. An input may be
/// refused with an error; it may not crash or hang the reader. Each input is written to
/// `--last-input` before it is tried, so a crash leaves it behind for the test to print.
///
///     evsed-fuzz --seed N --count N --last-input FILE REPOSITORY
struct Options {
    var seed: UInt64 = 1
    var count = 1000
    var lastInput = "/tmp/evsed-fuzz-last-input"
    var repository = "."

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--seed": seed = rest.popFirst().flatMap { UInt64($0) } ?? seed
            case "--count": count = rest.popFirst().flatMap { Int($0) } ?? count
            case "--last-input": lastInput = rest.popFirst() ?? lastInput
            default: repository = argument
            }
        }
    }
}

typealias Random = SeededRandom

extension SeededRandom {
    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
}

/// The kinds of file and the reader each goes through, as evsed reads them.
enum Kind: CaseIterable {
    case board, scenario, tariff, alerts, site

    func read(_ path: String) {
        switch self {
        case .board:
            _ = BoardDescription.problems(in: path)
            if let board = try? BoardDescription.load(path) {
                _ = try? ConsoleSettings.read(board.console)
                if let simulation = board.simulation { _ = try? SimulationSettings.read(simulation) }
            }
        case .scenario: _ = try? Scenario.load(path)
        case .tariff:
            if let text = try? ConfigDocument.text(at: path) { _ = try? TariffSnapshot(text: text, file: path) }
        case .alerts:
            var problems: [ConfigError] = []
            if let table = try? ConfigDocument.load(path) { _ = AlertConfiguration.read(table, problems: &problems) }
        case .site: _ = (try? ConfigDocument.load(path)).flatMap { try? $0.table("ocpi") }.map { try? OCPISite.read($0) }
        }
    }
}

/// Pieces of TOML and numbers that have broken readers before.
let tokens: [String] = [
    "[", "]", "[[", "]]", "{", "}", "=", ",", ".", "\"", "'", "\"\"\"", "'''", "\\", "\\u", "#", "\n", "\r\n", "\r", "\t", " ",
    "inf", "-inf", "nan", "Inf", "1e19", "1e300", "-1e300", "9223372036854775807", "9223372036854775808", "-0", "0x", "0x-1",
    "1__2", "01", "0.0000001", "99999999999999999999", "true", "false", "\u{0}", "\u{7F}", "\u{FEFF}", "é", "a.b.c", "=[{",
]

func mutate(_ text: String, _ random: inout Random) -> String {
    var bytes = Array(text.utf8)
    for _ in 0..<(1 + random.below(6)) {
        let position = random.below(bytes.count + 1)
        switch random.below(8) {
        case 0 where !bytes.isEmpty: bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: random.next())
        case 1: bytes.insert(contentsOf: Array(random.pick(tokens).utf8), at: position)
        case 2 where !bytes.isEmpty:
            let end = min(bytes.count, position + random.below(40))
            bytes.removeSubrange(min(position, end)..<end)
        case 3:
            // A number replaced by an extreme one.
            if let start = bytes[position...].firstIndex(where: { (48...57).contains($0) }) {
                let end = bytes[start...].firstIndex(where: { !(48...57).contains($0) && $0 != UInt8(ascii: ".") }) ?? bytes.count
                bytes.replaceSubrange(start..<end, with: Array(random.pick(["1e19", "-1", "0", "9223372036854775807", "nan", "1e-300", "65536"]).utf8))
            }
        case 4:
            // A line repeated (a duplicate key or table).
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if !lines.isEmpty { bytes += [UInt8(ascii: "\n")] + lines[random.below(lines.count)] }
        case 5:
            // Deep nesting.
            let depth = random.below(200)
            bytes.insert(contentsOf: Array(("x = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n").utf8), at: 0)
        case 6 where bytes.count > 2:
            // Two lines swapped.
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
            if lines.count > 1 { lines.swapAt(random.below(lines.count), random.below(lines.count)) }
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        default:
            bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func write(_ text: String, to path: String) {
    guard let file = fopen(path, "w") else { fatalError("evsed-fuzz: cannot write \(path)") }
    fputs(text, file)
    fclose(file)
}

let options = Options(CommandLine.arguments)
var random = Random(seed: options.seed)
let corpus: [(Kind, String)] = {
    var files: [(Kind, String)] = [
        (.board, "boards/sim.toml"), (.board, "boards/rpi4-comparators.toml"), (.board, "boards/rpi4-ads1115.toml"),
        (.tariff, "boards/tariff.toml"), (.alerts, "boards/alerts.example.toml"), (.alerts, "boards/alerts.scenario.toml"),
        (.site, "boards/site.example.toml"),
    ]
    for name in ["normal-session", "owner-alerts", "meter-lost", "residual-current", "overtemperature", "connector-lock"] {
        files.append((.scenario, "boards/scenarios/\(name).toml"))
    }
    return files.compactMap { kind, path in
        (try? ConfigDocument.text(at: options.repository + "/" + path)).map { (kind, $0) }
    }
}()
guard !corpus.isEmpty else {
    print("evsed-fuzz: no corpus under \(options.repository)/boards")
    exit(2)
}

var refused = 0
let consoleWords = ConsoleLanguage.help(nil).flatMap { $0.split(separator: " ").map(String.init) } + ["--json", "1e300", "-1", "nan", "\u{1b}[A"]
for round in 0..<options.count {
    switch round % 4 {
    case 0, 1:
        let (kind, text) = random.pick(corpus)
        let input = mutate(text, &random)
        write(input, to: options.lastInput)
        kind.read(options.lastInput)
    case 2:
        // A console line: known words in any order, and raw bytes through the line editor.
        let line = (0..<(1 + random.below(5))).map { _ in random.pick(consoleWords) }.joined(separator: " ")
        let raw = (0..<random.below(64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        write(line + "\n" + String(decoding: raw, as: UTF8.self), to: options.lastInput)
        do throws(ConsoleInputError) { _ = try ConsoleLanguage.parse(line) } catch { refused += 1 }
        _ = ConsoleLanguage.completions(for: line)
        var editor = LineEditor()
        _ = editor.feed(raw)
        _ = editor.feed(Array(line.utf8) + [13])
    default:
        // A meter's reply: random words through every map and the plausibility checks.
        let map = random.pick(Array(MeterModels.all.values))
        let registers = map.blocks.map { block in (0..<block.count).map { _ in UInt16(truncatingIfNeeded: random.next()) } }
        write("\(map.model) \(registers)", to: options.lastInput)
        let values = map.decode(blocks: map.blocks, registers: registers)
        do throws(MeterPlausibility.Problem) {
            _ = try MeterPlausibility().reading(from: values, previous: (WattHours(Double(random.below(1_000_000))), .seconds(1)))
        } catch {
            refused += 1
        }
    }
}
print("evsed-fuzz: seed \(options.seed): \(options.count) inputs, none crashed (\(refused) console lines and meter replies refused)")
