import EVSECore
import Hardware
import Testing
import TestSupport

/// i2c-dev and libi2c against the kernel's i2c-stub: the ADS1115's conversion and configuration
/// registers and the LM75's temperature, in the chips' byte order as i2c-tools sets them.
@Suite(.serialized, .enabled(if: I2CStub.found != nil, "needs the kernel's i2c-stub: `make test` runs it in its guest"))
struct KernelI2CTests {
    let stub = I2CStub.found!

    @Test func theADS1115sConversionIsDecodedAndItsConfigurationReachesTheChip() throws {
        try stub.exclusively { try adcConversions() }
    }

    func adcConversions() throws {
        let adc = ADS1115(device: try LinuxI2CDevice(bus: stub.bus, address: 0x48, device: .pilotSensor))
        // 24000 counts of ±4.096 V full scale: 3.0 V at the ADC, 6 V of pilot through the board's
        // divider (× 6 − 12): state C.
        try stub.setChipWord(address: 0x48, register: 0, 24000)
        #expect(abs(try adc.read(channel: 1) - 3.0) < 1e-9)
        // The configuration word as the chip received it, most significant byte first.
        #expect(try stub.chipWord(address: 0x48, register: 1) == ADS1115.configuration(channel: 1))
        // The datasheet's fields: OS 1, MUX 101 (AIN1 to GND), PGA 001 (±4.096 V), MODE 1, DR 111
        // (860 SPS), comparator off (COMP_QUE 11).
        #expect(try stub.chipWord(address: 0x48, register: 1) == 0b1_101_001_1_111_0_0_0_11)
        let sensor = ADS1115PilotSensor(adc: adc, highChannel: 0, lowChannel: 1, gain: 6, offset: -12)
        #expect(PilotLevel.decode(high: try sensor.sample().high) == .c)
        // A negative conversion: −2048 counts, −0.256 V.
        try stub.setChipWord(address: 0x48, register: 0, UInt16(bitPattern: -2048))
        #expect(abs(try adc.read(channel: 0) + 0.256) < 1e-9)
    }

    @Test(arguments: [(UInt16(0x1980), 25.5), (0x7D00, 125.0), (0xE700, -25.0), (0xFF80, -0.5), (0x0000, 0.0)])
    func theLM75sTemperatureIsDecoded(word: UInt16, celsius: Double) throws {
        try stub.exclusively {
            let sensor = LM75TemperatureSensor(device: try LinuxI2CDevice(bus: stub.bus, address: 0x49, device: .temperatureSensor))
            try stub.setChipWord(address: 0x49, register: 0, word)
            #expect(try sensor.read() == Celsius(celsius))
        }
    }

    @Test func anAddressWithNoChipIsNamed() throws {
        let device = try LinuxI2CDevice(bus: stub.bus, address: 0x50, device: .temperatureSensor)
        #expect(throws: HardwareError(device: .temperatureSensor, detail: "/dev/i2c-\(stub.bus) address 0x50: read register 0: No such device (no chip answers at 0x50: check its wiring, power and address pins)")) {
            _ = try device.readWord(register: 0)
        }
    }
}
