#if canImport(Glibc)
import Glibc
#endif
import EVSECore
import Runtime
import Testing

@Suite struct PeriodicThreadTests {
    final class Recorder: Sendable {
        let deadlines = Lock<[Instant]>([])
        let missed = Lock<[Int]>([])
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
}

@Suite struct PeriodicThreadWakeTests {
    final class Ticks: Sendable {
        let instants = Lock<[Instant]>([])
    }

    @Test func anEdgeRunsTheBodyAtOnceWithoutWaitingForTheDeadline() {
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        defer { close(readEnd); close(writeEnd) }
        let ticks = Ticks()
        let drained = Lock(0)
        // A 20 s period: any tick before it can only be the edge's.
        let thread = PeriodicThread(
            name: "edges", period: .seconds(20),
            wakeSources: [.init(descriptor: readEnd, drain: {
                var byte: UInt8 = 0
                _ = read(readEnd, &byte, 1)
                drained.withLock { $0 += 1 }
            })]
        ) { now, _ in ticks.instants.withLock { $0.append(now) } }
        let written = MonotonicClock.now()
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
        for _ in 0..<1000 where ticks.instants.withLock({ $0.isEmpty }) {
            MonotonicClock.sleep(until: MonotonicClock.now() + .milliseconds(5))
        }
        thread.stop()
        let instants = ticks.instants.withLock { $0 }
        #expect(instants.count == 1)
        #expect(instants.first.map { $0 - written < .seconds(10) } == true)
        #expect(drained.withLock { $0 } == 1)
        #expect(thread.statistics.wakeUps == 1)
    }
}
