import Sessions
import Synchronization

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
        milliseconds.withLock { $0 += duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000 }
    }

    public func set(_ timestamp: Timestamp) {
        milliseconds.withLock { $0 = timestamp.milliseconds }
    }
}
