#if canImport(Glibc)
import Glibc
#endif
import CLinuxTime
import EVSECore

/// Watches the system's real-time clock for what a board without a battery-backed clock lives
/// through: the clock is set (stepped) when NTP first synchronises, minutes after boot, or when
/// someone runs `date -s`; and NTP says whether it is synchronised.
///
/// A step is noticed through a `timerfd` on `CLOCK_REALTIME` armed with
/// `TFD_TIMER_CANCEL_ON_SET`, which the kernel cancels whenever the clock is set (and never for
/// NTP's gradual slewing); its size is the change of the real-time clock against the monotonic one
/// since the watch last looked. `check()` never blocks: the daemon calls it from its event pump.
/// The descriptor is the watch's own and is closed once, when the watch goes.
public final class SystemClockWatch {
    /// A step of the real-time clock.
    public struct Step: Hashable, Sendable {
        /// When it was noticed, on the monotonic clock.
        public var at: Instant
        /// What the real-time clock read then, in milliseconds since 1970 (UTC).
        public var realTimeMilliseconds: Int64
        /// How far it moved against the monotonic clock, in milliseconds (negative: backwards).
        public var milliseconds: Int64
    }

    /// systemd-timesyncd's mark of a synchronised clock: the file exists once NTP synchronised
    /// the clock; its directory exists while timesyncd runs.
    public static let timesyncFlag = "/run/systemd/timesync/synchronized"

    private let descriptor: Int32
    private let synchronizedFlag: String
    /// The flag's directory: there while timesyncd runs.
    private let timesyncDirectory: String
    /// Real time minus monotonic time when the watch last looked, in milliseconds.
    private var offset: Int64

    /// - Parameter synchronizedFlag: the file whose existence says the clock is synchronised.
    public init(synchronizedFlag: String = SystemClockWatch.timesyncFlag) throws(SystemClockWatchError) {
        let descriptor = timerfd_create(CLOCK_REALTIME, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard descriptor >= 0 else { throw SystemClockWatchError(operation: "timerfd_create", code: errno) }
        self.descriptor = descriptor
        self.synchronizedFlag = synchronizedFlag
        let slash = synchronizedFlag.lastIndex(of: "/") ?? synchronizedFlag.startIndex
        timesyncDirectory = slash == synchronizedFlag.startIndex ? "/" : String(synchronizedFlag[..<slash])
        offset = Self.reading().offset
        do throws(SystemClockWatchError) {
            try arm()
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit {
        close(descriptor)
    }

    /// The step of the real-time clock since the last call, if it was set; nil otherwise. After a
    /// step the watch is armed again for the next one.
    public func check() throws(SystemClockWatchError) -> Step? {
        var expirations: UInt64 = 0
        let count = read(descriptor, &expirations, MemoryLayout<UInt64>.size)
        guard count < 0 else {
            // The far-away timer expired (a year of uptime): not a step, but a disarmed timer
            // would miss the next one.
            try arm()
            return nil
        }
        let code = errno
        if code == EAGAIN || code == EINTR { return nil }
        guard code == ECANCELED else { throw SystemClockWatchError(operation: "read", code: code) }
        try arm()
        let now = Self.reading()
        let step = now.offset - offset
        offset = now.offset
        return Step(at: now.monotonic, realTimeMilliseconds: now.realTime, milliseconds: step)
    }

    /// Whether NTP synchronised the clock: true or false while systemd-timesyncd runs, nil when
    /// nothing here can tell (another time service, or none).
    public func synchronized() -> Bool? {
        if access(synchronizedFlag, F_OK) == 0 { return true }
        return access(timesyncDirectory, F_OK) == 0 ? false : nil
    }

    /// Arms the timer at an absolute real time far ahead, to be cancelled when the clock is set.
    private func arm() throws(SystemClockWatchError) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        // A year ahead; `check` arms it again if it ever expires.
        var setting = itimerspec(it_interval: timespec(), it_value: timespec(tv_sec: now.tv_sec + 366 * 86_400, tv_nsec: 0))
        guard timerfd_settime(descriptor, Int32(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET), &setting, nil) == 0 else {
            throw SystemClockWatchError(operation: "timerfd_settime", code: errno)
        }
    }

    /// Both clocks, read together.
    private static func reading() -> (monotonic: Instant, realTime: Int64, offset: Int64) {
        var real = timespec()
        let monotonic = MonotonicClock.now()
        clock_gettime(CLOCK_REALTIME, &real)
        let realTime = Int64(real.tv_sec) * 1000 + Int64(real.tv_nsec) / 1_000_000
        return (monotonic, realTime, realTime - monotonic.nanoseconds / 1_000_000)
    }
}

/// A system call of the clock watch failed.
public struct SystemClockWatchError: Error, Hashable, Sendable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var description: String { "system clock watch: \(operation): \(String(cString: strerror(code)))" }
}
