import ConfigFile

extension RegisterMap {
    /// A meter's map from a board file's `[meter.map]` table, for a meter evsed does not know:
    ///
    /// ```toml
    /// [meter.map]
    /// function = 4
    /// registers = [
    ///   { quantity = "voltage_l1", address = 0x0000, type = "float32", unit = "V" },
    ///   { quantity = "import_energy", address = 0x0048, type = "int32", word_order = "low_first", scale = 0.1, unit = "kWh" },
    /// ]
    /// ```
    public static func read(_ table: ConfigTable, model: String) throws(ConfigError) -> RegisterMap {
        let function = try table.integer("function", default: 4, in: 3...4)
        let maximum = try table.integer("max_registers_per_request", default: 80, in: 1...125)
        let gap = try table.integer("max_gap", default: 10, in: 0...125)
        var definitions: [RegisterDefinition] = []
        for entry in try table.tables("registers") {
            let quantityName = try entry.choice("quantity", of: MeterQuantity.allCases.map(\.rawValue))
            let quantity = MeterQuantity(rawValue: quantityName)!
            let address = try entry.required("address", entry.integer)
            guard (0...65535).contains(address) else { throw entry.error("address", "\(address) is outside 0 … 65535") }
            let type = RegisterType(rawValue: try entry.choice("type", of: RegisterType.allCases.map(\.rawValue)))!
            let order = WordOrder(rawValue: try entry.choice("word_order", of: ["high_first", "low_first"], default: "high_first"))!
            let scale = try entry.double("scale", default: 1, in: 1e-9...1e9)
            let unit = MeterUnit(rawValue: try entry.choice("unit", of: MeterUnit.allCases.map(\.rawValue)))!
            try entry.rejectUnknownKeys()
            definitions.append(RegisterDefinition(quantity, UInt16(address), type, wordOrder: order, scale: scale, unit: unit))
        }
        try table.rejectUnknownKeys()
        let map = RegisterMap(model: model, functionCode: UInt8(function), definitions: definitions,
                              maximumRegistersPerRequest: maximum, maximumGap: gap)
        if let problem = map.problems().first { throw table.error(nil, problem) }
        return map
    }
}
