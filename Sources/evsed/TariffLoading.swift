#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Billing
import ConfigFile

/// The tariff named by --tariff, or the sample one (boards/tariff.toml) when it exists; nil
/// without either. A broken tariff file stops the command with its file, line and key.
func loadTariff(_ named: String?) throws -> Tariff? {
    let path: String
    if let named {
        path = named
    } else {
        guard access("boards/tariff.toml", F_OK) == 0 else { return nil }
        path = "boards/tariff.toml"
    }
    return try configurationOrExit { () throws(ConfigError) in try Tariff.read(ConfigDocument.load(path)) }
}

/// Runs `read`; a mistake in a configuration file (board, scenario, tariff) is printed with its
/// file, line and key, and the command exits with status 2 before anything starts.
func configurationOrExit<Value>(_ read: () throws(ConfigError) -> Value) throws -> Value {
    do throws(ConfigError) {
        return try read()
    } catch {
        LineWriter.standardError.write("evsed: \(error)")
        throw ExitCode(2)
    }
}

extension CivilTime {
    /// The local date and time now, in the system's time zone.
    static func localNow() -> CivilTime {
        var seconds = time(nil)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return CivilTime(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                         hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: min(59, Int(parts.tm_sec)))
    }
}
