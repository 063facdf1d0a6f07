#if canImport(Glibc)
import Glibc
#endif

/// Waits up to `seconds` for `condition`, looking every 2 ms: the guest's CPU is emulated, so its
/// tests give the kernel and evsed seconds for what takes milliseconds on a board.
public func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = monotonicSeconds() + seconds
    while try !condition() {
        guard monotonicSeconds() < end else { return false }
        usleep(2_000)
    }
    return true
}

/// CLOCK_MONOTONIC in seconds.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
