#if canImport(Glibc)
import Glibc
#endif
import EVSECore

/// The simulated meter's import register kept in a small file, so that it outlives the process
/// as a real meter's register outlives the daemon (`evsed simulate --meter-state`).
struct MeterStateFile: Sendable {
    let path: String

    /// The register stored, if the file holds one.
    func read() -> WattHours? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, 64, file) != nil else { return nil }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A register a meter could show (0 … 10¹¹ Wh); anything else in the file is not one.
        guard let value = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Double($0) }),
              value.isFinite, (0...100_000_000_000).contains(value) else { return nil }
        return WattHours(value)
    }

    /// Replaces the stored register (write to a new file, then rename: never half a number).
    func write(_ register: WattHours) {
        let temporary = path + ".new"
        guard let file = fopen(temporary, "w") else { return }
        fputs("\(register.value)\n", file)
        fclose(file)
        rename(temporary, path)
    }
}
