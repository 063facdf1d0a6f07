#if canImport(Glibc)
import Glibc
#endif
import CGPIOD
import EVSECore

/// GPIO through libgpiod 1.6 (the chardev API): the only file that imports CGPIOD.
public struct LibGPIOD: GPIOProvider {
    /// The consumer name the kernel shows for our lines (`gpioinfo`).
    public let consumer: String

    public init(consumer: String = "evsed") { self.consumer = consumer }

    public func output(_ spec: GPIOLineSpec, initial: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        let line = try LibGPIODLine(spec: spec, device: device)
        let result = line.request(consumer: consumer) { handle, flags in
            gpiod_line_request_output_flags(handle, consumer, flags, initial ? 1 : 0)
        }
        guard result == 0 else { throw line.failure("request as output") }
        return line
    }

    public func input(_ spec: GPIOLineSpec, edges: Bool, device: HardwareError.Device) throws(HardwareError) -> any GPIOLine {
        let line = try LibGPIODLine(spec: spec, device: device)
        let result = line.request(consumer: consumer) { handle, flags in
            edges ? gpiod_line_request_both_edges_events_flags(handle, consumer, flags)
                : gpiod_line_request_input_flags(handle, consumer, flags)
        }
        guard result == 0 else { throw line.failure(edges ? "request edge events" : "request as input") }
        line.hasEvents = edges
        return line
    }
}

/// A requested libgpiod line. The chip stays open for the line's lifetime.
final class LibGPIODLine: GPIOLine, @unchecked Sendable {
    // Unchecked: used from the control-loop thread only, after the daemon set it up.
    let spec: GPIOLineSpec
    let device: HardwareError.Device
    private let chip: OpaquePointer
    private let line: OpaquePointer
    var hasEvents = false
    private(set) var lastEdgeTime: Instant?

    init(spec: GPIOLineSpec, device: HardwareError.Device) throws(HardwareError) {
        self.spec = spec
        self.device = device
        guard let chip = gpiod_chip_open_lookup(spec.chip) else {
            throw HardwareError(device: device, detail: "\(spec): cannot open GPIO chip \(spec.chip): \(String(cString: strerror(errno)))")
        }
        let found: OpaquePointer?
        switch spec.line {
        case .offset(let offset): found = gpiod_chip_get_line(chip, offset)
        case .name(let name): found = gpiod_chip_find_line(chip, name)
        }
        guard let found else {
            let reason = String(cString: strerror(errno))
            gpiod_chip_close(chip)
            throw HardwareError(device: device, detail: "\(spec): no such line on \(spec.chip): \(reason)")
        }
        self.chip = chip
        self.line = found
    }

    deinit {
        gpiod_line_release(line)
        gpiod_chip_close(chip)
    }

    func request(consumer: String, _ body: (OpaquePointer, Int32) -> Int32) -> Int32 {
        var flags: UInt = 0
        if spec.activeLow { flags |= UInt(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) }
        switch spec.bias {
        case .asIs: break
        case .disabled: flags |= UInt(GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE)
        case .pullUp: flags |= UInt(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
        case .pullDown: flags |= UInt(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
        }
        return body(line, Int32(flags))
    }

    func failure(_ operation: String) -> HardwareError {
        HardwareError(device: device, detail: "\(spec): \(operation): \(String(cString: strerror(errno)))")
    }

    func read() throws(HardwareError) -> Bool {
        let value = gpiod_line_get_value(line)
        guard value >= 0 else { throw failure("read") }
        return value == 1
    }

    func write(_ active: Bool) throws(HardwareError) {
        guard gpiod_line_set_value(line, active ? 1 : 0) == 0 else { throw failure("write") }
    }

    var eventDescriptor: Int32? {
        guard hasEvents else { return nil }
        let descriptor = gpiod_line_event_get_fd(line)
        return descriptor >= 0 ? descriptor : nil
    }

    func drainEvents() throws(HardwareError) -> Int {
        guard let descriptor = eventDescriptor else { return 0 }
        var count = 0
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, 0) > 0 {
            var event = gpiod_line_event()
            guard gpiod_line_event_read(line, &event) == 0 else { throw failure("read edge event") }
            // Since Linux 5.7 the timestamp is CLOCK_MONOTONIC's, the control loop's clock.
            lastEdgeTime = Instant(nanoseconds: Int64(event.ts.tv_sec) * 1_000_000_000 + Int64(event.ts.tv_nsec))
            count += 1
        }
        return count
    }
}
