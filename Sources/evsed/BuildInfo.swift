import Hardware

/// The version of evsed and of the C libraries it was linked with.
enum BuildInfo {
    static let version = "0.1.0"

    static var versionText: String {
        "evsed \(version) (libmodbus \(LinkedLibraries.modbusVersion), libgpiod \(LinkedLibraries.gpiodVersion))"
    }
}
