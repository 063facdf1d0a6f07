import EVSECore

/// Maps the control loop's monotonic instants to wall-clock time: the instant and the wall clock
/// read together once.
public struct WallClock: Sendable {
    public var originInstant: Instant
    public var originTimestamp: Timestamp

    public init(originInstant: Instant, originTimestamp: Timestamp) {
        self.originInstant = originInstant
        self.originTimestamp = originTimestamp
    }

    public func timestamp(_ instant: Instant) -> Timestamp {
        Timestamp(milliseconds: originTimestamp.milliseconds + (instant - originInstant).nanoseconds / 1_000_000)
    }

    public func instant(_ timestamp: Timestamp) -> Instant {
        originInstant + .milliseconds(timestamp.milliseconds - originTimestamp.milliseconds)
    }
}

/// Where wall-clock time comes from: the system's real-time clock, or a test's. Components that
/// date things on their own threads (the alert delivery, a mail's `Date`) take one.
public protocol WallTime: Sendable {
    func now() -> Timestamp
}

/// The system's real-time clock (`CLOCK_REALTIME`).
public struct SystemWallTime: WallTime {
    public init() {}
    public func now() -> Timestamp { Timestamp.now() }
}
