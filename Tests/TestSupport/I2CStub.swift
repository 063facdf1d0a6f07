import Foundation
import KernelSimulators

/// The Linux kernel's `i2c-stub`: a bus whose chips are plain register files, set and read with
/// i2c-tools' `i2cset` and `i2cget` (not evsed's code). The guest stage of `make test` loads it
/// with chips at 0x48 (the ADS1115's address) and 0x49 (the LM75's).
public struct I2CStub: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The stub's bus number (`/dev/i2c-N`).
    public let bus: Int

    /// The stub's bus, when the module is loaded and its bus has a device node.
    public static let found: I2CStub? = {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/sys/bus/i2c/devices") else { return nil }
        for entry in names.sorted() where entry.hasPrefix("i2c-") {
            let name = (try? String(contentsOfFile: "/sys/bus/i2c/devices/\(entry)/name", encoding: .utf8)) ?? ""
            if name.hasPrefix("SMBus stub driver"), let bus = Int(entry.dropFirst(4)),
               FileManager.default.fileExists(atPath: "/dev/i2c-\(bus)") {
                return I2CStub(bus: bus)
            }
        }
        return nil
    }()

    /// The stub's chips are one register file each for the whole test process, and the suites that
    /// use them run in parallel: a test that sets or reads them holds them for its whole length.
    private static let chips = NSLock()

    /// Runs `body` with the stub's chips to itself.
    public func exclusively<Result>(_ body: () throws -> Result) rethrows -> Result {
        Self.chips.lock()
        defer { Self.chips.unlock() }
        return try body()
    }

    /// Sets `register` so that the chip sends `word` most significant byte first, as the ADS1115
    /// and the LM75 do (SMBus words travel least significant byte first).
    public func setChipWord(address: Int, register: Int, _ word: UInt16) throws {
        try i2c("i2cset", ["-y", "\(bus)", hex(address), hex(register), hex(Int(word.byteSwapped)), "w"])
    }

    /// The word `register` holds, in the chip's byte order.
    public func chipWord(address: Int, register: Int) throws -> UInt16 {
        let text = try i2c("i2cget", ["-y", "\(bus)", hex(address), hex(register), "w"])
        guard let value = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(2), radix: 16) else {
            throw Failure(description: "i2cget answered '\(text)'")
        }
        return value.byteSwapped
    }

    private func hex(_ value: Int) -> String { "0x" + String(value, radix: 16) }

    @discardableResult
    private func i2c(_ tool: String, _ arguments: [String]) throws -> String {
        let (status, output) = try ChildProcess.run("/usr/sbin/" + tool, arguments, output: NSTemporaryDirectory() + "evsed-\(tool).out")
        guard status == 0 else { throw Failure(description: "\(tool) \(arguments.joined(separator: " ")): \(output)") }
        return output
    }
}
