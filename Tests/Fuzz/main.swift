#if canImport(Glibc)
import Glibc
#endif
import Alerts
import Billing
import Cards
import ChargerService
import ConfigFile
import Console
import EVSECore
import Hardware
import Ledger
import OCPP
import Sessions
import Simulation

/// evsed-fuzz: seeded mutation of evsed's inputs, run by `make test` (a short run) and `make fuzz`
/// (a long one, any seed). Every shipped TOML file is mutated and read by the reader of its kind;
/// console lines and raw terminal bytes go through the command language and the line editor;
/// random register words go through every meter map and the plausibility checks; OCPP frames
/// from a central system go through a charge point; cards, typed or garbled, go through the card
/// desk in every mode. An input may be
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
                _ = try? OCPPSettings.read(board.ocpp)
                _ = try? CardSettings.read(board.cards)
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
    var texts = files.compactMap { kind, path in
        (try? ConfigDocument.text(at: options.repository + "/" + path)).map { (kind, $0) }
    }
    // A board with a central system.
    if let simulated = texts.first?.1 {
        texts.append((.board, simulated + """

            [ocpp]
            central_system = "wss://csms.example.net:8443/ocpp?site=4"
            charge_box_id = "CB-1"
            security_profile = 2
            authorization_key = "0123456789abcdef0123"
            ca_file = "/etc/evsed/ca.pem"
            id_tag = "evsed"
            reconnect_first_s = 5
            reconnect_max_s = 300
            """))
    }
    return texts
}()

/// A charge point fed the central system's frames, its answers dropped.
final class FuzzTransport: OCPPTransport {
    var incoming: [WebSocketClient.Event] = [.connected]
    var sent = 0
    func send(_ text: String) { sent += 1 }
    func nextEvent() -> WebSocketClient.Event? { incoming.isEmpty ? nil : incoming.removeFirst() }
}

let ocppFrames = [
    #"[3,"1",{"status":"Accepted","currentTime":"2026-12-06T10:00:00Z","interval":300}]"#,
    #"[2,"a","RemoteStartTransaction",{"connectorId":1,"idTag":"TAG1"}]"#,
    #"[2,"b","RemoteStopTransaction",{"transactionId":1}]"#,
    #"[2,"c","SetChargingProfile",{"connectorId":0,"csChargingProfiles":{"chargingProfileId":5,"stackLevel":1,"chargingProfilePurpose":"ChargePointMaxProfile","chargingProfileKind":"Recurring","recurrencyKind":"Daily","validFrom":"2026-01-01T00:00:00.5+01:00","chargingSchedule":{"duration":86400,"startSchedule":"2026-12-06T10:00:00Z","chargingRateUnit":"W","chargingSchedulePeriod":[{"startPeriod":0,"limit":11000.5,"numberPhases":3},{"startPeriod":3600,"limit":0}],"minChargingRate":6}}}]"#,
    #"[2,"d","ClearChargingProfile",{"id":5,"connectorId":0,"chargingProfilePurpose":"TxProfile","stackLevel":2}]"#,
    #"[2,"e","GetCompositeSchedule",{"connectorId":1,"duration":600,"chargingRateUnit":"A"}]"#,
    #"[2,"f","ChangeConfiguration",{"key":"MeterValueSampleInterval","value":"60"}]"#,
    #"[2,"g","GetConfiguration",{"key":["HeartbeatInterval","X"]}]"#,
    #"[2,"h","TriggerMessage",{"requestedMessage":"StatusNotification","connectorId":1}]"#,
    #"[2,"i","ChangeAvailability",{"connectorId":0,"type":"Inoperative"}]"#,
    #"[2,"j","UnlockConnector",{"connectorId":1}]"#,
    #"[2,"k","DataTransfer",{"vendorId":"x","messageId":"m","data":"y"}]"#,
    #"[2,"l","Reset",{"type":"Soft"}]"#,
    #"[4,"2","GenericError","x",{"a":[1,2.5e300,null,true]}]"#,
]
let ocppLedgerPath = "/tmp/evsed-fuzz-ocpp-\(getpid()).sqlite"
let ocppTransport = FuzzTransport()
let chargePoint: ChargePoint? = {
    guard let ledger = try? Ledger(path: ocppLedgerPath, create: true),
          let settings = try? OCPPSettings.read(try ConfigDocument.parse("[ocpp]\ncentral_system = \"ws://x/\"\ncharge_box_id = \"CB\"", file: "fuzz").table("ocpp"))
    else { return nil }
    return ChargePoint(settings: settings, identity: .init(vendor: "evsed", model: "fuzz", serialNumber: nil, firmwareVersion: nil, meterType: nil),
                       ledger: ledger, transport: ocppTransport, charger: ChargerConfiguration(), wallTime: { Timestamp(milliseconds: 1_800_000_000_000 + $0.nanoseconds / 1_000_000) },
                       baseLimit: { 32 }, hooks: .init(command: { _ in }, restart: { _ in }, log: { _, _ in }))
}()
guard !corpus.isEmpty else {
    print("evsed-fuzz: no corpus under \(options.repository)/boards")
    exit(2)
}

var refused = 0
let cardDesks = CardMode.allCases.map { CardDesk(mode: $0, centralSystem: false) }
let consoleWords = ConsoleLanguage.help(nil).flatMap { $0.split(separator: " ").map(String.init) } + ["--json", "1e300", "-1", "nan", "\u{1b}[A"]
for round in 0..<options.count {
    switch round % 5 {
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
        // The same bytes as a card at the reader (a typed `tap`, an idTag from a central system).
        let card = String(decoding: raw.prefix(24), as: UTF8.self)
        for desk in cardDesks {
            _ = desk.present(random.below(2) == 0 ? card : line, known: nil, at: Instant(nanoseconds: Int64(round) * 1_000_000),
                             wallTime: Timestamp(milliseconds: Int64(round)))
            _ = desk.poll(at: Instant(nanoseconds: Int64(round) * 1_000_000))
        }
    case 4:
        // A central system's frame, whole or mutated, into a charge point.
        guard let chargePoint else { continue }
        let frame = random.below(4) == 0 ? random.pick(ocppFrames) : mutate(random.pick(ocppFrames), &random)
        write(frame, to: options.lastInput)
        ocppTransport.incoming.append(.received(frame))
        chargePoint.poll(at: Instant(nanoseconds: Int64(round) * 50_000_000), status: nil)
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
unlink(ocppLedgerPath)
unlink(ocppLedgerPath + "-wal")
unlink(ocppLedgerPath + "-shm")
print("evsed-fuzz: seed \(options.seed): \(options.count) inputs, none crashed (\(refused) console lines and meter replies refused; "
      + "\(ocppTransport.sent) OCPP frames answered)")
