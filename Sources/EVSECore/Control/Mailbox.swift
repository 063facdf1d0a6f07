
/// The latest value posted by one thread for another, with a sequence number so the reader knows
/// whether it is new, and the instant it was taken. Never blocks for longer than a copy.
public final class Mailbox<Value: Sendable>: Sendable {
    /// One posted value.
    public struct Letter: Sendable {
        public var value: Value
        public var sequence: UInt64
        public var postedAt: Instant
    }

    private let slot = Lock<Letter?>(nil)

    public init() {}

    /// Replaces the value.
    public func post(_ value: Value, at instant: Instant) {
        slot.withLock { letter in
            let sequence = (letter?.sequence ?? 0) + 1
            letter = Letter(value: value, sequence: sequence, postedAt: instant)
        }
    }

    /// The latest value, if any.
    public func latest() -> Letter? { slot.withLock { $0 } }
}
