#if canImport(Glibc)
import Glibc
#endif
import EVSECore

/// `CLOCK_MONOTONIC`: the time base of the control loop. Never jumps with wall-clock changes.
/// As a value, the system's `MonotonicTime`.
public struct MonotonicClock: MonotonicTime {
    public init() {}

    public func now() -> Instant { Self.now() }

    /// Now, as an `Instant` (nanoseconds since boot).
    public static func now() -> Instant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Instant(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    /// Sleeps until `deadline` (absolute, `TIMER_ABSTIME`), resuming after signals.
    public static func sleep(until deadline: Instant) {
        var spec = timespec(tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }
}
