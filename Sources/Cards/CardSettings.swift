import ChargerService
import ConfigFile
import EVSECore

/// The `[cards]` table of a board file: whether a card is needed to charge, and the RFID reader.
///
/// ```toml
/// [cards]
/// mode = "same_card"            # free, card or same_card (the site setting card_mode overrides it)
/// connection_timeout_s = 60     # how long an accepted card waits for a car
/// reader = "pn532_uart"         # an NXP PN532 through libnfc: pn532_uart or pn532_i2c
/// port = "/dev/ttyAMA0"         # its UART (115200 baud), or its I2C bus (/dev/i2c-1)
/// poll_interval_ms = 250        # how often the reader looks for a card
/// ```
///
/// Without a reader a simulated board takes cards from `tap CARD`; a real board then takes them
/// only from a central system (RemoteStartTransaction) or a console's `start`.
public struct CardSettings: Sendable, Equatable {
    public var mode: CardMode = .free
    public var connectionTimeout: Duration = .seconds(60)
    public var reader: Reader?

    /// A PN532 on a UART or an I2C bus.
    public struct Reader: Sendable, Equatable {
        public enum Driver: String, Sendable, CaseIterable { case pn532UART = "pn532_uart", pn532I2C = "pn532_i2c" }
        public var driver: Driver
        public var port: String
        public var pollInterval: Duration

        public init(driver: Driver, port: String, pollInterval: Duration) {
            self.driver = driver
            self.port = port
            self.pollInterval = pollInterval
        }

        /// libnfc's name of the device (`pn532_uart:/dev/ttyAMA0`).
        public var connectionString: String { "\(driver.rawValue):\(port)" }
    }

    public init(mode: CardMode = .free, connectionTimeout: Duration = .seconds(60), reader: Reader? = nil) {
        self.mode = mode
        self.connectionTimeout = connectionTimeout
        self.reader = reader
    }

    /// Reads the table; a board without one charges freely with no reader.
    public static func read(_ table: ConfigTable?) throws(ConfigError) -> CardSettings {
        guard let table else { return CardSettings() }
        var settings = CardSettings()
        if let text = try table.string("mode") {
            guard let mode = CardMode(rawValue: text) else {
                throw table.error("mode", "'\(text)' is not a card mode: \(CardMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.mode = mode
        }
        settings.connectionTimeout = .seconds(try table.integer("connection_timeout_s", default: 60, in: 5...600))
        if let name = try table.string("reader") {
            guard let driver = Reader.Driver(rawValue: name) else {
                throw table.error("reader", "'\(name)' is not a reader evsed drives: \(Reader.Driver.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let port = try table.required("port") { (key) throws(ConfigError) in try table.string(key) }
            guard port.hasPrefix("/dev/"), !port.contains(":"), port.utf8.count < 200 else {
                throw table.error("port", "'\(port)' is not a device path (/dev/ttyAMA0, /dev/i2c-1)")
            }
            let interval = try table.integer("poll_interval_ms", default: 250, in: 50...5000)
            settings.reader = Reader(driver: driver, port: port, pollInterval: .milliseconds(interval))
        } else if try table.string("port") != nil {
            throw table.error("port", "a port without a reader: add reader = \"pn532_uart\" or \"pn532_i2c\"")
        }
        try table.rejectUnknownKeys()
        return settings
    }
}
