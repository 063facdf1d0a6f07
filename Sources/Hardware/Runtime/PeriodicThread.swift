#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Synchronization

/// A dedicated OS thread that calls its body at a fixed period, on absolute deadlines of
/// `CLOCK_MONOTONIC` (`clock_nanosleep` with `TIMER_ABSTIME`), so lateness never accumulates.
///
/// A tick that ends past the next deadline is an overrun: it is counted, the missed deadlines are
/// skipped, and the next call of the body is told how many were missed (the control loop turns
/// repeated overruns into a fault).
public final class PeriodicThread: Sendable {
    /// Timing figures since the thread started.
    public struct Statistics: Sendable {
        public var ticks: Int
        public var overruns: Int
        /// The largest delay between a deadline and the start of its tick.
        public var maximumLateness: Duration
        /// Whether the thread runs with a real-time (SCHED_FIFO) priority.
        public var realTime: Bool
    }

    public let name: String
    public let period: Duration
    private let running = Atomic<Bool>(true)
    private let tickCount = Atomic<Int>(0)
    private let overrunCount = Atomic<Int>(0)
    private let maximumLatenessNanoseconds = Atomic<Int64>(0)
    private let realTime = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)

    /// Starts the thread. `body` receives the tick's deadline and the number of deadlines the
    /// previous tick overran (0 when it ended in time).
    ///
    /// - Parameter realTimePriority: a SCHED_FIFO priority (1 … 99) to ask for; without the
    ///   privilege (CAP_SYS_NICE or systemd's CPUSchedulingPolicy) the thread runs at normal priority.
    public init(name: String, period: Duration, realTimePriority: Int32? = nil,
                body: @escaping @Sendable (_ deadline: Instant, _ missedDeadlines: Int) -> Void) {
        precondition(period > .zero, "a period must be positive")
        self.name = name
        self.period = period
        let context = Unmanaged.passRetained(Context(owner: self, body: body, priority: realTimePriority)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            let context = Unmanaged<Context>.fromOpaque(argument!).takeRetainedValue()
            context.owner.loop(body: context.body, priority: context.priority)
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed for \(name): \(String(cString: strerror(result)))")
        thread.withLock { $0 = handle }
    }

    private final class Context {
        let owner: PeriodicThread
        let body: @Sendable (Instant, Int) -> Void
        let priority: Int32?
        init(owner: PeriodicThread, body: @escaping @Sendable (Instant, Int) -> Void, priority: Int32?) {
            self.owner = owner
            self.body = body
            self.priority = priority
        }
    }

    private func loop(body: @Sendable (Instant, Int) -> Void, priority: Int32?) {
        if let priority {
            var parameters = sched_param(sched_priority: priority)
            realTime.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0, ordering: .relaxed)
        }
        var deadline = MonotonicClock.now() + period
        var missed = 0
        while running.load(ordering: .acquiring) {
            MonotonicClock.sleep(until: deadline)
            let start = MonotonicClock.now()
            let lateness = (start - deadline).nanoseconds
            if lateness > maximumLatenessNanoseconds.load(ordering: .relaxed) {
                maximumLatenessNanoseconds.store(lateness, ordering: .relaxed)
            }
            body(deadline, missed)
            tickCount.add(1, ordering: .relaxed)
            deadline = deadline + period
            let end = MonotonicClock.now()
            missed = 0
            // Skip the deadlines already missed rather than running a burst of late ticks.
            while deadline < end {
                deadline = deadline + period
                missed += 1
            }
            if missed > 0 { overrunCount.add(1, ordering: .relaxed) }
        }
    }

    /// Asks the thread to stop after its current tick and waits for it.
    public func stop() {
        running.store(false, ordering: .releasing)
        let handle = thread.withLock { handle in
            defer { handle = nil }
            return handle
        }
        if let handle { pthread_join(handle, nil) }
    }

    public var statistics: Statistics {
        Statistics(
            ticks: tickCount.load(ordering: .relaxed), overruns: overrunCount.load(ordering: .relaxed),
            maximumLateness: .nanoseconds(maximumLatenessNanoseconds.load(ordering: .relaxed)),
            realTime: realTime.load(ordering: .relaxed))
    }
}
