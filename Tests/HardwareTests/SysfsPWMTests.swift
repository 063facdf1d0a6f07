#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Hardware
import Testing
import TestSupport

/// The sysfs PWM driver against a fake `/sys/class/pwm` tree (the kernel here has no PWM chip).
@Suite struct SysfsPWMTests {
    @Test func openSetsOneKilohertzAndStartsInStateF() throws {
        let tree = FakePWMTree()
        let pwm = SysfsPWM(root: tree.root, chip: 0, channel: 0)
        try pwm.open()
        #expect(tree.read("period") == "1000000")
        #expect(tree.read("duty_cycle") == "0")
        #expect(tree.read("enable") == "1")
        #expect(tree.read("polarity") == "normal")
    }

    @Test func dutyFollowsThePilotOutputRoundedDown() throws {
        let tree = FakePWMTree()
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
        let tree = FakePWMTree()
        unlink(tree.root + "/pwmchip0/pwm0/duty_cycle")
        mkdir(tree.root + "/pwmchip0/pwm0/duty_cycle", 0o755)  // a directory cannot be written
        let pwm = SysfsPWM(root: tree.root, chip: 0, channel: 0)
        #expect(throws: HardwareError(device: .pilotOutput, detail: "open \(tree.root)/pwmchip0/pwm0/duty_cycle: Is a directory")) {
            try pwm.open()
        }
    }
}
