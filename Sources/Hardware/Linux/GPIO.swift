import EVSECore
import Runtime

/// A GPIO line as a board file names it: a chip (name such as `gpiochip0`, a number, or a path)
/// and a line (offset or the line's name), with its active level and bias.
public struct GPIOLineSpec: Hashable, Sendable, CustomStringConvertible {
    public enum Line: Hashable, Sendable {
        case offset(UInt32)
        case name(String)
    }

    public enum Bias: String, Hashable, Sendable {
        case asIs = "as-is", disabled = "disabled", pullUp = "pull-up", pullDown = "pull-down"
    }

    public var chip: String
    public var line: Line
    /// The line is active (true) when its electrical level is low.
    public var activeLow: Bool
    public var bias: Bias

    public init(chip: String, line: Line, activeLow: Bool = false, bias: Bias = .asIs) {
        self.chip = chip
        self.line = line
        self.activeLow = activeLow
        self.bias = bias
    }

    public var description: String {
        switch line {
        case .offset(let offset): return "\(chip) line \(offset)"
        case .name(let name): return "\(chip) line \"\(name)\""
        }
    }
}

/// One requested GPIO line. Values are logical (active = true), active-low already applied.
public protocol GPIOLine: AnyObject, Sendable {
    var spec: GPIOLineSpec { get }
    func read() throws(HardwareError) -> Bool
    func write(_ active: Bool) throws(HardwareError)
    /// A file descriptor that becomes readable on an edge, for lines requested with edge events.
    var eventDescriptor: Int32? { get }
    /// Reads the pending edge events; returns how many there were.
    func drainEvents() throws(HardwareError) -> Int
    /// When the kernel saw the latest edge `drainEvents()` read (`CLOCK_MONOTONIC`, the event's own
    /// timestamp), or nil for a line without edge events.
    var lastEdgeTime: Instant? { get }
}

extension GPIOLine {
    public var lastEdgeTime: Instant? { nil }
}

/// Requests GPIO lines. `LibGPIOD` is the Linux implementation; the unit tests use a recording
/// fake, the guest stage of `make test` the kernel's gpio-sim.
public protocol GPIOProvider: Sendable {
    /// An output, driven to `initial` from the instant it is requested (the safe value).
    func output(_ spec: GPIOLineSpec, initial: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine
    /// An input; with `edges`, its edge events can wake the control loop.
    func input(_ spec: GPIOLineSpec, edges: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine
}

/// The contactor on GPIO: the coil drive, requested released from the first instant, and the
/// auxiliary contact when the board has one.
public final class GPIOContactor: Contactor {
    public let drive: any GPIOLine
    public let feedbackLine: (any GPIOLine)?

    public init(provider: any GPIOProvider, drive: GPIOLineSpec, feedback: GPIOLineSpec?) throws(HardwareError) {
        self.drive = try provider.output(drive, initial: false, device: .contactor)
        self.feedbackLine = try feedback.map { (spec) throws(HardwareError) in try provider.input(spec, edges: true, device: .contactor) }
    }

    public func command(closed: Bool) throws(HardwareError) { try drive.write(closed) }

    public func feedback() throws(HardwareError) -> Bool? { try feedbackLine?.read() }
}

/// The residual-current monitor on GPIO: its fault output (an input here, with edge events) and its
/// self-test input (an output here, released from the first instant).
public final class GPIOResidualCurrentMonitor: ResidualCurrentMonitor {
    public let fault: any GPIOLine
    public let test: any GPIOLine

    public init(provider: any GPIOProvider, fault: GPIOLineSpec, test: GPIOLineSpec) throws(HardwareError) {
        self.fault = try provider.input(fault, edges: true, device: .residualCurrentMonitor)
        self.test = try provider.output(test, initial: false, device: .residualCurrentMonitor)
    }

    public func isTripped() throws(HardwareError) -> Bool { try fault.read() }

    public func setSelfTest(_ active: Bool) throws(HardwareError) { try test.write(active) }
}

/// A socket's connector lock on GPIO: the actuator (released from the first instant) and its
/// feedback switch.
public final class GPIOConnectorLock: ConnectorLock {
    public let drive: any GPIOLine
    public let feedbackLine: any GPIOLine

    public init(provider: any GPIOProvider, drive: GPIOLineSpec, feedback: GPIOLineSpec) throws(HardwareError) {
        self.drive = try provider.output(drive, initial: false, device: .connectorLock)
        self.feedbackLine = try provider.input(feedback, edges: false, device: .connectorLock)
    }

    public func command(locked: Bool) throws(HardwareError) { try drive.write(locked) }

    public func feedback() throws(HardwareError) -> Bool { try feedbackLine.read() }
}

extension GPIOLine {
    /// The line's edge events as a wake source of the control loop: an RCM trip or a contactor
    /// feedback change is handled at once, not at the next tick.
    public var wakeSource: PeriodicThread.WakeSource? {
        guard let descriptor = eventDescriptor else { return nil }
        return PeriodicThread.WakeSource(descriptor: descriptor) { [self] in _ = try? self.drainEvents() }
    }
}

extension GPIOContactor {
    /// The feedback line's edges.
    public var wakeSources: [PeriodicThread.WakeSource] { [feedbackLine?.wakeSource].compactMap { $0 } }
}

extension GPIOResidualCurrentMonitor {
    /// The fault output's edges.
    public var wakeSources: [PeriodicThread.WakeSource] { [fault.wakeSource].compactMap { $0 } }
}
