import EVSECore

/// A value an energy meter reports.
public enum MeterQuantity: String, CaseIterable, Hashable, Sendable {
    case voltageL1 = "voltage_l1", voltageL2 = "voltage_l2", voltageL3 = "voltage_l3"
    case currentL1 = "current_l1", currentL2 = "current_l2", currentL3 = "current_l3"
    case powerL1 = "power_l1", powerL2 = "power_l2", powerL3 = "power_l3"
    case totalPower = "total_power"
    case frequency = "frequency"
    case importEnergy = "import_energy"

    /// The unit values are converted to: V, A, W, Hz or Wh.
    public var baseUnit: MeterUnit {
        switch self {
        case .voltageL1, .voltageL2, .voltageL3: return .volt
        case .currentL1, .currentL2, .currentL3: return .ampere
        case .powerL1, .powerL2, .powerL3, .totalPower: return .watt
        case .frequency: return .hertz
        case .importEnergy: return .wattHour
        }
    }
}

/// The unit a register holds its value in (after its scale).
public enum MeterUnit: String, CaseIterable, Hashable, Sendable {
    case volt = "V", ampere = "A", watt = "W", kilowatt = "kW", hertz = "Hz", wattHour = "Wh", kilowattHour = "kWh"

    /// The factor to the base unit of its kind (kW → W, kWh → Wh).
    var toBase: Double {
        switch self {
        case .kilowatt, .kilowattHour: return 1000
        default: return 1
        }
    }

    /// The base unit of the same kind.
    var base: MeterUnit {
        switch self {
        case .kilowatt: return .watt
        case .kilowattHour: return .wattHour
        default: return self
        }
    }
}

/// How a value is encoded in its registers.
public enum RegisterType: String, CaseIterable, Hashable, Sendable {
    case float32, int32, uint32, int64, uint64, int16, uint16

    /// The number of 16-bit registers the value takes.
    public var registerCount: Int {
        switch self {
        case .int16, .uint16: return 1
        case .float32, .int32, .uint32: return 2
        case .int64, .uint64: return 4
        }
    }
}

/// The order of the 16-bit words of a multi-register value (bytes within a word are always
/// big-endian in Modbus).
public enum WordOrder: String, Hashable, Sendable {
    /// Most significant word first (Eastron, ABB, Schneider).
    case highFirst = "high_first"
    /// Least significant word first (Carlo Gavazzi).
    case lowFirst = "low_first"
}

/// Where and how one quantity is stored.
public struct RegisterDefinition: Hashable, Sendable {
    public var quantity: MeterQuantity
    /// The 0-based register address (a datasheet's 30001/40001 numbering minus its base).
    public var address: UInt16
    public var type: RegisterType
    public var wordOrder: WordOrder
    /// The raw value times `scale` is the value in `unit` (0.1 for a register in tenths).
    public var scale: Double
    public var unit: MeterUnit

    public init(_ quantity: MeterQuantity, _ address: UInt16, _ type: RegisterType, wordOrder: WordOrder = .highFirst,
                scale: Double = 1, unit: MeterUnit) {
        self.quantity = quantity
        self.address = address
        self.type = type
        self.wordOrder = wordOrder
        self.scale = scale
        self.unit = unit
    }

    /// The registers this value occupies.
    public var range: Range<Int> { Int(address)..<(Int(address) + type.registerCount) }

    /// Decodes the value from its registers, in the quantity's base unit (V, A, W, Hz, Wh).
    public func decode(_ words: ArraySlice<UInt16>) -> Double {
        precondition(words.count == type.registerCount, "\(quantity): \(type) takes \(type.registerCount) registers")
        var ordered = Array(words)
        if wordOrder == .lowFirst { ordered.reverse() }
        var bits: UInt64 = 0
        for word in ordered { bits = bits << 16 | UInt64(word) }
        let raw: Double
        switch type {
        case .float32: raw = Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .int32: raw = Double(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .uint32: raw = Double(UInt32(truncatingIfNeeded: bits))
        case .int64: raw = Double(Int64(bitPattern: bits))
        case .uint64: raw = Double(bits)
        case .int16: raw = Double(Int16(bitPattern: UInt16(truncatingIfNeeded: bits)))
        case .uint16: raw = Double(UInt16(truncatingIfNeeded: bits))
        }
        return raw * scale * unit.toBase
    }

    /// Encodes `value` (in the base unit) into registers, as the meter would: the inverse of
    /// `decode`, rounding integers to the register's resolution and saturating at its range.
    public func encode(_ value: Double) -> [UInt16] {
        let raw = value / unit.toBase / scale
        let bits: UInt64
        switch type {
        case .float32: bits = UInt64(Float(raw).bitPattern)
        case .int32: bits = UInt64(UInt32(bitPattern: Int32(clamping: Int64(saturating: raw))))
        case .uint32: bits = UInt64(UInt32(clamping: Int64(saturating: max(0, raw))))
        case .int64: bits = UInt64(bitPattern: Int64(saturating: raw))
        case .uint64: bits = raw <= 0 ? 0 : raw >= 1.8e19 ? .max : UInt64(raw.rounded())
        case .int16: bits = UInt64(UInt16(bitPattern: Int16(clamping: Int64(saturating: raw))))
        case .uint16: bits = UInt64(UInt16(clamping: Int64(saturating: max(0, raw))))
        }
        var words: [UInt16] = []
        for index in (0..<type.registerCount).reversed() { words.append(UInt16(truncatingIfNeeded: bits >> (16 * UInt64(index)))) }
        if wordOrder == .lowFirst { words.reverse() }
        return words
    }
}

extension Int64 {
    /// `value` rounded to the nearest integer, saturating at the type's range (NaN → 0).
    init(saturating value: Double) {
        if value.isNaN { self = 0 } else if value >= 9.2e18 { self = .max } else if value <= -9.2e18 { self = .min } else { self = Int64(value.rounded()) }
    }
}

/// A meter model's register map: which Modbus function reads it, and where each quantity is.
/// Data, not code: the built-in models and a board file's custom map are the same type.
public struct RegisterMap: Hashable, Sendable {
    public var model: String
    /// 3 (read holding registers) or 4 (read input registers).
    public var functionCode: UInt8
    public var definitions: [RegisterDefinition]
    /// The most registers the meter returns in one request (the Modbus limit is 125).
    public var maximumRegistersPerRequest: Int
    /// Unused registers in a gap that are still read rather than split into two requests. A second
    /// request costs its own 8-byte frame, a 5-byte reply header and CRC and two 3.5-character
    /// silences, about 20 character times; a gap costs 2 per register. Merging across more than 10
    /// registers would make the reading slower on the line, so the default stops there.
    public var maximumGap: Int

    public init(model: String, functionCode: UInt8, definitions: [RegisterDefinition],
                maximumRegistersPerRequest: Int = 80, maximumGap: Int = 10) {
        self.model = model
        self.functionCode = functionCode
        self.definitions = definitions
        self.maximumRegistersPerRequest = maximumRegistersPerRequest
        self.maximumGap = maximumGap
    }

    /// One request: `count` registers from `start`.
    public struct Block: Hashable, Sendable {
        public var start: UInt16
        public var count: Int
        public init(start: UInt16, count: Int) {
            self.start = start
            self.count = count
        }
        public var range: Range<Int> { Int(start)..<(Int(start) + count) }
    }

    /// The fewest requests that read every definition: definitions sorted by address are merged
    /// while the gap and the request size allow.
    public var blocks: [Block] {
        var blocks: [Block] = []
        for definition in definitions.sorted(by: { $0.address < $1.address }) {
            let range = definition.range
            if let last = blocks.last, range.lowerBound - last.range.upperBound <= maximumGap,
                max(range.upperBound, last.range.upperBound) - last.range.lowerBound <= maximumRegistersPerRequest
            {
                blocks[blocks.count - 1].count = max(range.upperBound, last.range.upperBound) - last.range.lowerBound
            } else {
                blocks.append(Block(start: definition.address, count: range.count))
            }
        }
        return blocks
    }

    /// Whether the map is well formed; returns the problems in words.
    public func problems() -> [String] {
        var problems: [String] = []
        if functionCode != 3 && functionCode != 4 { problems.append("function code \(functionCode) is not 3 or 4") }
        if !(1...125).contains(maximumRegistersPerRequest) { problems.append("max registers per request must be 1 … 125") }
        var seen = Set<MeterQuantity>()
        for definition in definitions {
            if !seen.insert(definition.quantity).inserted { problems.append("\(definition.quantity.rawValue) is defined twice") }
            if definition.unit.base != definition.quantity.baseUnit {
                problems.append("\(definition.quantity.rawValue) is in \(definition.quantity.baseUnit.rawValue), not \(definition.unit.rawValue)")
            }
            if definition.range.upperBound > 65536 { problems.append("\(definition.quantity.rawValue) runs past register 65535") }
            if definition.scale == 0 || !definition.scale.isFinite { problems.append("\(definition.quantity.rawValue) has scale \(definition.scale)") }
        }
        for required: MeterQuantity in [.voltageL1, .currentL1, .importEnergy] where !seen.contains(required) {
            problems.append("\(required.rawValue) is missing: a charger needs voltage, current and the import register")
        }
        for definition in definitions where definition.type.registerCount > maximumRegistersPerRequest {
            problems.append("\(definition.quantity.rawValue) does not fit in one request")
        }
        return problems
    }

    /// The definition of `quantity`, if the map has it.
    public subscript(quantity: MeterQuantity) -> RegisterDefinition? {
        definitions.first { $0.quantity == quantity }
    }
}
