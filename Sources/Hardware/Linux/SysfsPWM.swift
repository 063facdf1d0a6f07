#if canImport(Glibc)
import Glibc
#endif
import EVSECore

/// The control-pilot PWM through the kernel's sysfs PWM interface:
/// `<root>/pwmchipN/export`, then `pwmM/{period,duty_cycle,polarity,enable}` (nanoseconds).
///
/// 100 % duty is a steady +12 V (no current offered), 0 % a steady −12 V (state F), anything else
/// the IEC 61851 PWM at 1 kHz. The duty is rounded down to the nanosecond, so the vehicle is never
/// offered more than the state machine asked for. The sysfs root is a parameter so tests run against
/// a fake tree.
public final class SysfsPWM: PilotSignal, @unchecked Sendable {
    // Unchecked: used only from the control-loop thread after `open`.
    public let root: String
    public let chip: Int
    public let channel: Int
    /// 1 kHz, as IEC 61851-1 requires.
    public let period: Int64 = 1_000_000
    private var lastDuty: Int64?
    private var enabled = false
    private let dutyPath: String
    private let enablePath: String

    /// The channel's directory.
    public var directory: String { "\(root)/pwmchip\(chip)/pwm\(channel)" }

    public init(root: String = "/sys/class/pwm", chip: Int, channel: Int) {
        self.root = root
        self.chip = chip
        self.channel = channel
        dutyPath = "\(root)/pwmchip\(chip)/pwm\(channel)/duty_cycle"
        enablePath = "\(root)/pwmchip\(chip)/pwm\(channel)/enable"
    }

    /// Exports the channel if needed and sets the period; leaves the output at state F (0 %).
    public func open() throws(HardwareError) {
        let chipDirectory = "\(root)/pwmchip\(chip)"
        guard access(chipDirectory, F_OK) == 0 else {
            throw HardwareError(device: .pilotOutput, detail: "\(chipDirectory) does not exist: no PWM chip \(chip) (is the PWM overlay enabled?)")
        }
        if access(directory, F_OK) != 0 {
            try write("\(channel)", to: "\(chipDirectory)/export")
            // udev needs a moment to create the channel and hand it to our group.
            var waited = 0
            while access("\(directory)/enable", W_OK) != 0 && waited < 100 {
                usleep(10_000)
                waited += 1
            }
        }
        try write("0", to: enablePath)
        try write("0", to: dutyPath)
        try write("\(period)", to: "\(directory)/period")
        try write("normal", to: "\(directory)/polarity", optional: true)
        lastDuty = 0
        try write("1", to: enablePath)
        enabled = true
    }

    /// `PilotSignal`: drives the pilot. Only changed values are written.
    public func apply(_ output: PilotOutput) throws(HardwareError) {
        let duty = Self.dutyNanoseconds(output, period: period)
        if duty != lastDuty {
            try write("\(duty)", to: dutyPath)
            lastDuty = duty
        }
        if !enabled {
            try write("1", to: enablePath)
            enabled = true
        }
    }

    /// The high time of the period for `output`, rounded down to the nanosecond.
    public static func dutyNanoseconds(_ output: PilotOutput, period: Int64) -> Int64 {
        switch output {
        case .steady: return period
        case .stateF: return 0
        case .pwm(let duty): return Int64((duty.percent / 100 * Double(period)).rounded(.down))
        }
    }

    private func write(_ text: String, to path: String, optional: Bool = false) throws(HardwareError) {
        // O_TRUNC is ignored by sysfs and makes a plain file (a test tree) hold only the new value.
        let descriptor = Glibc.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else {
            if optional && errno == ENOENT { return }
            throw HardwareError(device: .pilotOutput, detail: "open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw HardwareError(device: .pilotOutput, detail: "write \(text) to \(path): \(String(cString: strerror(errno)))")
        }
    }
}
