import EVSECore
import Hardware
import Testing

/// The GPIO devices through a recording provider (KernelGPIOTests has them on the kernel), and libgpiod
/// itself against a chip that does not exist.
@Suite struct GPIOTests {
    /// Records every request and write; a line can be made to fail.
    final class RecordingProvider: GPIOProvider, @unchecked Sendable {
        let log = Lock<[String]>([])
        let levels = Lock<[String: Bool]>([:])
        let failing = Lock<Set<String>>([])

        final class Line: GPIOLine, @unchecked Sendable {
            let spec: GPIOLineSpec
            let provider: RecordingProvider
            let device: HardwareError.Device
            init(spec: GPIOLineSpec, provider: RecordingProvider, device: HardwareError.Device) {
                self.spec = spec
                self.provider = provider
                self.device = device
            }
            func check() throws(HardwareError) {
                if provider.failing.withLock({ $0.contains(spec.description) }) {
                    throw HardwareError(device: device, detail: "\(spec): write: Input/output error")
                }
            }
            func read() throws(HardwareError) -> Bool {
                try check()
                return provider.levels.withLock { $0[spec.description] ?? false }
            }
            func write(_ active: Bool) throws(HardwareError) {
                try check()
                provider.log.withLock { $0.append("write \(spec) \(active)") }
                provider.levels.withLock { $0[spec.description] = active }
            }
            var eventDescriptor: Int32? { nil }
            func drainEvents() throws(HardwareError) -> Int { 0 }
        }

        func output(_ spec: GPIOLineSpec, initial: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
            log.withLock { $0.append("output \(spec) initial \(initial)") }
            levels.withLock { $0[spec.description] = initial }
            return Line(spec: spec, provider: self, device: device)
        }

        func input(_ spec: GPIOLineSpec, edges: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
            log.withLock { $0.append("input \(spec) edges \(edges)") }
            return Line(spec: spec, provider: self, device: device)
        }
    }

    let drive = GPIOLineSpec(chip: "gpiochip0", line: .offset(17))
    let feedback = GPIOLineSpec(chip: "gpiochip0", line: .name("CONTACTOR_AUX"), activeLow: true, bias: .pullUp)

    @Test func theContactorIsRequestedOpenFromTheFirstInstant() throws {
        let provider = RecordingProvider()
        let contactor = try GPIOContactor(provider: provider, drive: drive, feedback: feedback)
        #expect(provider.log.withLock { $0 } == [
            "output gpiochip0 line 17 initial false",
            "input gpiochip0 line \"CONTACTOR_AUX\" edges true",
        ])
        try contactor.command(closed: true)
        try contactor.command(closed: false)
        #expect(provider.log.withLock { Array($0.suffix(2)) } == ["write gpiochip0 line 17 true", "write gpiochip0 line 17 false"])
        #expect(try contactor.feedback() == false)
    }

    @Test func withoutFeedbackTheContactorSaysSo() throws {
        let contactor = try GPIOContactor(provider: RecordingProvider(), drive: drive, feedback: nil)
        #expect(try contactor.feedback() == nil)
    }

    @Test func theRCMTestOutputStartsReleased() throws {
        let provider = RecordingProvider()
        let rcm = try GPIOResidualCurrentMonitor(
            provider: provider, fault: GPIOLineSpec(chip: "gpiochip0", line: .offset(22)),
            test: GPIOLineSpec(chip: "gpiochip0", line: .offset(23)))
        #expect(provider.log.withLock { $0 } == ["input gpiochip0 line 22 edges true", "output gpiochip0 line 23 initial false"])
        try rcm.setSelfTest(true)
        #expect(provider.levels.withLock { $0["gpiochip0 line 23"] } == true)
        #expect(try rcm.isTripped() == false)
    }

    @Test func aFailingLineIsNamedInTheError() throws {
        let provider = RecordingProvider()
        let contactor = try GPIOContactor(provider: provider, drive: drive, feedback: nil)
        _ = provider.failing.withLock { $0.insert("gpiochip0 line 17") }
        #expect(throws: HardwareError(device: .contactor, detail: "gpiochip0 line 17: write: Input/output error")) {
            try contactor.command(closed: true)
        }
    }

    @Test func libgpiodNamesAChipThatDoesNotExist() {
        #expect(throws: HardwareError(device: .contactor, detail: "gpiochip9 line 17: cannot open GPIO chip gpiochip9: No such file or directory")) {
            try LibGPIOD().output(GPIOLineSpec(chip: "gpiochip9", line: .offset(17)), initial: false, device: .contactor)
        }
    }
}

@Suite struct ComparatorPilotSensorTests {
    @Test(arguments: [
        ((true, true, true, true), true, PilotLevel.a),
        ((false, true, true, true), true, .b),
        ((false, false, true, true), true, .c),
        ((false, false, false, true), true, .d),
        ((false, false, false, false), true, .e),
        ((false, true, false, true), true, .unknown),
        ((true, false, false, false), true, .unknown),
    ] as [((Bool, Bool, Bool, Bool), Bool, PilotLevel)])
    func thresholdsDecodeToTheBands(above: (Bool, Bool, Bool, Bool), lowBelow: Bool, level: PilotLevel) {
        #expect(PilotLevel.decode(high: ComparatorPilotSensor.sample(above: above, lowBelow: lowBelow).high) == level)
    }

    @Test func theLowComparatorIsTheDiode() {
        #expect(ComparatorPilotSensor.sample(above: (false, false, true, true), lowBelow: true).lowPhaseShowsDiode)
        #expect(!ComparatorPilotSensor.sample(above: (false, false, true, true), lowBelow: false).lowPhaseShowsDiode)
    }

    @Test func theSensorReadsItsFiveLines() throws {
        let provider = GPIOTests.RecordingProvider()
        let specs = [5, 6, 13, 19, 26].map { GPIOLineSpec(chip: "gpiochip0", line: .offset(UInt32($0))) }
        let sensor = try ComparatorPilotSensor(provider: provider, above10V5: specs[0], above7V5: specs[1], above4V5: specs[2],
                                               above1V5: specs[3], lowBelowMinus10V5: specs[4])
        provider.levels.withLock { levels in
            for offset in [13, 19, 26] { levels["gpiochip0 line \(offset)"] = true }
        }
        let sample = try sensor.sample()
        #expect(PilotLevel.decode(high: sample.high) == .c)
        #expect(sample.lowPhaseShowsDiode)
        #expect(provider.log.withLock { $0.count } == 5)
    }
}
