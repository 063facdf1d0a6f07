import EVSECore
import Hardware
import Synchronization
import Testing

/// The I2C devices through a scripted device (KernelI2CTests has them on the kernel's i2c-stub).
@Suite struct I2CTests {
    /// Registers that answer with scripted words; writes are recorded.
    final class ScriptedDevice: I2CDevice, @unchecked Sendable {
        let name = "/dev/i2c-1 address 0x48"
        var registers: [UInt8: [UInt16]] = [:]
        var writes: [(UInt8, UInt16)] = []
        var failReads = false

        func readWord(register: UInt8) throws(HardwareError) -> UInt16 {
            if failReads { throw HardwareError(device: .temperatureSensor, detail: "\(name): read register \(register): Remote I/O error") }
            guard var queue = registers[register], !queue.isEmpty else { return 0 }
            let value = queue.removeFirst()
            registers[register] = queue.isEmpty ? [value] : queue
            return value
        }

        func writeWord(register: UInt8, _ value: UInt16) throws(HardwareError) { writes.append((register, value)) }
    }

    @Test(arguments: [(UInt16(0x1900), 25.0), (0x5080, 80.5), (0xFF80, -0.5), (0xE700, -25.0), (0x1910, 25.0625)])
    func lm75TemperaturesDecode(word: UInt16, celsius: Double) throws {
        let device = ScriptedDevice()
        device.registers[0] = [word]
        #expect(try LM75TemperatureSensor(device: device).read() == Celsius(celsius))
    }

    @Test func aTemperatureReadErrorNamesTheBusAndAddress() {
        let device = ScriptedDevice()
        device.failReads = true
        #expect(throws: HardwareError(device: .temperatureSensor, detail: "/dev/i2c-1 address 0x48: read register 0: Remote I/O error")) {
            try LM75TemperatureSensor(device: device).read()
        }
    }

    @Test func theADS1115ConfigurationSelectsTheChannel() {
        // AIN0 single-shot, ±4.096 V, 860 SPS, comparator off.
        #expect(ADS1115.configuration(channel: 0) == 0xC3E3)
        #expect(ADS1115.configuration(channel: 1) == 0xD3E3)
        #expect(ADS1115.configuration(channel: 3) == 0xF3E3)
    }

    @Test func aConversionWaitsForTheReadyBitAndScales() throws {
        let device = ScriptedDevice()
        // Busy twice, then done; 16384 is half of full scale: 2.048 V.
        device.registers[1] = [0x43E3, 0x43E3, 0xC3E3]
        device.registers[0] = [0x4000]
        let volts = try ADS1115(device: device).read(channel: 0)
        #expect(volts == 2.048)
        #expect(device.writes.map(\.0) == [1])
        #expect(device.writes.map(\.1) == [0xC3E3])
    }

    @Test func aConversionThatNeverEndsIsAnError() {
        let device = ScriptedDevice()
        device.registers[1] = [0x43E3]
        let adc = ADS1115(device: device)
        adc.maximumPolls = 3
        #expect(throws: HardwareError(device: .pilotSensor, detail: "/dev/i2c-1 address 0x48: conversion of channel 2 never finished")) {
            try adc.read(channel: 2)
        }
    }

    @Test func thePilotSensorScalesBothPeakDetectorsToPilotVolts() throws {
        let device = ScriptedDevice()
        device.registers[1] = [0xC3E3]
        // The divider maps −12 … +12 V onto 0 … 4 V: pilot = adc × 6 − 12. 3.0 V reads +6 V (C),
        // 0.0 V reads −12 V (the diode's low phase).
        device.registers[0] = [UInt16(3.0 / 4.096 * 32768), 0]
        let sensor = ADS1115PilotSensor(adc: ADS1115(device: device), highChannel: 0, lowChannel: 1, gain: 6, offset: -12)
        let sample = try sensor.sample()
        #expect(abs(sample.high.value - 6) < 0.001)
        #expect(sample.low == Volts(-12))
        #expect(PilotLevel.decode(high: sample.high) == .c)
        #expect(sample.lowPhaseShowsDiode)
    }

    @Test func aMissingBusIsNamed() {
        #expect(throws: HardwareError(device: .temperatureSensor, detail: "/dev/i2c-9: cannot open the I2C bus: No such file or directory")) {
            try LinuxI2CDevice(bus: 9, address: 0x48, device: .temperatureSensor)
        }
    }
}

@Suite struct ADS1115ProximityTests {
    @Test func theProximityPilotIsMeasuredEveryHundredCallsOnTheSameADC() throws {
        let device = I2CTests.ScriptedDevice()
        device.registers[1] = [0xC3E3]
        // 220 Ω under 1 kΩ to 3.3 V: 0.595 V on AIN2.
        device.registers[0] = [UInt16(3.3 * 220 / 1220 / 4.096 * 32768)]
        let sensor = ADS1115PilotSensor(adc: ADS1115(device: device), highChannel: 0, lowChannel: 1, gain: 6, offset: -12,
                                        proximity: .init(channel: 2, pullUp: 1000, reference: 3.3))
        #expect(try sensor.cableRating() == Amperes(32))
        #expect(device.writes.map(\.1) == [ADS1115.configuration(channel: 2)])
        for _ in 0..<99 { _ = try sensor.cableRating() }
        #expect(device.writes.count == 1)
        _ = try sensor.cableRating()
        #expect(device.writes.count == 2)
    }

    @Test func withoutAProximityChannelThereIsNoRating() throws {
        let sensor = ADS1115PilotSensor(adc: ADS1115(device: I2CTests.ScriptedDevice()), highChannel: 0, lowChannel: 1, gain: 6, offset: -12)
        #expect(try sensor.cableRating() == nil)
    }
}
