import EVSECore
import Hardware
import Testing

/// Register maps: decoding of values encoded the way each vendor documents them, request planning,
/// and plausibility.
@Suite struct RegisterMapTests {
    func decode(_ map: RegisterMap, _ quantity: MeterQuantity, _ words: [UInt16]) -> Double {
        map[quantity]!.decode(words[...])
    }

    @Test func eastronFloatsAreHighWordFirst() {
        // 230.0 as IEEE 754 single precision is 0x43660000; 1234.5 kWh is 0x449A5000.
        #expect(decode(MeterModels.sdm630, .voltageL1, [0x4366, 0x0000]) == 230)
        #expect(decode(MeterModels.sdm630, .importEnergy, [0x449A, 0x5000]) == 1_234_500)
        #expect(decode(MeterModels.sdm120, .currentL1, [0x4180, 0x0000]) == 16)
        #expect(decode(MeterModels.sdm72d, .frequency, [0x4248, 0x0000]) == 50)
    }

    @Test func abbIntegersCarryTheirResolution() {
        // 230.1 V in 0.1 V: 2301 = 0x08FD; 16.25 A in 0.01 A: 1625; −1.5 W in 0.01 W: −150 (int32).
        #expect(abs(decode(MeterModels.abbB23, .voltageL1, [0x0000, 0x08FD]) - 230.1) < 1e-9)
        #expect(decode(MeterModels.abbB23, .currentL1, [0x0000, 0x0659]) == 16.25)
        #expect(decode(MeterModels.abbB23, .totalPower, [0xFFFF, 0xFF6A]) == -1.5)
        // 1234.56 kWh in 0.01 kWh: 123456 = 0x1E240 in a uint64.
        #expect(abs(decode(MeterModels.abbB23, .importEnergy, [0x0000, 0x0000, 0x0001, 0xE240]) - 1_234_560) < 1e-6)
        #expect(decode(MeterModels.abbB23, .frequency, [0x1388]) == 50)
    }

    @Test func carloGavazziSendsTheLowWordFirst() {
        // 230.0 V in 0.1 V is 2300 = 0x000008FC: low word 0x08FC first.
        #expect(decode(MeterModels.em340, .voltageL1, [0x08FC, 0x0000]) == 230)
        // 70000 (7 kW in 0.1 W) = 0x00011170 → [0x1170, 0x0001].
        #expect(decode(MeterModels.em340, .totalPower, [0x1170, 0x0001]) == 7000)
        #expect(decode(MeterModels.em340, .frequency, [500]) == 50)
    }

    @Test func schneiderEnergyIsAnInt64InWattHours() {
        #expect(decode(MeterModels.iem3155, .importEnergy, [0x0000, 0x0000, 0x0012, 0xD687]) == 1_234_567)
        // 3.68 kW as float32 is 0x406B851F: converted to watts.
        #expect(abs(decode(MeterModels.iem3155, .powerL1, [0x406B, 0x851F]) - 3680) < 0.001)
    }

    @Test(arguments: MeterModels.names)
    func encodingRoundTripsThroughDecoding(model: String) {
        let map = MeterModels.all[model]!
        for definition in map.definitions {
            let value = definition.quantity == .importEnergy ? 1_234_567.0 : definition.quantity == .frequency ? 50.0 : 230.0
            let decoded = definition.decode(definition.encode(value)[...])
            #expect(abs(decoded - value) <= max(abs(value) * 1e-6, definition.scale * 1000), "\(model) \(definition.quantity)")
        }
    }

    @Test func requestsMergeWhileTheGapIsCheaperThanASecondRequest() {
        // SDM630: voltages to phase powers are contiguous (18 registers); total power at 0x34 and
        // frequency/energy at 0x46 are 16 registers apart, 32 bytes of gap against about 20
        // character times for a third request: three requests are the shortest on the line.
        #expect(MeterModels.sdm630.blocks == [.init(start: 0x0000, count: 0x12), .init(start: 0x0034, count: 2), .init(start: 0x0046, count: 4)])
        // EM340: the 2-register gap at 0x0006 is merged; 0x0018 … 0x0027 (16) is not.
        #expect(MeterModels.em340.blocks == [.init(start: 0x0000, count: 0x18), .init(start: 0x0028, count: 0x0E)])
        #expect(MeterModels.abbB23.blocks == [.init(start: 0x5000, count: 4), .init(start: 0x5B00, count: 0x1C), .init(start: 0x5B2C, count: 1)])
        #expect(MeterModels.iem3155.blocks.count == 5)
        // Every definition is inside one block.
        for map in MeterModels.all.values {
            for definition in map.definitions {
                #expect(map.blocks.contains { $0.range.contains(definition.range.lowerBound) && $0.range.upperBound >= definition.range.upperBound })
            }
        }
    }

    @Test func everyShippedMapIsWellFormed() {
        for map in MeterModels.all.values { #expect(map.problems() == [], "\(map.model)") }
    }

    @Test func aBadMapSaysWhatIsWrong() {
        let map = RegisterMap(model: "x", functionCode: 6, definitions: [
            RegisterDefinition(.voltageL1, 0, .float32, unit: .ampere),
            RegisterDefinition(.voltageL1, 2, .float32, unit: .volt),
        ])
        #expect(map.problems() == [
            "function code 6 is not 3 or 4",
            "voltage_l1 is in V, not A",
            "voltage_l1 is defined twice",
            "current_l1 is missing: a charger needs voltage, current and the import register",
            "import_energy is missing: a charger needs voltage, current and the import register",
        ])
    }
}

@Suite struct MeterPlausibilityTests {
    let limits = MeterPlausibility()
    let good: [MeterQuantity: Double] = [.voltageL1: 230, .currentL1: 16, .totalPower: 3680, .importEnergy: 1_000_000]

    @Test func aGoodReadingPasses() throws {
        let reading = try limits.reading(from: good, previous: (WattHours(999_990), .seconds(10)))
        #expect(reading.importEnergy == WattHours(1_000_000))
        #expect(reading.voltage.l2 == nil)
    }

    @Test func implausibleValuesAreRefused() {
        var values = good
        values[.voltageL1] = .nan
        #expect(throws: MeterPlausibility.Problem.notANumber(.voltageL1)) { try limits.reading(from: values, previous: nil) }
        values = good
        values[.importEnergy] = -5
        #expect(throws: MeterPlausibility.Problem.negativeEnergy(-5)) { try limits.reading(from: values, previous: nil) }
        values = good
        values[.currentL1] = 400
        #expect(throws: MeterPlausibility.Problem.outOfRange(.currentL1, 400)) { try limits.reading(from: values, previous: nil) }
        values = good
        values.removeValue(forKey: .importEnergy)
        #expect(throws: MeterPlausibility.Problem.missing(.importEnergy)) { try limits.reading(from: values, previous: nil) }
    }

    @Test func theRegisterNeverGoesBackwardsNorJumps() {
        #expect(throws: MeterPlausibility.Problem.registerWentBackwards(from: 1_000_010, to: 1_000_000)) {
            try limits.reading(from: good, previous: (WattHours(1_000_010), .seconds(1)))
        }
        // 60 kW for 2 s is 33 Wh; 5 kWh in 1 s is a corrupt register.
        #expect(throws: MeterPlausibility.Problem.impossibleJump(energy: 5000, seconds: 1)) {
            try limits.reading(from: good, previous: (WattHours(995_000), .seconds(1)))
        }
    }

    @Test func aRegisterNoMeterCanShowIsRefused() {
        // 10¹⁹ Wh used to pass as a first reading and trap later, converted to whole Wh.
        var values = good
        values[.importEnergy] = 1e19
        #expect(throws: MeterPlausibility.Problem.outOfRange(.importEnergy, 1e19)) { try limits.reading(from: values, previous: nil) }
        values[.importEnergy] = 99_999_999_900
        #expect((try? limits.reading(from: values, previous: nil)) != nil, "8 digits of kWh are a register")
    }
}
