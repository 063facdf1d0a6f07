import EVSECore

extension RegisterMap {
    /// Decodes every quantity from the registers of `blocks` (one array per block, in order).
    public func decode(blocks: [Block], registers: [[UInt16]]) -> [MeterQuantity: Double] {
        precondition(blocks.count == registers.count)
        var values: [MeterQuantity: Double] = [:]
        for definition in definitions {
            guard let index = blocks.firstIndex(where: { $0.range.contains(definition.range.lowerBound) && $0.range.upperBound >= definition.range.upperBound })
            else { continue }
            let offset = definition.range.lowerBound - Int(blocks[index].start)
            values[definition.quantity] = definition.decode(registers[index][offset..<(offset + definition.type.registerCount)])
        }
        return values
    }

    /// The register image a meter with these values serves: address → register.
    public func encode(_ values: [MeterQuantity: Double]) -> [UInt16: UInt16] {
        var image: [UInt16: UInt16] = [:]
        for definition in definitions {
            let words = definition.encode(values[definition.quantity] ?? 0)
            for (offset, word) in words.enumerated() { image[definition.address + UInt16(offset)] = word }
        }
        return image
    }
}

/// The limits a reading must respect before it is believed.
public struct MeterPlausibility: Hashable, Sendable {
    public var maximumVoltage = Volts(500)
    public var maximumCurrent = Amperes(100)
    /// The most a charger can draw: faster register growth than this is a corrupt reading.
    public var maximumPower = Watts(60_000)
    /// The largest import register a meter shows: 8 digits of kWh and one decimal (10¹¹ Wh).
    public var maximumRegister = WattHours(100_000_000_000)

    public init(maximumVoltage: Volts = Volts(500), maximumCurrent: Amperes = Amperes(100), maximumPower: Watts = Watts(60_000)) {
        self.maximumVoltage = maximumVoltage
        self.maximumCurrent = maximumCurrent
        self.maximumPower = maximumPower
    }

    /// Why a reading is not believable.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        case missing(MeterQuantity)
        case notANumber(MeterQuantity)
        case outOfRange(MeterQuantity, Double)
        case negativeEnergy(Double)
        case registerWentBackwards(from: Double, to: Double)
        case impossibleJump(energy: Double, seconds: Double)

        public var description: String {
            switch self {
            case .missing(let quantity): return "\(quantity.rawValue) missing from the reply"
            case .notANumber(let quantity): return "\(quantity.rawValue) is not a number"
            case .outOfRange(let quantity, let value): return "\(quantity.rawValue) = \(value) \(quantity.baseUnit.rawValue) is out of range"
            case .negativeEnergy(let value): return "import register is negative (\(value) Wh)"
            case .registerWentBackwards(let from, let to): return "import register went backwards from \(from) Wh to \(to) Wh"
            case .impossibleJump(let energy, let seconds): return "import register grew \(energy) Wh in \(seconds) s, more than a charger can draw"
            }
        }
    }

    /// Turns decoded values into a reading, or says why they cannot be one. `previous` is the last
    /// good import register and how long ago it was read.
    public func reading(from values: [MeterQuantity: Double], previous: (energy: WattHours, elapsed: Duration)?)
        throws(Problem) -> MeterReading
    {
        for (quantity, value) in values where !value.isFinite { throw .notANumber(quantity) }
        func value(_ quantity: MeterQuantity) throws(Problem) -> Double {
            guard let value = values[quantity] else { throw .missing(quantity) }
            return value
        }
        let voltages = [values[.voltageL1], values[.voltageL2], values[.voltageL3]]
        let currents = [values[.currentL1], values[.currentL2], values[.currentL3]]
        for (index, voltage) in voltages.enumerated() {
            if let voltage, !(0...maximumVoltage.value).contains(voltage) {
                throw .outOfRange([MeterQuantity.voltageL1, .voltageL2, .voltageL3][index], voltage)
            }
        }
        for (index, current) in currents.enumerated() {
            if let current, abs(current) > maximumCurrent.value {
                throw .outOfRange([MeterQuantity.currentL1, .currentL2, .currentL3][index], current)
            }
        }
        let energy = try value(.importEnergy)
        guard energy >= 0 else { throw .negativeEnergy(energy) }
        guard energy <= maximumRegister.value else { throw .outOfRange(.importEnergy, energy) }
        if let previous {
            if energy < previous.energy.value - 0.001 { throw .registerWentBackwards(from: previous.energy.value, to: energy) }
            // A 0.1 kWh register resolution and a second of slack on the time.
            let allowed = maximumPower.value * (previous.elapsed.seconds + 1) / 3600 + 100
            if energy - previous.energy.value > allowed {
                throw .impossibleJump(energy: energy - previous.energy.value, seconds: previous.elapsed.seconds)
            }
        }
        let power = values[.totalPower]
            ?? [values[.powerL1], values[.powerL2], values[.powerL3]].compactMap { $0 }.reduce(0, +)
        if abs(power) > maximumPower.value * 2 { throw .outOfRange(.totalPower, power) }
        return MeterReading(
            voltage: PhaseValues(Volts(try value(.voltageL1)), voltages[1].map(Volts.init), voltages[2].map(Volts.init)),
            current: PhaseValues(Amperes(abs(try value(.currentL1))), currents[1].map { Amperes(abs($0)) }, currents[2].map { Amperes(abs($0)) }),
            power: Watts(power), importEnergy: WattHours(energy), frequency: values[.frequency])
    }
}
