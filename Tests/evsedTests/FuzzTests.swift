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
}
