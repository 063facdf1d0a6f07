/// A point on a monotonic clock, in nanoseconds since an arbitrary origin (boot, or the start of a
/// simulation).
///
/// The state machine never reads a clock: every input carries the `Instant` at which it happened, so
/// tests and simulations choose time freely.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The clock's origin.
    public static let zero = Instant(nanoseconds: 0)

    /// An instant `seconds` after the origin.
    public static func seconds(_ seconds: Double) -> Instant {
        Instant(nanoseconds: Duration.clampedSeconds(seconds).nanoseconds)
    }

    /// Seconds since the origin.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }

    public static func - (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }

    public static func - (lhs: Instant, rhs: Instant) -> Duration {
        .nanoseconds(lhs.nanoseconds - rhs.nanoseconds)
    }

    public var description: String { "t=\(seconds)s" }
}

/// Where monotonic time comes from: the system's `CLOCK_MONOTONIC` (Runtime's `MonotonicClock`)
/// or a test's. What times things on a thread of its own (the console's idle timeout, the meter's
/// reopen back-off) takes one; the state machine and the control loop are handed their instants.
public protocol MonotonicTime: Sendable {
    func now() -> Instant
}

extension Duration {
    /// `seconds` as a duration, for figures computed from measurements (a prediction, a rate):
    /// kept within ±10⁹ s (31 years), and zero when not a number, so no arithmetic on a strange
    /// reading can trap.
    public static func clampedSeconds(_ seconds: Double) -> Duration {
        guard !seconds.isNaN else { return .zero }
        return .nanoseconds(Int64((min(max(seconds, -1e9), 1e9) * 1e9).rounded()))
    }

    /// The duration in nanoseconds, saturating at `Int64` bounds (292 years).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product + attoseconds / 1_000_000_000
    }

    /// The duration in seconds.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
