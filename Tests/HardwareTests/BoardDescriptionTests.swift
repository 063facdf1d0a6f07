import ConfigFile
import Foundation
import EVSECore
import Hardware
import Testing
import TestSupport

@Suite struct BoardDescriptionTests {
    let root = repositoryRoot

    func read(_ text: String) throws(ConfigError) -> BoardDescription {
        try BoardDescription.read(ConfigDocument.parse(text, file: "b.toml"))
    }

    @Test func theShippedSimulatedBoardIsTheDefaults() throws {
        let board = try BoardDescription.load(root + "/boards/sim.toml")
        #expect(board.kind == .simulated)
        #expect(board.charger == ChargerConfiguration())
        #expect(board.controlPeriod == .milliseconds(10))
        #expect(board.meterPollInterval == .seconds(1))
        #expect(board.simulation != nil)
    }

    @Test func valuesOverrideTheDefaults() throws {
        let board = try read("""
            [board]
            name = "x"
            kind = "simulated"
            [charger]
            max_current_a = 16
            phases = 1
            ventilation = true
            [protection]
            overcurrent_s = 10
            [simulation]
            """)
        #expect(board.charger.maximumCurrent == Amperes(16))
        #expect(board.charger.phases == 1)
        #expect(board.charger.ventilationAvailable)
        #expect(board.charger.overcurrentTime == .seconds(10))
        #expect(board.cpuWakeLatencyMicroseconds == nil, "no request unless the board file asks")
    }

    @Test func theCPUWakeLatencyIsAskedForByTheBoardFile() throws {
        for (text, expected) in [("0", Int32(0)), ("50", 50), ("10000", 10_000)] {
            let board = try read("[board]\nname = \"x\"\nkind = \"simulated\"\n[control]\ncpu_wake_latency_us = \(text)\n[simulation]")
            #expect(board.cpuWakeLatencyMicroseconds == expected)
        }
    }

    @Test(arguments: [
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[charger]\nmax_current_a = 100\n[simulation]", 5, "charger.max_current_a", "100 is outside 6 … 80"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[charger]\nphases = 2\n[simulation]", 5, "charger.phases", "must be 1 or 3"),
        ("[board]\nname = \"x\"\nkind = \"rpi\"\n[simulation]", 3, "board.kind", "'rpi' is not one of: simulated, linux"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"", 3, "board.kind", "a simulated board needs a [simulation] table"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[chargr]\n[simulation]", 4, "chargr", "unknown key (did you mean 'charger'?)"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[control]\nperiod_ms = 20\nunplug_samples = 2\n[simulation]", 6, "control.unplug_samples", "2 samples at 20.0 ms take longer than the 25 ms allowed to see an unplug"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[temperature]\nderate_half_c = 80\nlimit_c = 70\n[simulation]", 4, "temperature", "thresholds must rise: derate_half_c < derate_quarter_c < limit_c"),
        ("name = 3", 1, nil, "missing [board] table (name and kind of the board)"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[control]\ncpu_wake_latency_us = -1\n[simulation]", 5, "control.cpu_wake_latency_us", "-1 is outside 0 … 10000"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[control]\ncpu_wake_latency_us = 20000\n[simulation]", 5, "control.cpu_wake_latency_us", "20000 is outside 0 … 10000"),
        ("[board]\nname = \"x\"\nkind = \"simulated\"\n[control]\ncpu_wake_latency_us = 2.5\n[simulation]", 5, "control.cpu_wake_latency_us", "expected an integer, found a number"),
    ] as [(String, Int, String?, String)])
    func mistakesNameTheKeyAndTheLine(text: String, line: Int, key: String?, problem: String) {
        #expect(throws: ConfigError(file: "b.toml", line: line, key: key, problem: problem)) { try read(text) }
    }
}

@Suite struct LinuxBoardFileTests {
    let root = repositoryRoot

    static let minimal = """
        [board]
        name = "x"
        kind = "linux"
        [pilot]
        source = "ads1115"
        [pwm]
        chip = 0
        [contactor]
        drive = { chip = "gpiochip0", line = 17 }
        [rcm]
        fault = { chip = "gpiochip0", line = 22, active_low = true }
        test = { chip = "gpiochip0", line = "RCM_TEST" }
        [meter]
        model = "sdm630"
        port = "/dev/ttyUSB0"
        """

    func read(_ text: String) throws(ConfigError) -> BoardDescription {
        try BoardDescription.read(ConfigDocument.parse(text, file: "b.toml"))
    }

    @Test func theShippedRaspberryPiBoardDescribesEveryDevice() throws {
        let board = try BoardDescription.load(root + "/boards/rpi4-ads1115.toml")
        let linux = try #require(board.linux)
        #expect(board.kind == .linux)
        #expect(linux.contactorDrive == GPIOLineSpec(chip: "gpiochip0", line: .offset(17)))
        #expect(linux.contactorFeedback == GPIOLineSpec(chip: "gpiochip0", line: .offset(27), activeLow: true, bias: .pullUp))
        #expect(linux.rcmFault.activeLow)
        #expect(linux.meter.transport == .rtu(device: "/dev/ttyUSB0", baud: 9600, parity: "N", dataBits: 8, stopBits: 1))
        guard case .ads1115(let adc) = linux.pilot else { Issue.record("not an ADS1115 pilot"); return }
        #expect(adc.address == 0x48 && linux.temperature?.address == 0x49)
        #expect(adc.proximity?.channel == 2 && adc.proximity?.pullUp == 1000)
    }

    @Test func theShippedComparatorBoardUsesFiveMoreLines() throws {
        let board = try BoardDescription.load(root + "/boards/rpi4-comparators.toml")
        let linux = try #require(board.linux)
        guard case .comparators(let above10V5, _, _, _, let low) = linux.pilot else { Issue.record("not a comparator pilot"); return }
        #expect(above10V5 == GPIOLineSpec(chip: "gpiochip0", line: .offset(5)))
        #expect(low == GPIOLineSpec(chip: "gpiochip0", line: .offset(26)))
    }

    @Test func aComparatorOnALineAlreadyUsedIsNamed() {
        let text = Self.minimal.replacingOccurrences(of: "source = \"ads1115\"", with: """
            source = "comparators"
            above_10v5 = { chip = "gpiochip0", line = 5 }
            above_7v5 = { chip = "gpiochip0", line = 6 }
            above_4v5 = { chip = "gpiochip0", line = 13 }
            above_1v5 = { chip = "gpiochip0", line = 19 }
            low_below_minus_10v5 = { chip = "gpiochip0", line = 17 }
            """)
        #expect(throws: ConfigError(file: "b.toml", line: 14, key: "contactor.drive", problem: "gpiochip0 line 17 is already used by pilot.low_below_minus_10v5")) {
            try read(text)
        }
    }

    @Test func aConnectorLockNeedsItsLines() throws {
        let locked = Self.minimal + "\n[charger]\nconnector_lock = true\n"
        #expect(throws: ConfigError(file: "b.toml", line: 17, key: "charger.connector_lock",
                                    problem: "is true, but the board file has no [lock] table (the lock's drive and feedback lines)")) {
            try read(locked)
        }
        let lines = locked + "[lock]\ndrive = { chip = \"gpiochip0\", line = 24 }\nfeedback = { chip = \"gpiochip0\", line = 25 }\n"
        #expect(try read(lines).linux?.lock?.feedback == GPIOLineSpec(chip: "gpiochip0", line: .offset(25)))
    }

    @Test func linesByNameAndDefaultsAreRead() throws {
        let linux = try #require(try read(Self.minimal).linux)
        #expect(linux.rcmTest == GPIOLineSpec(chip: "gpiochip0", line: .name("RCM_TEST")))
        #expect(linux.contactorFeedback == nil)
        #expect(linux.temperature == nil)
        #expect(linux.meter.address == 1)
    }

    @Test(arguments: [
        ("test = { chip = \"gpiochip0\", line = \"RCM_TEST\" }", "test = { chip = \"gpiochip0\", line = 17 }", 12, "rcm.test", "gpiochip0 line 17 is already used by contactor.drive"),
        ("port = \"/dev/ttyUSB0\"", "port = \"/dev/ttyUSB0\"\nbaud = 12345", 16, "meter.baud", "12345 is not a serial baud rate"),
        ("model = \"sdm630\"", "model = \"sdm360\"", 14, "meter.model", "'sdm360' is not one of: abb-b23, em340, iem3155, sdm120, sdm630, sdm72d-m, custom (did you mean 'sdm630'?)"),
        ("[pwm]\nchip = 0\n", "", 1, nil, "a linux board needs a [pwm] table"),
        ("drive = { chip = \"gpiochip0\", line = 17 }", "drive = { chip = \"gpiochip0\", lin = 17 }", 9, "contactor.drive", "missing key 'line' (an offset or a line name)"),
    ] as [(String, String, Int, String?, String)])
    func mistakesInTheDevicesAreNamed(original: String, replacement: String, line: Int, key: String?, problem: String) {
        let text = Self.minimal.replacingOccurrences(of: original, with: replacement)
        #expect(throws: ConfigError(file: "b.toml", line: line, key: key, problem: problem)) { try read(text) }
    }

    @Test func aBoardFileCanDefineItsOwnMeterMap() throws {
        let text = Self.minimal.replacingOccurrences(of: "model = \"sdm630\"", with: "model = \"custom\"") + """

            [meter.map]
            function = 4
            registers = [
              { quantity = "voltage_l1", address = 0x0000, type = "float32", unit = "V" },
              { quantity = "current_l1", address = 0x0006, type = "float32", unit = "A" },
              { quantity = "total_power", address = 0x000C, type = "float32", unit = "W" },
              { quantity = "frequency", address = 0x0046, type = "float32", unit = "Hz" },
              { quantity = "import_energy", address = 0x0048, type = "float32", unit = "kWh" },
            ]
            """
        let map = try #require(try read(text).linux?.meter.map)
        // The same map as the built-in SDM120.
        #expect(map.definitions == MeterModels.sdm120.definitions)
        #expect(map.blocks == MeterModels.sdm120.blocks)
    }

    @Test func aCustomMapWithAMistakeIsNamed() {
        let text = Self.minimal.replacingOccurrences(of: "model = \"sdm630\"", with: "model = \"custom\"") + """

            [meter.map]
            registers = [
              { quantity = "voltage_l1", address = 0, type = "float32", unit = "A" },
            ]
            """
        #expect(throws: ConfigError(file: "b.toml", line: 16, key: "meter.map", problem: "voltage_l1 is in V, not A")) { try read(text) }
        let missing = Self.minimal.replacingOccurrences(of: "model = \"sdm630\"", with: "model = \"custom\"")
        #expect(throws: ConfigError(file: "b.toml", line: 14, key: "meter.model", problem: "a custom meter needs a [meter.map] table")) { try read(missing) }
    }

    @Test func aSimulatedBoardRefusesDeviceKeys() {
        #expect(throws: ConfigError(file: "b.toml", line: 5, key: "meter.model", problem: "unknown key")) {
            try read("[board]\nname = \"x\"\nkind = \"simulated\"\n[meter]\nmodel = \"sdm630\"\n[simulation]\n")
        }
    }
}
