#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Hardware
import Testing

/// The sysfs PWM driver against a fake `/sys/class/pwm` tree (the kernel here has no PWM chip).
@Suite struct SysfsPWMTests {
    /// A fake tree: `pwmchip0/export` and the files of `pwm0`, as the kernel shows them after export.
    final class FakeTree {
        let root: String
        init() {
            var template = Array("/tmp/evsed-pwm-XXXXXX".utf8CString)
            root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
            mkdir(root + "/pwmchip0", 0o755)
            mkdir(root + "/pwmchip0/pwm0", 0o755)
            for file in ["pwmchip0/export", "pwmchip0/pwm0/period", "pwmchip0/pwm0/duty_cycle", "pwmchip0/pwm0/enable", "pwmchip0/pwm0/polarity"] {
                let descriptor = open(root + "/" + file, O_CREAT | O_WRONLY, 0o644)
                close(descriptor)
            }
        }
        func read(_ file: String) -> String {
            let descriptor = open(root + "/pwmchip0/pwm0/" + file, O_RDONLY)
            defer { close(descriptor) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            return String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
        }
        deinit { _ = system("rm -rf '\(root)'") }
    }

    @Test func openSetsOneKilohertzAndStartsInStateF() throws {
        let tree = FakeTree()
        let pwm = SysfsPWM(root: tree.root, chip: 0, channel: 0)
        try pwm.open()
        #expect(tree.read("period") == "1000000")
        #expect(tree.read("duty_cycle") == "0")
        #expect(tree.read("enable") == "1")
        #expect(tree.read("polarity") == "normal")
    }

    @Test func dutyFollowsThePilotOutputRoundedDown() throws {
        let tree = FakeTree()
        let pwm = SysfsPWM(root: tree.root, chip: 0, channel: 0)
        try pwm.open()
        try pwm.apply(.pwm(PWMDuty(offering: Amperes(16))))
        #expect(tree.read("duty_cycle") == "266666")
        try pwm.apply(.steady)
        #expect(tree.read("duty_cycle") == "1000000")
        try pwm.apply(.stateF)
        #expect(tree.read("duty_cycle") == "0")
        try pwm.apply(.pwm(PWMDuty(offering: Amperes(32))))
        #expect(tree.read("duty_cycle") == "533333")
    }

    @Test func aMissingChipIsNamed() {
        let pwm = SysfsPWM(root: "/nonexistent/pwm", chip: 2, channel: 0)
        #expect(throws: HardwareError(device: .pilotOutput, detail: "/nonexistent/pwm/pwmchip2 does not exist: no PWM chip 2 (is the PWM overlay enabled?)")) {
            try pwm.open()
        }
    }

    @Test func aFileThatCannotBeWrittenIsNamed() throws {
        let tree = FakeTree()
        unlink(tree.root + "/pwmchip0/pwm0/duty_cycle")
        mkdir(tree.root + "/pwmchip0/pwm0/duty_cycle", 0o755)  // a directory cannot be written
        let pwm = SysfsPWM(root: tree.root, chip: 0, channel: 0)
        #expect(throws: HardwareError(device: .pilotOutput, detail: "open \(tree.root)/pwmchip0/pwm0/duty_cycle: Is a directory")) {
            try pwm.open()
        }
    }
}
