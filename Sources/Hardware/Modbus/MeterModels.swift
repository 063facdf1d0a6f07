/// The register maps of the meters evsed knows by name. Addresses are 0-based (datasheet register
/// numbers 30001/40001 minus one, or the hexadecimal addresses the datasheets give).
///
/// Sources: the vendors' Modbus register lists (Eastron SDM630 v2, SDM120, SDM72D-M v2 protocol
/// documents; ABB B21/B23/B24 manual, "Modbus mapping"; Carlo Gavazzi EM340 communication
/// protocol; Schneider iEM3100/iEM3200 user manual, "Modbus register list"). The Eastron, ABB and
/// Carlo Gavazzi maps were cross-checked against open-source integrations that read the same
/// meters; of the iEM3155 map only the voltage address was, its other addresses still want a check
/// against the manual on a real meter.
public enum MeterModels {
    /// Every built-in model, by the name `--model` and board files use.
    public static let all: [String: RegisterMap] = Dictionary(
        uniqueKeysWithValues: [sdm630, sdm120, sdm72d, abbB23, em340, iem3155].map { ($0.model, $0) })

    /// The names, sorted.
    public static var names: [String] { all.keys.sorted() }

    /// Eastron SDM630-Modbus V2: three-phase, input registers (function 4), IEEE 754 float32, high
    /// word first. Voltages 30001…, currents 30007…, phase powers 30013…, total power 30053,
    /// frequency 30071, total import kWh 30073.
    public static let sdm630 = RegisterMap(model: "sdm630", functionCode: 4, definitions: eastronThreePhase)

    /// Eastron SDM72D-M V2: the same input-register layout as the SDM630 for these values.
    public static let sdm72d = RegisterMap(model: "sdm72d-m", functionCode: 4, definitions: eastronThreePhase)

    /// Eastron SDM120-Modbus: single-phase, input registers, float32. Voltage 30001, current 30007,
    /// active power 30013 (also the total), frequency 30071, import kWh 30073.
    public static let sdm120 = RegisterMap(model: "sdm120", functionCode: 4, definitions: [
        RegisterDefinition(.voltageL1, 0x0000, .float32, unit: .volt),
        RegisterDefinition(.currentL1, 0x0006, .float32, unit: .ampere),
        RegisterDefinition(.totalPower, 0x000C, .float32, unit: .watt),
        RegisterDefinition(.frequency, 0x0046, .float32, unit: .hertz),
        RegisterDefinition(.importEnergy, 0x0048, .float32, unit: .kilowattHour),
    ])

    private static let eastronThreePhase: [RegisterDefinition] = [
        RegisterDefinition(.voltageL1, 0x0000, .float32, unit: .volt),
        RegisterDefinition(.voltageL2, 0x0002, .float32, unit: .volt),
        RegisterDefinition(.voltageL3, 0x0004, .float32, unit: .volt),
        RegisterDefinition(.currentL1, 0x0006, .float32, unit: .ampere),
        RegisterDefinition(.currentL2, 0x0008, .float32, unit: .ampere),
        RegisterDefinition(.currentL3, 0x000A, .float32, unit: .ampere),
        RegisterDefinition(.powerL1, 0x000C, .float32, unit: .watt),
        RegisterDefinition(.powerL2, 0x000E, .float32, unit: .watt),
        RegisterDefinition(.powerL3, 0x0010, .float32, unit: .watt),
        RegisterDefinition(.totalPower, 0x0034, .float32, unit: .watt),
        RegisterDefinition(.frequency, 0x0046, .float32, unit: .hertz),
        RegisterDefinition(.importEnergy, 0x0048, .float32, unit: .kilowattHour),
    ]

    /// ABB B23 (and B24) 112/212: holding registers (function 3), integers, high word first.
    /// Voltages L-N 0x5B00… (uint32, 0.1 V), currents 0x5B0C… (uint32, 0.01 A), total active power
    /// 0x5B14 and per phase 0x5B16… (int32, 0.01 W), frequency 0x5B2C (uint16, 0.01 Hz), active
    /// import energy 0x5000 (uint64, 0.01 kWh).
    public static let abbB23 = RegisterMap(model: "abb-b23", functionCode: 3, definitions: [
        RegisterDefinition(.voltageL1, 0x5B00, .uint32, scale: 0.1, unit: .volt),
        RegisterDefinition(.voltageL2, 0x5B02, .uint32, scale: 0.1, unit: .volt),
        RegisterDefinition(.voltageL3, 0x5B04, .uint32, scale: 0.1, unit: .volt),
        RegisterDefinition(.currentL1, 0x5B0C, .uint32, scale: 0.01, unit: .ampere),
        RegisterDefinition(.currentL2, 0x5B0E, .uint32, scale: 0.01, unit: .ampere),
        RegisterDefinition(.currentL3, 0x5B10, .uint32, scale: 0.01, unit: .ampere),
        RegisterDefinition(.totalPower, 0x5B14, .int32, scale: 0.01, unit: .watt),
        RegisterDefinition(.powerL1, 0x5B16, .int32, scale: 0.01, unit: .watt),
        RegisterDefinition(.powerL2, 0x5B18, .int32, scale: 0.01, unit: .watt),
        RegisterDefinition(.powerL3, 0x5B1A, .int32, scale: 0.01, unit: .watt),
        RegisterDefinition(.frequency, 0x5B2C, .uint16, scale: 0.01, unit: .hertz),
        RegisterDefinition(.importEnergy, 0x5000, .uint64, scale: 0.01, unit: .kilowattHour),
    ])

    /// Carlo Gavazzi EM340: holding registers, INT32 with the low word first. Voltages L-N 0x0000…
    /// (0.1 V), currents 0x000C… (0.001 A), phase powers 0x0012… and system power 0x0028 (0.1 W),
    /// frequency 0x0033 (INT16, 0.1 Hz), kWh (+) TOT 0x0034 (0.1 kWh).
    public static let em340 = RegisterMap(model: "em340", functionCode: 3, definitions: [
        RegisterDefinition(.voltageL1, 0x0000, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .volt),
        RegisterDefinition(.voltageL2, 0x0002, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .volt),
        RegisterDefinition(.voltageL3, 0x0004, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .volt),
        RegisterDefinition(.currentL1, 0x000C, .int32, wordOrder: .lowFirst, scale: 0.001, unit: .ampere),
        RegisterDefinition(.currentL2, 0x000E, .int32, wordOrder: .lowFirst, scale: 0.001, unit: .ampere),
        RegisterDefinition(.currentL3, 0x0010, .int32, wordOrder: .lowFirst, scale: 0.001, unit: .ampere),
        RegisterDefinition(.powerL1, 0x0012, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .watt),
        RegisterDefinition(.powerL2, 0x0014, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .watt),
        RegisterDefinition(.powerL3, 0x0016, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .watt),
        RegisterDefinition(.totalPower, 0x0028, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .watt),
        RegisterDefinition(.frequency, 0x0033, .int16, scale: 0.1, unit: .hertz),
        RegisterDefinition(.importEnergy, 0x0034, .int32, wordOrder: .lowFirst, scale: 0.1, unit: .kilowattHour),
    ])

    /// Schneider Electric iEM3155: holding registers, float32 high word first, energy as INT64 in Wh.
    /// Currents 3000… (A), voltages L-N 3028… (V), phase powers 3054… and total 3060 (kW),
    /// frequency 3110 (Hz), total active energy import 3204 (INT64, Wh); register numbers minus one.
    public static let iem3155 = RegisterMap(model: "iem3155", functionCode: 3, definitions: [
        RegisterDefinition(.currentL1, 2999, .float32, unit: .ampere),
        RegisterDefinition(.currentL2, 3001, .float32, unit: .ampere),
        RegisterDefinition(.currentL3, 3003, .float32, unit: .ampere),
        RegisterDefinition(.voltageL1, 3027, .float32, unit: .volt),
        RegisterDefinition(.voltageL2, 3029, .float32, unit: .volt),
        RegisterDefinition(.voltageL3, 3031, .float32, unit: .volt),
        RegisterDefinition(.powerL1, 3053, .float32, unit: .kilowatt),
        RegisterDefinition(.powerL2, 3055, .float32, unit: .kilowatt),
        RegisterDefinition(.powerL3, 3057, .float32, unit: .kilowatt),
        RegisterDefinition(.totalPower, 3059, .float32, unit: .kilowatt),
        RegisterDefinition(.frequency, 3109, .float32, unit: .hertz),
        RegisterDefinition(.importEnergy, 3203, .int64, unit: .wattHour),
    ])
}
