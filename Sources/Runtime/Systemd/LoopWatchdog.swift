/// Decides whether the control loop deserves a watchdog keep-alive: it must have ticked since the
/// last check, and most of those ticks on time. A stuck or chronically late loop gets none, so
/// systemd restarts the daemon.
public struct LoopWatchdog: Sendable {
    /// The share of late ticks, since the last check, above which the loop is not keeping time.
    public var maximumOverrunShare: Double
    private var lastTicks: Int?
    private var lastOverruns = 0

    public init(maximumOverrunShare: Double = 0.5) {
        self.maximumOverrunShare = maximumOverrunShare
    }

    /// Takes the loop's counters now; returns whether to send `WATCHDOG=1`.
    public mutating func check(ticks: Int, overruns: Int) -> Bool {
        defer {
            lastTicks = ticks
            lastOverruns = overruns
        }
        guard let previous = lastTicks else { return ticks > 0 }
        let ticked = ticks - previous
        let late = overruns - lastOverruns
        return ticked > 0 && Double(late) <= Double(ticked) * maximumOverrunShare
    }
}
