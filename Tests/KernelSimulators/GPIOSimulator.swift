#if canImport(Glibc)
import Glibc
#endif

/// A chip of the Linux kernel's GPIO simulator (`gpio-sim`), made through configfs for a test or a
/// benchmark and taken down when it is released.
///
/// Its lines are what a board's circuits would be: `pull(_:up:)` sets the level an input reads
/// (the comparator's or the RCM's output), `value(_:)` reads what a requested output drives (the
/// contactor's coil). Both go through the kernel's own sysfs files, not through evsed's code.
/// The kernel of `make test`'s guest stage has the module; where it is missing (or configfs is
/// not writable) `isAvailable` is false.
public final class GPIOSimulator: @unchecked Sendable {
    // Unchecked: `setLive` from one thread at a time; the rest only reads the kernel's files.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// gpio-sim's configfs directory (loaded module, mounted configfs).
    public static let configfs = "/sys/kernel/config/gpio-sim"
    public static var isAvailable: Bool { access(configfs, W_OK) == 0 }

    /// The device's configfs directory.
    public let directory: String
    /// The chip as libgpiod names it (`gpiochip3`).
    public let chipName: String
    /// The platform device (`gpio-sim.2`), whose sysfs folder holds each line's `pull` and `value`.
    public let deviceName: String
    public let lineCount: Int
    private var live = false

    private static let counter = Counter()
    private final class Counter: @unchecked Sendable {
        // Unchecked: guarded by its mutex.
        private var next = 0
        private var mutex = pthread_mutex_t()
        init() { pthread_mutex_init(&mutex, nil) }
        func take() -> Int {
            pthread_mutex_lock(&mutex)
            defer { pthread_mutex_unlock(&mutex) }
            next += 1
            return next
        }
    }

    /// Makes a live chip of `lines` lines with the given line names and chip label.
    public init(lines: Int = 32, names: [Int: String] = [:], label: String? = nil) throws {
        lineCount = lines
        directory = "\(Self.configfs)/evsed-\(getpid())-\(Self.counter.take())"
        let bank = directory + "/bank0"
        try Self.makeDirectory(directory)
        do {
            try Self.makeDirectory(bank)
            try Self.write("\(lines)", to: bank + "/num_lines")
            if let label { try Self.write(label, to: bank + "/label") }
            for (offset, name) in names.sorted(by: { $0.key < $1.key }) {
                try Self.makeDirectory(bank + "/line\(offset)")
                try Self.write(name, to: bank + "/line\(offset)/name")
            }
            try Self.write("1", to: directory + "/live")
            live = true
            chipName = try Self.read(bank + "/chip_name")
            deviceName = try Self.read(directory + "/dev_name")
        } catch {
            if live { try? Self.write("0", to: directory + "/live") }
            Self.remove(directory: directory, names: names.keys)
            throw error
        }
    }

    deinit {
        if live { try? Self.write("0", to: directory + "/live") }
        Self.remove(directory: directory, names: (0..<lineCount).filter { access(directory + "/bank0/line\($0)", F_OK) == 0 })
    }

    private static func remove(directory: String, names: some Sequence<Int>) {
        for offset in names { rmdir(directory + "/bank0/line\(offset)") }
        rmdir(directory + "/bank0")
        rmdir(directory)
    }

    /// The folder of line `offset`'s `pull` and `value` files.
    public func lineDirectory(_ offset: Int) -> String {
        "/sys/devices/platform/\(deviceName)/\(chipName)/sim_gpio\(offset)"
    }

    /// Pulls line `offset` up (high) or down (low): the level an input reads, and an edge when it changes.
    public func pull(_ offset: Int, up: Bool) throws {
        try Self.write(up ? "pull-up" : "pull-down", to: lineDirectory(offset) + "/pull")
    }

    /// The electrical level of line `offset`: an output's driven value, an input's pull.
    public func value(_ offset: Int) throws -> Bool {
        switch try Self.read(lineDirectory(offset) + "/value") {
        case "1": return true
        case "0": return false
        case let other: throw Failure(description: "\(lineDirectory(offset))/value reads '\(other)'")
        }
    }

    /// Takes the chip away (as an expander that loses power) or brings it back.
    public func setLive(_ live: Bool) throws {
        try Self.write(live ? "1" : "0", to: directory + "/live")
        self.live = live
    }

    static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw Failure(description: "mkdir \(path): \(String(cString: strerror(errno)))") }
    }

    /// One write(2), as configfs and sysfs attributes want it.
    static func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY)
        guard descriptor >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count else {
            throw Failure(description: "write '\(text)' to \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func read(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Failure(description: "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        guard count >= 0 else { throw Failure(description: "read \(path): \(String(cString: strerror(errno)))") }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingSpace()
    }
}

extension String {
    fileprivate func trimmingSpace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last == "\n" || last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
