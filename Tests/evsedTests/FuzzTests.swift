import Foundation
import Testing

/// The seeded fuzzer (Tests/Fuzz) over every kind of input evsed reads, as `make test` runs it:
/// bounded in count and time. A crash or a hang fails and prints the input that caused it.
/// `EVSED_FUZZ_SEED` chooses another seed; `make fuzz` runs many for longer.
@Suite struct FuzzTests {
    @Test func noMutatedFileConsoleLineOrMeterReplyCrashesAReader() throws {
        let seed = ProcessInfo.processInfo.environment["EVSED_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_202
        let fuzzer = URL(fileURLWithPath: CommandLineTests.executable).deletingLastPathComponent().appendingPathComponent("evsed-fuzz").path
        let lastInput = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-fuzz-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: lastInput) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fuzzer)
        process.arguments = ["--seed", "\(seed)", "--count", "20000", "--last-input", lastInput, CommandLineTests.root]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Seconds on an idle machine; a hang is a minute without an end.
        let finished = CommandLineTests.waitForExit(process, seconds: 120)
        if !finished { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let input = (try? String(contentsOfFile: lastInput, encoding: .utf8)) ?? "(none)"
        #expect(finished && process.terminationStatus == 0,
                "seed \(seed): \(finished ? "crashed" : "hung") on this input:\n\(input.debugDescription)\n\(printed.suffix(2000))")
        #expect(printed.contains("20000 inputs, none crashed"))
    }

    /// `make fuzz` runs libFuzzer on evsed-libfuzz; a normal build of it replays saved inputs, as a
    /// technician would with a crash libFuzzer kept. Each reader takes the inputs here and a reader
    /// that is not one is refused.
    @Test(arguments: ["toml", "console", "modbus"])
    func theLibFuzzerReadersReplayInputs(reader: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-libfuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var inputs = ["boards/sim.toml", "boards/tariff.toml", "boards/alerts.example.toml", "boards/scenarios/normal-session.toml"]
            .map { CommandLineTests.root + "/" + $0 }
        for (index, bytes) in [Array("login 1234\rlimit 1e300\r\u{1b}[A\t".utf8), [0xFF, 0xFE, 0x00, 0x0D], Array(repeating: 0x7F, count: 300)].enumerated() {
            let file = directory.appendingPathComponent("input-\(index)")
            try Data(bytes).write(to: file)
            inputs.append(file.path)
        }
        let replay = { (name: String) throws -> (status: Int32, output: String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLineTests.executable).deletingLastPathComponent().appendingPathComponent("evsed-libfuzz")
            process.arguments = inputs
            process.environment = ["EVSED_FUZZ_READER": name]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, printed)
        }
        let done = try replay(reader)
        #expect(done.status == 0 && done.output.contains("7 input(s) read by the \(reader) reader, none crashed"), "\(done.output)")
        let wrong = try replay(reader + "s")
        #expect(wrong.status == 2 && wrong.output.contains("EVSED_FUZZ_READER=\(reader)s is not one of toml, console, modbus"), "\(wrong.output)")
    }
}
