import EVSECore
import Foundation
import Sessions
import Testing
import TestSupport
@testable import Alerts
@testable import Ledger

/// The outbox's retry schedule, driven round by round on a clock the test sets: what the delivery
/// threads do every half second, without waiting for it.
@Suite struct AlertDeliveryTests {
    /// A channel whose attempts fail or succeed as scripted.
    final class ScriptedChannel: AlertChannel, @unchecked Sendable {
        let kind = ChannelKind.webhook
        var outcomes: [DeliveryError?]
        private(set) var attempts: [OutgoingMessage] = []
        init(_ outcomes: [DeliveryError?]) { self.outcomes = outcomes }
        func deliver(_ message: OutgoingMessage) throws(DeliveryError) {
            attempts.append(message)
            if let error = outcomes.isEmpty ? nil : outcomes.removeFirst() { throw error }
        }
    }

    struct Outbox {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("evsed-delivery-\(UUID().uuidString).sqlite").path
        let clock = ManualWallTime(1_764_000_000_000)
        let reports = BoundedQueue<AlertDelivery.Report>(capacity: 16)
        let channel: ScriptedChannel
        let worker: AlertDelivery.Worker
        let ledger: Ledger

        init(_ outcomes: [DeliveryError?], retry: RetryPolicy = RetryPolicy()) throws {
            ledger = try Ledger(path: path, create: true, chargerID: "garage")
            let at = clock.now()
            _ = try ledger.enqueueAlert(NewAlert(at: at, kind: "ended", session: 1, owner: "alex", subject: "s", text: "t", sms: "m", facts: "{}"),
                                        deliveries: [NewDelivery(channel: "webhook", address: "https://example.org/hook", notBefore: at)])
            let channel = ScriptedChannel(outcomes)
            self.channel = channel
            let delivery = AlertDelivery(ledgerPath: path, chargerID: "garage", kinds: [.webhook], retry: retry, reports: reports,
                                         wallTime: clock) { _ in channel }
            worker = delivery.worker(for: .webhook)
        }

        /// One round of the delivery thread; the report of its attempt, if it made one.
        func round() -> AlertDelivery.Report? {
            worker.tick()
            return reports.pop()
        }

        var state: String? { (try? ledger.outbox())?.first?.state }
    }

    @Test func aFailingDeliveryBacksOffThenGoesThrough() throws {
        let outbox = try Outbox([DeliveryError("502 from the hook"), DeliveryError("timed out"), nil])
        let start = outbox.clock.now().milliseconds
        let first = try #require(outbox.round())
        #expect(first.error == "502 from the hook" && first.attempts == 1)
        let retry = try #require(first.retryAt).milliseconds - start
        #expect((5_000...10_000).contains(retry), "the first wait is 10 s with up to half of it taken off: \(retry) ms")

        // Not before its time.
        outbox.clock.advance(.milliseconds(retry - 1))
        #expect(outbox.round() == nil && outbox.channel.attempts.count == 1)

        outbox.clock.advance(.milliseconds(1))
        let second = try #require(outbox.round())
        #expect(second.error == "timed out" && second.attempts == 2)
        let wait = try #require(second.retryAt).milliseconds - outbox.clock.now().milliseconds
        #expect((10_000...20_000).contains(wait), "the wait doubles: \(wait) ms")

        outbox.clock.advance(.milliseconds(wait))
        let third = try #require(outbox.round())
        #expect(third.error == nil && third.retryAt == nil && third.attempts == 3)
        #expect(outbox.state == "delivered")
        #expect(outbox.round() == nil && outbox.channel.attempts.count == 3, "a delivered message is not sent again")
        // Every attempt carried the same delivery id, for the receiver to drop duplicates.
        #expect(Set(outbox.channel.attempts.map(\.deliveryID)).count == 1)
    }

    @Test func aPermanentErrorIsNotRetried() throws {
        let outbox = try Outbox([DeliveryError("404 from the hook", permanent: true)])
        let report = try #require(outbox.round())
        #expect(report.retryAt == nil && report.error?.contains("not retried") == true, "\(report.error ?? "")")
        outbox.clock.advance(.seconds(3600))
        #expect(outbox.round() == nil && outbox.channel.attempts.count == 1)
        #expect(outbox.state != "pending")
    }

    @Test func anAlertOlderThanTheMaximumAgeIsGivenUp() throws {
        var retry = RetryPolicy()
        retry.maximumAge = .seconds(3600)
        let outbox = try Outbox(Array(repeating: DeliveryError("no route to host"), count: 20), retry: retry)
        var reports: [AlertDelivery.Report] = []
        // The delivery thread's rounds for two hours, a round every 10 s of the clock.
        for _ in 0..<720 {
            if let report = outbox.round() { reports.append(report) }
            outbox.clock.advance(.seconds(10))
        }
        let last = try #require(reports.last)
        #expect(last.retryAt == nil && last.error?.contains("given up") == true, "\(last.error ?? "")")
        #expect(reports.dropLast().allSatisfy { $0.retryAt != nil })
        // 10 s doubling up to the hour: at most ten attempts fit, at least six.
        #expect((6...10).contains(reports.count), "\(reports.count) attempts")
        #expect(outbox.state == "expired")
    }
}
