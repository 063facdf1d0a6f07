#if canImport(Glibc)
import Glibc
#endif
import Alerts
import Billing
import ConfigFile
import Console
import EVSECore
import Hardware

/// evsed-libfuzz: the coverage-guided counterpart of evsed-fuzz, for libFuzzer. One reader per
/// run, chosen by `EVSED_FUZZ_READER`:
///
/// - `toml`: the bytes as a configuration file (UTF-8 checked as files are), then read as a board
///   file, a tariff and an alerts file;
/// - `console`: the bytes through the line editor, and each line it ends through the command
///   language and its completions;
/// - `modbus`: the first byte picks a meter map, the rest are big-endian register words for its
///   blocks; decoded and put through the plausibility checks.
///
/// An input may be refused; it may not crash or hang. Built with libFuzzer by `make fuzz`
/// (`--sanitize=fuzzer -D LIBFUZZER`); a normal build instead replays inputs saved by
/// libFuzzer: `evsed-libfuzz FILE…` (with the same `EVSED_FUZZ_READER`).
enum Reader: String, CaseIterable {
    case toml, console, modbus

    static let chosen: Reader = {
        guard let name = getenv("EVSED_FUZZ_READER").map({ String(cString: $0) }) else { return .toml }
        guard let reader = Reader(rawValue: name) else {
            complain("evsed-libfuzz: EVSED_FUZZ_READER=\(name) is not one of \(allCases.map(\.rawValue).joined(separator: ", "))\n")
            exit(2)
        }
        return reader
    }()

    func read(_ bytes: [UInt8]) {
        switch self {
        case .toml: Self.readTOML(bytes)
        case .console: Self.readConsole(bytes)
        case .modbus: Self.readModbus(bytes)
        }
    }

    static func readTOML(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self),
              let document = try? ConfigDocument.parse(text, file: "fuzz.toml") else { return }
        _ = try? BoardDescription.read(document)
        _ = try? TariffSnapshot(text: text, file: "fuzz.toml")
        var problems: [ConfigError] = []
        _ = AlertConfiguration.read(document, problems: &problems)
    }

    static func readConsole(_ bytes: [UInt8]) {
        var editor = LineEditor()
        for event in editor.feed(bytes).events {
            guard case .line(let line) = event else { continue }
            _ = try? ConsoleLanguage.parse(line)
            _ = ConsoleLanguage.completions(for: line)
        }
    }

    static let maps = MeterModels.all.keys.sorted().map { MeterModels.all[$0]! }

    static func readModbus(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let map = maps[Int(first) % maps.count]
        var words = stride(from: 1, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }[...]
        var registers: [[UInt16]] = []
        for block in map.blocks {
            guard words.count >= block.count else { return }
            registers.append(Array(words.prefix(block.count)))
            words = words.dropFirst(block.count)
        }
        let values = map.decode(blocks: map.blocks, registers: registers)
        // What is left says what the previous reading was and how long ago.
        let previous = WattHours(Double(words.first ?? 0) * 100)
        let elapsed = Duration.milliseconds(Int64(words.dropFirst().first ?? 1000))
        _ = try? MeterPlausibility().reading(from: values, previous: (previous, elapsed))
    }
}

/// Writes `text` to standard error.
func complain(_ text: String) {
    _ = text.withCString { write(2, $0, strlen($0)) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Reader.chosen.read(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if !LIBFUZZER
/// Without libFuzzer: each argument is an input to replay.
@main struct Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            complain("usage: EVSED_FUZZ_READER=toml|console|modbus evsed-libfuzz FILE…\n")
            exit(2)
        }
        for path in paths {
            guard let file = fopen(path, "rb") else {
                complain("evsed-libfuzz: \(path): \(String(cString: strerror(errno)))\n")
                exit(2)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count == 0 { break }
                bytes += chunk[0..<count]
            }
            fclose(file)
            Reader.chosen.read(bytes)
        }
        print("evsed-libfuzz: \(paths.count) input(s) read by the \(Reader.chosen.rawValue) reader, none crashed")
    }
}
#endif
