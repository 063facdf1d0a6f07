import EVSECore
import Sessions
import Synchronization

/// A monotonic clock that reads what the test sets, for code that times things on its own thread.
public final class ManualMonotonicTime: MonotonicTime {
    private let nanoseconds = Mutex<Int64>(0)

    public init(_ start: Instant = .zero) {
        nanoseconds.withLock { $0 = start.nanoseconds }
    }

    public func now() -> Instant { Instant(nanoseconds: nanoseconds.withLock { $0 }) }

    public func advance(_ duration: Duration) {
        nanoseconds.withLock { $0 += duration.nanoseconds }
    }
}

/// A wall clock that reads what the test sets, for code that dates things on its own.
public final class ManualWallTime: WallTime {
    private let milliseconds: Mutex<Int64>

    public init(_ milliseconds: Int64) {
        self.milliseconds = Mutex(milliseconds)
    }

    public func now() -> Timestamp {
        Timestamp(milliseconds: milliseconds.withLock { $0 })
    }

    public func advance(_ duration: Duration) {
        milliseconds.withLock { $0 += duration.nanoseconds / 1_000_000 }
    }
}
