#if canImport(Glibc)
import Glibc
#endif

/// A fake `/sys/class/pwm` tree: `pwmchip0/export` and the files of `pwm0`, as the kernel shows
/// them after export (Linux has no PWM simulator). Removed when released.
public final class FakePWMTree: @unchecked Sendable {
    // Unchecked: its files are the kernel's stand-in; readers and the driver share them as they would sysfs.
    public let root: String

    public init() {
        var template = Array("/tmp/evsed-pwm-XXXXXX".utf8CString)
        root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        mkdir(root + "/pwmchip0", 0o755)
        mkdir(root + "/pwmchip0/pwm0", 0o755)
        for file in ["pwmchip0/export", "pwmchip0/pwm0/period", "pwmchip0/pwm0/duty_cycle", "pwmchip0/pwm0/enable", "pwmchip0/pwm0/polarity"] {
            let descriptor = open(root + "/" + file, O_CREAT | O_WRONLY, 0o644)
            close(descriptor)
        }
    }

    /// What the driver last wrote to `pwm0/<file>`.
    public func read(_ file: String) -> String {
        let descriptor = open(root + "/pwmchip0/pwm0/" + file, O_RDONLY)
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        return String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
    }

    deinit { _ = system("rm -rf '\(root)'") }
}
