#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Ledger

/// Where the ledger is: --ledger, else $EVSED_LEDGER, else `ledger.sqlite` in systemd's
/// $STATE_DIRECTORY, else /var/lib/evsed/ledger.sqlite.
func ledgerPath(_ option: String?) -> String {
    if let option { return option }
    if let variable = environment("EVSED_LEDGER") { return variable }
    if let directory = environment("STATE_DIRECTORY") {
        // systemd may list several directories, separated by colons; the first is ours.
        return (directory.split(separator: ":").first.map(String.init) ?? "/var/lib/evsed") + "/ledger.sqlite"
    }
    return "/var/lib/evsed/ledger.sqlite"
}

/// Opens the ledger or stops the command with the reason (exit status 3).
func openLedgerOrExit(_ path: String, create: Bool, writable: Bool, chargerID: String = "evsed") throws -> Ledger {
    try ledgerOrExit { () throws(LedgerError) in try Ledger(path: path, create: create, writable: writable, chargerID: chargerID) }
}

/// Runs `body`; a ledger failure stops the command with the reason (exit status 3).
func ledgerOrExit<Value>(_ body: () throws(LedgerError) -> Value) throws -> Value {
    do throws(LedgerError) {
        return try body()
    } catch {
        LineWriter.standardError.write("evsed: ledger: \(error)")
        throw ExitCode(3)
    }
}

/// Takes an exclusive lock on `<ledger>.lock` for the daemon's life (released when the process
/// ends, however it ends): two daemons keeping the same books would count sessions twice.
func lockLedgerOrExit(_ path: String) throws {
    let lockPath = path + ".lock"
    let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
        LineWriter.standardError.write("evsed: ledger: \(lockPath): cannot be opened: \(String(cString: strerror(errno)))")
        throw ExitCode(3)
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
        LineWriter.standardError.write("evsed: ledger: \(path) is in use by another evsed; stop it first (systemctl stop evsed)")
        throw ExitCode(3)
    }
    // The descriptor stays open (and locked) until the process exits.
}

/// The value of an environment variable, when set and not empty.
func environment(_ name: String) -> String? {
    guard let value = getenv(name), value.pointee != 0 else { return nil }
    return String(cString: value)
}

/// Where `evsed run` offers the console: --console, else `console.sock` in systemd's
/// $RUNTIME_DIRECTORY, else nowhere.
func consoleSocketPath(_ option: String?) -> String? {
    if let option { return option }
    return environment("RUNTIME_DIRECTORY").map { (String($0.split(separator: ":").first ?? "") ) + "/console.sock" }
}
