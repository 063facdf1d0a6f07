#if canImport(Glibc)
import Glibc
#endif
import CI2C
import EVSECore

/// A device on an I2C bus, by register. Words are as the chip sends them, most significant byte
/// first (the ADS1115, LM75 and TMP102 all do), whatever SMBus's own byte order.
public protocol I2CDevice: AnyObject, Sendable {
    /// "/dev/i2c-1 address 0x48", for messages.
    var name: String { get }
    func readWord(register: UInt8) throws(HardwareError) -> UInt16
    func writeWord(register: UInt8, _ value: UInt16) throws(HardwareError)
}

/// An I2C device through i2c-dev and libi2c's SMBus calls: the only file that imports CI2C.
public final class LinuxI2CDevice: I2CDevice, @unchecked Sendable {
    // Unchecked: one owner thread at a time (the temperature poller, or the control loop).
    public let bus: Int
    public let address: UInt8
    public let device: HardwareError.Device
    private let descriptor: Int32

    public var name: String { "/dev/i2c-\(bus) address 0x\(String(address, radix: 16))" }

    public init(bus: Int, address: UInt8, device: HardwareError.Device) throws(HardwareError) {
        self.bus = bus
        self.address = address
        self.device = device
        let path = "/dev/i2c-\(bus)"
        let opened = open(path, O_RDWR | O_CLOEXEC)
        guard opened >= 0 else {
            throw HardwareError(device: device, detail: "\(path): cannot open the I2C bus: \(String(cString: strerror(errno)))")
        }
        guard evsed_i2c_select_address(opened, Int32(address)) == 0 else {
            let reason = String(cString: strerror(errno))
            close(opened)
            throw HardwareError(device: device, detail: "\(path): cannot select address 0x\(String(address, radix: 16)): \(reason)")
        }
        descriptor = opened
    }

    deinit { close(descriptor) }

    /// The error of a transfer that failed with `code` (errno, read by the caller before anything
    /// else can change it). A chip that does not acknowledge its address is reported by the bus
    /// driver as ENXIO, EREMOTEIO or ENODEV, by adapter.
    private func failure(_ code: Int32, _ operation: String) -> HardwareError {
        var detail = "\(name): \(operation): \(String(cString: strerror(code)))"
        if code == ENXIO || code == EREMOTEIO || code == ENODEV {
            detail += " (no chip answers at 0x\(String(address, radix: 16)): check its wiring, power and address pins)"
        }
        return HardwareError(device: device, detail: detail)
    }

    public func readWord(register: UInt8) throws(HardwareError) -> UInt16 {
        let value = i2c_smbus_read_word_data(descriptor, register)
        guard value >= 0 else {
            let code = errno
            throw failure(code, "read register \(register)")
        }
        return UInt16(truncatingIfNeeded: value).byteSwapped
    }

    public func writeWord(register: UInt8, _ value: UInt16) throws(HardwareError) {
        guard i2c_smbus_write_word_data(descriptor, register, value.byteSwapped) >= 0 else {
            let code = errno
            throw failure(code, "write register \(register)")
        }
    }
}

/// An LM75, LM75B or TMP102: the temperature register (0) holds a two's-complement value in its top
/// bits, 1/256 °C per step of the whole word, whatever the chip's resolution (9 to 12 bits).
public final class LM75TemperatureSensor: TemperatureSensor {
    public let device: any I2CDevice
    public init(device: any I2CDevice) { self.device = device }

    public func read() throws(HardwareError) -> Celsius {
        Celsius(Double(Int16(bitPattern: try device.readWord(register: 0))) / 256)
    }
}

/// A TI ADS1115 16-bit ADC, in single-shot mode against ground.
public final class ADS1115: @unchecked Sendable {
    // Unchecked: one owner thread (the control loop).
    public let device: any I2CDevice
    /// Full-scale range in volts for the programmable gain: ±4.096 V.
    public let fullScale = 4.096
    /// Conversions take 1.2 ms at 860 samples per second; this many status polls before giving up.
    public var maximumPolls = 50

    public init(device: any I2CDevice) { self.device = device }

    /// The configuration word for a single-shot conversion of `channel` (AINx against GND):
    /// OS = 1 (start), MUX = 100 + channel, PGA = 001 (±4.096 V), MODE = 1 (single shot),
    /// DR = 111 (860 SPS), comparator disabled (COMP_QUE = 11).
    public static func configuration(channel: Int) -> UInt16 {
        precondition((0...3).contains(channel), "the ADS1115 has channels 0 … 3")
        return 0x8000 | UInt16(0x4 + channel) << 12 | 0x1 << 9 | 0x1 << 8 | 0x7 << 5 | 0x3
    }

    /// Converts `channel` once and returns its voltage.
    public func read(channel: Int) throws(HardwareError) -> Double {
        try device.writeWord(register: 1, Self.configuration(channel: channel))
        var polls = 0
        // OS reads back 1 when the conversion is done.
        while try device.readWord(register: 1) & 0x8000 == 0 {
            polls += 1
            guard polls < maximumPolls else {
                throw HardwareError(device: .pilotSensor, detail: "\(device.name): conversion of channel \(channel) never finished")
            }
            usleep(100)
        }
        let raw = Int16(bitPattern: try device.readWord(register: 0))
        return Double(raw) * fullScale / 32768
    }
}

/// The control pilot through an ADS1115 reading two peak detectors: the PWM's high level on one
/// channel and its low level on another, each scaled back to pilot volts by the board's divider
/// (`pilot = adc × gain + offset`).
///
/// With a `proximity` channel it is also the socket's proximity pilot: the PP resistor to PE, under
/// a pull-up to the reference, is measured every `proximityEvery` samples on the same thread (the
/// ADC is not shared across threads) and turned into the cable's rating.
public final class ADS1115PilotSensor: PilotSensor, ProximityPilotSensor, @unchecked Sendable {
    public struct Proximity: Sendable {
        public var channel: Int
        public var pullUp: Double
        public var reference: Double
        public init(channel: Int, pullUp: Double, reference: Double) {
            self.channel = channel
            self.pullUp = pullUp
            self.reference = reference
        }
    }

    public let adc: ADS1115
    public let highChannel: Int
    public let lowChannel: Int
    public let gain: Double
    public let offset: Double
    public let proximity: Proximity?
    public var proximityEvery = 100
    private var samplesSinceProximity = Int.max / 2
    private var rating: Amperes?

    public init(adc: ADS1115, highChannel: Int, lowChannel: Int, gain: Double, offset: Double, proximity: Proximity? = nil) {
        self.adc = adc
        self.highChannel = highChannel
        self.lowChannel = lowChannel
        self.gain = gain
        self.offset = offset
        self.proximity = proximity
    }

    public func sample() throws(HardwareError) -> PilotSample {
        let high = try adc.read(channel: highChannel) * gain + offset
        let low = try adc.read(channel: lowChannel) * gain + offset
        return PilotSample(high: Volts(high), low: Volts(low))
    }

    /// `ProximityPilotSensor`: the latest rating, measured anew every `proximityEvery` calls.
    public func cableRating() throws(HardwareError) -> Amperes? {
        guard let proximity else { return nil }
        samplesSinceProximity += 1
        if samplesSinceProximity >= proximityEvery {
            samplesSinceProximity = 0
            let volts = try adc.read(channel: proximity.channel)
            rating = ProximityPilot.cableRating(
                ohms: ProximityPilot.resistance(volts: volts, pullUp: proximity.pullUp, reference: proximity.reference))
        }
        return rating
    }
}
