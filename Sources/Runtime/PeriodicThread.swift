#if canImport(Glibc)
import Glibc
#endif
import CLinuxTime
import EVSECore
import Synchronization

/// A dedicated OS thread that calls its body at a fixed period, on absolute deadlines of
/// `CLOCK_MONOTONIC`, so lateness never accumulates: `clock_nanosleep` with `TIMER_ABSTIME`, or,
/// with wake sources, one `ppoll` on them until the deadline (its timeout computed from the
/// absolute deadline at each call).
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
        /// Ticks run early, on an edge of a wake source.
        public var wakeUps: Int
    }

    public let name: String
    public let period: Duration
    public let wakeSources: [WakeSource]
    private let wakeCount = Atomic<Int>(0)
    /// Written by `stop()` so a thread waiting for an edge leaves at once (read end, write end).
    private let stopPipe: (Int32, Int32)?

    /// A descriptor that can wake the thread early, and how to drain it so it does not again.
    public struct WakeSource: Sendable {
        public var descriptor: Int32
        public var drain: @Sendable () -> Void
        public init(descriptor: Int32, drain: @escaping @Sendable () -> Void) {
            self.descriptor = descriptor
            self.drain = drain
        }
    }
    private let running = Atomic<Bool>(true)
    private let tickCount = Atomic<Int>(0)
    private let overrunCount = Atomic<Int>(0)
    private let maximumLatenessNanoseconds = Atomic<Int64>(0)
    private let realTime = Atomic<Bool>(false)
    private let thread = Lock<pthread_t?>(nil)

    /// Starts the thread. `body` receives the tick's deadline and the number of deadlines the
    /// previous tick overran (0 when it ended in time).
    ///
    /// - Parameter realTimePriority: a SCHED_FIFO priority (1 … 99) to ask for; without the
    ///   privilege (CAP_SYS_NICE or systemd's CPUSchedulingPolicy) the thread runs at normal priority.
    ///
    /// - Parameter wakeSources: descriptors (GPIO edge events) that wake the thread before its
    ///   deadline: the body then runs at once, out of schedule, after the source is drained; the
    ///   periodic deadlines are not moved.
    ///
    /// - Parameter firstDeadline: the first tick's deadline, which sets the phase of all the others
    ///   (two threads on the same period keep a fixed offset); one period from now when nil.
    public init(name: String, period: Duration, realTimePriority: Int32? = nil, wakeSources: [WakeSource] = [], firstDeadline: Instant? = nil,
                body: @escaping @Sendable (_ deadline: Instant, _ missedDeadlines: Int) -> Void) {
        precondition(period > .zero, "a period must be positive")
        self.name = name
        self.period = period
        self.wakeSources = wakeSources
        if wakeSources.isEmpty {
            stopPipe = nil
        } else {
            var ends: [Int32] = [-1, -1]
            precondition(pipe(&ends) == 0, "pipe failed for \(name): \(String(cString: strerror(errno)))")
            stopPipe = (ends[0], ends[1])
        }
        let first = firstDeadline ?? MonotonicClock.now() + period
        let context = Unmanaged.passRetained(Context(owner: self, body: body, priority: realTimePriority, firstDeadline: first)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            let context = Unmanaged<Context>.fromOpaque(argument!).takeRetainedValue()
            context.owner.loop(body: context.body, priority: context.priority, firstDeadline: context.firstDeadline)
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed for \(name): \(String(cString: strerror(result)))")
        thread.withLock { $0 = handle }
    }

    private final class Context {
        let owner: PeriodicThread
        let body: @Sendable (Instant, Int) -> Void
        let priority: Int32?
        let firstDeadline: Instant
        init(owner: PeriodicThread, body: @escaping @Sendable (Instant, Int) -> Void, priority: Int32?, firstDeadline: Instant) {
            self.owner = owner
            self.body = body
            self.priority = priority
            self.firstDeadline = firstDeadline
        }
    }

    private func loop(body: @Sendable (Instant, Int) -> Void, priority: Int32?, firstDeadline: Instant) {
        if let priority {
            var parameters = sched_param(sched_priority: priority)
            realTime.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0, ordering: .relaxed)
        }
        var deadline = firstDeadline
        var missed = 0
        var descriptors = wakeSources.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        if let stopPipe { descriptors.append(pollfd(fd: stopPipe.0, events: Int16(POLLIN), revents: 0)) }
        while running.load(ordering: .acquiring) {
            if descriptors.isEmpty {
                MonotonicClock.sleep(until: deadline)
            } else if waitForEdge(&descriptors, until: deadline) {
                guard running.load(ordering: .acquiring) else { break }
                for index in 0..<wakeSources.count where descriptors[index].revents != 0 { wakeSources[index].drain() }
                wakeCount.add(1, ordering: .relaxed)
                body(MonotonicClock.now(), 0)
                continue
            }
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

    /// Waits for an edge on `descriptors` or for `deadline`, whichever comes first, in one
    /// `ppoll` whose timeout is in nanoseconds, so that an edge in the last millisecond before a
    /// tick is handled at once (with `poll`'s milliseconds, that millisecond was slept deaf to
    /// edges). The timeout is an hrtimer like `clock_nanosleep`'s, without slack for a SCHED_FIFO
    /// thread. Returns true for an edge.
    private func waitForEdge(_ descriptors: inout [pollfd], until deadline: Instant) -> Bool {
        while true {
            let remaining = (deadline - MonotonicClock.now()).nanoseconds
            guard remaining > 0 else { return false }
            var timeout = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
            let ready = descriptors.withUnsafeMutableBufferPointer { ppoll($0.baseAddress, nfds_t($0.count), &timeout, nil) }
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR {
                // Cannot happen with the descriptors this thread owns; never tick early if it does.
                MonotonicClock.sleep(until: deadline)
                return false
            }
            // Timed out (the deadline has come: the next turn says so) or interrupted by a signal.
        }
    }

    /// Asks the thread to stop after its current tick and waits for it.
    public func stop() {
        running.store(false, ordering: .releasing)
        if let stopPipe {
            var byte: UInt8 = 0
            _ = write(stopPipe.1, &byte, 1)
        }
        let handle = thread.withLock { handle in
            defer { handle = nil }
            return handle
        }
        if let handle { pthread_join(handle, nil) }
    }

    deinit {
        if let stopPipe {
            close(stopPipe.0)
            close(stopPipe.1)
        }
    }

    public var statistics: Statistics {
        Statistics(
            ticks: tickCount.load(ordering: .relaxed), overruns: overrunCount.load(ordering: .relaxed),
            maximumLateness: .nanoseconds(maximumLatenessNanoseconds.load(ordering: .relaxed)),
            realTime: realTime.load(ordering: .relaxed), wakeUps: wakeCount.load(ordering: .relaxed))
    }
}
