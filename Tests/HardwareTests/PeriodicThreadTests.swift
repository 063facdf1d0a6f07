import EVSECore
import Hardware
import Synchronization
import Testing

@Suite struct PeriodicThreadTests {
    final class Recorder: Sendable {
        let deadlines = Mutex<[Instant]>([])
        let missed = Mutex<[Int]>([])
    }

    /// Waits (bounded) until `condition` holds; the machine may be busy, so no timing is asserted.
    func wait(until condition: () -> Bool) {
        for _ in 0..<2000 where !condition() { MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(5)) }
    }

    @Test func deadlinesAreAbsoluteAndEvenlySpaced() {
        let recorder = Recorder()
        let thread = PeriodicThread(name: "test", period: .milliseconds(5)) { deadline, _ in
            recorder.deadlines.withLock { $0.append(deadline) }
        }
        wait { recorder.deadlines.withLock { $0.count } >= 20 }
        thread.stop()
        let deadlines = recorder.deadlines.withLock { $0 }
        #expect(deadlines.count >= 20)
        // Each deadline is a whole number of periods after the first: lateness never accumulates.
        for deadline in deadlines {
            #expect((deadline - deadlines[0]).nanoseconds % 5_000_000 == 0)
        }
        #expect(zip(deadlines, deadlines.dropFirst()).allSatisfy { $0 < $1 })
        #expect(thread.statistics.ticks == deadlines.count)
    }

    @Test func aTickLongerThanThePeriodReportsItsMissedDeadlinesToTheNextTick() {
        let recorder = Recorder()
        let thread = PeriodicThread(name: "slow", period: .milliseconds(2)) { _, missed in
            recorder.missed.withLock { $0.append(missed) }
            MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(5))
        }
        wait { recorder.missed.withLock { $0.count } >= 4 }
        thread.stop()
        let missed = recorder.missed.withLock { $0 }
        #expect(thread.statistics.overruns >= missed.count - 1)
        // A 5 ms tick at a 2 ms period misses at least two deadlines each time.
        #expect(missed.dropFirst().allSatisfy { $0 >= 2 })
    }

    @Test func stopReturnsAfterTheThreadHasEnded() {
        let recorder = Recorder()
        let thread = PeriodicThread(name: "stop", period: .milliseconds(1)) { deadline, _ in
            recorder.deadlines.withLock { $0.append(deadline) }
        }
        wait { recorder.deadlines.withLock { $0.count } >= 3 }
        thread.stop()
        let count = recorder.deadlines.withLock { $0.count }
        MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(20))
        #expect(recorder.deadlines.withLock { $0.count } == count)
    }

    @Test func theLinkedLibrariesReportTheirVersions() {
        #expect(LinkedLibraries.modbusVersion.split(separator: ".").count == 3)
        #expect(LinkedLibraries.gpiodVersion.hasPrefix("1."))
    }
}
