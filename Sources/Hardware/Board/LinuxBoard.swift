import EVSECore
import Runtime

/// The devices of a real board, opened in the order that keeps it safe: the contactor drive first
/// (requested released), the RCM test output (released), the pilot PWM (state F), then the
/// sensors and the meter. A device the charger cannot be safe without that cannot be opened stops
/// everything with an error naming it. The meter is the exception: a missing RS-485 adapter is
/// reported and looked for again with a back-off, and until it answers no session can charge
/// (the meter-lost fault), so the charger stays up and comes back by itself with the adapter.
public struct LinuxBoard: Sendable {
    public var devices: ChargerDevices
    public var meter: any EnergyMeter
    public var temperature: (any TemperatureSensor)?
    /// Edge events that wake the control loop (RCM fault output, contactor feedback).
    public var wakeSources: [PeriodicThread.WakeSource]
    /// What could not be opened at start but is tried again (the meter's line).
    public var startupProblems: [HardwareError] = []
    /// A pilot read through an ADC: sampled on a thread of its own, which the daemon runs on the
    /// control loop's deadlines moved `lead` earlier (see `SampledPilotSensor`).
    public var pilotSampler: SampledPilotSensor? = nil

    /// - Parameter controlPeriod: the control loop's, which an ADC pilot's sampler follows.
    public static func open(_ board: LinuxBoardConfiguration, charger: ChargerConfiguration, controlPeriod: Duration,
                            gpio: any GPIOProvider = LibGPIOD()) throws(HardwareError) -> LinuxBoard {
        let contactor = try GPIOContactor(
            provider: gpio, drive: board.contactorDrive,
            feedback: charger.hasContactorFeedback ? board.contactorFeedback : nil)
        let rcm = try GPIOResidualCurrentMonitor(provider: gpio, fault: board.rcmFault, test: board.rcmTest)
        var lock: (any ConnectorLock)?
        if charger.hasConnectorLock {
            guard let lines = board.lock else {
                throw HardwareError(device: .connectorLock, detail: "charger.connector_lock is set but the board file has no [lock] table")
            }
            lock = try GPIOConnectorLock(provider: gpio, drive: lines.drive, feedback: lines.feedback)
        }
        let pwm = SysfsPWM(root: board.pwmRoot, chip: board.pwmChip, channel: board.pwmChannel)
        try pwm.open()
        let pilot: any PilotSensor
        var proximity: (any ProximityPilotSensor)?
        var sampler: SampledPilotSensor?
        switch board.pilot {
        case .ads1115(let settings):
            let adc = ADS1115(device: try LinuxI2CDevice(bus: settings.bus, address: settings.address, device: .pilotSensor))
            let sensor = ADS1115PilotSensor(adc: adc, highChannel: settings.highChannel, lowChannel: settings.lowChannel,
                                            gain: settings.gain, offset: settings.offset, proximity: settings.proximity)
            // Two conversions over I2C, about 3 ms: not on the loop's thread.
            let sampled = SampledPilotSensor(sensor: sensor, proximity: settings.proximity != nil ? sensor : nil, period: controlPeriod)
            sampled.sampleOnce()
            pilot = sampled
            sampler = sampled
            if settings.proximity != nil { proximity = sampled }
        case .comparators(let above10V5, let above7V5, let above4V5, let above1V5, let low):
            pilot = try ComparatorPilotSensor(provider: gpio, above10V5: above10V5, above7V5: above7V5, above4V5: above4V5,
                                              above1V5: above1V5, lowBelowMinus10V5: low)
        }
        _ = try pilot.sample()
        let meter = ModbusEnergyMeter(.init(transport: board.meter.transport, slave: board.meter.address, map: board.meter.map))
        var problems: [HardwareError] = []
        do throws(ModbusError) {
            try meter.connect()
        } catch {
            problems.append(HardwareError(device: .energyMeter, detail: "\(error); evsed keeps looking for it"))
        }
        let temperature = try board.temperature.map { (sensor) throws(HardwareError) in
            LM75TemperatureSensor(device: try LinuxI2CDevice(bus: sensor.bus, address: sensor.address, device: .temperatureSensor))
        }
        return LinuxBoard(
            devices: ChargerDevices(pilotSensor: pilot, pilotSignal: pwm, contactor: contactor, residualCurrentMonitor: rcm,
                                    proximityPilot: proximity, connectorLock: lock),
            meter: meter, temperature: temperature, wakeSources: contactor.wakeSources + rcm.wakeSources, startupProblems: problems,
            pilotSampler: sampler)
    }
}
