import ChargerService
import EVSECore
import Hardware
import Runtime
import Simulation

/// What evsed tells systemd's notify socket when it runs as a service: readiness once the hardware
/// is safe and the control loop ticks, a status line, and watchdog keep-alives only while the loop
/// keeps time. (The journal is a subscriber of the pipeline: `JournalSubscriber`.)
struct ServiceReporter {
    let notifier: SystemdNotifier?
    private var watchdog = LoopWatchdog()
    private var readySent = false
    private var lastWatchdogCheck: Instant?
    private var lastState: ChargerStatus?
    private var lastStatusAt: Instant?

    init(notifier: SystemdNotifier? = .fromEnvironment()) {
        self.notifier = notifier
    }

    /// Called often from the main thread: sends READY=1 once, keep-alives and status as due.
    mutating func update(now: Instant, status: ChargerStatus?, loop: PeriodicThread.Statistics?, summary: String?) {
        guard let notifier else { return }
        if !readySent, let status, status.started, let loop, loop.ticks > 0 {
            readySent = notifier.ready(status: summary ?? "ready")
        }
        if let timeout = notifier.watchdogTimeout, let loop {
            // Check at a quarter of the timeout: a missed keep-alive still leaves time for the next.
            if lastWatchdogCheck == nil || now - lastWatchdogCheck! >= timeout / 4 {
                lastWatchdogCheck = now
                if watchdog.check(ticks: loop.ticks, overruns: loop.overruns) { notifier.watchdog() }
            }
        }
        // STATUS= when the charger's state changes, and every 10 s for the session's figures; not
        // each time the energy or the clock in the line moves.
        if let summary, readySent, status != lastState || lastStatusAt.map({ now - $0 >= .seconds(10) }) ?? true {
            lastState = status
            lastStatusAt = now
            notifier.status(summary)
        }
    }

    func stopping() {
        notifier?.stopping(status: "stopping: contactor open, pilot to state F")
    }
}
