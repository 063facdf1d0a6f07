
/// A fixed-capacity first-in first-out queue between threads. Storage is allocated once; pushing
/// never allocates and never blocks for longer than a copy, so the control loop may push events
/// and pop commands. When full, `push` refuses and counts the loss.
public final class BoundedQueue<Element: Sendable>: Sendable {
    private struct Ring: ~Copyable {
        var slots: [Element?]
        var head = 0
        var count = 0
        var dropped = 0
    }

    private let ring: Lock<Ring>
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        ring = Lock(Ring(slots: [Element?](repeating: nil, count: capacity)))
    }

    /// Appends `element`; returns false (and counts a drop) when the queue is full, or when only
    /// the last `leaving` slots are free (room kept for what must get through).
    @discardableResult
    public func push(_ element: Element, leaving reserve: Int = 0) -> Bool {
        ring.withLock { ring in
            guard ring.count < capacity - min(reserve, capacity - 1) else {
                ring.dropped += 1
                return false
            }
            ring.slots[(ring.head + ring.count) % capacity] = element
            ring.count += 1
            return true
        }
    }

    /// Removes and returns the oldest element.
    public func pop() -> Element? {
        ring.withLock { ring in
            guard ring.count > 0 else { return nil }
            let element = ring.slots[ring.head]
            ring.slots[ring.head] = nil
            ring.head = (ring.head + 1) % capacity
            ring.count -= 1
            return element
        }
    }

    /// Elements refused because the queue was full, since it was created.
    public var droppedCount: Int { ring.withLock { $0.dropped } }
}
