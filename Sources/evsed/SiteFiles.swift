#if canImport(Glibc)
import Glibc
#endif
import Alerts
import ArgumentParser
import Billing
import ConfigFile

/// The tariff named by --tariff, or the sample one (boards/tariff.toml) when it exists; nil
/// without either. A broken tariff file stops the command with its file, line and key.
func loadTariff(_ named: String?) throws -> TariffSnapshot? {
    let path: String
    if let named {
        path = named
    } else {
        guard access("boards/tariff.toml", F_OK) == 0 else { return nil }
        path = "boards/tariff.toml"
    }
    return try configurationOrExit { () throws(ConfigError) in try TariffSnapshot(text: ConfigDocument.text(at: path), file: path) }
}

/// The owners and channels of the alerts: --alerts, else $CONFIGURATION_DIRECTORY/alerts.toml
/// under systemd when it exists; without either, alerts go to the journal only. A mistake stops the
/// command with its file, line and key.
func loadAlerts(_ named: String?) throws -> (path: String?, configuration: AlertConfiguration) {
    var path = named
    if path == nil, let directory = environment("CONFIGURATION_DIRECTORY"), access(directory + "/alerts.toml", F_OK) == 0 {
        path = directory + "/alerts.toml"
    }
    guard let path else { return (nil, AlertConfiguration()) }
    return (path, try configurationOrExit { () throws(ConfigError) in try AlertConfiguration.load(path) })
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
