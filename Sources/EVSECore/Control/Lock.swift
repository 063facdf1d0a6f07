#if canImport(Glibc)
import Glibc
#endif

/// A value shared between threads behind a `pthread_mutex_t`: evsed's one lock.
///
/// A POSIX mutex rather than the standard library's `Mutex`, which on Linux waits on a futex
/// ThreadSanitizer cannot see: with it, `make test`'s TSan pass would report every access it
/// guards as a race, and hide the real ones. Uncontended, locking costs a few tens of
/// nanoseconds and allocates nothing; the mutex is allocated once, with the lock.
public final class Lock<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: consuming Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, no other thread touching it meanwhile.
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
