#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Runtime
import Ledger
import Sessions

/// Delivers the outbox: one thread per channel, each on its own ledger connection, so a mail
/// server that hangs for a minute does not hold up an SMS. A thread takes its channel's due
/// deliveries, attempts each, and records the attempt: delivered, or failed and due again after
/// the retry policy's wait, or given up once the alert is older than the policy's maximum age
/// (or at once when the error is permanent). What is pending when evsed stops is still pending
/// when it starts again.
public final class AlertDelivery: Sendable {
    /// What happened to one attempt, for the journal.
    public struct Report: Sendable {
        public var deliveryID: String
        public var channel: String
        public var address: String
        public var kind: String
        /// nil when delivered.
        public var error: String?
        /// When it is tried again; nil when delivered or given up.
        public var retryAt: Timestamp?
        public var attempts: Int
    }

    private let ledgerPath: String
    private let chargerID: String
    private let retry: RetryPolicy
    private let reports: BoundedQueue<Report>
    private let threads = Lock<[PeriodicThread]>([])
    /// The write ends of the threads' wake-up pipes, and their read ends.
    private let wakers = Lock<[Int32]>([])
    private let readEnds = Lock<[Int32]>([])
    /// The latest live state for the MQTT state topic, set by the daemon.
    private let state = Lock<(document: String, published: Bool)?>(nil)
    private let makeChannel: @Sendable (ChannelKind) -> (any AlertChannel)?
    private let kinds: [ChannelKind]
    /// Dates the attempts and decides which deliveries are due.
    private let wallTime: any WallTime

    /// - Parameters:
    ///   - makeChannel: makes a kind's channel, on its delivery thread (which alone then uses it).
    ///   - reports: where each attempt's outcome goes (the daemon's journal).
    ///   - wallTime: the time attempts are made at (the system's, or a test's).
    public init(ledgerPath: String, chargerID: String, kinds: [ChannelKind], retry: RetryPolicy, reports: BoundedQueue<Report>,
                wallTime: any WallTime = SystemWallTime(), makeChannel: @escaping @Sendable (ChannelKind) -> (any AlertChannel)?) {
        self.ledgerPath = ledgerPath
        self.chargerID = chargerID
        self.kinds = kinds
        self.retry = retry
        self.reports = reports
        self.wallTime = wallTime
        self.makeChannel = makeChannel
    }

    /// Whether an MQTT channel publishes the charger's live state.
    public var publishesState: Bool { kinds.contains(.mqtt) }

    /// Sets the charger's live state for the MQTT state topic (published when it changed).
    public func updateState(_ document: String) {
        state.withLock { current in
            if current?.document != document { current = (document, false) }
        }
    }

    public func start() {
        threads.withLock { threads in
            guard threads.isEmpty else { return }
            for kind in kinds {
                let worker = Worker(delivery: self, kind: kind)
                // A new alert wakes the thread (notify()); otherwise it looks every half second for
                // deliveries whose retry time or quiet hours have passed.
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else { continue }
                for end in ends {
                    _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(end, F_SETFL, O_NONBLOCK)
                }
                let (readEnd, writeEnd) = (ends[0], ends[1])
                wakers.withLock { $0.append(writeEnd) }
                let wake = PeriodicThread.WakeSource(descriptor: readEnd) {
                    var bytes = [UInt8](repeating: 0, count: 64)
                    while bytes.withUnsafeMutableBytes({ read(readEnd, $0.baseAddress, $0.count) }) > 0 {}
                }
                threads.append(PeriodicThread(name: "alerts-\(kind)", period: .milliseconds(500), wakeSources: [wake]) { _, _ in worker.tick() })
                readEnds.withLock { $0.append(readEnd) }
            }
        }
    }

    /// Wakes the delivery threads: an alert was just stored.
    public func notify() {
        var byte: UInt8 = 1
        for descriptor in wakers.withLock({ $0 }) { _ = write(descriptor, &byte, 1) }
    }

    /// Stops the threads after their current attempt.
    public func stop() {
        for thread in threads.withLock({ threads in defer { threads = [] }; return threads }) { thread.stop() }
        for descriptor in wakers.withLock({ wakers in defer { wakers = [] }; return wakers }) { close(descriptor) }
        for descriptor in readEnds.withLock({ ends in defer { ends = [] }; return ends }) { close(descriptor) }
    }

    /// The worker of one channel's deliveries, for a caller that runs its rounds itself (tests).
    func worker(for kind: ChannelKind) -> Worker {
        Worker(delivery: self, kind: kind)
    }

    /// One channel's deliveries; used by its thread only (hence unchecked).
    final class Worker: @unchecked Sendable {
        let delivery: AlertDelivery
        let kind: ChannelKind

        init(delivery: AlertDelivery, kind: ChannelKind) {
            self.delivery = delivery
            self.kind = kind
        }

        private var channel: (any AlertChannel)?
        private var ledger: Ledger?
        private var generator = SystemRandomNumberGenerator()

        /// One round: the channel's due deliveries, then the MQTT state.
        func tick() {
            if channel == nil { channel = delivery.makeChannel(kind) }
            guard let channel else { return }
            do throws(LedgerError) {
                if ledger == nil { ledger = try Ledger.outbox(path: delivery.ledgerPath) }
                for entry in try ledger!.dueDeliveries(on: kind.rawValue, at: delivery.wallTime.now()) {
                    try attempt(entry, channel: channel, ledger: ledger!)
                }
            } catch {
                delivery.reports.push(Report(deliveryID: "-", channel: kind.rawValue, address: "-", kind: "-", error: "outbox: \(error)", retryAt: nil, attempts: 0))
                ledger = nil
            }
            if let mqtt = channel as? MQTTChannel {
                publishState(mqtt)
                if let problem = mqtt.service() {
                    delivery.reports.push(Report(deliveryID: "-", channel: "mqtt", address: mqtt.stateTopic, kind: "home_assistant",
                                                 error: problem, retryAt: nil, attempts: 0))
                }
            }
        }

        private func attempt(_ entry: OutboxEntry, channel: any AlertChannel, ledger: Ledger) throws(LedgerError) {
            let message = OutgoingMessage(
                deliveryID: AlertDocument.deliveryID(entry, charger: delivery.chargerID), address: entry.address, kind: entry.kind,
                subject: entry.subject, text: entry.text, sms: entry.sms,
                document: AlertDocument.json(entry, charger: delivery.chargerID), raisedAt: entry.createdAt.description)
            let now = delivery.wallTime.now()
            var report = Report(deliveryID: message.deliveryID, channel: entry.channel, address: entry.address, kind: entry.kind,
                                error: nil, retryAt: nil, attempts: entry.attempts + 1)
            var failure: DeliveryError?
            do throws(DeliveryError) { try channel.deliver(message) } catch { failure = error }
            if let error = failure {
                let wait = delivery.retry.delay(afterAttempts: entry.attempts + 1, unit: Double.random(in: 0..<1, using: &generator))
                let next = Timestamp(milliseconds: now.milliseconds + wait.nanoseconds / 1_000_000)
                let expires = entry.createdAt.milliseconds + delivery.retry.maximumAge.nanoseconds / 1_000_000
                let retryAt = error.permanent || next.milliseconds > expires ? nil : next
                try ledger.recordAttempt(entry.id, at: now, error: error.problem, retryAt: retryAt)
                report.error = error.problem + (retryAt == nil ? (error.permanent ? " (not retried: it would fail the same way)" : " (given up: the alert is too old)") : "")
                report.retryAt = retryAt
            } else {
                try ledger.recordAttempt(entry.id, at: now, error: nil, retryAt: nil)
            }
            delivery.reports.push(report)
        }

        private func publishState(_ mqtt: MQTTChannel) {
            guard let document = delivery.state.withLock({ $0.flatMap { $0.published ? nil : $0.document } }) else { return }
            do throws(DeliveryError) {
                try mqtt.publishState(document)
                delivery.state.withLock { current in if current?.document == document { current?.published = true } }
            } catch {
                // The state is a convenience: the next change or attempt publishes it; alerts carry the news.
            }
        }
    }
}
