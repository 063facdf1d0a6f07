import CGPIOD
import CModbus

/// The versions of the C libraries evsed is running with, for `evsed --version` and bug reports.
public enum LinkedLibraries {
    /// libmodbus's version, from the library's exported version variables (not the header's).
    public static var modbusVersion: String {
        "\(libmodbus_version_major).\(libmodbus_version_minor).\(libmodbus_version_micro)"
    }

    /// libgpiod's version, from `gpiod_version_string()`.
    public static var gpiodVersion: String {
        guard let text = gpiod_version_string() else { return "unknown" }
        return String(cString: text)
    }
}
