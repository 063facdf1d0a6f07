#if canImport(Glibc)
import Glibc
#endif

/// A cap on how long the CPUs may take to wake from idle, held while the request lives: Linux's PM
/// QoS through `/dev/cpu_dma_latency`. The kernel's cpuidle governor then keeps idle cores in
/// states whose exit latency is within the cap, so an edge of the residual-current monitor or the
/// loop's deadline does not first wait for a core to come out of a deep sleep. 0 keeps them in the
/// shallowest state (on a virtual machine with haltpoll, polling instead of halting; on ARM, WFI).
/// It costs power where there are deeper states; a board with none (the Raspberry Pi 4's kernel
/// has only WFI) sees no change.
///
/// The kernel drops the request when the descriptor closes: the request owns it and closes it
/// once, in `deinit`, or when the process ends.
public final class CPUWakeLatencyRequest: Sendable {
    public static let device = "/dev/cpu_dma_latency"
    public let microseconds: Int32
    private let descriptor: Int32

    /// Asks for `microseconds` (0 … 10 000). Throws what went wrong, with the device's path (no
    /// permission: the udev rule of systemd/90-evsed.rules gives it to the evsed group).
    public init(microseconds: Int32, device: String = CPUWakeLatencyRequest.device) throws(CPUWakeLatencyError) {
        precondition((0...10_000).contains(microseconds), "a wake latency is 0 … 10000 µs")
        let descriptor = open(device, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CPUWakeLatencyError(device: device, operation: "open", code: errno) }
        var value = microseconds
        // The device takes the value as a binary 32-bit integer (or as hex text); binary it is.
        guard write(descriptor, &value, 4) == 4 else {
            let code = errno
            close(descriptor)
            throw CPUWakeLatencyError(device: device, operation: "write", code: code)
        }
        self.microseconds = microseconds
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The cap in force now, all requests of all processes together (µs), as the device reads it;
    /// nil when it cannot be read.
    public static func current(device: String = CPUWakeLatencyRequest.device) -> Int32? {
        let descriptor = open(device, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var value: Int32 = 0
        return read(descriptor, &value, 4) == 4 ? value : nil
    }
}

public struct CPUWakeLatencyError: Error, CustomStringConvertible, Sendable {
    public var device: String
    public var operation: String
    public var code: Int32

    public var description: String {
        let reason = String(cString: strerror(code))
        let hint = code == EACCES || code == EPERM ? " (systemd/90-evsed.rules gives it to the evsed group)" : ""
        return "\(device): \(operation): \(reason)\(hint); the CPUs' idle states stay as the kernel chooses"
    }
}
